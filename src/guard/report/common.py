"""Small formatting helpers shared by reporters."""

from __future__ import annotations

import re


def short(sha: str | None) -> str:
    if not sha:
        return "-"
    return sha[:8] if len(sha) == 40 else sha


def location(finding) -> str:
    if not finding.path:
        # a finding about one commit (the commits check) is located at that commit
        commit = next((v for k, v in finding.data if k == "commit"), None) \
            if finding.data else None
        return f"commit {short(commit)}" if commit else ""
    return f"{finding.path}:{finding.line}" if finding.line else finding.path


def range_line(report) -> str:
    if report.mode == "staged":
        return f"staged change against HEAD {short(report.base)}"
    base = short(report.base) if report.base_ref == report.base else \
        f"{report.base_ref} {short(report.base)}"
    head = short(report.head) if report.head_ref == report.head else \
        f"{report.head_ref} {short(report.head)}"
    text = f"base {base}, merge-base {short(report.merge_base)}, head {head}"
    if report.mode == "worktree":
        text += " plus uncommitted work in the working tree"
    return text


# control characters (C0, DEL, C1) and the lone surrogates that stand for bytes that are
# not UTF-8 (surrogateescape): one regex, as every finding of every report passes here
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\udc80-\udcff]")


def _escape(ch: str) -> str:
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:        # a byte that is not UTF-8 (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    return ch.encode("unicode_escape").decode("ascii")   # \n, \t, \x1b, \x9b


def safe_path(path: str) -> str:
    """Printable form of a path or message: control characters (a newline in a file name, a
    terminal escape) and bytes that are not UTF-8 are shown as escapes, one character at a
    time; every other character, non-ASCII letters and punctuation included, is kept."""
    if _UNSAFE.search(path) is None:
        return path
    return _UNSAFE.sub(lambda m: _escape(m.group()), path)
