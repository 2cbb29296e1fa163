"""GitHub Actions workflow commands. GitHub shows at most 10 errors and 10 warnings (and 10
notices) per step; past that guard prints one explicit "N more" line instead of letting
GitHub drop them silently. That line is plain log text, not a workflow command: as an 11th
::error it would be dropped by the same cap. A rule with more than 20 findings is one
annotation per folder that holds them (guard.report.grouping). The CLI appends the Markdown
report to $GITHUB_STEP_SUMMARY."""

from __future__ import annotations

from guard.report.common import range_line, safe_path
from guard.report.grouping import Group, entries, size

CAP = 10
COMMANDS = {"error": "error", "warning": "warning", "info": "notice"}


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


# The runner (actions/runner ActionCommand.cs) decodes only %25 %0D %0A %3A %2C in a
# property, so any other character reaches it as itself: a tab must go into file= as a tab,
# not as the two characters "\t", or the annotation names a file that does not exist.
_RAW = "\r\n\t"


def _file(path: str) -> str:
    """The real path as a property value, so the runner decodes it back to the file's name
    (a newline in a name travels as %0A, a tab as itself); only what no annotation can name
    (bytes that are not UTF-8) or what would drive the terminal that shows the log (ESC,
    other control characters) is shown in its printable form."""
    return "".join(ch if ch in _RAW else safe_path(ch) for ch in path)


def render(report) -> str:
    lines: list[str] = []
    shown = {"error": 0, "warning": 0, "info": 0}
    hidden = {"error": 0, "warning": 0, "info": 0}
    for f in entries(report.findings, report):
        if shown[f.severity] >= CAP:
            hidden[f.severity] += size(f)
            continue
        shown[f.severity] += 1
        props = [f"title={_prop(f.rule)}"]
        # a Group (many findings under a folder) annotates the run, not a file
        if not isinstance(f, Group) and f.path:
            props.insert(0, f"file={_prop(_file(f.path))}")
            if f.line:
                props.insert(1, f"line={f.line}")
        lines.append(f"::{COMMANDS[f.severity]} {','.join(props)}::"
                     f"{_data(safe_path(f.message))} — {_data(safe_path(f.hint))}")
    for severity, count in hidden.items():
        if count:
            lines.append(f"guard: {count} more {severity} finding(s) not shown as annotations "
                         f"(GitHub shows {CAP} per type and step); see the job summary or the "
                         "JSON/SARIF report")
    counts = report.counts
    lines.append(f"guard: {counts['error']} error(s), {counts['warning']} warning(s), "
                 f"{counts['info']} info — {'FAILED' if report.failed else 'passed'} "
                 f"(role {report.role}; {range_line(report)})")
    return "\n".join(lines) + "\n"
