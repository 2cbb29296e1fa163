"""What the framework parsers produce: one Migration per migration, framework-neutral.

The immutable records are NamedTuples, as guard's Finding and Change are: as immutable as a
frozen dataclass, and several times cheaper to define (each frozen dataclass compiles six
generated methods at import, ~0.5-1 ms) and to build (thousands of statements per run)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple


class Stmt(NamedTuple):
    """One SQL statement and the 1-based line it starts on in ``path``."""
    sql: str
    line: int
    path: str
    ignores: tuple[tuple[str, str, int], ...] = ()   # (rule, reason, line) written above it


class Op(NamedTuple):
    """One operation of a Python migration (Alembic op.*, Django migrations.*)."""
    text: str                  # one-line description, e.g. "drop table orders"
    line: int
    risks: tuple[tuple[str, str], ...] = ()   # (rule id, message)
    sql: tuple[Stmt, ...] = ()                # raw SQL it runs (op.execute, RunSQL)
    reversible: bool = True


@dataclass
class Migration:
    framework: str
    key: str                   # identity in the history: file name stem, revision id...
    path: str                  # main file (repo-relative)
    files: tuple[str, ...]     # every file that belongs to it
    version: tuple | None      # sort key; None when the tool has no order (repeatable)
    label: str                 # version as written
    name: str = ""
    style: str = ""            # golang-migrate | flyway | flyway-repeatable | dbmate | name-order | pop ...
    variant: str = ""          # pop: the database the file is for (postgres, mysql...; "all")
    dialect: str | None = None  # the SQL dialect of this file, where not the folder's
    autocommit: bool = False   # pop's `.autocommit.`: run outside a transaction
    up: list[Stmt] | None = None         # SQL up part (SQL-based tools)
    down: list[Stmt] | None = None       # SQL down part; None = there is none
    down_path: str | None = None
    down_line: int | None = None
    ops: list[Op] = field(default_factory=list)           # Python tools
    down_ops: list[str] = field(default_factory=list)     # Python tools: rollback steps
    down_state: str = "none"   # none | empty | present | notes (forward-only with notes)
    rollback_notes: str = ""
    parents: tuple[str, ...] = ()      # Alembic down_revision, Django dependencies
    app: str = ""                      # Django app label
    replaces: tuple[str, ...] = ()     # Django squash: the migrations it stands for
    run_before: tuple[str, ...] = ()   # Django run_before: migrations that depend on this one
    labels: tuple[str, ...] = ()       # Alembic branch_labels
    depends: tuple[str, ...] = ()      # Alembic depends_on (revisions or branch labels)
    problems: list[tuple[str, int | None, str, str]] = field(default_factory=list)
    # (rule, line, message, hint): parse problems found while reading it
    ignores: list[tuple[str, str, int]] = field(default_factory=list)  # Python inline ignores
    bad_ignores: list[tuple[str, int, str]] = field(default_factory=list)
