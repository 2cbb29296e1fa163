"""Shared by the forward-only tools (Prisma, Drizzle): rollback notes in the SQL itself."""

from __future__ import annotations

import re

NOTES = re.compile(r"^\s*--\s*rollback\s*:\s*(?P<text>.+)$", re.M | re.I)


def rollback_notes(text: str) -> str:
    return " ".join(m.group("text").strip() for m in NOTES.finditer(text))
