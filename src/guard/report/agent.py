"""For an agent's next try: compact, deterministic, one finding per line.

    guard FAILED: 2 error(s), 1 warning(s) · role backend · base main 1a2b3c4d, ...
    src/components/Button.tsx SCOPE001 error: <what is wrong> → <the exact next action>
    … 3 more (run `guard check`)

Errors first, then warnings, then info; within a severity by path, line, rule. A rule with
more than 20 findings prints a line per folder that holds them, with one step for the folder
(guard.report.grouping). Capped at ``limit`` lines (default 20) with a count of the findings
left out. This is what the Stop hook prints.
"""

from __future__ import annotations

from guard.finding import rank
from guard.report.common import location, range_line, safe_path
from guard.report.grouping import Group, entries, size

DEFAULT_LIMIT = 20


def _key(f) -> tuple:
    return (-rank(f.severity), f.path or "", f.line or 0, f.rule, f.message)


def _one_line(text: str) -> str:
    return " ".join(safe_path(text).split())


def render(report, *, limit: int = DEFAULT_LIMIT, **_ignored) -> str:
    counts = report.counts
    verdict = "FAILED" if report.failed else "passed"
    scope = range_line(report)
    if report.mode == "worktree" and "uncommitted" not in scope:
        scope += " plus uncommitted work in the working tree"
    lines = [f"guard {verdict}: {counts['error']} error(s), {counts['warning']} warning(s), "
             f"{counts['info']} info · role {report.role} · {scope}"]
    # a rule's many findings under one folder are one line, with one step for them all
    items = entries(sorted(report.findings, key=_key), report)
    for f in items[:limit]:
        where = safe_path(f.where if isinstance(f, Group) else location(f)) or "(repository)"
        lines.append(f"{where} {f.rule} {f.severity}: {_one_line(f.message)} → "
                     f"{_one_line(f.hint)}")
    if len(items) > limit:
        lines.append(f"… {sum(map(size, items[limit:]))} more (run `guard check`)")
    return "\n".join(lines) + "\n"
