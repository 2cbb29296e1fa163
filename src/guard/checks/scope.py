"""scope: every path the change touches, held to the role's boundaries."""

from __future__ import annotations

import os
import posixpath
from typing import Iterator

from guard.finding import Finding
from guard.git import MODE_SYMLINK, ZERO_SHA, encode_path
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


def finding_for(policy: Policy, path: str, decision: Decision, *, change_word: str,
                status: str, old: bool = False) -> Finding | None:
    role = policy.role
    who = f"the {role.title}"
    if decision.verdict == "forbidden":
        src = decision.source
        owner = policy.owner_title(src.owner) if src else None
        note = f" — {src.note}" if src and src.note else ""
        if src and src.kind == "task-forbidden":
            message = f"{path} ({change_word}) is forbidden by the task's file scope{_pattern_words(decision)}"
        else:
            message = (f"{path} ({change_word}) is on the do-not-touch list for {who}"
                       f"{note}{_pattern_words(decision)}")
        hint = _fix(path, status, old) + (f": owned by {owner}" if owner else "")
        hint += "; ask the Staff Engineer to route the change to its owner"
        return Finding("SCOPE001", "scope", "error", message, hint, path)
    if decision.verdict == "shared":
        src = decision.source
        note = f" — {src.note}" if src and src.note else ""
        return Finding(
            "SCOPE002", "scope", "warning",
            f"{path} ({change_word}) is a shared boundary{note}{_pattern_words(decision)}",
            "coordinate this change via the Staff Engineer and list it in the hand-off report",
            path)
    if decision.verdict == "outside-task":
        task = policy.task
        return Finding(
            "SCOPE004", "scope", "error",
            f"{path} ({change_word}) is outside the task's file scope ({task.file})",
            _fix(path, status, old) + ", or ask the Staff Engineer to widen the task's file scope",
            path)
    if decision.verdict == "unowned":
        return Finding(
            "SCOPE003", "scope", policy.unowned_severity,
            f"{path} ({change_word}) is not among the paths {who} owns",
            _fix(path, status, old) + ", or ask the Staff Engineer to assign the path to a role",
            path)
    return None


def _symlink_findings(ctx, policy: Policy) -> Iterator[Finding]:
    links = [c for c in ctx.changes if c.new_mode == MODE_SYMLINK and c.status != "D"]
    if not links:
        return
    targets = ctx.git.read_blobs([c.new_sha for c in links if c.new_sha != ZERO_SHA])
    for change in links:
        raw = targets.get(change.new_sha)
        if change.new_sha == ZERO_SHA:   # working tree (not hashed by git): read the link
            try:
                raw = os.readlink(os.path.join(os.fsencode(ctx.root), encode_path(change.path)))
            except OSError:
                raw = None
        if raw is None:
            continue
        target = raw.decode("utf-8", "surrogateescape")
        if posixpath.isabs(target):
            resolved = None
        else:
            resolved = posixpath.normpath(posixpath.join(posixpath.dirname(change.path), target))
            if resolved == ".." or resolved.startswith("../"):
                resolved = None
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


def run(ctx) -> Iterator[Finding]:
    policy: Policy = ctx.policy
    seen: set[tuple[str, str]] = set()
    for change in ctx.changes:
        word = change.describe
        if change.kind != "file":
            word = f"{change.kind} {word}"
        for path in change.paths:
            old = change.old_path == path and change.status == "R"
            if old:
                word_here = f"renamed to {change.path}"
            else:
                word_here = word
            finding = finding_for(policy, path, policy.decide(path), change_word=word_here,
                                  status=change.status, old=old)
            if finding and (finding.rule, path) not in seen:
                seen.add((finding.rule, path))
                yield finding
    yield from _symlink_findings(ctx, policy)
