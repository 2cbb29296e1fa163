"""The command line of guard's generated files (docs/rules.md, src/guard/packdata.py): write
the file, or with --check exit 1 when it is out of date (what CI's tests ask)."""

from __future__ import annotations

import sys
from typing import Callable


def main(argv: list[str] | None, default_path: str, render: Callable[[], str],
         stale: str) -> int:
    """``[--check] [PATH]``: ``stale`` is the line printed when PATH differs from render()."""
    args = list(sys.argv[1:] if argv is None else argv)
    check = "--check" in args
    args = [a for a in args if a != "--check"]
    path = args[0] if args else default_path
    text = render()
    if check:
        try:
            with open(path, encoding="utf-8") as fh:
                current = fh.read()
        except OSError:
            current = None
        if current != text:
            print(f"{path} {stale}", file=sys.stderr)
            return 1
        return 0
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    print(f"wrote {path} ({len(text)} bytes)")
    return 0
