"""Findings of a huge change, grouped for the formats people and agents read.

When one rule fires on more than ``THRESHOLD`` findings in a report, the text, Markdown,
agent and GitHub formats print its findings as groups: one line per folder that holds them
("13,333 files under src/components/ (SCOPE001): each is on the do-not-touch list ... —
first: a, b, c; `guard check --format json` lists all") and the finding itself where it
stands alone. JSON, SARIF and JUnit list every finding; exit codes and counts do not change.

The folders: a group is the highest folder in which every changed path (both ends of a
rename) has a finding of the rule (the folder is *whole*: taking every change under it out
fixes them all), else, where such folders and lone findings under one folder are more than
``COLLAPSE``, that folder (a *mixed* group); then narrowed to the longest folder that holds
all of its findings. Only the formats' order of findings is read,
so the result is as deterministic as the formats are: a group stands where its first
finding would.

Reporters only format: they call ``entries`` and print a Group or a Finding.
"""

import os
from typing import NamedTuple, Sequence

from guard.finding import Finding
from guard.relate import data_of

THRESHOLD = 20      # more findings of one rule than this: grouped
COLLAPSE = 5        # more groups and lone findings than this under a folder: one group
SMALLEST = 3        # a whole folder with fewer findings prints them one by one
FIRST = 3           # paths a group's line names
# rules whose fix takes the change out: a whole folder's fix is one restore of the folder
_TAKE_OUT = ("SCOPE001", "SCOPE003", "SCOPE004")
ALL = "`guard check --format json` lists all"


class Group(NamedTuple):
    rule: str
    severity: str
    folder: str | None        # "src/components/"; "" the repository; None: no path
    findings: tuple[Finding, ...]
    files: int                # distinct paths among the findings
    whole: bool               # every changed path under folder has such a finding
    message: str              # the one line that stands for the findings
    hint: str                 # the one next step

    @property
    def where(self) -> str:
        return self.folder or "(repository)"


def entries(findings: Sequence[Finding], report,
            threshold: int = THRESHOLD) -> list[Finding | Group]:
    """``findings`` in the order a format prints them, with the findings of every rule that
    has more than ``threshold`` replaced by its groups (each where its first finding was)."""
    counts: dict[tuple[str, str], int] = {}
    for f in findings:
        key = (f.rule, f.severity)
        counts[key] = counts.get(key, 0) + 1
    large = {key for key, n in counts.items() if n > threshold}
    if not large:
        return list(findings)
    under, changed = _changed_under(report)
    place: dict[int, Group] = {}          # id of a group's first finding -> the group
    grouped: set[int] = set()             # ids of every finding inside a group
    for key in sorted(large):
        members = [f for f in findings if (f.rule, f.severity) == key]
        for group in _groups(members, under, changed, threshold, report):
            place[id(group.findings[0])] = group
            grouped.update(map(id, group.findings))
    out: list[Finding | Group] = []
    for f in findings:
        if id(f) in place:
            out.append(place[id(f)])
        elif id(f) not in grouped:
            out.append(f)
    return out


def size(entry: Finding | Group) -> int:
    """How many findings an entry stands for."""
    return len(entry.findings) if isinstance(entry, Group) else 1


# -- folders ------------------------------------------------------------------------------
def _folders(path: str):
    """Every folder above ``path``, the repository ("") first: "", "a/", "a/b/"."""
    yield ""
    end = path.find("/")
    while end != -1:
        yield path[:end + 1]
        end = path.find("/", end + 1)


def _changed_under(report) -> tuple[dict[str, int], set[str]]:
    """(folder -> how many changed paths lie under it, the changed paths): both ends of a
    rename."""
    paths = {c.path for c in report.changes}
    paths.update(c.old_path for c in report.changes if c.old_path)
    under: dict[str, int] = {}
    for path in paths:
        for folder in _folders(path):
            under[folder] = under.get(folder, 0) + 1
    return under, paths


def _groups(members: list[Finding], under: dict[str, int], changed: set[str],
            threshold: int, report) -> list[Group]:
    """The groups of one rule's findings (those left out print one by one)."""
    pathless = [f for f in members if not f.path]
    located = [f for f in members if f.path]
    out = [_group(pathless, None, False, report)] if len(pathless) > 1 else []
    if not located:
        return out
    mine: dict[str, int] = {}             # folder -> this rule's distinct paths under it
    direct: dict[str, list[Finding]] = {}   # folder -> this rule's findings right in it
    children: dict[str, set[str]] = {}
    seen: set[str] = set()
    extra: dict[str, int] = {}            # a finding's path the diff does not list
    for f in located:
        folders = list(_folders(f.path))
        direct.setdefault(folders[-1], []).append(f)
        for parent, child in zip(folders, folders[1:]):
            children.setdefault(parent, set()).add(child)
        if f.path in seen:
            continue
        seen.add(f.path)
        for folder in folders:
            mine[folder] = mine.get(folder, 0) + 1
    for path in seen - changed:
        for folder in _folders(path):
            extra[folder] = extra.get(folder, 0) + 1

    def whole(folder: str) -> bool:
        return mine[folder] == under.get(folder, 0) + extra.get(folder, 0)

    def collapse(folder: str) -> list:
        """Groups (as folder, whole) and lone findings for this folder's findings."""
        if folder and whole(folder) and mine[folder] >= SMALLEST:
            return [(folder, True)]
        items: list = list(direct.get(folder, ()))
        for child in sorted(children.get(folder, ())):
            items += collapse(child)
        if len(items) > (COLLAPSE if folder else threshold):
            return [(folder, False)]
        return items

    # (folder, whole) pairs beside lone findings: a Finding is a NamedTuple too
    chosen = {item[0]: item[1] for item in collapse("") if not isinstance(item, Finding)}
    if not chosen:
        return out
    by_folder: dict[str, list[Finding]] = {folder: [] for folder in chosen}
    for f in located:
        # the groups are disjoint: the nearest chosen folder above a path is its group
        folder = next((d for d in reversed(list(_folders(f.path))) if d in chosen), None)
        if folder is not None:
            by_folder[folder].append(f)
    for folder, items in by_folder.items():
        whole = chosen[folder]
        folder = _common_folder(items, folder)     # src/ holding only src/ui/: src/ui/
        out.append(_group(items, folder, whole and not _crosses(folder, report), report))
    return out


def _common_folder(findings: list[Finding], folder: str) -> str:
    """The longest folder below ``folder`` that holds every one of ``findings``."""
    paths = {f.path for f in findings}
    common = os.path.commonprefix(list(paths))
    return common[:common.rfind("/") + 1] if len(common) > len(folder) else folder


def _crosses(folder: str, report) -> bool:
    """A rename with one end under ``folder`` and the other outside: restoring the folder
    would leave the other end behind."""
    for c in report.changes:
        if c.old_path and c.path.startswith(folder) != c.old_path.startswith(folder):
            return True
    return False


# -- words --------------------------------------------------------------------------------
def _group(findings: list[Finding], folder: str | None, whole: bool, report) -> Group:
    first = findings[0]
    paths = list(dict.fromkeys(f.path for f in findings if f.path))
    n = len(findings)
    if folder is None:
        count = f"{n:,} findings"
    elif n == len(paths):
        count = f"{n:,} files {'in the repository' if not folder else 'under ' + folder}"
    else:
        count = (f"{n:,} findings in {len(paths):,} files "
                 f"{'in the repository' if not folder else 'under ' + folder}")
    reason = _reason(findings)
    what = f"each {reason}" if reason else _summary(first.rule)
    if paths:
        shown = ", ".join(paths[:FIRST])
    else:
        shown = ", ".join(dict.fromkeys(f.message for f in findings[:FIRST]))
    message = f"{count} ({first.rule}): {what} — first: {shown}; {ALL}"
    return Group(first.rule, first.severity, folder, tuple(findings), len(paths), whole,
                 message, _hint(findings, folder, whole, report))


def _reason(findings: list[Finding]) -> str | None:
    """What every finding's message says after its path and change words ("src/a.ts
    (added) is on the do-not-touch list ..." → "is on the do-not-touch list ..."), when it
    is the same for all; else None."""
    reason = None
    for f in findings:
        text = f.message
        if not f.path or not text.startswith(f.path + " ("):
            return None
        end = text.find(") ", len(f.path) + 2)
        if end == -1:
            return None
        tail = text[end + 2:]
        if reason is None:
            reason = tail
        elif tail != reason:
            return None
    return reason


def _summary(rule: str) -> str:
    from guard.registry import RULES_BY_ID
    found = RULES_BY_ID.get(rule)
    return found.summary if found else f"findings of {rule}"


def _hint(findings: list[Finding], folder: str | None, whole: bool, report) -> str:
    first = findings[0]
    if all(f.hint == first.hint for f in findings):
        return first.hint
    if whole and folder and first.rule in _TAKE_OUT:
        step = _take_out(findings, folder, report)
        tail = _common_tail(findings)
        return f"{step}; {tail}" if tail else step
    where = first.path or "the first"
    return f"one step per file; for {where}: {first.hint}; `guard check --format json` " \
           "lists every step"


def _take_out(findings: list[Finding], folder: str, report) -> str:
    """One step that takes every change under ``folder`` out, in the terms the findings'
    own steps use (relate.py): the commits to drop, the one commit to edit, the index."""
    onto = (report.merge_base or "<base>")[:12]
    drops = {data_of(f, "drop_commits") for f in findings}
    edits = {data_of(f, "edit_commit") for f in findings}
    if len(drops) == 1 and None not in drops:
        shas = [s[:8] for s in next(iter(drops))]
        plural = len(shas) > 1
        return (f"take every change under {folder} out of the branch by dropping "
                f"commit{'s' if plural else ''} {', '.join(shas)} (git rebase -i {onto}, mark "
                f"{'them' if plural else 'it'} `drop`), which change{'' if plural else 's'} "
                "nothing else")
    edits.discard(None)       # a rename's ends have no commit to edit of their own
    if report.mode == "range" and len(report.commits) == 1:
        edits = {report.commits[0].sha}     # the one commit made every change
    if len(edits) == 1:
        sha = next(iter(edits))[:8]
        return (f"take every change under {folder} out of commit {sha}, which changes other "
                f"files too (git rebase -i {onto}, `edit` {sha}, git restore --source=HEAD^ "
                f"--staged --worktree -- {folder}, git commit --amend, git rebase --continue)")
    if report.mode == "staged":
        return (f"unstage every change under {folder} and undo it in the working tree "
                f"(git restore --source=HEAD --staged --worktree -- {folder}): its files must "
                "not change")
    restore = f"git restore --source={report.merge_base} --staged --worktree -- {folder}"
    if report.mode == "worktree":
        # untracked files are changes too: added first, restore removes them (no overlay)
        return (f"take every change under {folder} out: git add -A -- {folder}, then "
                f"{restore}, then commit")
    return f"take every change under {folder} out of the branch: {restore}, then commit"


def _common_tail(findings: list[Finding]) -> str:
    """The clause every finding's step ends with ("owned by Riley (Frontend Engineer); ask
    the Staff Engineer to route the change to its owner"): the longest common end of the
    steps, from a word's start or the first ": " or "; " in it; "" when there is none or it
    names a path."""
    tail = os.path.commonprefix([h[::-1] for h in {f.hint for f in findings}])[::-1]
    if tail.startswith(" "):        # "...): owned by" and "...; owned by" end alike
        tail = tail[1:]
    else:
        cuts = [i for i in (tail.find(": "), tail.find("; ")) if i != -1]
        if not cuts:
            return ""
        tail = tail[min(cuts) + 2:]
    if any(f.path and f.path in tail for f in findings[:50]):
        return ""
    return tail if len(tail.split()) >= 3 else ""
