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


class deferred:
    """``with deferred("yaml"): import yaml`` — while the block runs, the patterns that
    modules named ``yaml`` or ``yaml.*`` compile at import are made Patterns instead, for a
    library whose module-level patterns are used through their methods only. PyYAML's
    reader compiles a pattern of every non-printable character at import (~10 ms; the C
    loader guard uses never reads it) and its resolver eight more, of which a configuration
    file reaches a few. Anyone else's `re.compile` in the block is the real one."""

    def __init__(self, package: str) -> None:
        self.package = package

    def __enter__(self) -> None:
        import sys

        real, package, dotted = re.compile, self.package, self.package + "."

        def compile(pattern, flags=0):
            caller = sys._getframe(1).f_globals.get("__name__", "")
            if caller == package or caller.startswith(dotted):
                return Pattern(pattern, flags)
            return real(pattern, flags)

        self._real = real
        re.compile = compile

    def __exit__(self, *exc) -> None:
        re.compile = self._real
