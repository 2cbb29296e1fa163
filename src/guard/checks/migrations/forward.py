"""Shared by the forward-only tools (Prisma, Drizzle, Flyway Community): rollback notes in the
SQL itself."""

from __future__ import annotations

import re

from guard.lazyre import Pattern

NOTES = Pattern(r"^\s*--\s*rollback\s*:\s*(?P<text>.+)$", re.M | re.I)


def rollback_notes(text: str) -> str:
    return " ".join(m.group("text").strip() for m in NOTES.finditer(text))


def load(mig, blobs: dict[str, bytes]) -> None:
    """Statements of a forward-only migration (Prisma, Drizzle): its up SQL, a down file
    when the project keeps one, else its rollback notes, else "forward-only"."""
    from guard.checks.migrations import sqltext
    raw = blobs.get(mig.path)
    if raw is None:
        return
    text = raw.decode("utf-8", "replace")
    bad: list = []
    mig.up = sqltext.split(text, mig.path, 1, bad)
    mig.rollback_notes = rollback_notes(text)
    if mig.down_path and blobs.get(mig.down_path) is not None:
        down = blobs[mig.down_path].decode("utf-8", "replace")
        mig.down = sqltext.split(down, mig.down_path, 1, bad)
        mig.down_line = 1
        mig.down_state = "present" if mig.down else "empty"
    elif mig.rollback_notes:
        mig.down_state = "notes"
    else:
        mig.down_state = "forward-only"
    mig.bad_ignores.extend(bad)
