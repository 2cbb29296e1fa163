"""What the framework parsers produce: one Migration per migration, framework-neutral.

The immutable records are NamedTuples, as guard's Finding and Change are: as immutable as a
frozen dataclass, and several times cheaper to define (each frozen dataclass compiles six
generated methods at import, ~0.5-1 ms) and to build (thousands of statements per run)."""

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


class Migration:
    """One migration, mutable while its framework's parser fills it in.

    A plain class rather than a dataclass: the dataclasses module (with inspect, ast, dis and
    tokenize behind it) cost every Stop hook ~12 ms to import, a tenth of its budget, for a
    class that a Stop touching no migration never builds. Equality compares every field,
    as a dataclass's does."""

    __hash__ = None     # mutable, compared by value (as a dataclass with eq)

    def __init__(self, framework: str, key: str, path: str, files: tuple[str, ...],
                 version: tuple | None, label: str, name: str = "", style: str = "",
                 variant: str = "", dialect: str | None = None, autocommit: bool = False,
                 up: list[Stmt] | None = None, down: list[Stmt] | None = None,
                 down_path: str | None = None, down_line: int | None = None,
                 ops: list[Op] | None = None, down_ops: list[str] | None = None,
                 down_state: str = "none", rollback_notes: str = "",
                 parents: tuple[str, ...] = (), app: str = "", replaces: tuple[str, ...] = (),
                 run_before: tuple[str, ...] = (), labels: tuple[str, ...] = (),
                 depends: tuple[str, ...] = (),
                 problems: list[tuple[str, int | None, str, str]] | None = None,
                 ignores: list[tuple[str, str, int]] | None = None,
                 bad_ignores: list[tuple[str, int, str]] | None = None) -> None:
        self.framework = framework
        self.key = key              # identity in the history: file name stem, revision id...
        self.path = path            # main file (repo-relative)
        self.files = files          # every file that belongs to it
        self.version = version      # sort key; None when the tool has no order (repeatable)
        self.label = label          # version as written
        self.name = name
        self.style = style          # golang-migrate | flyway | flyway-repeatable | dbmate |
        #                             name-order | pop ...
        self.variant = variant      # pop: the database the file is for (postgres...; "all")
        self.dialect = dialect      # the SQL dialect of this file, where not the folder's
        self.autocommit = autocommit    # pop's `.autocommit.`: run outside a transaction
        self.up = up                # SQL up part (SQL-based tools)
        self.down = down            # SQL down part; None = there is none
        self.down_path = down_path
        self.down_line = down_line
        self.ops = [] if ops is None else ops                  # Python tools
        self.down_ops = [] if down_ops is None else down_ops   # Python tools: rollback steps
        self.down_state = down_state    # none | empty | present | notes (forward-only, notes)
        self.rollback_notes = rollback_notes
        self.parents = parents      # Alembic down_revision, Django dependencies
        self.app = app              # Django app label
        self.replaces = replaces    # Django squash: the migrations it stands for
        self.run_before = run_before    # Django run_before: migrations that depend on this one
        self.labels = labels        # Alembic branch_labels
        self.depends = depends      # Alembic depends_on (revisions or branch labels)
        # (rule, line, message, hint): parse problems found while reading it
        self.problems = [] if problems is None else problems
        self.ignores = [] if ignores is None else ignores      # Python inline ignores
        self.bad_ignores = [] if bad_ignores is None else bad_ignores

    def _fields(self) -> tuple:
        return tuple(getattr(self, name) for name in _FIELDS)

    def __eq__(self, other):
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._fields() == other._fields()

    def __repr__(self) -> str:
        return "Migration(" + ", ".join(f"{name}={getattr(self, name)!r}"
                                        for name in _FIELDS) + ")"


# the fields, as __init__ names them (a parser may add a note of its own, such as Django's
# state_calls, which equality leaves out, as a dataclass's leaves out what is not a field)
_FIELDS = Migration.__init__.__code__.co_varnames[1:Migration.__init__.__code__.co_argcount]
