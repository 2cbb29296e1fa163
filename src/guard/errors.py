"""The one user-facing failure type. Anything raised as GuardError becomes exit code 2 and
a single line on stderr; anything else is an internal error (also exit 2, traceback only
with --debug)."""

from __future__ import annotations


class GuardError(Exception):
    """A usage, configuration or git problem the user can fix.

    ``where`` is ``path`` or ``path:line``; ``hint`` says what to do next.
    """

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None,
                 hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line
        self.hint = hint

    def one_line(self) -> str:
        where = ""
        if self.path:
            where = f"{self.path}:{self.line}: " if self.line else f"{self.path}: "
        text = f"{where}{self.message}"
        if self.hint:
            text += f" — {self.hint}"
        return " ".join(text.split("\n"))
