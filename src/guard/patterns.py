"""gitignore-style pattern lists that remember where each pattern came from.

A PatternSet answers "which pattern decides this path?" with gitignore semantics (pathspec's
GitIgnoreSpec: last match wins, negation with !, a trailing / means a folder), so
`guard explain PATH` can name the file and line of the deciding pattern.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import pathspec

from guard.errors import GuardError


@dataclass(frozen=True)
class Source:
    """One pattern and where it was written."""

    pattern: str
    file: str
    line: int | None
    kind: str                 # owned | forbidden | shared | task-allowed | task-forbidden
    note: str | None = None   # the policy's own words ("Frontend Engineer's domain")
    owner: str | None = None  # role that owns the path, for forbidden entries

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


def validate_pattern(pattern: object, *, file: str, line: int | None) -> str:
    """Return the pattern, or raise a GuardError that names file and line."""
    if not isinstance(pattern, str):
        raise GuardError(f"pattern must be a string, got {type(pattern).__name__} {pattern!r}",
                         path=file, line=line, hint="quote it: \"src/api/\"")
    text = pattern.strip()
    if not text or text.startswith("#"):
        raise GuardError("empty pattern", path=file, line=line,
                         hint="remove the entry or write a path such as src/api/")
    if "\0" in text or "\n" in text:
        raise GuardError(f"pattern {pattern!r} contains a NUL or newline", path=file, line=line)
    bare = text[1:] if text.startswith("!") else text
    if bare.startswith("./"):
        raise GuardError(f"bad pattern {pattern!r}: paths are relative to the repository root",
                         path=file, line=line, hint=f"write {bare[2:]!r} instead")
    if any(part == ".." for part in bare.split("/")):
        raise GuardError(f"bad pattern {pattern!r}: '..' cannot appear in a repository path",
                         path=file, line=line, hint="write the path from the repository root")
    try:
        spec = pathspec.GitIgnoreSpec.from_lines([text])
    except Exception as exc:  # pathspec raises its own error types for invalid patterns
        raise GuardError(f"bad pattern {pattern!r}: {exc}", path=file, line=line,
                         hint="use .gitignore syntax, e.g. src/api/ or *.sql") from None
    if not spec.patterns or spec.patterns[0].include is None:
        raise GuardError(f"bad pattern {pattern!r}: it matches nothing", path=file, line=line,
                         hint="use .gitignore syntax, e.g. src/api/ or *.sql")
    return text


class PatternSet:
    def __init__(self, sources: Sequence[Source]) -> None:
        self.sources = tuple(sources)
        self._spec = pathspec.GitIgnoreSpec.from_lines([s.pattern for s in self.sources])

    def __bool__(self) -> bool:
        return bool(self.sources)

    def decide(self, path: str) -> Source | None:
        """The pattern that includes ``path`` (None when nothing does or a ! pattern wins)."""
        if not self.sources:
            return None
        result = self._spec.check_file(path)
        if result.include and result.index is not None:
            return self.sources[result.index]
        return None
