"""`guard explain RULE` prints a rule's page; `guard explain PATH` says which pattern, in
which file and line, decides that path for the role."""

from __future__ import annotations

import os
import posixpath
import re

from guard.errors import GuardError
from guard.registry import RULES_BY_ID
from guard.schema import did_you_mean


def explain(what: str, *, repo: str, role: str | None, scope: str | None, policy: str,
            base: str | None) -> str:
    key = what.upper()
    if what.startswith("builtin:"):
        return explain_builtin(what)
    cited = _CITED.fullmatch(what)
    if cited and not _path_exists(what, repo):
        # `.guard/roles/backend.yaml:12`, as messages cite a project role file or the config
        return explain_file(cited.group(1), int(cited.group(2)), repo=repo, policy=policy,
                            base=base)
    if key in RULES_BY_ID:
        doc = RULES_BY_ID[key].doc()
        if key.startswith("COMMIT"):
            from guard.checks.commits_spec import defaults_origin
            origin = defaults_origin(key)
            if origin:
                doc += f"\nDefaults: {origin}\n"
        return doc
    if _looks_like_rule(what) and not _path_exists(what, repo):
        # a rule id that is not one (SCOPE999, or the typo SCOP001), not a new file
        hint = did_you_mean(key, RULES_BY_ID) or "see `guard rules`"
        raise GuardError(f"no rule {what!r}",
                         hint=f"{hint} (for a path of that name, write ./{what})")
    return explain_path(what, repo=repo, role=role, scope=scope, policy=policy, base=base)


def explain_builtin(what: str) -> str:
    """`builtin:backend.yaml[:LINE]`, as messages cite a built-in role pack: the pack's text,
    numbered, with the cited line marked."""
    from guard.roles import builtin_role_files

    name, _, line = what[len("builtin:"):].partition(":")
    files = dict(builtin_role_files())
    raw = files.get(f"builtin:{name}")
    if raw is None:
        packs = ", ".join(sorted(files))
        raise GuardError(f"no built-in role pack {name!r}", hint=f"the packs are {packs}")
    if line and not line.isdigit():
        raise GuardError(f"{what!r}: the line must be a number", hint="e.g. builtin:backend.yaml:24")
    return f"built-in role pack {name} (shipped with guard)\n" + _numbered(
        raw, int(line) if line else 0, what)


# a policy file's line as findings cite it: `.guard/roles/backend.yaml:12`
_CITED = re.compile(r"(.+\.(?:ya?ml|json)):([0-9]+)")


def _numbered(raw: bytes, mark: int, what: str) -> str:
    """The file's text, numbered, with line ``mark`` marked; a line past the end is an
    error (a stale citation), never a listing without a mark."""
    texts = raw.decode("utf-8", "replace").rstrip("\n").split("\n")
    if mark > len(texts):
        raise GuardError(f"{what!r}: line {mark} is past the end of the file "
                         f"({len(texts)} lines)",
                         hint="the file changed since the message was written: run guard again")
    return "\n".join(f"{'>' if n == mark else ' '} {n:4} | {text}"
                     for n, text in enumerate(texts, 1)).rstrip() + "\n"


def explain_file(path: str, line: int, *, repo: str, policy: str, base: str | None) -> str:
    """A policy file's text as guard reads it (from the trusted base, like the policy),
    with the cited line marked."""
    from guard import git as gitmod

    git = gitmod.open_repo(repo)
    if not git.has_commits():
        raise GuardError("empty repository: no trusted policy yet", path=git.root,
                         hint="commit company.config.yaml first, or use --policy worktree")
    reader = _trusted_reader(git, repo=repo, policy=policy, base=base)
    rel = posixpath.normpath(path.replace(os.sep, "/")).lstrip("/")
    raw = reader.read(rel)
    if raw is None:
        raise GuardError(f"{path!r} is not in the policy guard reads ({reader.label})",
                         hint="give a rule id (guard rules), a path in the repository, or "
                              "a file:line a message cites")
    return f"{rel} as guard reads it (policy from {reader.label})\n" + _numbered(
        raw, line, f"{path}:{line}")


def _trusted_reader(git, *, repo: str, policy: str, base: str | None, role=None, scope=None):
    """Where explain reads the policy: the working tree (--policy worktree), else the base
    guard check would pick, else HEAD when there is none."""
    from guard import context
    from guard import policy as pol

    if policy == "worktree":
        return pol.WorktreeReader(git.root)
    opts = context.Options(repo=repo, base=base, role=role, scope=scope, policy=policy)
    try:
        ref, _origin = context.choose_base(git, opts, git.current_branch(), dict(os.environ))
        rev = git.resolve(ref, what="base")
        label = f"base {ref} {rev[:8]}"
    except GuardError:
        if base:        # asked for by name: a base that does not resolve is an error
            raise
        rev, label = git.resolve("HEAD"), "HEAD"
    return pol.RevReader(git, rev, label)


def _looks_like_rule(what: str) -> bool:
    """Letters then digits, like SCOPE001 (no `/` or `.`, so not written as a path)."""
    return bool(re.fullmatch(r"[A-Za-z]+[0-9]+", what))


def _path_exists(what: str, repo: str) -> bool:
    """``what`` names a file or folder here, or at the top of the repository's work tree."""
    from guard import git as gitmod

    if os.path.lexists(what):
        return True
    try:
        root = gitmod.open_repo(repo).root
    except GuardError:
        return False
    return os.path.lexists(os.path.join(root, what))


def explain_path(path: str, *, repo: str, role, scope, policy, base) -> str:
    from guard import context
    from guard import git as gitmod
    from guard import policy as pol

    git = gitmod.open_repo(repo)
    if not git.has_commits():
        raise GuardError("empty repository: no trusted policy yet", path=git.root,
                         hint="commit company.config.yaml first, or use --policy worktree")
    branch = git.current_branch()
    opts = context.Options(repo=repo, base=base, role=role, scope=scope, policy=policy)
    reader = _trusted_reader(git, repo=repo, policy=policy, base=base, role=role, scope=scope)
    trusted = getattr(reader, "rev", None)
    p = context.load_policy(git, reader, opts, branch, range_spec=None, trusted_rev=trusted)
    rel = path
    if os.path.isabs(path) or os.path.exists(path):
        rel = os.path.relpath(os.path.abspath(path), git.root).replace(os.sep, "/")
    elif path:
        rel = posixpath.normpath(path.replace(os.sep, "/"))
        if rel == ".." or rel.startswith("../"):     # up from a sub-folder of the repository
            rel = os.path.relpath(os.path.abspath(path), git.root).replace(os.sep, "/")
    if not path or rel == "." or rel == ".." or rel.startswith("../"):
        raise GuardError(f"{path!r} is not a path inside the repository {git.root}",
                         hint="give a rule id (guard rules) or a path in the repository, "
                              "e.g. src/api/orders.py")
    decision = p.decide(rel)
    src = decision.source
    lines = [f"{rel}: for role {p.role.name} ({p.role.title}, from {p.role_origin}); "
             f"policy from {p.source_label}"]
    verdicts = {
        "forbidden": "do-not-touch → SCOPE001 (error)",
        "shared": "shared boundary → SCOPE002 (warning): coordinate via the Staff Engineer",
        "owned": "allowed (owned by the role" + (", inside the task scope)" if p.task else ")"),
        "outside-task": "outside the task's file scope → SCOPE004 (error)",
        "unowned": f"neither owned nor shared → SCOPE003 ({p.unowned_severity})",
    }
    lines.append(f"  verdict: {verdicts[decision.verdict]}")
    if src is not None:
        lines.append(f"  decided by: `{src.pattern}` ({src.kind}) at {src.where}"
                     + (f" — {src.note}" if src.note else ""))
        owner = p.owner_title(src.owner)
        if owner:
            lines.append(f"  owner: {owner}")
    else:
        lines.append("  decided by: no pattern matches this path")
    if p.policy_files.decide(rel):
        lines.append("  note: this is a policy file; changing it on a branch raises POLICY001 "
                     "unless the role owns it")
    return "\n".join(lines) + "\n"
