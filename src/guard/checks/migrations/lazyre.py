"""Regular expressions compiled on first use.

A module-level `re.compile` costs its compile time on every run that imports the module,
also the many runs that never reach the pattern (a branch that adds no SQL file never asks
whether a name is a Flyway one). `Pattern(text, flags)` stands where the compiled pattern
stood: its first call compiles and then puts the compiled pattern's bound methods on the
instance, so every later call goes straight to them."""

from __future__ import annotations

import re

_METHODS = ("match", "fullmatch", "search", "finditer", "findall", "sub", "split")


class Pattern:
    __slots__ = ("pattern", "flags", "_compiled") + _METHODS

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.pattern, self.flags, self._compiled = pattern, flags, None

    def compiled(self) -> re.Pattern:
        if self._compiled is None:
            self._compiled = re.compile(self.pattern, self.flags)
            for name in _METHODS:
                setattr(self, name, getattr(self._compiled, name))
        return self._compiled

    def __getattr__(self, name: str):
        # only reached while a method slot is still empty (before the first call)
        if name in _METHODS:
            return getattr(self.compiled(), name)
        raise AttributeError(name)
