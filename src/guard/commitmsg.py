"""Commit messages: cleanup the way git does it, then header, body and trailers.

Trailers follow git's own rules (trailer.c, `find_trailer_block_start` and
`find_separator`), so guard sees the same trailers `git interpret-trailers --parse` and
`git log --format=%(trailers)` see:

- the first paragraph is the title and is never a trailer block;
- the trailer block is the last paragraph, and counts only if all its lines are trailers
  (or continuation lines), or it holds a git-generated trailer (``Signed-off-by: ``,
  ``(cherry picked from commit ``) and at least 25 % of its lines are trailers;
- a trailer line is ``token<sep>value`` where the token is letters, digits and ``-`` and may
  be followed by whitespace before the ``:``; a line starting with whitespace continues the
  previous trailer. ``BREAKING CHANGE: ...`` is therefore not a git trailer (the token has a
  space); Conventional Commits footers are read separately (`breaking_footers`).

Pure functions on strings; no git, no I/O.
"""

import re
from typing import NamedTuple

from guard.lazyre import Pattern

GIT_GENERATED_PREFIXES = ("Signed-off-by: ", "(cherry picked from commit ")
SCISSORS = "------------------------ >8 ------------------------"


class Trailer(NamedTuple):
    key: str
    value: str
    line: int          # 1-based line in the cleaned message


class Message(NamedTuple):
    text: str                      # the cleaned message
    lines: tuple[str, ...]
    trailers: tuple[Trailer, ...]
    trailer_start: int             # index in lines where the trailer block starts (len: none)

    @property
    def header(self) -> str:
        return self.lines[0] if self.lines else ""

    @property
    def body_lines(self) -> tuple[str, ...]:
        """Lines after the header (the blank separator line included), trailers excluded."""
        return self.lines[1:self.trailer_start]

    @property
    def body(self) -> str:
        return "\n".join(self.body_lines).strip("\n")

    def trailer_values(self, key: str) -> list[str]:
        low = key.lower()
        return [t.value for t in self.trailers if t.key.lower() == low]


def strip_comments(text: str, comment: str = "#", *, scissors: bool = True) -> str:
    """What git keeps of an edited message (cleanup mode `strip`, and `scissors` when the
    scissors line is present): everything from the scissors line on is cut, comment lines
    are dropped, trailing whitespace is removed, runs of blank lines become one, and blank
    lines at the start and end go."""
    lines = text.replace("\r\n", "\n").split("\n")
    if scissors:
        mark = f"{comment} {SCISSORS}"
        for i, line in enumerate(lines):
            if line == mark:
                lines = lines[:i]
                break
    kept = [line for line in lines if not (comment and line.startswith(comment))]
    return stripspace("\n".join(kept))


def stripspace(text: str) -> str:
    out: list[str] = []
    for line in text.split("\n"):
        line = line.rstrip()
        if not line and (not out or not out[-1]):
            continue
        out.append(line)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)


def find_separator(line: str, separators: str = ":") -> int:
    """git's find_separator: index of the separator, or -1 when the line is no trailer."""
    whitespace_found = False
    for i, ch in enumerate(line):
        if ch in separators:
            return i
        if not whitespace_found and (_isalnum(ch) or ch == "-"):
            continue
        if i != 0 and ch in " \t":
            whitespace_found = True
            continue
        break
    return -1


def _isalnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _blank(line: str) -> bool:
    return not line.strip()


def trailer_block_start(lines: list[str] | tuple[str, ...], comment: str | None = None) -> int:
    """Index of the first line of the trailer block, or len(lines) when there is none."""
    n = len(lines)
    end_of_title = n
    for i, line in enumerate(lines):
        if comment and line.startswith(comment):
            continue
        if _blank(line):
            end_of_title = i
            break
    only_spaces = True
    recognized = False
    trailer_lines = non_trailer = possible_cont = 0
    for i in range(n - 1, end_of_title - 1, -1):
        line = lines[i]
        if comment and line.startswith(comment):
            non_trailer += possible_cont
            possible_cont = 0
            continue
        if _blank(line):
            if only_spaces:
                continue
            non_trailer += possible_cont
            if recognized and trailer_lines * 3 >= non_trailer:
                return i + 1
            if trailer_lines and not non_trailer:
                return i + 1
            return n
        only_spaces = False
        if line.startswith(GIT_GENERATED_PREFIXES):
            trailer_lines += 1
            possible_cont = 0
            recognized = True
            continue
        sep = find_separator(line)
        if sep >= 1 and not line[0].isspace():
            trailer_lines += 1
            possible_cont = 0
        elif line[:1].isspace():
            possible_cont += 1
        else:
            non_trailer += 1 + possible_cont
            possible_cont = 0
    return n


def parse(text: str) -> Message:
    """A cleaned message (as stored in a commit) split into header, body and trailers."""
    text = text.replace("\r\n", "\n").rstrip("\n")
    if "\n" not in text:                    # a header alone: no body, no trailers
        return Message(text, (text,) if text else (), (), 1 if text else 0)
    lines = text.split("\n")
    start = trailer_block_start(lines)
    trailers: list[Trailer] = []
    for i in range(start, len(lines)):
        line = lines[i]
        if line[:1].isspace() and trailers:
            last = trailers[-1]
            trailers[-1] = Trailer(last.key, f"{last.value} {line.strip()}".strip(), last.line)
            continue
        sep = find_separator(line)
        if sep >= 1:
            trailers.append(Trailer(line[:sep].strip(), line[sep + 1:].strip(), i + 1))
    return Message(text, tuple(lines), tuple(trailers), start)


_BREAKING = Pattern(r"^(BREAKING[ -]CHANGE)\s*:(.*)$", re.IGNORECASE)


def breaking_footers(msg: Message) -> list[tuple[int, str, str]]:
    """Conventional Commits `BREAKING CHANGE:` footers anywhere after the header:
    (1-based line, token as written, description)."""
    out: list[tuple[int, str, str]] = []
    if "breaking" not in msg.text.lower():
        return out
    for i, line in enumerate(msg.lines[1:], 2):
        m = _BREAKING.match(line)
        if m:
            description = m.group(2).strip()
            if not description:
                # `BREAKING CHANGE:` with its text on the lines below (after a blank line
                # too), as conventional-commits-parser (and so the changelog) reads it
                description = next((text.strip() for text in msg.lines[i:] if text.strip()),
                                   "")
            out.append((i, m.group(1), description))
    return out
