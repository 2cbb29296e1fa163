"""Split SQL text into statements with their line numbers, and read inline ignores.

Splitting is lexical (quotes, comments, PostgreSQL dollar quotes, dbmate and Drizzle markers)
so each statement keeps the line it starts on; the statements themselves are parsed by
sqlglot in sqlrisk.py.
"""

from __future__ import annotations

import re

from guard.lazyre import Pattern
from guard.checks.migrations.model import Stmt

_IGNORE = r"guard:\s*ignore\b(?P<rest>.*)"
_RULE_REASON = (r"^\s*(?P<rules>MIG\d{3}(?:\s*,\s*MIG\d{3})*)\s*(?:[:\-—]|reason:)?"
                r"\s*(?P<reason>.*)$")
_IGNORE_RES: list = []      # the two, compiled when the first comment is read
_DOLLAR = Pattern(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")


def parse_ignore(text: str) -> tuple[list[str], str] | None | str:
    """``guard:ignore MIG101 reason: why`` → (rules, reason); a malformed one → error text;
    no ignore at all → None."""
    if not _IGNORE_RES:
        _IGNORE_RES.extend((re.compile(_IGNORE, re.I), re.compile(_RULE_REASON, re.I)))
    ignore, rule_reason = _IGNORE_RES
    m = ignore.search(text)
    if not m:
        return None
    rest = m.group("rest").strip()
    rr = rule_reason.match(rest)
    if not rr:
        return "names no rule (write `guard:ignore MIG101 reason: why`)"
    rules = [r.strip().upper() for r in rr.group("rules").split(",")]
    reason = rr.group("reason").strip()
    if reason.lower().startswith("reason:"):
        reason = reason[7:].strip()
    if not reason:
        return f"for {', '.join(rules)} gives no reason (write `reason: why`)"
    return rules, reason


_START = Pattern(r"[^ \t\r\n]")          # first character of a statement or comment
_SPECIAL = Pattern(r"--|/\*|[;'\"`$]")       # what ends or hides a statement's end


def split(text: str, path: str, first_line: int = 1, bad: list | None = None) -> list[Stmt]:
    """Statements of ``text``; comments directly above or on a statement's line carry its
    inline ignores. ``bad`` collects (path, line, problem) for malformed ignores.

    Lexical only: ``;`` ends a statement unless it is inside a quoted string or identifier
    (' " `), a -- or /* */ comment or a PostgreSQL dollar quote. The scan jumps from one of
    those characters to the next with a regular expression, so ordinary text costs nothing
    per character in Python; a text with none of them but ``;`` (most migrations) is cut
    at each ``;`` without a scan (_split_plain, which gives the same statements)."""
    if _ANY_SPECIAL.search(text) is None:
        return _split_plain(text, path, first_line)
    return _split_scan(text, path, first_line, bad)


def _split_scan(text: str, path: str, first_line: int, bad: list | None) -> list[Stmt]:
    out: list[Stmt] = []
    n = len(text)
    line, at = first_line, 0                    # ``line`` is the line of offset ``at``
    start, start_line = 0, None
    pending: list[tuple[str, str, int]] = []    # ignores seen since the last statement
    own: list[tuple[str, str, int]] = []
    prev_end = 0                                # line the previous statement ended on

    def line_at(pos: int) -> int:
        nonlocal line, at
        line += text.count("\n", at, pos)
        at = pos
        return line

    def comment(body: str, where: int) -> None:
        found = parse_ignore(body)
        if found is None:
            return
        if isinstance(found, str):
            if bad is not None:
                bad.append((path, where, f"inline ignore {found}"))
            return
        rules, reason = found
        if start_line is None and out and prev_end == where:
            # `DROP TABLE x; -- guard:ignore ...` on the statement's own line
            last = out[-1]
            out[-1] = Stmt(last.sql, last.line, last.path,
                           last.ignores + tuple((r, reason, where) for r in rules))
            return
        target = own if start_line is not None else pending
        for rule in rules:
            target.append((rule, reason, where))

    def flush(end: int) -> None:
        nonlocal start_line, pending, own, prev_end
        sql = text[start:end].strip()
        if start_line is not None and sql:
            out.append(Stmt(sql, start_line, path, tuple(pending + own)))
            prev_end = line_at(end)
            pending = []
        own = []
        start_line = None

    i = 0
    while i < n:
        if start_line is None:
            m = _START.search(text, i)
            if m is None:
                break
            i = m.start()
            if text.startswith("--", i) or text.startswith("/*", i):
                end = _comment_end(text, i)
                comment(text[i + 2:end], line_at(i))
                start = i = end
                continue
            start, start_line = i, line_at(i)
            continue                                # look at it again as part of a statement
        else:
            m = _SPECIAL.search(text, i)
            if m is None:
                break
            i = m.start()
        c = text[i]
        if c == "-" or c == "/":                    # -- or /* inside a statement
            end = _comment_end(text, i)
            comment(text[i + 2:end], line_at(i))
            i = end
        elif c == ";":
            flush(i)
            i += 1
            start = i
        elif c == "$":
            m = _DOLLAR.match(text, i)
            if m:
                close = text.find(m.group(0), m.end())
                i = n if close < 0 else close + len(m.group(0))
            else:
                i += 1
        else:                                       # ' " `
            # backslash escapes only in E'...' strings (and, as before, at offset 0)
            escapes = c == "'" and text[i - 1:i] in "eE"
            end = i + 1
            while True:
                q = text.find(c, end)
                if escapes:
                    b = text.find("\\", end)
                    if b >= 0 and (q < 0 or b < q):
                        end = b + 2
                        continue
                if q < 0:
                    end = n
                    break
                if q + 1 < n and text[q + 1] == c:
                    end = q + 2
                    continue
                end = q
                break
            i = end + 1
    flush(n)
    return out


_ANY_SPECIAL = Pattern(r"--|/\*|['\"`$]")   # _SPECIAL without ;


def _split_plain(text: str, path: str, line: int) -> list[Stmt]:
    """_split_scan of a text without comments, quotes or dollar signs: every ``;`` ends a
    statement and no comment carries an inline ignore, so the statements are the pieces
    between them, stripped, each on the line of its first character that is not a space,
    tab, CR or LF (where the scan starts a statement)."""
    out: list[Stmt] = []
    for piece in text.split(";"):
        body = piece.lstrip(" \t\r\n")          # where split() sees the statement start
        if body:
            sql = body.strip()
            if sql:
                out.append(Stmt(sql, line + piece.count("\n", 0, len(piece) - len(body)),
                                path))
        line += piece.count("\n")
    return out


def _comment_end(text: str, i: int) -> int:
    """Offset just past the -- or /* */ comment that starts at ``i`` (the newline ending a
    -- comment is not part of it); an unterminated comment runs to the end."""
    if text[i] == "-":
        end = text.find("\n", i)
        return len(text) if end < 0 else end
    end = text.find("*/", i + 2)
    return len(text) if end < 0 else end + 2


def line_of_offset(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


# --- tokens of one statement, for the fast parser (sqlfast.py) ---------------------------
#
# A token is its source text. Kinds by first character: letter or _ → word; ' → string;
# " → quoted identifier (a string in MySQL); ` → quoted identifier (MySQL, SQLite); [ →
# quoted identifier in SQLite; E'...' → PostgreSQL escape string; $tag$...$tag$ →
# PostgreSQL dollar-quoted string; digit or . → number; anything else → operator. A
# quote that is not closed stays a token of one character, which no rule of the parser
# accepts. Whitespace and comments separate tokens and are dropped; ``cuts`` holds the
# index of each token that a comment preceded, because sqlglot reads PRIMARY KEY or
# DOUBLE PRECISION as one keyword only when no comment splits it.

# a number runs on into any letters, digits or _ glued to it (1abc, 1_000, 0x1F), so the
# parser sees one token it does not accept rather than a number and a word
_NUM = r"(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?[A-Za-z0-9_]*"
_OPS = r"::|<>|!=|<=|>=|\|\||."
_COMMON = r"[A-Za-z_][A-Za-z0-9_]*|" + _NUM + "|" + _OPS
_STRING = r"'[^']*(?:''[^']*)*'|"                  # '' escapes a quote; \ is a character
_QUOTED = {
    # PostgreSQL: "ident", E'...' (no backslash: those escapes go to sqlglot)
    "postgres": _STRING + r"""[eE]'[^'\\]*(?:''[^'\\]*)*'|[eE]'|"[^"]*(?:""[^"]*)*"|""",
    # MySQL: "..." is a string; `ident`; a backslash in a string goes to sqlglot
    "mysql": r"""'[^'\\]*(?:''[^'\\]*)*'|"[^"\\]*(?:""[^"\\]*)*"|`[^`]*`|""",
    # SQLite: "ident", `ident`, [ident]
    "sqlite": _STRING + r""""[^"]*(?:""[^"]*)*"|`[^`]*`|\[[^\]]*\]|""",
}
_FAST: dict = {}        # dialect -> the compiled token pattern, compiled on first use
_MYSQL_SLOW = Pattern(r"--|/\*|#|\$")
_COMMENT = Pattern(r"--[^\n]*|/\*|#[^\n]*")


def lex(sql: str, dialect: str) -> tuple[list[str], frozenset[int]] | None:
    """Tokens of one statement and the indexes of the tokens a comment preceded; None when
    the statement holds something the fast path leaves to sqlglot (a nested or unclosed
    comment, a dollar quote that is not closed, a dollar quote outside PostgreSQL)."""
    fast = _FAST.get(dialect)
    if fast is None:
        if dialect not in _QUOTED:
            return None
        fast = _FAST[dialect] = re.compile(r"[ \t\r\n]*(" + _QUOTED[dialect] + _COMMON + ")")
    # comments and dollar quotes need the slow lexer (MySQL: # comments too)
    if dialect == "mysql":
        slow = _MYSQL_SLOW.search(sql) is not None
    else:
        slow = "--" in sql or "/*" in sql or "$" in sql
    if not slow:
        return fast.findall(sql), frozenset()
    return _lex_slow(sql, dialect, fast)


def _lex_slow(sql: str, dialect: str, fast) -> tuple[list[str], frozenset[int]] | None:
    toks: list[str] = []
    cuts: set[int] = set()
    i, n = 0, len(sql)
    while i < n:
        c = sql[i]
        if c in " \t\r\n":
            i += 1
            continue
        if sql.startswith("--", i) or (c == "#" and dialect == "mysql"):
            end = sql.find("\n", i)
            i = n if end < 0 else end
            cuts.add(len(toks))
            continue
        if sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            if end < 0 or (dialect == "postgres" and "/*" in sql[i + 2:end]):
                return None             # unclosed, or nested (PostgreSQL nests them)
            i = end + 2
            cuts.add(len(toks))
            continue
        if c == "$":
            m = _DOLLAR.match(sql, i)
            if m is None or dialect != "postgres":
                return None
            close = sql.find(m.group(0), m.end())
            if close < 0:
                return None
            end = close + len(m.group(0))
            toks.append(sql[i:end])
            i = end
            continue
        m = fast.match(sql, i)
        if m is None:
            return None
        tok = m.group(1)
        if tok.startswith(("--", "/*")) or (tok == "#" and dialect == "mysql"):
            return None                 # cannot happen: comments are handled above
        toks.append(tok)
        i = m.end()
    return toks, frozenset(cuts)
