"""Destructive and risky SQL, found by parsing each statement with a real SQL parser for the
configured dialect, never by regular expressions.

Two parsers, one result. sqlfast.py, a recursive-descent parser for exactly the statement
forms the rules look at, reads a statement first; whatever it does not fully understand
goes to sqlglot, imported on first use, so an ordinary migration set never loads it (and
nothing on the pre-commit path pays for it). Both produce the same facts (see sqlfast's
docstring) and ``analyse`` applies them; tests/test_migrations_fastsql.py proves the two
readings agree statement by statement.
"""

import os
from typing import NamedTuple

from guard.checks.migrations.model import Stmt
from guard.checks.migrations.sqlfast import facts as fast_facts

DIALECTS = {"postgres": "postgres", "sqlite": "sqlite", "mysql": "mysql",
            # a pop file for CockroachDB: PostgreSQL's syntax, but CREATE INDEX is online
            # there (it takes no lock that blocks writes), so MIG112 does not apply
            "cockroach": "postgres"}


class Risk(NamedTuple):
    rule: str
    message: str
    stmt: Stmt


class Analysis(NamedTuple):
    summary: list[str]
    risks: list[Risk]
    errors: list[tuple[int, str]]      # (line, problem): statements that do not parse


_sqlglot = None
# sqlglot is not in the core install (the fast pre-commit hooks never parse SQL): the extra
INSTALL = "pip install 'agent-branch-guard[sql]'"


def _lib(stmt: Stmt):
    """sqlglot, imported on first use; without it, a set-up error naming the statement that
    needs it (exit 2), never a pass: guard cannot judge what it cannot read."""
    global _sqlglot
    if _sqlglot is None:
        import logging

        try:
            import sqlglot
        except ImportError:
            from guard.errors import GuardError
            hint = INSTALL
            if os.environ.get("PRE_COMMIT") == "1":
                # a pre-commit hook's own environment: nothing to pip-install by hand there
                hint = ("in .pre-commit-config.yaml list '.[sql]' in the hook's "
                        "additional_dependencies, e.g. `additional_dependencies: ['.[sql]']` "
                        "(guard's guard-check hook has it unless the config replaces it)")
            raise GuardError("this SQL statement needs sqlglot to be read (guard's own SQL "
                             "reader leaves it to sqlglot), and sqlglot is not installed: "
                             "the migrations check cannot judge it", path=stmt.path,
                             line=stmt.line, hint=hint) from None
        logging.getLogger("sqlglot").setLevel(logging.ERROR)   # no "falling back" chatter
        _sqlglot = sqlglot
    return _sqlglot


_dialects: dict = {}


def _dialect(read: str):
    """One dialect object per run: sqlglot.parse_one looks it up on every call."""
    if read not in _dialects:
        from sqlglot.dialects.dialect import Dialect
        _dialects[read] = Dialect.get_or_raise(read)
    return _dialects[read]


def _name(node) -> str:
    if node is None or not hasattr(node, "sql"):
        return "?"              # sqlglot left a flag where a name was expected
    name = getattr(node, "name", None) or node.sql()
    return str(name).lower()


def _first_col(cols) -> str | None:
    for c in cols or []:
        inner = c.this if type(c).__name__ == "Ordered" else c
        return _name(inner)
    return None


def analyse(stmts: list[Stmt], dialect: str, fast: bool = True) -> Analysis:
    """Summary, risks and parse errors of one migration part. ``fast=False`` reads every
    statement with sqlglot (the tests compare the two)."""
    read = DIALECTS.get(dialect, "postgres")
    out = Analysis([], [], [])
    summary, risks = out.summary, out.risks        # (thousands of calls: names bound once)
    created: set[str] = set()
    indexed: set[tuple[str, str]] = set()
    fks: list[tuple[str, str, Stmt, str]] = []     # table, first column, statement, text
    for stmt in stmts:
        facts = fast_facts(stmt.sql, read) if fast else None
        if facts is None:
            facts = _sqlglot_facts(stmt, read)
        for op in facts:
            kind = op[0]
            if kind == "S":
                summary.append(op[1])
            elif kind == "C":
                created.add(op[1])
            elif kind == "I":
                indexed.add((op[1], op[2]))
            elif kind == "F":
                fks.append((op[1], op[2], stmt, op[3]))
            elif kind == "R":
                risks.append(Risk(op[1], op[2], stmt))
            elif kind == "N":
                if op[1] not in created:
                    risks.append(Risk(op[2], op[3], stmt))
            else:                                   # "E": line, problem
                out.errors.append((op[1], op[2]))
    if dialect == "cockroach":
        risks[:] = [r for r in risks if r.rule != "MIG112"]
    if read == "mysql":
        fks = []            # InnoDB creates the index a foreign key needs when none exists
    for table, col, stmt, text in fks:
        if (table, col) not in indexed:
            risks.append(Risk("MIG113", f"foreign key {text} has no index on its "
                              "column(s) in this migration", stmt))
    return out


def _sqlglot_facts(stmt: Stmt, read: str) -> list:
    """The statement's facts (sqlfast's operations, plus ("E", line, problem) for a
    statement that does not parse) read from sqlglot's syntax tree."""
    sqlglot = _lib(stmt)
    exp = sqlglot.exp
    ops: list = []
    try:
        tree = next((t for t in _dialect(read).parse(stmt.sql) if t is not None), None)
    except sqlglot.errors.ParseError as exc:
        err = (exc.errors or [{}])[0]
        line = stmt.line + max(int(err.get("line") or 1) - 1, 0)
        desc = str(err.get("description") or exc).split("\n")[0]
        return [("E", line, f"SQL does not parse as {read}: {desc}"),
                ("S", "unparsable statement")]
    except sqlglot.errors.SqlglotError as exc:
        return [("E", stmt.line, f"SQL does not parse as {read}: {exc}")]
    except Exception as exc:  # noqa: BLE001 - sqlglot's own bug on odd input: still a finding
        return [("E", stmt.line, f"SQL does not parse as {read}: sqlglot failed on it "
                 f"({type(exc).__name__})")]
    if tree is None:
        return ops
    if read != "mysql" and isinstance(tree, exp.Drop) and tree.args.get("cluster") is not None \
            and (tree.args.get("kind") or "").upper() == "INDEX":
        # sqlglot reads MySQL's `DROP INDEX name ON table` in every dialect; PostgreSQL and
        # SQLite reject it (an index name is unique per schema there), as squawk does
        return [("E", stmt.line, f"SQL does not parse as {read}: DROP INDEX ... ON <table> "
                 "is MySQL syntax; drop the index by its name alone"),
                ("S", "unparsable statement")]
    if isinstance(tree, exp.Create):
        kind = (tree.args.get("kind") or "").upper()
        if kind == "TABLE":
            schema = tree.this
            table = _name(schema.this if isinstance(schema, exp.Schema) else schema)
            ops.append(("C", table))
            ops.append(("S", f"create table {table}"))
            if isinstance(schema, exp.Schema):
                for col in schema.expressions:
                    if isinstance(col, exp.ColumnDef):
                        cname = _name(col.this)
                        cons = [c.args.get("kind") for c in col.constraints]
                        if any(isinstance(k, (exp.PrimaryKeyColumnConstraint,
                                              exp.UniqueColumnConstraint)) for k in cons):
                            ops.append(("I", table, cname))
                        if any(isinstance(k, exp.Reference) for k in cons):
                            ops.append(("F", table, cname, f"{table}.{cname}"))
                    elif isinstance(col, (exp.Constraint, exp.PrimaryKey, exp.ForeignKey,
                                          exp.UniqueColumnConstraint)):
                        for node in col.walk():
                            if isinstance(node, exp.ForeignKey):
                                first = _first_col(node.expressions)
                                ops.append(("F", table, first, f"{table}({first})"))
                            elif isinstance(node, (exp.PrimaryKey,
                                                   exp.UniqueColumnConstraint)):
                                cols = node.expressions or (
                                    node.this.expressions if isinstance(node.this, exp.Schema)
                                    else [])
                                first = _first_col(cols)
                                if first:
                                    ops.append(("I", table, first))
        elif kind == "INDEX":
            index = tree.this
            table = _name(index.args.get("table"))
            params = index.args.get("params")
            cols = params.args.get("columns") if params is not None else []
            first = _first_col(cols)
            if first:
                ops.append(("I", table, first))
            unique = bool(tree.args.get("unique"))
            conc = bool(tree.args.get("concurrently"))
            ops.append(("S", f"create {'unique ' if unique else ''}index "
                        f"{_name(index.this)} on {table}"))
            if unique:
                ops.append(("N", table, "MIG111", f"unique index on existing table {table}"))
            if read == "postgres" and not conc:
                ops.append(("N", table, "MIG112", f"CREATE INDEX on existing table {table} "
                            "without CONCURRENTLY"))
        else:
            ops.append(("S", f"create {kind.lower() or 'object'} {_name(tree.this)}"))
    elif isinstance(tree, exp.Drop):
        kind = (tree.args.get("kind") or "").upper()
        names = [_table_label(t) for t in tree.args.get("tables") or [tree.this]]
        ops.append(("S", f"drop {kind.lower()} {', '.join(names)}"))
        if kind == "TABLE":
            ops += [("R", "MIG101", f"DROP TABLE {n}") for n in names]
        elif kind in ("SCHEMA", "DATABASE"):
            ops.append(("R", "MIG103", f"DROP {kind} {', '.join(names)}"))
    elif isinstance(tree, exp.TruncateTable):
        names = [_name(t) for t in tree.expressions]
        ops.append(("S", f"truncate {', '.join(names)}"))
        ops.append(("R", "MIG104", f"TRUNCATE {', '.join(names)}"))
    elif isinstance(tree, exp.Delete):
        table = _name(tree.this)
        ops.append(("S", f"delete from {table}"))
        if not tree.args.get("where"):
            ops.append(("R", "MIG105", f"DELETE FROM {table} without WHERE deletes every row"))
    elif isinstance(tree, exp.Update):
        table = _name(tree.this)
        ops.append(("S", f"update {table}"))
        if not tree.args.get("where"):
            ops.append(("R", "MIG106", f"UPDATE {table} without WHERE rewrites every row"))
    elif isinstance(tree, exp.Insert):
        target = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
        ops.append(("S", f"insert into {_name(target)}"))
    elif isinstance(tree, exp.Alter):
        table = _name(tree.this)
        kind = (tree.args.get("kind") or "TABLE").upper()
        parts = [_alter(action, table, ops, exp) for action in tree.args.get("actions") or []]
        ops.append(("S", f"alter {kind.lower()} {table}: {', '.join(p for p in parts if p)}"))
    elif isinstance(tree, exp.Command):
        words = f"{tree.this} {tree.expression or ''}".split()
        ops.append(("S", " ".join(words[:3]).lower()))
    else:
        ops.append(("S", type(tree).__name__.lower()))
    return ops


def _table_label(node) -> str:
    name = getattr(node, "name", "") or ""
    db = node.args.get("db") if hasattr(node, "args") else None
    if not name and db is not None:
        return _name(db)
    return name.lower() or _name(node)


def _alter(action, table, ops, exp) -> str:
    if isinstance(action, exp.Drop):
        akind = (action.args.get("kind") or "").upper()
        names = [_name(t) for t in action.args.get("tables") or []]
        if akind == "COLUMN":
            ops += [("R", "MIG102", f"drops column {table}.{n}") for n in names]
        return f"drop {akind.lower()} {', '.join(names)}"
    if isinstance(action, exp.AlterRename):
        ops.append(("R", "MIG107", f"renames table {table} to {_name(action.this)}"))
        return f"rename to {_name(action.this)}"
    if isinstance(action, exp.RenameColumn):
        old, new = _name(action.this), _name(action.args.get("to"))
        ops.append(("R", "MIG108", f"renames column {table}.{old} to {new}"))
        return f"rename column {old} to {new}"
    if isinstance(action, exp.AlterColumn):
        col = _name(action.this)
        if action.args.get("dtype") is not None:
            ops.append(("R", "MIG109", f"changes the type of {table}.{col} to "
                        f"{action.args['dtype'].sql()}"))
            return f"alter column {col} type {action.args['dtype'].sql()}"
        if action.args.get("allow_null") is False:
            ops.append(("N", table, "MIG110", f"sets NOT NULL on existing column {table}.{col}"))
            return f"set not null on {col}"
        return f"alter column {col}"
    if isinstance(action, exp.ColumnDef):
        col = _name(action.this)
        cons = [c.args.get("kind") for c in action.constraints]
        not_null = any(isinstance(k, exp.NotNullColumnConstraint) and not k.args.get("allow_null")
                       for k in cons)
        default = any(isinstance(k, (exp.DefaultColumnConstraint,
                                     exp.GeneratedAsIdentityColumnConstraint,
                                     exp.ComputedColumnConstraint)) for k in cons)
        if not_null and not default:
            ops.append(("N", table, "MIG110", f"adds NOT NULL column {table}.{col} with no "
                        "default"))
        if any(isinstance(k, exp.Reference) for k in cons):
            ops.append(("F", table, col, f"{table}.{col}"))
        return f"add column {col}"
    if isinstance(action, exp.AddConstraint):
        words = []
        for node in action.walk():
            if isinstance(node, exp.UniqueColumnConstraint):
                ops.append(("N", table, "MIG111", f"unique constraint on existing table {table}"))
                words.append("add unique constraint")
            elif isinstance(node, exp.ForeignKey):
                first = _first_col(node.expressions)
                ops.append(("F", table, first, f"{table}({first})"))
                words.append("add foreign key")
        return ", ".join(words) or "add constraint"
    return type(action).__name__.lower()
