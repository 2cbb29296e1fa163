"""Small formatting helpers shared by reporters."""

from __future__ import annotations


def short(sha: str | None) -> str:
    if not sha:
        return "-"
    return sha[:8] if len(sha) == 40 else sha


def location(finding) -> str:
    if not finding.path:
        return ""
    return f"{finding.path}:{finding.line}" if finding.line else finding.path


def range_line(report) -> str:
    if report.mode == "staged":
        return f"staged change against HEAD {short(report.base)}"
    return (f"base {report.base_ref} {short(report.base)}, merge-base {short(report.merge_base)}, "
            f"head {report.head_ref} {short(report.head)}")


def safe_path(path: str) -> str:
    """Printable form of a path (control characters such as newlines made visible)."""
    return path.encode("unicode_escape", "backslashreplace").decode("ascii") \
        if any(ord(ch) < 32 or 0xDC80 <= ord(ch) <= 0xDCFF for ch in path) else path
