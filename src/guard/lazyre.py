"""Regular expressions compiled on first use.

A module-level `re.compile` is paid by every run that imports the module, also by the many
runs that never reach the pattern: the agent's Stop hook imports the conventions and commits
checks on every stop, and most of their ~60 patterns (secret formats, queue settings, commit
header forms) match nothing a given change holds; compiling them all cost ~20 ms a stop.

`Pattern(text, flags)` stands where the compiled pattern stood, for code that calls its
methods (`P.search(...)`, `P.finditer(...)`; not `re.search(P, ...)`). The first call
compiles it and puts the compiled pattern's bound methods on the instance (slots), so every
later call finds them as plain attributes: no wrapper runs per use.
"""

from __future__ import annotations

import re

_METHODS = ("match", "fullmatch", "search", "finditer", "findall", "sub", "subn", "split")


class Pattern:
    __slots__ = ("pattern", "flags", "_compiled") + _METHODS

    def __init__(self, pattern: str | bytes, flags: int = 0) -> None:
        self.pattern, self.flags, self._compiled = pattern, flags, None

    def compiled(self) -> re.Pattern:
        """The compiled pattern (compiled now, the first time)."""
        if self._compiled is None:
            compiled = re.compile(self.pattern, self.flags)
            for name in _METHODS:
                setattr(self, name, getattr(compiled, name))
            self._compiled = compiled
        return self._compiled

    def __getattr__(self, name: str):
        # reached for a method only while its slot is empty (before the first call); any
        # other public attribute (groups, groupindex) is the compiled pattern's
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.compiled(), name)

    def __repr__(self) -> str:
        return f"lazyre.Pattern({self.pattern!r}, {self.flags!r})"
