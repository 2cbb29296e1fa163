"""Split SQL text into statements with their line numbers, and read inline ignores.

Splitting is lexical (quotes, comments, PostgreSQL dollar quotes, dbmate and Drizzle markers)
so each statement keeps the line it starts on; the statements themselves are parsed by
sqlglot in sqlrisk.py.
"""

from __future__ import annotations

import re

from guard.checks.migrations.model import Stmt

IGNORE = re.compile(r"guard:\s*ignore\b(?P<rest>.*)", re.I)
_RULE_REASON = re.compile(r"^\s*(?P<rules>MIG\d{3}(?:\s*,\s*MIG\d{3})*)\s*(?:[:\-—]|reason:)?"
                          r"\s*(?P<reason>.*)$", re.I)
_DOLLAR = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")


def parse_ignore(text: str) -> tuple[list[str], str] | None | str:
    """``guard:ignore MIG101 reason: why`` → (rules, reason); a malformed one → error text;
    no ignore at all → None."""
    m = IGNORE.search(text)
    if not m:
        return None
    rest = m.group("rest").strip()
    rr = _RULE_REASON.match(rest)
    if not rr:
        return "names no rule (write `guard:ignore MIG101 reason: why`)"
    rules = [r.strip().upper() for r in rr.group("rules").split(",")]
    reason = rr.group("reason").strip()
    if reason.lower().startswith("reason:"):
        reason = reason[7:].strip()
    if not reason:
        return f"for {', '.join(rules)} gives no reason (write `reason: why`)"
    return rules, reason


def split(text: str, path: str, first_line: int = 1, bad: list | None = None) -> list[Stmt]:
    """Statements of ``text``; comments directly above or on a statement's line carry its
    inline ignores. ``bad`` collects (path, line, problem) for malformed ignores."""
    out: list[Stmt] = []
    i, n = 0, len(text)
    line = first_line
    start, start_line = 0, None
    pending: list[tuple[str, str, int]] = []    # ignores seen since the last statement
    own: list[tuple[str, str, int]] = []
    prev_end = [0]                              # line the previous statement ended on

    def comment(body: str, at: int) -> None:
        found = parse_ignore(body)
        if found is None:
            return
        if isinstance(found, str):
            if bad is not None:
                bad.append((path, at, f"inline ignore {found}"))
            return
        rules, reason = found
        if start_line is None and out and prev_end[0] == at:
            # `DROP TABLE x; -- guard:ignore ...` on the statement's own line
            last = out[-1]
            out[-1] = Stmt(last.sql, last.line, last.path,
                           last.ignores + tuple((r, reason, at) for r in rules))
            return
        target = own if start_line is not None else pending
        for rule in rules:
            target.append((rule, reason, at))

    def flush(end: int) -> None:
        nonlocal start_line, pending, own
        sql = text[start:end].strip()
        if start_line is not None and sql:
            out.append(Stmt(sql, start_line, path, tuple(pending + own)))
            prev_end[0] = line
            pending = []
        own = []
        start_line = None

    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
            i += 1
            continue
        if c in " \t\r":
            i += 1
            continue
        if text.startswith("--", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            comment(text[i + 2:end], line)
            if start_line is None:
                start = end
            i = end
            continue
        if text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            comment(text[i + 2:end], line)
            line += text.count("\n", i, end)
            if start_line is None:
                start = end
            i = end
            continue
        if start_line is None:
            start, start_line = i, line
        if c == ";":
            flush(i)
            i += 1
            start = i
            continue
        if c in "'\"`":
            end = i + 1
            while end < n:
                if text[end] == c:
                    if end + 1 < n and text[end + 1] == c:
                        end += 2
                        continue
                    break
                if text[end] == "\\" and c == "'" and end > 0 and text[i - 1:i] in "eE":
                    end += 2
                    continue
                end += 1
            line += text.count("\n", i, end)
            i = end + 1
            continue
        if c == "$":
            m = _DOLLAR.match(text, i)
            if m:
                close = text.find(m.group(0), m.end())
                end = n if close < 0 else close + len(m.group(0))
                line += text.count("\n", i, end)
                i = end
                continue
        i += 1
    flush(n)
    return out


def line_of_offset(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1
