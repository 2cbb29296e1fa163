"""For an agent's next try: compact, deterministic, one finding per line.

    guard FAILED: 2 error(s), 1 warning(s) · role backend · base main 1a2b3c4d, ...
    src/components/Button.tsx SCOPE001 error: <what is wrong> → <the exact next action>
    … 3 more (run `guard check`)

Errors first, then warnings, then info; within a severity by path, line, rule. Capped at
``limit`` lines (default 20) with a count of the rest. This is what the Stop hook prints.
"""

from __future__ import annotations

from guard.finding import rank
from guard.report.common import location, range_line, safe_path

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
    findings = sorted(report.findings, key=_key)
    for f in findings[:limit]:
        where = safe_path(location(f)) or "(repository)"
        lines.append(f"{where} {f.rule} {f.severity}: {_one_line(f.message)} → "
                     f"{_one_line(f.hint)}")
    if len(findings) > limit:
        lines.append(f"… {len(findings) - limit} more (run `guard check`)")
    return "\n".join(lines) + "\n"
