"""For people: grouped by severity, colour only on a terminal and never with NO_COLOR."""

from __future__ import annotations

from guard.report.common import location, range_line, safe_path
from guard.report.grouping import Group, entries

COLOURS = {"error": "\033[31m", "warning": "\033[33m", "info": "\033[36m", "bold": "\033[1m",
           "dim": "\033[2m", "reset": "\033[0m"}


def render(report, *, colour: bool = False) -> str:
    def c(name: str, text: str) -> str:
        return f"{COLOURS[name]}{text}{COLOURS['reset']}" if colour else text

    lines = [c("bold", f"guard {report.tool_version} — {report.title}"),
             f"  {range_line(report)}",
             f"  role {report.role} (from {report.role_origin}); policy from "
             f"{report.policy_source}" + (f"; task scope {report.task}" if report.task else ""),
             f"  {len(report.changes)} changed path(s)" +
             (f", {report.commit_label()}" if report.mode == "range" else ""), ""]
    for f in entries(report.findings, report):
        # a Group: many findings of one rule under one folder, printed as one
        where = safe_path(f.where if isinstance(f, Group) else location(f)) or "(repository)"
        lines.append(f"{c(f.severity, f.severity.upper())} {c('bold', f.rule)} {where}")
        lines.append(f"    {safe_path(f.message)}")
        lines.append(c("dim", f"    → {safe_path(f.hint)}"))
    if report.findings:
        lines.append("")
    checks = ", ".join(f"{r.name} {r.status}" for r in report.checks if r.status != "skipped")
    skipped = [r.name for r in report.checks if r.status == "skipped"]
    lines.append(f"checks: {checks}" + (f" (skipped: {', '.join(skipped)})" if skipped else ""))
    counts = report.counts
    verdict = "FAILED" if report.failed else "passed"
    lines.append(c("error" if report.failed else "bold",
                   f"{verdict}: {counts['error']} error(s), {counts['warning']} warning(s), "
                   f"{counts['info']} info (fail-on: {report.fail_on})"))
    return "\n".join(lines) + "\n"
