"""`guard hook claude`: answer one Claude Code hook event (JSON on stdin).

Claude Code's protocol: exit 2 with the reason on stderr blocks (the tool call, or the stop);
exit 0 allows, and JSON on stdout may add a message for the user (`systemMessage`) and context
for the agent (`hookSpecificOutput.additionalContext`); any other exit code is a non-blocking
error shown to the user. guard's choices:

- PreToolUse Write/Edit/MultiEdit/NotebookEdit: the target, resolved against the repository
  (relative to the event's cwd, through `..` and symlinks), is held to the role's scope with the
  policy committed on the branch the work merges into (CI target or default branch; HEAD
  only when there is none), so a policy edit the agent commits cannot loosen it. Do-not-touch, outside-task and unowned-at-error paths, and policy
  files the role does not own, are blocked (exit 2) with the rule, the deciding pattern and
  whom to coordinate with. Shared paths are allowed with the coordination reminder. Paths
  outside the repository, and git-ignored ones, are not guard's business: allowed.
- PreToolUse Bash: the same, for what the command writes (guard.agent.bashparse, a real
  shell parser); a command it cannot read for sure is blocked with the reason (fail closed).
- Stop / SubagentStop: the fast checks on the branch plus the working tree; errors block the
  stop (exit 2, `--format agent` lines on stderr). So does anything that keeps guard from
  checking (fail closed): a missing or moved base, an orphan branch, unrelated history, a
  configuration error, an internal error. `stop_hook_active` → allow at once, so the agent
  is held at most once per stop.
- Input guard cannot use (not JSON, not an object) and configuration errors: one line on
  stderr and exit 1 — a hook error the user sees, which neither blocks blindly nor passes
  silently (for Stop, see above). No role or no commit yet: a notice on stderr and exit 0 (the
  agent is not trapped on a repository guard is not set up for); `guard check` in CI still
  fails closed.
"""

import json
import os
import sys
from typing import NamedTuple

WRITE_TOOLS = ("Write", "Edit", "MultiEdit", "NotebookEdit")
STOP_EVENTS = ("Stop", "SubagentStop")
ALLOW, ERROR, BLOCK = 0, 1, 2


class Answer(NamedTuple):
    code: int
    stdout: str = ""
    stderr: str = ""


class Verdict(NamedTuple):
    """One target path held to the policy."""
    path: str                 # repository-relative
    rule: str | None          # None: owned, or not guard's business
    severity: str | None
    message: str = ""
    hint: str = ""


class HookInputError(Exception):
    pass


def parse_event(raw: bytes) -> dict:
    try:
        event = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        where = f" at line {exc.lineno} column {exc.colno}" if hasattr(exc, "lineno") else ""
        raise HookInputError(f"the hook input on stdin is not JSON{where}: "
                             f"{getattr(exc, 'msg', exc)}") from None
    if not isinstance(event, dict):
        raise HookInputError(f"the hook input on stdin is a JSON {type(event).__name__}, "
                             "not an object")
    name = event.get("hook_event_name")
    if not isinstance(name, str) or not name:
        raise HookInputError("the hook input has no hook_event_name")
    return _well_formed(event)


def _well_formed(event: dict) -> dict:
    """The event with each lone UTF-16 surrogate (JSON `\\ud800`, which JSON.stringify
    writes for one) in the strings guard reads (the event's own and its tool_input's) as
    U+FFFD: what Claude Code's runtime passes to bash or the file system in its place. Left
    as it is, it cannot be encoded, and the crash would let the command through (exit 1
    does not block). No regex: a well-formed string (every real event) costs one encode."""
    def clean(text: str) -> str:
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in text)
        return text

    def fix(mapping: dict) -> dict:
        return {k: clean(v) if isinstance(v, str) else v for k, v in mapping.items()}
    event = fix(event)
    if isinstance(event.get("tool_input"), dict):
        event["tool_input"] = fix(event["tool_input"])
    return event


# -- paths --------------------------------------------------------------------------------
def _real_with_rest(path: str) -> str:
    """realpath of the deepest existing ancestor, plus the part that does not exist yet."""
    head, rest = path, []
    while head and not os.path.lexists(head):
        parent, name = os.path.split(head)
        if parent == head:
            break
        rest.append(name)
        head = parent
    real = os.path.realpath(head) if head else head
    return os.path.join(real, *reversed(rest)) if rest else real


def repo_paths(root: str, cwd: str, target: str) -> list[str]:
    """Every repository-relative path ``target`` may land on: the lexical path and the one
    through symlinks. Empty when the target lies outside the repository."""
    absolute = os.path.normpath(os.path.join(cwd, target))
    candidates = [absolute, os.path.normpath(_real_with_rest(absolute))]
    roots = {root, os.path.realpath(root)}
    out: list[str] = []
    for cand in candidates:
        for r in roots:
            rel = os.path.relpath(cand, r)
            if rel == "." or rel == ".." or rel.startswith(".." + os.sep):
                continue
            rel = rel.replace(os.sep, "/")
            if rel not in out:
                out.append(rel)
    return out


# -- policy -------------------------------------------------------------------------------
def _pattern_words(decision) -> str:
    """As the scope check says it (not imported from there: the hook's path stays small)."""
    src = decision.source
    if src is None:
        return ""
    return f" (pattern `{src.pattern}` at {src.where})" if src.line else \
        f" (pattern `{src.pattern}`)"


def judge(policy, rel: str, exists_dir: bool) -> Verdict:
    """One repository path under the trusted policy: what would `guard check` say?"""
    probe = rel + "/" if exists_dir and not rel.endswith("/") else rel
    role = policy.role
    if ".git" in rel.lower().split("/"):
        # git's own folder never reaches a diff, so this hook is the only check that sees
        # an edit there: its hooks, its config and its refs are what guard trusts
        return Verdict(rel, "POLICY001", "error",
                       f"{rel} is in git's own folder (the repository's hooks, settings and "
                       "refs, which guard trusts) (POLICY001 policy-file-changed)",
                       "leave it as it is; a person changes the repository's set-up")
    decision = policy.decide(probe)
    src = decision.source
    pattern = _pattern_words(decision)
    if policy.policy_files.decide(probe) and not policy.owns_policy_file(decision):
        return Verdict(rel, "POLICY001", "error",
                       f"{rel} is guard policy, which the {role.title} does not own "
                       f"(POLICY001 policy-file-changed)",
                       "leave it as it is; ask the Staff Engineer to change the policy on the "
                       "base branch")
    if decision.verdict == "forbidden":
        owner = policy.owner_title(src.owner) if src else None
        note = f" — {src.note}" if src and src.note else ""
        if src and src.kind == "task-forbidden":
            what = f"{rel} is forbidden by the task's file scope{pattern}"
        else:
            what = f"{rel} is on the do-not-touch list for the {role.title}{note}{pattern}"
        who = f"it is owned by {owner}; " if owner else ""
        return Verdict(rel, "SCOPE001", "error", what + " (SCOPE001 do-not-touch-path)",
                       f"do not change it: {who}ask the Staff Engineer to route the change "
                       "to its owner")
    if decision.verdict == "outside-task":
        task = policy.task
        return Verdict(rel, "SCOPE004", "error",
                       f"{rel} is outside the task's file scope ({task.file}) "
                       "(SCOPE004 outside-task-scope)",
                       "keep to the task's files, or ask the Staff Engineer to widen the task's "
                       "file scope")
    if decision.verdict == "unowned":
        return Verdict(rel, "SCOPE003", policy.unowned_severity,
                       f"{rel} is not among the paths the {role.title} owns "
                       "(SCOPE003 unowned-path)",
                       "put the change under a path the role owns, or ask the Staff Engineer "
                       "to assign the path to a role")
    if decision.verdict == "shared":
        note = f" — {src.note}" if src and src.note else ""
        return Verdict(rel, "SCOPE002", "warning",
                       f"{rel} is a shared boundary{note}{pattern} (SCOPE002 shared-boundary)",
                       "coordinate this change via the Staff Engineer and list it in the "
                       "hand-off report")
    return Verdict(rel, None, None)


def _apply_trusted_levels(policy, verdict: Verdict) -> Verdict:
    """guard.severity and guard.ignore from the trusted policy apply here as in `guard check`."""
    if verdict.rule is None:
        return verdict
    from guard.patterns import PatternSet

    cfg = policy.config
    for change in cfg.severity:
        if change.rule == verdict.rule:
            if change.level == "off":
                return Verdict(verdict.path, None, None)
            verdict = Verdict(verdict.path, verdict.rule, change.level, verdict.message,
                              verdict.hint)
    for sup in cfg.ignores:
        if sup.rule == verdict.rule and (not sup.paths or
                                         PatternSet(sup.paths).decide(verdict.path)):
            return Verdict(verdict.path, None, None)
    return verdict


class Loaded(NamedTuple):
    git: object
    policy: object
    base: str | None = None       # the trusted branch's name (`main`), when there is one


def locate(cwd: str):
    """(repository, HEAD, branch) at the event's cwd, or the Answer saying why not."""
    from guard import git as gitmod
    from guard.errors import GuardError

    found = gitmod.probe(cwd)      # one git call on the hot path
    if found is None:
        try:
            gitmod.open_repo(cwd)
        except GuardError as exc:
            return Answer(ALLOW, stderr=f"guard: notice: nothing checked — {exc.one_line()}\n")
        return Answer(ALLOW, stderr="guard: notice: nothing checked — the repository has no "
                                    "commit yet, so there is no trusted policy\n")
    return found


def load(located, role: str | None, agent_type: str | None) -> Loaded | Answer:
    """The policy as committed on the branch the agent's work will merge into (the CI's
    target or the default branch), never HEAD, which the agent can commit to; HEAD only in a
    repository that has no such branch yet."""
    from guard import context

    git, head, branch = located
    env = dict(os.environ)
    if context.ci_target(env) is None:
        # the default branch's listing and setting, while the policy modules import
        git.prefetch_config(["init.defaultBranch"])
        git.prefetch_refs()
    from guard import policy as pol

    target = context.trusted_target(git, env)
    # the branch's commit and the policy files on it, from one git process
    rev = git.read_at(target[0], *pol.FIRST_READS) if target else None
    if rev:
        label = f"{target[1]} {target[0]} {rev[:8]}"
    else:
        git.read_at(head, *pol.FIRST_READS)
        rev, label = head, f"HEAD {head[:8]} (no base branch found)"
    reader = pol.RevReader(git, rev, label)
    options = context.Options(repo=git.root, role=role, agent_name=agent_type)
    try:
        policy = context.load_policy(git, reader, options, branch,
                                     range_spec=None, trusted_rev=rev)
    except context.NoRoleError as exc:
        return Answer(ALLOW, stderr=f"guard: notice: nothing checked — {exc.one_line()}\n")
    return Loaded(git, policy, target[0] if target else None)


def in_git_dir(git, absolute: str) -> str | None:
    """The git folder (the worktree's own, or the common one of a linked worktree's main
    checkout) ``absolute`` lies in, through symlinks."""
    for cand in {os.path.normpath(absolute), os.path.normpath(_real_with_rest(absolute))}:
        for gdir in getattr(git, "git_dirs", ()) or ():
            for d in {os.path.normpath(gdir), os.path.realpath(gdir)}:
                if cand == d or cand.startswith(d.rstrip(os.sep) + os.sep):
                    return d
    return None


def _git_dir_verdict(absolute: str, verb: str) -> Verdict:
    return Verdict(absolute, "POLICY001", "error",
                   f"{absolute} is in git's own folder (the repository's hooks, settings and "
                   f"refs, which guard trusts): {verb} (POLICY001 policy-file-changed)",
                   "leave it as it is; a person changes the repository's set-up")


def _hard_links(root: str, absolute: str) -> list[str]:
    """Other names of a file with more than one hard link, among the repository's files:
    writing one writes them all."""
    try:
        st = os.lstat(absolute)
    except OSError:
        return []
    import stat as stat_mod

    if not stat_mod.S_ISREG(st.st_mode) or st.st_nlink < 2:
        return []
    from guard.fsutil import walk

    found = []
    for entry, is_dir in walk(root, skip=(".git",)):   # iterative: any depth of folders
        try:
            if is_dir or not entry.is_file(follow_symlinks=False):
                continue
            est = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if (est.st_ino, est.st_dev) == (st.st_ino, st.st_dev) and \
                os.path.normpath(entry.path) != os.path.normpath(absolute):
            found.append(entry.path)
    return found


def hold(loaded: Loaded, cwd: str, targets: list[tuple]) -> list[Verdict]:
    """(target as given, what happens to it[, may be a folder]) → the verdicts that matter
    (blocking or shared)."""
    from guard.agent.bashparse import HEAD_BRANCH

    policy, root = loaded.policy, loaded.git.root
    out: list[Verdict] = []
    expanded = []
    for item in targets:
        target, verb = item[0], item[1]
        tree = item[2] if len(item) > 2 else False
        expanded.append((target, verb, tree))
        if verb != HEAD_BRANCH:
            for other in _hard_links(root, os.path.normpath(os.path.join(cwd, target))):
                expanded.append((other, "write (a hard link of " + target + ")", False))
    for target, verb, tree in expanded:
        abs_target = os.path.normpath(os.path.join(cwd, target))
        if verb == HEAD_BRANCH:
            # `git reset` moves the checked-out branch: held when that is the base
            branch = loaded.git.current_branch()
            base = loaded.base
            if branch and base and branch in (base, base.split("/", 1)[-1]):
                out.append(Verdict(branch, "POLICY001", "error",
                                   f"this would move {branch}, the branch guard takes its "
                                   f"policy from (POLICY001 policy-file-changed)",
                                   "work on your own branch; a person moves the base branch"))
            continue
        if in_git_dir(loaded.git, abs_target):
            out.append(_git_dir_verdict(abs_target, verb))
            continue
        is_dir = os.path.isdir(abs_target)
        # a link stands where a folder could (`ln -s src/server/gh k8s`): held as both
        as_dir = (is_dir, True) if (verb == "link" or tree) and not is_dir else (is_dir,)
        verdicts = [_apply_trusted_levels(policy, judge(policy, rel, d))
                    for rel in repo_paths(root, cwd, target) for d in as_dir]
        verdicts = [v for v in verdicts if v.rule]
        out += verdicts
    blocking = [v for v in out if v.severity == "error" and v.rule != "POLICY001"]
    if blocking:
        # a git-ignored path never reaches a diff; the hook holds writes to what the diff
        # check would see (ignored paths: build output, .env, caches). Policy files stay
        # held even when ignored: .claude/settings.local.json can switch hooks off.
        ignored = loaded.git.ignored(sorted({v.path for v in blocking}))
        out = [v for v in out if v.path not in ignored or v.rule == "POLICY001"]
    return out


# -- answers ------------------------------------------------------------------------------
def _title(policy) -> str:
    persona = policy.persona
    return f"{persona} ({policy.role.title})" if persona else f"the {policy.role.title}"


def _answer_for(loaded: Loaded, verdicts: list[Verdict], action: str) -> Answer:
    from guard.report.common import safe_path

    policy = loaded.policy
    blocking = [v for v in verdicts if v.severity == "error"]
    if blocking:
        # the target comes from the event: a newline or terminal escape in it is shown
        # escaped, as in the finding lines, so the block stays one headline per event
        lines = [f"guard: blocked — {safe_path(action)} would break the contract of "
                 f"{_title(policy)} (role {policy.role.name}, from {policy.role_origin}; "
                 f"policy from {policy.source_label}):"]
        seen = set()
        for v in blocking:
            if (v.rule, v.path) in seen:
                continue
            seen.add((v.rule, v.path))
            lines.append(f"- {safe_path(v.message)} → {safe_path(v.hint)}")
        return Answer(BLOCK, stderr="\n".join(lines) + "\n")
    notes = [v for v in verdicts if v.severity in ("warning", "info")]
    if not notes:
        return Answer(ALLOW)
    text = "guard: " + "; ".join(f"{safe_path(v.message)} → {safe_path(v.hint)}"
                                 for v in notes)
    payload = {"systemMessage": text,
               "hookSpecificOutput": {"hookEventName": "PreToolUse",
                                      "additionalContext": text}}
    return Answer(ALLOW, stdout=json.dumps(payload, ensure_ascii=False) + "\n")


def _tool_targets(tool: str, tool_input: dict) -> list[tuple[str, str]] | None:
    key = "notebook_path" if tool == "NotebookEdit" else "file_path"
    value = tool_input.get(key) or (tool_input.get("file_path") if tool == "NotebookEdit"
                                    else None)
    if not isinstance(value, str) or not value:
        return None
    return [(value, "write")]


def pre_tool_use(event: dict, role: str | None) -> Answer:
    tool = event.get("tool_name")
    tool_input = event.get("tool_input")
    if not isinstance(tool, str) or not tool:
        # not "some other tool, allowed": an event guard cannot read is said, not passed
        raise HookInputError("the PreToolUse event has no tool_name string")
    if tool not in WRITE_TOOLS and tool != "Bash":
        return Answer(ALLOW)
    if not isinstance(tool_input, dict):
        raise HookInputError(f"the {tool} event has no tool_input object")
    cwd = event.get("cwd")
    if not isinstance(cwd, str) or not cwd:
        cwd = os.getcwd()
    unsure = None
    if tool == "Bash":
        command = tool_input.get("command")
        if not isinstance(command, str):
            raise HookInputError("the Bash event has no tool_input.command string")
        from guard.agent.bashparse import write_targets

        parsed = write_targets(command, cwd)
        targets = [(t.path, t.verb, t.tree) for t in parsed.targets]
        unsure = parsed.unsure
        if not targets and not unsure:
            return Answer(ALLOW)
        first = command.strip().splitlines()[0] if command.strip() else command
        action = f"Bash `{first[:80]}`"
    else:
        found = _tool_targets(tool, tool_input)
        if found is None:
            raise HookInputError(f"the {tool} event has no tool_input."
                                 f"{'notebook_path' if tool == 'NotebookEdit' else 'file_path'}")
        targets = found
        action = f"{tool} to {found[0][0]}"
    located = locate(cwd)
    if isinstance(located, Answer):
        return located
    root = located[0].root
    if not unsure and not any(repo_paths(root, cwd, t[0]) or
                              in_git_dir(located[0], os.path.join(cwd, t[0]))
                              for t in targets):
        return Answer(ALLOW)      # outside the repository: not guard's business
    loaded = load(located, role, _agent_type(event))
    if isinstance(loaded, Answer):
        return loaded
    if unsure:
        # fail closed: a command guard cannot read might write anywhere
        from guard.report.common import safe_path

        return Answer(BLOCK, stderr=(
            f"guard: blocked — {safe_path(action)}: guard cannot tell what it writes "
            f"({safe_path(unsure)}), so it is held for {_title(loaded.policy)} (role "
            f"{loaded.policy.role.name}; policy from {loaded.policy.source_label}):\n"
            "- spell each written path out literally (no $…, backticks, globs fed to "
            "writers), or use the Write/Edit tool\n"))
    if tool != "Bash":
        rels = repo_paths(root, cwd, targets[0][0])
        action = f"{tool} to {rels[0]}" if rels else action
    return _answer_for(loaded, hold(loaded, cwd, targets), action)


def _agent_type(event: dict) -> str | None:
    """The sub-agent's name; a plugin's agent (`my-plugin:engineering-backend`) by its own
    name."""
    value = event.get("agent_type")
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip().rsplit(":", 1)[-1] or None


def stop(event: dict, role: str | None, *, limit: int = 20) -> Answer:
    if event.get("stop_hook_active") is True:
        return Answer(ALLOW)
    from guard.agent import stop as stop_hook    # one scan of the working tree (see there)
    from guard.errors import GuardError

    try:
        return stop_hook.answer(event, role, _agent_type(event), limit=limit)
    except Exception as exc:  # noqa: BLE001 - a stop guard could not check is held, not passed
        why = exc.one_line() if isinstance(exc, GuardError) else \
            f"internal error {type(exc).__name__}: {exc}"
        # not the base (worktree_context answers those): the policy, an install, a crash
        return stop_hook._refuse(why, stop_hook.OTHER_NEXT)


def answer(raw: bytes, role: str | None) -> Answer:
    event = parse_event(raw)
    name = event["hook_event_name"]
    if name == "PreToolUse":
        return pre_tool_use(event, role)
    if name in STOP_EVENTS:
        return stop(event, role)
    return Answer(ALLOW)     # other events: nothing for guard to say


def main(role: str | None = None, stdin=None) -> int:
    """Read the event, answer it, and never let an error turn into a block by accident."""
    from guard.errors import GuardError

    stream = stdin if stdin is not None else sys.stdin.buffer
    try:
        if stream.isatty():
            raise HookInputError("stdin is a terminal; Claude Code sends the event as JSON "
                                 "on stdin (try: guard hook claude < event.json)")
        result = answer(stream.read(), role)
    except HookInputError as exc:
        result = Answer(ERROR, stderr=f"guard: hook error: {exc} — the event was not checked; "
                                      "`guard hook claude` expects a Claude Code hook event\n")
    except GuardError as exc:
        result = Answer(ERROR, stderr=f"guard: hook error: {exc.one_line()} (not checked; "
                                      "fix it and run `guard check`)\n")
    except Exception as exc:  # noqa: BLE001 - a crash must not block (exit 2) or pass silently
        result = Answer(ERROR, stderr=f"guard: internal error in the hook: "
                                      f"{type(exc).__name__}: {exc} (not checked; please "
                                      "report it)\n")
    if result.stdout:
        sys.stdout.write(result.stdout)
        sys.stdout.flush()
    if result.stderr:
        sys.stderr.write(result.stderr)
        sys.stderr.flush()
    return result.code
