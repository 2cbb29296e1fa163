"""`.env.example`: which variables it documents, with their values and inline comments."""

import re
from typing import NamedTuple

from guard.lazyre import Pattern

_ENTRY = Pattern(r"^\s*(?P<hash>#\s*)?(?:export\s+)?(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*=(?P<rest>.*)$")


class Entry(NamedTuple):
    name: str
    line: int
    value: str
    comment: str | None        # the inline comment, without '#'
    commented_out: bool        # `# OPTIONAL=...`: documented, not set


def _split_value(rest: str) -> tuple[str, str | None]:
    rest = rest.strip()
    if rest[:1] in ("'", '"'):
        end = rest.find(rest[0], 1)
        if end > 0:
            value, tail = rest[1:end], rest[end + 1:]
            tail = tail.strip()
            return value, (tail[1:].strip() if tail.startswith("#") else None)
    m = re.search(r"(^|\s)#", rest)
    if m:
        return rest[:m.start()].strip(), rest[m.end():].strip()
    return rest, None


def parse(text: str) -> dict[str, Entry]:
    out: dict[str, Entry] = {}
    for number, line in enumerate(text.splitlines(), 1):
        m = _ENTRY.match(line)
        if not m:
            continue
        value, comment = _split_value(m.group("rest"))
        entry = Entry(m.group("name"), number, value, comment, bool(m.group("hash")))
        # a real entry beats a commented-out one of the same name
        if entry.name not in out or (out[entry.name].commented_out and not entry.commented_out):
            out[entry.name] = entry
    return out


def lookup(entries: dict[str, Entry], var: str) -> Entry | None:
    """Exact name first; settings classes read variables case-insensitively."""
    if var in entries:
        return entries[var]
    upper = var.upper()
    for name, entry in entries.items():
        if name.upper() == upper:
            return entry
    return None
