"""Destructive and risky SQL, found by parsing each statement with sqlglot (a real SQL
parser for the configured dialect), never by regular expressions.

sqlglot is imported on first use, so nothing on the pre-commit path pays for it.
"""

from __future__ import annotations

from dataclasses import dataclass

from guard.checks.migrations.model import Stmt

DIALECTS = {"postgres": "postgres", "sqlite": "sqlite", "mysql": "mysql"}


@dataclass(frozen=True)
class Risk:
    rule: str
    message: str
    stmt: Stmt


@dataclass
class Analysis:
    summary: list[str]
    risks: list[Risk]
    errors: list[tuple[int, str]]      # (line, problem): statements that do not parse


_sqlglot = None


def _lib():
    global _sqlglot
    if _sqlglot is None:
        import logging

        import sqlglot
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
    if node is None:
        return "?"
    name = getattr(node, "name", None) or node.sql()
    return str(name).lower()


def _first_col(cols) -> str | None:
    for c in cols or []:
        inner = c.this if type(c).__name__ == "Ordered" else c
        return _name(inner)
    return None


def analyse(stmts: list[Stmt], dialect: str) -> Analysis:
    sqlglot = _lib()
    exp = sqlglot.exp
    read = DIALECTS.get(dialect, "postgres")
    parser = _dialect(read)
    out = Analysis([], [], [])
    created: set[str] = set()
    indexed: set[tuple[str, str]] = set()
    fks: list[tuple[str, str, Stmt, str]] = []     # table, first column, statement, text

    def risk(rule: str, message: str, stmt: Stmt) -> None:
        out.risks.append(Risk(rule, message, stmt))

    for stmt in stmts:
        try:
            tree = next((t for t in parser.parse(stmt.sql) if t is not None), None)
        except sqlglot.errors.ParseError as exc:
            err = (exc.errors or [{}])[0]
            line = stmt.line + max(int(err.get("line") or 1) - 1, 0)
            desc = str(err.get("description") or exc).split("\n")[0]
            out.errors.append((line, f"SQL does not parse as {read}: {desc}"))
            out.summary.append("unparsable statement")
            continue
        except sqlglot.errors.SqlglotError as exc:
            out.errors.append((stmt.line, f"SQL does not parse as {read}: {exc}"))
            continue
        if tree is None:
            continue
        if isinstance(tree, exp.Create):
            kind = (tree.args.get("kind") or "").upper()
            if kind == "TABLE":
                schema = tree.this
                table = _name(schema.this if isinstance(schema, exp.Schema) else schema)
                created.add(table)
                out.summary.append(f"create table {table}")
                if isinstance(schema, exp.Schema):
                    for col in schema.expressions:
                        if isinstance(col, exp.ColumnDef):
                            cname = _name(col.this)
                            cons = [c.args.get("kind") for c in col.constraints]
                            if any(isinstance(k, (exp.PrimaryKeyColumnConstraint,
                                                  exp.UniqueColumnConstraint)) for k in cons):
                                indexed.add((table, cname))
                            if any(isinstance(k, exp.Reference) for k in cons):
                                fks.append((table, cname, stmt, f"{table}.{cname}"))
                        elif isinstance(col, (exp.Constraint, exp.PrimaryKey, exp.ForeignKey,
                                              exp.UniqueColumnConstraint)):
                            for node in col.walk():
                                if isinstance(node, exp.ForeignKey):
                                    first = _first_col(node.expressions)
                                    fks.append((table, first, stmt, f"{table}({first})"))
                                elif isinstance(node, (exp.PrimaryKey,
                                                       exp.UniqueColumnConstraint)):
                                    cols = node.expressions or (
                                        node.this.expressions if isinstance(node.this, exp.Schema)
                                        else [])
                                    first = _first_col(cols)
                                    if first:
                                        indexed.add((table, first))
            elif kind == "INDEX":
                index = tree.this
                table = _name(index.args.get("table"))
                params = index.args.get("params")
                cols = params.args.get("columns") if params is not None else []
                first = _first_col(cols)
                if first:
                    indexed.add((table, first))
                unique = bool(tree.args.get("unique"))
                conc = bool(tree.args.get("concurrently"))
                out.summary.append(f"create {'unique ' if unique else ''}index "
                                   f"{_name(index.this)} on {table}")
                if table not in created:
                    if unique:
                        risk("MIG111", f"unique index on existing table {table}", stmt)
                    if read == "postgres" and not conc:
                        risk("MIG112", f"CREATE INDEX on existing table {table} without "
                             "CONCURRENTLY", stmt)
            else:
                out.summary.append(f"create {kind.lower() or 'object'} {_name(tree.this)}")
        elif isinstance(tree, exp.Drop):
            kind = (tree.args.get("kind") or "").upper()
            names = [_table_label(t) for t in tree.args.get("tables") or [tree.this]]
            out.summary.append(f"drop {kind.lower()} {', '.join(names)}")
            if kind == "TABLE":
                for n in names:
                    risk("MIG101", f"DROP TABLE {n}", stmt)
            elif kind in ("SCHEMA", "DATABASE"):
                risk("MIG103", f"DROP {kind} {', '.join(names)}", stmt)
        elif isinstance(tree, exp.TruncateTable):
            names = [_name(t) for t in tree.expressions]
            out.summary.append(f"truncate {', '.join(names)}")
            risk("MIG104", f"TRUNCATE {', '.join(names)}", stmt)
        elif isinstance(tree, exp.Delete):
            table = _name(tree.this)
            out.summary.append(f"delete from {table}")
            if not tree.args.get("where"):
                risk("MIG105", f"DELETE FROM {table} without WHERE deletes every row", stmt)
        elif isinstance(tree, exp.Update):
            table = _name(tree.this)
            out.summary.append(f"update {table}")
            if not tree.args.get("where"):
                risk("MIG106", f"UPDATE {table} without WHERE rewrites every row", stmt)
        elif isinstance(tree, exp.Insert):
            out.summary.append(f"insert into {_name(tree.this.this if isinstance(tree.this, exp.Schema) else tree.this)}")
        elif isinstance(tree, exp.Alter):
            table = _name(tree.this)
            kind = (tree.args.get("kind") or "TABLE").upper()
            parts = []
            for action in tree.args.get("actions") or []:
                parts.append(_alter(action, table, kind, created, stmt, risk, fks, exp))
            out.summary.append(f"alter {kind.lower()} {table}: {', '.join(p for p in parts if p)}")
        elif isinstance(tree, exp.Command):
            words = f"{tree.this} {tree.expression or ''}".split()
            out.summary.append(" ".join(words[:3]).lower())
        else:
            out.summary.append(type(tree).__name__.lower())
    for table, col, stmt, text in fks:
        if (table, col) not in indexed:
            risk("MIG113", f"foreign key {text} has no index on its column(s) in this "
                 "migration", stmt)
    return out


def _table_label(node) -> str:
    name = getattr(node, "name", "") or ""
    db = node.args.get("db") if hasattr(node, "args") else None
    if not name and db is not None:
        return _name(db)
    return name.lower() or _name(node)


def _alter(action, table, kind, created, stmt, risk, fks, exp) -> str:
    if isinstance(action, exp.Drop):
        akind = (action.args.get("kind") or "").upper()
        names = [_name(t) for t in action.args.get("tables") or []]
        if akind == "COLUMN":
            for n in names:
                risk("MIG102", f"drops column {table}.{n}", stmt)
        return f"drop {akind.lower()} {', '.join(names)}"
    if isinstance(action, exp.AlterRename):
        risk("MIG107", f"renames table {table} to {_name(action.this)}", stmt)
        return f"rename to {_name(action.this)}"
    if isinstance(action, exp.RenameColumn):
        old, new = _name(action.this), _name(action.args.get("to"))
        risk("MIG108", f"renames column {table}.{old} to {new}", stmt)
        return f"rename column {old} to {new}"
    if isinstance(action, exp.AlterColumn):
        col = _name(action.this)
        if action.args.get("dtype") is not None:
            risk("MIG109", f"changes the type of {table}.{col} to "
                 f"{action.args['dtype'].sql()}", stmt)
            return f"alter column {col} type {action.args['dtype'].sql()}"
        if action.args.get("allow_null") is False:
            if table not in created:
                risk("MIG110", f"sets NOT NULL on existing column {table}.{col}", stmt)
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
        if not_null and not default and table not in created:
            risk("MIG110", f"adds NOT NULL column {table}.{col} with no default", stmt)
        if any(isinstance(k, exp.Reference) for k in cons):
            fks.append((table, col, stmt, f"{table}.{col}"))
        return f"add column {col}"
    if isinstance(action, exp.AddConstraint):
        words = []
        for node in action.walk():
            if isinstance(node, exp.UniqueColumnConstraint):
                if table not in created:
                    risk("MIG111", f"unique constraint on existing table {table}", stmt)
                words.append("add unique constraint")
            elif isinstance(node, exp.ForeignKey):
                first = _first_col(node.expressions)
                fks.append((table, first, stmt, f"{table}({first})"))
                words.append("add foreign key")
        return ", ".join(words) or "add constraint"
    return type(action).__name__.lower()
