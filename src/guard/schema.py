"""Small validation helpers: every error names the file, the line and the closest valid key."""

from __future__ import annotations

from typing import Any, Iterable

from guard.errors import GuardError
from guard.yamlfile import line_of, short_repr

_TYPE_NAMES = {str: "a string", int: "a whole number", bool: "true or false", list: "a list",
               dict: "a mapping"}


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    import difflib          # only on an error path: ~5 ms of every run otherwise
    close = difflib.get_close_matches(str(word)[:200], list(choices), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else ""


def check_keys(mapping: dict, allowed: Iterable[str], *, file: str, where: str) -> None:
    allowed = list(allowed)
    for key in mapping:
        if key not in allowed:
            hint = did_you_mean(key, allowed) or f"known keys: {', '.join(allowed)}"
            raise GuardError(f"unknown key {short_repr(key)} in {where}", path=file,
                             line=line_of(mapping, key), hint=hint)


def expect(value: Any, kind: type | tuple, *, file: str, line: int | None, what: str) -> Any:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    # bool is an int in Python; a YAML `yes` must not pass as a number
    if isinstance(value, bool) and bool not in kinds:
        ok = False
    else:
        ok = isinstance(value, kinds)
    if not ok:
        names = " or ".join(_TYPE_NAMES.get(k, k.__name__) for k in kinds)
        raise GuardError(f"{what} must be {names}, got {type(value).__name__} {short_repr(value)}",
                         path=file, line=line, hint=f"set {what} to {names}")
    return value


def expect_choice(value: Any, choices: Iterable[str], *, file: str, line: int | None,
                  what: str) -> str:
    choices = list(choices)
    expect(value, str, file=file, line=line, what=what)
    if value not in choices:
        hint = did_you_mean(value, choices) or f"one of: {', '.join(choices)}"
        raise GuardError(f"{what} is {short_repr(value)}, which is not one of {', '.join(choices)}",
                         path=file, line=line, hint=hint)
    return value


def str_list(value: Any, *, file: str, line: int | None, what: str) -> list[tuple[str, int | None]]:
    """A string or list of strings, each with its own line."""
    if isinstance(value, str):
        return [(value, line)]
    expect(value, list, file=file, line=line, what=what)
    out = []
    for i, item in enumerate(value):
        item_line = line_of(value, i, line)
        expect(item, str, file=file, line=item_line, what=f"each entry of {what}")
        out.append((item, item_line))
    return out
