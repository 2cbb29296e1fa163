"""scope: every path the change touches, held to the role's boundaries."""

from __future__ import annotations

import os
import posixpath
from typing import Iterator

from guard.finding import Finding
from guard.git import MODE_SUBMODULE, MODE_SYMLINK, encode_path
from guard.policy import Decision, Policy


def _pattern_words(decision: Decision) -> str:
    src = decision.source
    if src is None:
        return ""
    if src.line:
        return f" (pattern `{src.pattern}` at {src.where})"
    return f" (pattern `{src.pattern}`)"


def _fix(path: str, status: str, old: bool) -> str:
    if old:
        return f"move it back to {path}"
    if status == "A":
        return f"remove {path} from the branch"
    if status == "D":
        return f"restore {path}"
    return f"revert {path}"


def _tails(policy: Policy, decision: Decision) -> tuple[str, str, str, str] | None:
    """What a finding for ``decision`` says after the path and change words: (rule,
    severity, end of message, end of hint). The same for every path the decision covers,
    so a 20,000-path change builds it once per pattern, not once per path."""
    who = f"the {policy.role.title}"
    src = decision.source
    if decision.verdict == "forbidden":
        owner = policy.owner_title(src.owner) if src else None
        note = f" — {src.note}" if src and src.note else ""
        if src and src.kind == "task-forbidden":
            message = f" is forbidden by the task's file scope{_pattern_words(decision)}"
        else:
            message = f" is on the do-not-touch list for {who}{note}{_pattern_words(decision)}"
        hint = ((f": owned by {owner}" if owner else "")
                + "; ask the Staff Engineer to route the change to its owner")
        return "SCOPE001", "error", message, hint
    if decision.verdict == "shared":
        note = f" — {src.note}" if src and src.note else ""
        return ("SCOPE002", "warning", f" is a shared boundary{note}{_pattern_words(decision)}",
                None)
    if decision.verdict == "outside-task":
        return ("SCOPE004", "error", f" is outside the task's file scope ({policy.task.file})",
                ", or ask the Staff Engineer to widen the task's file scope")
    if decision.verdict == "unowned":
        return ("SCOPE003", policy.unowned_severity, f" is not among the paths {who} owns",
                ", or ask the Staff Engineer to assign the path to a role")
    return None


_SHARED_HINT = "coordinate this change via the Staff Engineer and list it in the hand-off report"


def finding_for(policy: Policy, path: str, decision: Decision, *, change_word: str,
                status: str, old: bool = False, _memo: dict | None = None) -> Finding | None:
    if _memo is None:
        tails = _tails(policy, decision)
    else:
        try:
            tails = _memo[decision]
        except KeyError:
            tails = _memo[decision] = _tails(policy, decision)
    if tails is None:
        return None
    rule, severity, message, hint = tails
    return Finding(rule, "scope", severity, f"{path} ({change_word}){message}",
                   _SHARED_HINT if hint is None else _fix(path, status, old) + hint, path)


_LOOP = "\0loop"     # what _follow answers for links that never reach a file (ELOOP)


def _link_reader(ctx):
    """path → target text of the symlink there in the tree being checked (None: no link):
    the working tree in worktree mode, else the head commit or the index (one listing)."""
    if ctx.mode == "worktree":
        root = os.fsencode(ctx.root)

        def read(path: str) -> str | None:
            try:
                return os.readlink(os.path.join(root, encode_path(path))).decode(
                    "utf-8", "surrogateescape")
            except OSError:
                return None
        return read
    links = ctx.git.symlinks_at(ctx.head)
    texts = ctx.git.read_blobs(list(dict.fromkeys(links.values()))) if links else {}
    table = {path: texts[sha].decode("utf-8", "surrogateescape")
             for path, sha in links.items() if sha in texts}
    return table.get


def _follow(folder: str, target: str, read_link) -> str | None:
    """The repository path a link in ``folder`` pointing at ``target`` reaches, resolved as
    the operating system does: component by component, through every symlink on the way
    (a link into a linked folder lands where that folder's link points). None when it
    leaves the repository; _LOOP after 40 links (the kernel's limit)."""
    if target.startswith("/"):
        return None
    current = [p for p in folder.split("/") if p]
    todo = [p for p in reversed(target.split("/"))]
    hops = 0
    while todo:
        part = todo.pop()
        if part in ("", "."):
            continue
        if part == "..":
            if not current:
                return None
            current.pop()
            continue
        link = read_link("/".join(current + [part]))
        if link is None:
            current.append(part)
            continue
        hops += 1
        if hops > 40:
            return _LOOP
        if link.startswith("/"):
            return None
        todo.extend(reversed(link.split("/")))
    return "/".join(current)


def _symlink_findings(ctx, policy: Policy) -> Iterator[Finding]:
    links = [c for c in ctx.changes if c.new_mode == MODE_SYMLINK and c.status != "D"]
    if not links:
        return
    read_link = _link_reader(ctx)
    for change in links:
        target = read_link(change.path)
        if target is None:
            continue
        resolved = _follow(posixpath.dirname(change.path), target, read_link)
        if resolved == _LOOP:
            yield Finding("SCOPE005", "scope", "error",
                          f"symlink {change.path} -> {target} never reaches a file: it runs "
                          "into a loop of links",
                          f"remove the link {change.path}", change.path)
            continue
        if resolved is None:
            yield Finding("SCOPE005", "scope", "error",
                          f"symlink {change.path} -> {target} points outside the repository",
                          f"remove the link {change.path}; keep the files you need inside "
                          "an owned path", change.path)
            continue
        for probe in (resolved, resolved + "/"):
            decision = policy.decide(probe)
            if decision.verdict == "forbidden":
                src = decision.source
                owner = policy.owner_title(src.owner) if src else None
                yield Finding(
                    "SCOPE005", "scope", "error",
                    f"symlink {change.path} -> {target} resolves to {resolved}, which is on the "
                    f"do-not-touch list{_pattern_words(decision)}",
                    f"remove the link {change.path}" + (f"; {resolved} is owned by {owner}"
                                                        if owner else ""),
                    change.path)
                break


_WORSE = {"owned": 0, "shared": 1, "unowned": 2, "outside-task": 3, "forbidden": 4}


def entry_decision(policy: Policy, path: str) -> Decision:
    """The verdict for a symlink or submodule at ``path``. Either stands where a folder's
    files would be (`.github -> src/server/gh` serves an owned folder's files as
    `.github/...`; a submodule at `k8s` fills that folder), so it gets the worse of its
    own verdict and that of a file inside it: folder patterns (`.github/`) reach it too."""
    own = policy.decide(path)
    inside = policy.decide(path + "/\0")     # a name no file has and no pattern singles out
    return inside if _WORSE[inside.verdict] > _WORSE[own.verdict] else own


def run(ctx) -> Iterator[Finding]:
    from guard.checks import boundary

    # the import boundary's blobs are read by git on the other core while the loop decides
    started = boundary.start(ctx, ctx.changes)
    try:
        yield from _path_findings(ctx)
        yield from boundary.findings(ctx, ctx.changes, started)
    finally:
        if started is not None and started[2] is not None:
            started[2].close()      # (after an error in the loop: stop git, free its files)


_ENTRY_MODES = (MODE_SYMLINK, MODE_SUBMODULE)     # Change.kind is not "file"


def _path_findings(ctx) -> Iterator[Finding]:
    # the loop of a 20,000-path change: Change.paths and Change.kind spelt out inline (a
    # property call per change adds up), a finding's words built only off the owned path
    policy: Policy = ctx.policy
    decide = policy.decide
    seen: set[tuple[str, str]] = set()
    memo: dict = {}
    for change in ctx.changes:
        status, path, old_path = change.status, change.path, change.old_path
        file = change.old_mode not in _ENTRY_MODES and change.new_mode not in _ENTRY_MODES
        judge = decide if file else (lambda p: entry_decision(policy, p))
        if status == "R" and old_path is not None:      # both ends of a rename
            before, after = judge(old_path), judge(path)
            if before.verdict == "owned" and after.verdict == "owned":
                continue
            pairs: tuple = ((old_path, before), (path, after))
        else:
            decision = judge(path)
            if decision.verdict == "owned":
                continue    # the common case on a clean branch: no words to build
            pairs = ((path, decision),)
        word = change.describe
        if not file:
            word = f"{change.kind} {word}"
        for where, decision in pairs:
            old = where == old_path and status == "R"
            finding = finding_for(policy, where, decision,
                                  change_word=f"renamed to {path}" if old else word,
                                  status=status, old=old, _memo=memo)
            if finding and (finding.rule, where) not in seen:
                seen.add((finding.rule, where))
                yield finding
    yield from _symlink_findings(ctx, policy)
    yield from _reverted_findings(ctx, policy)


def _reverted_findings(ctx, policy: Policy) -> Iterator[Finding]:
    """SCOPE006: a path a commit of the range touched against the policy, which the net
    diff no longer shows (a later commit undid it); once per path, naming the first
    commit (git log lists the newest first)."""
    range_spec = getattr(ctx, "range_spec", None)
    if not range_spec or len(ctx.commits()) < 2:
        return           # one commit cannot change a path and undo it: its diff is the net
    net = {p for c in ctx.changes for p in c.paths}
    by_commit = ctx.git.paths_per_commit(range_spec)
    first: dict[str, str] = {}
    for sha, paths in by_commit.items():
        for path in paths:
            if path not in net:
                first[path] = sha
    for path in sorted(first):
        decision = policy.decide(path)
        if decision.verdict not in ("forbidden", "outside-task"):
            continue
        what = ("on the do-not-touch list" if decision.verdict == "forbidden"
                else "outside the task's file scope")
        sha = first[path]
        yield Finding("SCOPE006", "scope", "warning",
                      f"commit {sha[:8]} changed {path}, which is {what}"
                      f"{_pattern_words(decision)}; a later commit undid it, so the net diff "
                      "is clean but the history carries it",
                      "squash the branch when merging, or drop the commit with "
                      f"`git rebase -i` (commit {sha[:8]})", path)
