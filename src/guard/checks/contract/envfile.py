"""`.env` files as python-dotenv reads them, without the dependency (what the contract check
loads into the app's environment; standard library only).

The forms python-dotenv 1.x accepts, with its meanings:

    KEY=value                  unquoted: trimmed, ` #...` ends it, ${VAR} expanded
    export KEY=value           `export ` is ignored
    KEY="a\\nb ${VAR}"          double quotes: escapes (\\n \\t \\" \\\\ ...) and ${VAR}
    KEY='a ${VAR}'             single quotes: no escapes but \\' and \\\\; ${VAR} still
                               expanded (python-dotenv 1.x does, despite the quotes)
    KEY="two                   a quoted value may span lines
    lines"
    KEY=                       empty string
    KEY                        no `=`: the key is not set at all
    # comment                  ignored, as are blank lines

`${VAR}` and `${VAR:-default}` take VAR from the real environment first (it wins, as
load_dotenv(override=False) does), then from the lines above; an unknown VAR is empty.
A line python-dotenv cannot parse is skipped, and here it is reported with its number.
"""

from __future__ import annotations

import re
from typing import Mapping, NamedTuple

_KEY = re.compile(r"[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_.-]*)[ \t]*")
_EXPAND = re.compile(r"\$\{(?P<name>[^}:]+)(?::-(?P<default>[^}]*))?\}")
_DOUBLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'",
                   "a": "\a", "b": "\b", "f": "\f", "v": "\v", "$": "\\$"}


class Entry(NamedTuple):
    key: str
    value: str | None         # None: a bare `KEY` line (not set)
    line: int


class Parsed(NamedTuple):
    entries: tuple[Entry, ...]
    bad_lines: tuple[int, ...]


def _unescape_double(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: _DOUBLE_ESCAPES.get(m.group(1), m.group(0)), text,
                  flags=re.DOTALL)


def _expand(text: str, environ: Mapping[str, str], seen: Mapping[str, str | None]) -> str:
    def sub(m: re.Match) -> str:
        name, default = m.group("name"), m.group("default")
        value = environ.get(name)
        if value is None:
            value = seen.get(name)
        return value if value else (default or "")
    return _EXPAND.sub(sub, text)


def parse(text: str, environ: Mapping[str, str] | None = None) -> Parsed:
    """The entries of one `.env` text, expanded against ``environ`` and the lines above."""
    environ = {} if environ is None else environ
    entries: list[Entry] = []
    bad: list[int] = []
    values: dict[str, str | None] = {}
    pos, n = 0, len(text)
    lineno = 1
    while pos < n:
        end = text.find("\n", pos)
        end = n if end < 0 else end
        line = text[pos:end]
        start_line = lineno
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            pos, lineno = end + 1, lineno + 1
            continue
        m = _KEY.match(text, pos, end)
        if not m:
            bad.append(start_line)
            pos, lineno = end + 1, lineno + 1
            continue
        key, cur = m.group(1), m.end()
        if cur >= end or text[cur] == "#" or text[cur:end].strip() == "":
            entries.append(Entry(key, None, start_line))      # bare KEY
            pos, lineno = end + 1, lineno + 1
            continue
        if text[cur] != "=":
            bad.append(start_line)
            pos, lineno = end + 1, lineno + 1
            continue
        cur += 1
        while cur < end and text[cur] in " \t":
            cur += 1
        quote = text[cur] if cur < n and text[cur] in "'\"" else ""
        if quote:
            close = cur + 1
            while close < n and text[close] != quote:
                close += 2 if text[close] == "\\" else 1
            if close >= n:
                bad.append(start_line)             # an unclosed quote: skip this line only
                pos, lineno = end + 1, lineno + 1
                continue
            raw = text[cur + 1:close]
            rest_end = text.find("\n", close)
            rest_end = n if rest_end < 0 else rest_end
            rest = text[close + 1:rest_end].strip()
            if rest and not rest.startswith("#"):
                bad.append(start_line)
                lineno += text.count("\n", pos, rest_end) + 1
                pos = rest_end + 1
                continue
            if quote == "'":
                value = _expand(re.sub(r"\\([\\'])", r"\1", raw), environ, values)
            else:
                value = _expand(_unescape_double(raw), environ, values).replace("\\$", "$")
            lineno += text.count("\n", pos, rest_end) + 1
            pos = rest_end + 1
        else:
            raw = text[cur:end]
            comment = re.search(r"[ \t]#", raw)
            if comment:
                raw = raw[:comment.start()]
            value = _expand(raw.strip(), environ, values)
            pos, lineno = end + 1, lineno + 1
        values[key] = value
        entries.append(Entry(key, value, start_line))
    return Parsed(tuple(entries), tuple(bad))


def values(text: str, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """KEY -> value of the keys the text sets (the last line wins, bare keys left out)."""
    out: dict[str, str] = {}
    for e in parse(text, environ).entries:
        if e.value is None:
            out.pop(e.key, None)
        else:
            out[e.key] = e.value
    return out
