"""The trusted policy for one run: configuration, role, task scope, as pattern sets.

Policy is read from the trusted revision (the merge base for a branch, HEAD for --staged),
never from the change being checked; `--policy worktree` reads the working tree instead, for
someone authoring policy.
"""

import os
import re
from typing import NamedTuple

from guard import config as config_mod
from guard import yamlfile
from guard.errors import GuardError
from guard.git import Git
from guard.patterns import PatternSet, Source, validate_pattern
from guard.roles import Role, find_role, load_roles, parse_groups
from guard.schema import check_keys, did_you_mean, expect
from guard.yamlfile import line_of

# `.claude/` whole: besides the settings (which wire the hooks), its agents/ files name each
# sub-agent (the hook's agent_type, which picks the role) and its tools, and its hooks/ and
# commands/ hold scripts the settings run; the staff role owns the folder
ALWAYS_POLICY_FILES = (config_mod.CONFIG_FILE, ".pre-commit-config.yaml", ".guard/",
                       ".claude/")


class RevReader:
    """Files as committed at one revision."""

    def __init__(self, git: Git, rev: str, label: str) -> None:
        self.git, self.rev, self.label = git, rev, label

    def read(self, path: str) -> bytes | None:
        return self.git.read_blob(self.rev, path)

    def read_many(self, paths: list[str]) -> dict[str, bytes | None]:
        return self.git.read_blobs_at(self.rev, paths)

    def list(self, folder: str) -> list[str]:
        return self.git.ls_files(self.rev, folder)


class WorktreeReader:
    def __init__(self, root: str) -> None:
        self.root, self.label = root, "working tree"

    def read(self, path: str) -> bytes | None:
        try:
            with open(os.path.join(self.root, path), "rb") as fh:
                return fh.read()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None

    def read_many(self, paths: list[str]) -> dict[str, bytes | None]:
        return {path: self.read(path) for path in paths}

    def list(self, folder: str) -> list[str]:
        from guard.fsutil import files_under

        base = os.path.join(self.root, folder)
        return sorted(os.path.relpath(path, self.root).replace(os.sep, "/")
                      for path in files_under(base) if not os.path.isdir(path))


class TaskScope(NamedTuple):
    file: str
    name: str | None
    allowed: tuple[Source, ...]
    forbidden: tuple[Source, ...]


_MIXED = object()   # a folder whose files need deciding one by one


class Decision(NamedTuple):
    verdict: str            # forbidden | shared | owned | outside-task | unowned
    source: Source | None   # the deciding pattern (None for unowned)
    owned_by_role: bool = False


def parse_task_scope(raw: bytes, file: str) -> TaskScope:
    """YAML ({task, allowed, forbidden}) or the Staff Engineer's ALLOWED:/FORBIDDEN: lists."""
    text = raw.decode("utf-8", "replace")
    if file.endswith((".yaml", ".yml", ".json")):
        data = yamlfile.load(raw, file)
        return task_scope_from_mapping(data, file)
    allowed: list[Source] = []
    forbidden: list[Source] = []
    current: list[Source] | None = None
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip().strip("*#").strip()
        heading = stripped.rstrip(":").strip().upper()
        if heading in ("ALLOWED", "ALLOWED FILES", "FILE SCOPE", "MAY MODIFY"):
            current = allowed
            continue
        if heading in ("FORBIDDEN", "FORBIDDEN FILES", "DO NOT TOUCH"):
            current = forbidden
            continue
        item = line.strip()
        if item[:2] in ("- ", "* "):
            if current is None:
                raise GuardError("a path is listed before any ALLOWED: or FORBIDDEN: heading",
                                 path=file, line=number,
                                 hint="put the list under an ALLOWED: or FORBIDDEN: line")
            pattern = item[2:].strip().strip("`")
            kind = "task-allowed" if current is allowed else "task-forbidden"
            current.append(Source(validate_pattern(pattern, file=file, line=number), file,
                                  number, kind, "task file scope"))
    if not allowed and not forbidden:
        raise GuardError("no ALLOWED: or FORBIDDEN: list found in the task scope file",
                         path=file, hint="write `ALLOWED:` then `- path` lines (or use YAML "
                                         "with allowed: and forbidden: lists)")
    if not allowed:     # as in the YAML form: with no allowed path every change is SCOPE004
        raise GuardError("the task scope lists no allowed paths (a FORBIDDEN: list alone)",
                         path=file, line=forbidden[0].line,
                         hint="add an `ALLOWED:` list of the paths the task may modify")
    return TaskScope(file, None, tuple(allowed), tuple(forbidden))


def task_scope_from_mapping(data, file: str) -> TaskScope:
    expect(data, dict, file=file, line=getattr(data, "line", 1), what="the task scope")
    check_keys(data, ("task", "file", "allowed", "forbidden"), file=file,
               where="the task scope")
    name = data.get("task")
    allowed = parse_groups(data.get("allowed"), kind="task-allowed", file=file,
                           line=line_of(data, "allowed"))
    forbidden = parse_groups(data.get("forbidden"), kind="task-forbidden", file=file,
                             line=line_of(data, "forbidden"))
    if not allowed:
        raise GuardError("the task scope lists no allowed paths", path=file,
                         line=getattr(data, "line", 1),
                         hint="add allowed: [paths the task may modify]")
    return TaskScope(file, str(name) if name else None, tuple(allowed), tuple(forbidden))


class Policy:
    """The role, the trusted configuration and the task scope, compiled into the pattern
    sets that decide paths. (A plain class: see config.Config on dataclasses.)"""

    def __init__(self, config: config_mod.Config, roles: dict, role: Role, role_origin: str,
                 task: TaskScope | None, source_label: str, trusted_rev: str | None, *,
                 role_self_declared: bool = False) -> None:
        self.config, self.roles, self.role, self.role_origin = config, roles, role, role_origin
        self.task, self.source_label, self.trusted_rev = task, source_label, trusted_rev
        # the role came from the branch itself (its name, an Agent-Role trailer), which the
        # agent writes: such a role never owns guard's policy files (see owns_policy_file)
        self.role_self_declared = role_self_declared
        cfg = config
        self.forbidden = PatternSet(role.forbidden + cfg.forbidden +
                                    (task.forbidden if task else ()))
        self.shared = PatternSet(role.shared + cfg.shared)
        self.owned = PatternSet(role.owned + cfg.owned)
        self.task_allowed = PatternSet(task.allowed) if task else None
        self.unowned_severity = cfg.unowned or role.unowned
        for src in self.forbidden.sources + self.shared.sources:
            if src.owner is not None and src.owner not in self.roles:
                # a misspelt owner silently lost "owned by Riley (Frontend Engineer)"
                raise GuardError(f"owner {src.owner!r} of pattern {src.pattern!r} is not a "
                                 "role", path=src.file, line=src.line,
                                 hint=did_you_mean(src.owner, self.roles) or
                                 f"known roles: {', '.join(sorted(self.roles))}")
        policy_sources = [Source(p, "built-in", None, "policy") for p in ALWAYS_POLICY_FILES]
        policy_sources.append(Source(cfg.roles_dir.rstrip("/") + "/", "built-in", None,
                                     "policy"))
        if task and not os.path.isabs(task.file):
            policy_sources.append(Source("/" + task.file.lstrip("/"), task.file, None,
                                         "policy"))
        self.policy_files = PatternSet(tuple(policy_sources) + cfg.policy_files)

        self._init_folder_cache()

    def _init_folder_cache(self) -> None:
        # One decision per folder: a 20,000-path change lives in a few thousand folders, and
        # every file in a folder gets its folder's decision unless its own name can change
        # it (see PatternSet.special_names) or a glob pattern can look past folder names
        # there (PatternSet.folder_pure). Such files, and only they, are decided one by one.
        sets = [self.forbidden, self.shared, self.owned]
        if self.task_allowed is not None:
            sets.append(self.task_allowed)
        self._sets = tuple(sets)
        self._special: set[str] = set().union(*(s.special_names() for s in sets))
        prefixes, suffixes, every_name = [], [], False
        for glob in (g for s in sets for g in s.name_globs()):
            head = _literal_head(glob)
            tail = _literal_head(glob[::-1])[::-1]
            if head:
                prefixes.append(head)      # a match must start with it...
            elif tail:
                suffixes.append(tail)      # ...or, when the glob starts with one, end so
            else:
                every_name = True          # `*`, `?x*`: any name may match
        self._glob_prefixes, self._glob_suffixes = tuple(prefixes), tuple(suffixes)
        self._every_name_special = every_name
        self._by_folder: dict[str, object] = {}   # folder -> Decision or _MIXED

    @property
    def persona(self) -> str | None:
        return self.config.persona_name(self.role.persona_key)

    def _plain(self, name: str) -> bool:
        """True when no pattern can treat a file or folder of this name apart from its
        folder's other entries."""
        return not (self._every_name_special or name in self._special
                    or name.startswith(self._glob_prefixes)
                    or name.endswith(self._glob_suffixes))

    def _folder_decision(self, folder: str):
        """The decision every plain-named file in ``folder`` gets, or _MIXED. Iterative: a
        folder a thousand levels deep must not reach Python's recursion limit."""
        chain: list[str] = []          # folders answering as their parent, deepest first
        entry = self._by_folder.get(folder)
        while entry is None:
            parent, _, segment = folder.rpartition("/")
            if folder and self._plain(segment):
                # a plain segment adds no candidate pattern (an anchored pattern's last
                # segment counts as special): the folder answers as its parent
                chain.append(folder)
                folder = parent
                entry = self._by_folder.get(folder)
                continue
            if all(s.folder_pure(folder) for s in self._sets):
                # "\0" is a name no file has and no pattern singles out (it is plain)
                entry = self.decide_path(f"{folder}/\0" if folder else "\0")
            else:
                entry = _MIXED
            self._by_folder[folder] = entry
        for name in chain:
            self._by_folder[name] = entry
        return entry

    def decide(self, path: str) -> Decision:
        """The verdict for ``path``; the same as ``decide_path`` (tests prove it), worked
        out once per folder where the folder decides."""
        folder, _, name = path.rpartition("/")
        if name and self._plain(name):   # (a folder probe, "src/x/", is decided alone)
            entry = self._by_folder.get(folder)     # (inline: 22,000 calls in a big change)
            if entry is None:
                entry = self._folder_decision(folder)
            if entry is not _MIXED:
                return entry
        return self.decide_path(path)

    def decide_path(self, path: str) -> Decision:
        """The verdict for ``path``, worked out from the pattern sets alone."""
        hit = self.forbidden.decide(path)
        if hit:
            return Decision("forbidden", hit)
        hit = self.shared.decide(path)
        if hit:
            return Decision("shared", hit)
        owned = self.owned.decide(path)
        if self.task_allowed is not None:
            hit = self.task_allowed.decide(path)
            if hit:
                return Decision("owned", hit, owned_by_role=owned is not None)
            return Decision("outside-task", owned, owned_by_role=owned is not None)
        if owned:
            return Decision("owned", owned, owned_by_role=True)
        return Decision("unowned", None)

    def owns_policy_file(self, decision: Decision) -> bool:
        """May the role change a policy file with this decision? Only a role it owns, and
        only when the role was not chosen by the branch: an agent naming its branch
        agent/staff/... (or writing `Agent-Role: staff`) must not thereby own the policy
        that holds it."""
        return (decision.verdict == "owned" and decision.owned_by_role
                and not self.role_self_declared)

    def owner_title(self, owner: str | None) -> str | None:
        if owner and owner in self.roles:
            role = self.roles[owner]
            persona = self.config.persona_name(role.persona_key)
            return f"{persona} ({role.title})" if persona else f"the {role.title}"
        return None


def _literal_head(text: str) -> str:
    """The literal characters a glob starts with (`knexfile.*` -> `knexfile.`)."""
    for i, ch in enumerate(text):
        if ch in "*?[]\\":   # stopping early is safe: more names count as special
            return text[:i]
    return text


# what load_config and project_role_files read first at the trusted revision (a hook asks
# git for them with the revision itself: Git.read_at); a roles_dir set in the configuration
# is listed when it is known
FIRST_READS = ((config_mod.CONFIG_FILE,), (config_mod.DEFAULT_ROLES_DIR,))


def load_config(reader) -> config_mod.Config:
    raw = reader.read(config_mod.CONFIG_FILE)
    cfg = config_mod.load(raw)
    return cfg


def project_role_files(reader, cfg: config_mod.Config) -> list[tuple[str, bytes]]:
    """The project's role files in cfg.roles_dir. The default folder may be absent; a folder
    guard.roles_dir names must exist, or the project's roles would be dropped unseen."""
    listed = reader.list(cfg.roles_dir)
    if not listed and cfg.roles_dir_line is not None:
        raise GuardError(f"guard.roles_dir names {cfg.roles_dir!r}, but the trusted policy "
                         f"({reader.label}) has no files under it", path=cfg.file,
                         line=cfg.roles_dir_line,
                         hint=f"create {cfg.roles_dir}/ with the project's role files (and "
                              "commit it on the base branch), or remove guard.roles_dir")
    paths = [path for path in listed if path.endswith((".yaml", ".yml"))]
    contents = reader.read_many(paths) if paths else {}
    return [(path, contents[path]) for path in paths if contents.get(path) is not None]


def load_task_scope(reader, git_root: str, spec: tuple[str, int | None] | None,
                    inline: dict | None, cfg_file: str, cli_scope: str | None) -> TaskScope | None:
    if cli_scope:
        path = cli_scope
        absolute = os.path.abspath(path)
        rel = os.path.relpath(absolute, git_root).replace(os.sep, "/")
        if not rel.startswith("../"):
            raw = reader.read(rel)
            if raw is None:
                raise GuardError(f"task scope file is not in the trusted policy ({reader.label})",
                                 path=rel,
                                 hint="commit it on the base branch, keep it outside the "
                                      "repository, or pass --policy worktree")
            return parse_task_scope(raw, rel)
        try:
            with open(absolute, "rb") as fh:
                return parse_task_scope(fh.read(), path)
        except OSError as exc:
            raise GuardError(f"cannot read task scope file: {exc.strerror}", path=path) from None
    if spec:
        rel, line = spec
        raw = reader.read(rel)
        if raw is None:
            raise GuardError(f"guard.scope names {rel!r}, which does not exist in the trusted "
                             f"policy ({reader.label})", path=cfg_file, line=line,
                             hint="commit the task scope file on the base branch")
        return parse_task_scope(raw, rel)
    if inline:
        return task_scope_from_mapping(inline, cfg_file)
    return None


def role_from_branch(branch: str | None, pattern: str) -> str | None:
    if not branch:
        return None
    match = re.search(pattern, branch)
    return match.group("role") if match else None
