"""`guard init --claude`: write or merge guard's hooks into .claude/settings.json.

The user's other settings (permissions, env, other hooks, their order) are kept; an event
that already runs `guard hook claude` is left alone, so running it twice changes nothing.
A file that is not valid JSON is an error naming its line, never overwritten.
"""

from __future__ import annotations

import json
import os

from guard.errors import GuardError

SETTINGS = ".claude/settings.json"
COMMAND = "guard hook claude"
WRITE_MATCHER = "Write|Edit|MultiEdit|NotebookEdit|Bash"
EVENTS = (("PreToolUse", WRITE_MATCHER), ("Stop", None), ("SubagentStop", None))


def block() -> dict:
    """The hooks section guard needs, as `guard init --claude` writes it."""
    out: dict = {}
    for event, matcher in EVENTS:
        group: dict = {"matcher": matcher} if matcher else {}
        group["hooks"] = [{"type": "command", "command": COMMAND}]
        out[event] = [group]
    return {"hooks": out}


def _has_guard(groups: list) -> bool:
    for group in groups:
        for entry in (group.get("hooks") or []) if isinstance(group, dict) else []:
            command = entry.get("command") if isinstance(entry, dict) else None
            if isinstance(command, str) and COMMAND in " ".join(command.split()):
                return True
    return False


def merge(existing: dict, *, file: str = SETTINGS) -> tuple[dict, list[str], list[str]]:
    """(merged settings, events added, events already running guard)."""
    hooks = existing.get("hooks")
    if hooks is None:
        hooks = {}
    if not isinstance(hooks, dict):
        raise GuardError(f"'hooks' is a JSON {type(hooks).__name__}, not an object", path=file,
                         hint="make it an object of event name → list of matcher groups")
    added, present = [], []
    merged_hooks = dict(hooks)
    for event, matcher in EVENTS:
        groups = merged_hooks.get(event, [])
        if not isinstance(groups, list):
            raise GuardError(f"hooks.{event} is a JSON {type(groups).__name__}, not a list",
                             path=file, hint="make it a list of {matcher, hooks} groups")
        for i, group in enumerate(groups):
            # Claude Code refuses a settings file whose groups have the wrong shape, and
            # then runs none of its hooks: guard's included
            if not isinstance(group, dict):
                raise GuardError(f"hooks.{event}[{i}] is a JSON {type(group).__name__}, "
                                 "not an object", path=file,
                                 hint="make each entry a {matcher, hooks} group, then run "
                                      "`guard init --claude` again")
            if not isinstance(group.get("hooks"), list):
                raise GuardError(f"hooks.{event}[{i}].hooks is a JSON "
                                 f"{type(group.get('hooks')).__name__}, not a list", path=file,
                                 hint="make it a list of {type, command} entries, then run "
                                      "`guard init --claude` again")
            if not isinstance(group.get("matcher", ""), str):
                raise GuardError(f"hooks.{event}[{i}].matcher is a JSON "
                                 f"{type(group['matcher']).__name__}, not a string", path=file,
                                 hint='write the tool names as one string, e.g. "Write|Edit", '
                                      "then run `guard init --claude` again")
        if _has_guard(groups):
            present.append(event)
            continue
        group: dict = {"matcher": matcher} if matcher else {}
        group["hooks"] = [{"type": "command", "command": COMMAND}]
        merged_hooks[event] = groups + [group]
        added.append(event)
    merged = dict(existing)
    merged["hooks"] = merged_hooks
    return merged, added, present


def _read(path: str) -> str:
    """The settings file's text; a GuardError naming it when it cannot be read."""
    if os.path.isdir(path):
        raise GuardError("is a folder, not a settings file", path=SETTINGS,
                         hint="Claude Code reads it as a JSON file: move the folder away, then "
                              "run `guard init --claude` again")
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise GuardError(f"cannot read the Claude Code settings: {exc.strerror}",
                         path=SETTINGS, hint="make it a readable JSON file, then run "
                                             "`guard init --claude` again") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise GuardError(f"the Claude Code settings are not valid UTF-8 ({exc.reason} at "
                         f"byte {exc.start})", path=SETTINGS,
                         hint="save it as UTF-8 JSON, then run `guard init --claude` "
                              "again") from None


def _write(path: str, text: str) -> None:
    """Write the settings file whole (through a temporary file); a GuardError naming it when
    it cannot be written."""
    tmp = path + ".guard-tmp"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        raise GuardError(f"cannot write the Claude Code settings: {exc.strerror}",
                         path=SETTINGS, hint=f"make {os.path.dirname(SETTINGS)} a writable "
                                             "folder, then run `guard init --claude` "
                                             "again") from None


def run(repo: str) -> str:
    from guard.git import open_repo

    git = open_repo(repo)
    root = git.root
    path = os.path.join(root, SETTINGS)
    existing: dict = {}
    folder = os.path.dirname(SETTINGS)
    if os.path.exists(os.path.dirname(path)) and not os.path.isdir(os.path.dirname(path)):
        raise GuardError(f"{folder} is a file, not a folder", path=folder,
                         hint=f"Claude Code reads its settings from the folder {folder}: move "
                              "the file away, then run `guard init --claude` again")
    if os.path.exists(path):
        text = _read(path)
        if text.strip():
            try:
                existing = json.loads(text)
            except json.JSONDecodeError as exc:
                raise GuardError(f"not valid JSON: {exc.msg} (column {exc.colno})",
                                 path=SETTINGS, line=exc.lineno,
                                 hint="fix the file, then run `guard init --claude` again; "
                                      "guard does not overwrite it") from None
            if not isinstance(existing, dict):
                raise GuardError(f"the settings file is a JSON {type(existing).__name__}, "
                                 "not an object", path=SETTINGS, line=1,
                                 hint="fix the file, then run `guard init --claude` again")
    merged, added, present = merge(existing)
    if added:
        _write(path, json.dumps(merged, indent=2, ensure_ascii=False) + "\n")
    lines = []
    if added:
        lines.append(f"added `{COMMAND}` to {', '.join(added)} in {path}")
    if present:
        lines.append(f"already there: {', '.join(present)} (left as is)")
    if added:
        lines.append("commit it on the base branch (.claude/settings.json is guard policy: a "
                     "change on an agent branch is POLICY001); `guard` must be on the PATH "
                     "Claude Code runs hooks with")
    cache = git.run(["config", "--bool", "--get", "core.untrackedCache"], check=False)
    if cache.stdout.strip() != b"true":
        # the Stop hook's one working-tree scan is most of its time on a large tree, and
        # git's untracked cache shortens it (guard reads the cache, never writes it)
        lines.append("tip: `git config core.untrackedCache true` makes the Stop hook's scan "
                     "of the working tree faster on a large repository (git keeps a cache of "
                     "the untracked files; guard only reads it)")
    return "\n".join(lines) + "\n"
