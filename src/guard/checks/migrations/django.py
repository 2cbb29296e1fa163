"""Django: <app>/migrations/NNNN_name.py with `dependencies` and `operations` — read with
`ast`, never imported."""

from __future__ import annotations

import ast
import posixpath
import re

from guard.lazyre import Pattern
from guard.checks.migrations import pyast
from guard.checks.migrations.model import Migration, Op

NAME = Pattern(r"^(?P<v>\d{4,})_(?P<name>\w+)\.py$")

# operation → (one-line text, how Django undoes it, risk)
REVERSE = {
    "CreateModel": "drop table {name}", "DeleteModel": "re-create table {name}",
    "AddField": "drop column {model}.{field}", "RemoveField": "re-add column {model}.{field}",
    "AlterField": "restore the previous definition of {model}.{field}",
    "RenameField": "rename {model}.{new} back to {old}", "RenameModel": "rename {new} back to {old}",
    "AddIndex": "drop the index on {model}", "AddIndexConcurrently": "drop the index on {model}",
    "RemoveIndex": "re-create the index on {model}", "AddConstraint": "drop the constraint on {model}",
    "RemoveConstraint": "re-add the constraint on {model}",
    "AlterUniqueTogether": "restore unique_together of {name}",
}


def app_of(folder: str) -> str:
    return posixpath.basename(posixpath.dirname(folder)) or folder


def index(folder: str, paths: list[str]) -> list[Migration]:
    app = app_of(folder)
    out = []
    for path in sorted(paths):
        if posixpath.dirname(path) != folder:
            continue
        m = NAME.match(posixpath.basename(path))
        if not m:
            continue
        stem = posixpath.basename(path)[:-3]
        mig = Migration("django", f"{app}.{stem}", path, (path,), (int(m.group("v")),),
                        m.group("v"), m.group("name"), "django")
        mig.app = app
        out.append(mig)
    return out


def _kw(call: ast.Call, pos: int | None, kw: str) -> str:
    return pyast.text_arg(call, pos, kw)


def _field_call(call: ast.Call) -> ast.Call | None:
    node = pyast.arg(call, 2, "field")
    return node if isinstance(node, ast.Call) else None


def _op(call: ast.Call, mig: Migration, dialect: str, created: set[str]) -> Op:
    name, line = pyast.call_name(call), call.lineno
    risks: list[tuple[str, str]] = []
    sql: tuple = ()
    reversible = True
    model = _kw(call, 0, "model_name").lower()
    if name == "CreateModel":
        text = f"create table {_kw(call, 0, 'name')}"
        created.add(_kw(call, 0, "name").lower())
    elif name == "DeleteModel":
        text = f"drop table {_kw(call, 0, 'name')}"
        risks.append(("MIG101", f"DeleteModel drops table {_kw(call, 0, 'name')}"))
    elif name == "RemoveField":
        text = f"drop column {model}.{_kw(call, 1, 'name')}"
        risks.append(("MIG102", f"RemoveField drops column {model}.{_kw(call, 1, 'name')}"))
    elif name == "RenameField":
        text = f"rename column {model}.{_kw(call, 1, 'old_name')} to {_kw(call, 2, 'new_name')}"
        risks.append(("MIG108", text))
    elif name == "RenameModel":
        text = f"rename table {_kw(call, 0, 'old_name')} to {_kw(call, 1, 'new_name')}"
        risks.append(("MIG107", text))
    elif name == "AlterField":
        text = f"alter column {model}.{_kw(call, 1, 'name')}"
        field = _field_call(call)
        ftype = pyast.call_name(field) if field is not None else "?"
        risks.append(("MIG109", f"AlterField redefines {model}.{_kw(call, 1, 'name')} as "
                      f"{ftype} (type and nullability may change)"))
    elif name == "AddField":
        fname = _kw(call, 1, "name")
        text = f"add column {model}.{fname}"
        field = _field_call(call)
        if field is not None and model not in created:
            null = pyast.literal(pyast.arg(field, None, "null")) is True
            default = pyast.has_kw(field, "default") or pyast.has_kw(field, "db_default")
            if not null and not default and pyast.call_name(field) not in ("ManyToManyField",):
                risks.append(("MIG110", f"adds NOT NULL column {model}.{fname} with no default"))
            if pyast.call_name(field) in ("ForeignKey", "OneToOneField") and \
                    pyast.literal(pyast.arg(field, None, "db_index")) is False:
                risks.append(("MIG113", f"foreign key {model}.{fname} with db_index=False"))
    elif name in ("AddIndex", "AddIndexConcurrently"):
        idx = pyast.arg(call, 1, "index")
        text = f"add index on {model}"
        if isinstance(idx, ast.Call):
            text += f" ({_kw(idx, None, 'fields')})"
        if model not in created and name == "AddIndex" and dialect == "postgres":
            risks.append(("MIG112", f"AddIndex on {model} without AddIndexConcurrently"))
    elif name == "AddConstraint":
        con = pyast.arg(call, 1, "constraint")
        kind = pyast.call_name(con) if isinstance(con, ast.Call) else "?"
        text = f"add constraint {kind} on {model}"
        if kind == "UniqueConstraint" and model not in created:
            risks.append(("MIG111", f"UniqueConstraint on existing table {model}"))
    elif name == "AlterUniqueTogether":
        text = f"alter unique_together of {_kw(call, 0, 'name')}"
        if _kw(call, 0, "name").lower() not in created:
            risks.append(("MIG111", f"unique_together on existing table {_kw(call, 0, 'name')}"))
    elif name == "RunSQL":
        stmts = pyast.sql_strings(pyast.arg(call, 0, "sql"), mig.path, line)
        reversible = pyast.arg(call, 1, "reverse_sql") is not None
        if stmts is None:
            text = "run SQL built at run time (not checked)"
        else:
            sql = tuple(stmts)
            text = "run SQL: " + (stmts[0].sql.split("\n")[0][:60] if stmts else "")
    elif name == "RunPython":
        reversible = pyast.arg(call, 1, "reverse_code") is not None
        text = f"run Python {_kw(call, 0, 'code')}"
    else:
        text = name
    return Op(text, line, tuple(risks), sql, reversible)


def _reverse_text(call: ast.Call) -> str:
    name = pyast.call_name(call)
    if name == "RunSQL":
        node = pyast.arg(call, 1, "reverse_sql")
        value = pyast.literal(node)
        if value == "" or value == []:
            return "nothing (reverse_sql is a no-op)"
        if isinstance(value, str):
            return "run SQL: " + value.strip().split("\n")[0][:60]
        return "run reverse_sql"
    if name == "RunPython":
        return f"run Python {_kw(call, 1, 'reverse_code')}"
    template = REVERSE.get(name, f"reverse {name}")
    return template.format(name=_kw(call, 0, "name"), model=_kw(call, 0, "model_name"),
                           field=_kw(call, 1, "name"), old=_kw(call, 1, "old_name")
                           if name == "RenameField" else _kw(call, 0, "old_name"),
                           new=_kw(call, 2, "new_name") if name == "RenameField"
                           else _kw(call, 1, "new_name"))


def _pairs(node, *, skip_special: bool) -> tuple[str, ...]:
    """("app", "name") items of a dependencies/replaces/run_before list as "app.name".
    `migrations.swappable_dependency(settings.X)` names a model setting, not a migration
    of this repository, and `__first__`/`__latest__` an app's ends: neither is a node."""
    out = []
    for item in (node.elts if isinstance(node, (ast.List, ast.Tuple)) else []):
        value = pyast.literal(item)
        if isinstance(value, (list, tuple)) and len(value) == 2 and all(
                isinstance(v, str) for v in value):
            if skip_special and value[1] in ("__first__", "__latest__"):
                continue
            out.append(f"{value[0]}.{value[1]}")
    return tuple(out)


def load(mig: Migration, raw: bytes | None, dialect: str) -> None:
    tree = pyast.parse(mig, raw)
    if tree is None:
        return
    cls = next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Migration"),
               None)
    if cls is None:
        mig.problems.append(("MIG011", None, f"{mig.path} defines no `class Migration`",
                             "a Django migration module defines class Migration"))
        return
    found: dict[str, ast.expr] = {}
    for node in cls.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and \
                isinstance(node.targets[0], ast.Name):
            found[node.targets[0].id] = node.value
    ops_node = found.get("operations")
    mig.parents = _pairs(found.get("dependencies"), skip_special=True)
    mig.replaces = _pairs(found.get("replaces"), skip_special=False)
    mig.run_before = _pairs(found.get("run_before"), skip_special=True)
    calls = [e for e in (ops_node.elts if isinstance(ops_node, (ast.List, ast.Tuple)) else [])
             if isinstance(e, ast.Call)]
    created: set[str] = set()
    mig.ops = [_op(c, mig, dialect, created) for c in calls]
    # read only when a new AlterField needs its field's previous definition
    mig.state_calls = _state_calls(calls, found)
    blocking = [op for op in mig.ops if not op.reversible]
    if blocking:
        mig.down_state = "none"
        mig.down_line = blocking[0].line
    elif not calls:
        mig.down_state = "present"     # nothing to undo
    else:
        mig.down_state = "present"
        mig.down_line = cls.lineno
    mig.down_ops = [_reverse_text(c) for c in reversed(calls)]


# keyword arguments of a field that change no column: Django's AlterField for them emits no
# DDL (choices, defaults kept in Python, labels, validators, forms) or only an index
# (db_index), which MIG109's "type and nullability may change" is not about
_NO_COLUMN_KWARGS = frozenset((
    "choices", "default", "help_text", "verbose_name", "blank", "validators", "editable",
    "error_messages", "related_name", "related_query_name", "limit_choices_to", "on_delete",
    "db_index", "db_comment", "auto_now", "auto_now_add", "upload_to", "storage", "encoder",
    "decoder", "serialize", "unique_for_date", "unique_for_month", "unique_for_year",
    "db_constraint", "to_field", "through_fields"))


def _signature(field: ast.Call) -> str:
    """What of a field definition reaches its column: the class and every keyword but those
    above (positional arguments too: `ForeignKey("app.Model", ...)`)."""
    keep = [k for k in field.keywords if k.arg not in _NO_COLUMN_KWARGS]
    return "|".join([pyast.call_name(field)] + [ast.dump(a) for a in field.args]
                    + sorted(f"{k.arg}={ast.dump(k.value)}" for k in keep))


def _state_calls(calls: list[ast.Call], found: dict[str, ast.expr]) -> list[ast.Call]:
    """The operations as Django's model state sees them: a SeparateDatabaseAndState stands
    for its state_operations (a list, or a name bound in the class body — saleor's apps split
    out of product/ declare their models so)."""
    out: list[ast.Call] = []
    for call in calls:
        if pyast.call_name(call) != "SeparateDatabaseAndState":
            out.append(call)
            continue
        node = pyast.arg(call, 1, "state_operations")
        if isinstance(node, ast.Name):
            node = found.get(node.id)
        out += [e for e in (node.elts if isinstance(node, (ast.List, ast.Tuple)) else [])
                if isinstance(e, ast.Call)]
    return out


def _field_defs(calls: list[ast.Call]) -> dict[tuple[str, str], str]:
    """(model, field) → column signature for the fields a migration defines (CreateModel,
    AddField, AlterField), the last definition winning."""
    out: dict[tuple[str, str], str] = {}
    for call in calls:
        name = pyast.call_name(call)
        if name == "CreateModel":
            model = _kw(call, 0, "name").lower()
            fields = pyast.arg(call, 1, "fields")
            for item in (fields.elts if isinstance(fields, (ast.List, ast.Tuple)) else []):
                if isinstance(item, ast.Tuple) and len(item.elts) == 2 and \
                        isinstance(item.elts[1], ast.Call):
                    fname = pyast.literal(item.elts[0])
                    if isinstance(fname, str):
                        out[(model, fname.lower())] = _signature(item.elts[1])
        elif name in ("AddField", "AlterField"):
            field = _field_call(call)
            if field is not None:
                out[(_kw(call, 0, "model_name").lower(), _kw(call, 1, "name").lower())] = \
                    _signature(field)
        elif name == "RemoveField":
            out.pop((_kw(call, 0, "model_name").lower(), _kw(call, 1, "name").lower()), None)
    return out


def settle_alter_fields(base: list[Migration], fresh: list[Migration]) -> None:
    """Drop MIG109 from a new migration's AlterField when the field's previous definition (the
    app's newest base migration that defines it) reaches the same column: an AlterField of
    `choices`, `help_text` or `db_index` alone changes no type and no nullability (saleor's
    0058_alter_attribute_type). No previous definition found: MIG109 stays."""
    if not any(risk[0] == "MIG109" for m in fresh for op in m.ops for risk in op.risks):
        return
    apps = {m.app for m in fresh}
    known: dict[tuple[str, str, str], str] = {}
    for m in sorted(base, key=lambda m: m.version or (0,)):
        if m.app in apps:
            for (model, fname), sig in _field_defs(getattr(m, "state_calls", [])).items():
                known[(m.app, model, fname)] = sig
    for m in fresh:
        defs = _field_defs(getattr(m, "state_calls", []))
        for i, op in enumerate(m.ops):
            if not any(risk[0] == "MIG109" for risk in op.risks):
                continue
            model, fname = op.text[len("alter column "):].partition(".")[::2]
            before = known.get((m.app, model, fname.lower()))
            if before is not None and before == defs.get((model, fname.lower())):
                m.ops[i] = op._replace(risks=tuple(r for r in op.risks if r[0] != "MIG109"))
