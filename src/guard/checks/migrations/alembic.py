"""Alembic: versions/*.py with revision, down_revision, upgrade(), downgrade() — read with
`ast`, never imported."""

from __future__ import annotations

import ast
import posixpath
import re
from typing import NamedTuple

from guard.checks.migrations import pyast
from guard.checks.migrations.model import Migration, Op


def index(folder: str, paths: list[str], recursive: bool = False) -> list[Migration]:
    out = []
    prefix = folder + "/" if folder else ""
    for path in sorted(paths):
        if not path.endswith(".py") or not path.startswith(prefix):
            continue
        if not recursive and posixpath.dirname(path) != folder:
            continue
        name = posixpath.basename(path)[:-3]
        if name.startswith("__"):
            continue
        # the revision id is inside the file; it is filled in by load()
        out.append(Migration("alembic", name, path, (path,), None, name, name, "alembic"))
    return out


def _cols(node) -> str:
    value = pyast.literal(node)
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value) if value is not None else "?"


# batch_op.<name>(...) takes no table: the position op.<name>(...) reads it from
_BATCH_TABLE_POS = {"add_column": 0, "drop_column": 0, "alter_column": 0, "create_index": 1,
                    "drop_index": 1, "create_unique_constraint": 1, "create_foreign_key": 1,
                    "create_check_constraint": 1, "create_primary_key": 1,
                    "drop_constraint": 1}


def _batch_tables(func: ast.FunctionDef) -> dict[str, str]:
    """`with op.batch_alter_table("users") as batch_op:` -> {"batch_op": "users"}."""
    out: dict[str, str] = {}
    for node in ast.walk(func):
        if isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                ctx = item.context_expr
                if (isinstance(ctx, ast.Call) and pyast.call_name(ctx) == "batch_alter_table"
                        and isinstance(item.optional_vars, ast.Name)):
                    out[item.optional_vars.id] = pyast.text_arg(ctx, 0, "table_name")
    return out


def _unbatch(call: ast.Call, batches: dict[str, str]) -> ast.Call:
    """A batch_op call as the op call it stands for, with the batch's table put back."""
    receiver = call.func.value.id
    pos = _BATCH_TABLE_POS.get(pyast.call_name(call))
    if receiver not in batches or pos is None:
        return call
    table = ast.copy_location(ast.Constant(batches[receiver]), call)
    args = list(call.args)
    args.insert(min(pos, len(args)), table)
    return ast.copy_location(ast.Call(call.func, args, call.keywords), call)


def _ops(func: ast.FunctionDef, mig: Migration, dialect: str, created: set[str]) -> list[Op]:
    ops: list[Op] = []
    indexed: set[tuple[str, str]] = set()
    batches = _batch_tables(func)
    calls = [_unbatch(n, batches) if n.func.value.id in batches else n
             for n in ast.walk(func) if isinstance(n, ast.Call)
             and isinstance(n.func, ast.Attribute) and isinstance(n.func.value, ast.Name)
             and n.func.value.id in ("op", "batch_op", *batches)]
    calls.sort(key=lambda c: (c.lineno, c.col_offset))
    for call in calls:
        name = pyast.call_name(call)
        if name == "create_table":
            table = pyast.text_arg(call, 0, "table_name")
            created.add(table)
    for call in calls:
        if pyast.call_name(call) == "create_index":
            table = pyast.text_arg(call, 1, "table_name")
            cols = pyast.literal(pyast.arg(call, 2, "columns"))
            if isinstance(cols, (list, tuple)) and cols:
                indexed.add((table, str(cols[0])))
    for call in calls:
        name, line = pyast.call_name(call), call.lineno
        risks: list[tuple[str, str]] = []
        sql = ()
        t = lambda pos, kw: pyast.text_arg(call, pos, kw)  # noqa: E731
        if name == "create_table":
            text = f"create table {t(0, 'table_name')}"
        elif name == "drop_table":
            text = f"drop table {t(0, 'table_name')}"
            risks.append(("MIG101", f"drops table {t(0, 'table_name')}"))
        elif name == "drop_column":
            text = f"drop column {t(0, 'table_name')}.{t(1, 'column_name')}"
            risks.append(("MIG102", f"drops column {t(0, 'table_name')}.{t(1, 'column_name')}"))
        elif name == "rename_table":
            text = f"rename table {t(0, 'old_table_name')} to {t(1, 'new_table_name')}"
            risks.append(("MIG107", text))
        elif name == "alter_column":
            table, col = t(0, "table_name"), t(1, "column_name")
            bits = []
            if pyast.has_kw(call, "new_column_name"):
                bits.append(f"rename to {t(None, 'new_column_name')}")
                risks.append(("MIG108", f"renames column {table}.{col}"))
            if pyast.has_kw(call, "type_"):
                bits.append(f"type {t(None, 'type_')}")
                risks.append(("MIG109", f"changes the type of {table}.{col}"))
            if pyast.literal(pyast.arg(call, None, "nullable")) is False:
                bits.append("set not null")
                if not pyast.has_kw(call, "server_default") and table not in created:
                    risks.append(("MIG110", f"sets {table}.{col} NOT NULL with no default"))
            text = f"alter column {table}.{col}" + (f" ({', '.join(bits)})" if bits else "")
        elif name == "add_column":
            table = t(0, "table_name")
            column = pyast.arg(call, 1, "column")
            cname = "?"
            if isinstance(column, ast.Call):
                cname = pyast.text_arg(column, 0, "name")
                nullable = pyast.literal(pyast.arg(column, None, "nullable"))
                if (nullable is False and not pyast.has_kw(column, "server_default")
                        and table not in created):
                    risks.append(("MIG110", f"adds NOT NULL column {table}.{cname} with no "
                                  "server default"))
                fks = [n for n in ast.walk(column) if isinstance(n, ast.Call)
                       and pyast.call_name(n) == "ForeignKey"]
                if fks and not pyast.literal(pyast.arg(column, None, "index")) \
                        and (table, cname) not in indexed:
                    risks.append(("MIG113", f"foreign key {table}.{cname} has no index"))
            text = f"add column {table}.{cname}"
        elif name == "create_index":
            table = t(1, "table_name")
            unique = pyast.literal(pyast.arg(call, None, "unique")) is True
            text = (f"create {'unique ' if unique else ''}index {t(0, 'index_name')} on "
                    f"{table} ({_cols(pyast.arg(call, 2, 'columns'))})")
            if table not in created:
                if unique:
                    risks.append(("MIG111", f"unique index on existing table {table}"))
                if dialect == "postgres" and \
                        pyast.literal(pyast.arg(call, None, "postgresql_concurrently")) is not True:
                    risks.append(("MIG112", f"index on {table} without "
                                  "postgresql_concurrently=True"))
        elif name == "create_unique_constraint":
            table = t(1, "table_name")
            text = f"add unique constraint on {table} ({_cols(pyast.arg(call, 2, 'columns'))})"
            if table not in created:
                risks.append(("MIG111", f"unique constraint on existing table {table}"))
        elif name == "create_foreign_key":
            table = t(1, "source_table")
            cols = pyast.literal(pyast.arg(call, 3, "local_cols"))
            first = str(cols[0]) if isinstance(cols, (list, tuple)) and cols else "?"
            text = f"add foreign key {table}({_cols(pyast.arg(call, 3, 'local_cols'))}) -> " \
                   f"{t(2, 'referent_table')}"
            if (table, first) not in indexed:
                risks.append(("MIG113", f"foreign key on {table}({first}) has no index"))
        elif name == "execute":
            stmts = pyast.sql_strings(pyast.arg(call, 0, "sqltext"), mig.path, line)
            if stmts is None:
                text = "execute SQL built at run time (not checked)"
            else:
                sql = tuple(stmts)
                first = stmts[0].sql.split("\n")[0][:60] if stmts else ""
                text = f"execute SQL: {first}"
        else:
            text = name.replace("_", " ")
        ops.append(Op(text, line, tuple(risks), sql))
    return ops


def load(mig: Migration, raw: bytes | None, dialect: str) -> None:
    tree = pyast.parse(mig, raw)
    if tree is None:
        return
    found, rev, line = pyast.assigned(tree, "revision")
    if not found or not isinstance(rev, str):
        mig.problems.append(("MIG011", line, f"{mig.path} has no literal `revision = '...'`",
                             "every Alembic revision file sets revision and down_revision"))
    else:
        mig.key = rev
        mig.label = rev
    found, down, _ = pyast.assigned(tree, "down_revision")
    mig.parents = _names(down)
    mig.labels = _names(pyast.assigned(tree, "branch_labels")[1])
    mig.depends = _names(pyast.assigned(tree, "depends_on")[1])
    funcs = pyast.functions(tree)
    created: set[str] = set()
    if "upgrade" in funcs:
        mig.ops = _ops(funcs["upgrade"], mig, dialect, created)
    else:
        mig.problems.append(("MIG011", None, f"{mig.path} has no upgrade() function",
                             "define upgrade() and downgrade()"))
    down_fn = funcs.get("downgrade")
    if down_fn is None:
        mig.down_state = "none"
    elif pyast.body_is_empty(down_fn):
        mig.down_state = "empty"
        mig.down_line = down_fn.lineno
    else:
        mig.down_state = "present"
        mig.down_line = down_fn.lineno
        mig.down_ops = [o.text for o in _ops(down_fn, mig, dialect, set())]


def _names(value) -> tuple[str, ...]:
    """down_revision / branch_labels / depends_on: None, one string, or a tuple of them."""
    if isinstance(value, str):
        return (value,) if value else ()
    if isinstance(value, (list, tuple)):
        return tuple(str(v) for v in value if v)
    return ()


class Location(NamedTuple):
    """One Alembic configuration: where its revision files live, as Alembic reads it."""
    config: str                  # alembic.ini or pyproject.toml (repo-relative)
    folders: tuple[str, ...]     # version locations, repo-relative
    recursive: bool


_SEPARATORS = {"space": None, "newline": "\n", "colon": ":", "semicolon": ";",
               "os": ":", ";": ";", ":": ":"}


def _rel(config: str, where: str) -> str | None:
    """A script_location / version_locations entry as a repo-relative folder; None when it
    is a package resource (`pkg:dir`) or leaves the repository. Relative entries are read
    from the configuration file's folder, where alembic is normally run."""
    here = posixpath.dirname(config)
    where = where.strip().replace("%(here)s", here or ".")
    if not where or (":" in where and not where.startswith((".", "/"))):
        return None
    if where.startswith("/"):
        return None
    path = posixpath.normpath(posixpath.join(here, where) if here and
                              not where.startswith(here + "/") else where)
    return None if path.startswith("..") else ("" if path == "." else path)


def _split(value: str, sep: str | None) -> list[str]:
    real = _SEPARATORS.get((sep or "").strip().lower(), None) if sep else None
    if sep is None:
        # older configurations: space or comma separated
        return [v for v in re.split(r"[\s,]+", value) if v]
    if real is None:
        return [v for v in re.split(r"\s+", value) if v]
    return [v for v in value.split(real) if v.strip()]


def locations(blobs: dict[str, bytes]) -> list[Location]:
    """Version locations from every alembic.ini (section [alembic]) and a root pyproject's
    [tool.alembic]: script_location/versions unless version_locations is set."""
    out = []
    for path, raw in sorted(blobs.items()):
        name = posixpath.basename(path)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            continue
        if name == "pyproject.toml":
            conf = _pyproject(text)
        elif name.endswith("alembic.ini"):
            conf = _ini(text)
        else:
            continue
        if conf is None or not conf.get("script_location"):
            continue
        script = _rel(path, str(conf["script_location"]))
        raw_locs = conf.get("version_locations")
        if isinstance(raw_locs, list):
            entries = [str(v) for v in raw_locs]
        elif isinstance(raw_locs, str) and raw_locs.strip():
            entries = _split(raw_locs, conf.get("version_path_separator"))
        else:
            entries = None
        if entries is None:
            folders = [] if script is None else [posixpath.join(script, "versions")
                                                  if script else "versions"]
        else:
            folders = [f for f in (_rel(path, e) for e in entries) if f is not None]
        recursive = str(conf.get("recursive_version_locations", "")).lower() in ("true", "1",
                                                                                "yes")
        if folders:
            out.append(Location(path, tuple(dict.fromkeys(folders)), recursive))
    return out


def _ini(text: str) -> dict | None:
    import configparser
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(text)
    except configparser.Error:
        return None
    if not parser.has_section("alembic"):
        return None
    return dict(parser.items("alembic"))


def _pyproject(text: str) -> dict | None:
    try:
        import tomllib
    except ImportError:             # Python 3.10: no tomllib; read the one table by hand
        return _pyproject_by_hand(text)
    try:
        data = tomllib.loads(text)
    except ValueError:
        return None
    conf = data.get("tool", {}).get("alembic")
    return conf if isinstance(conf, dict) else None


def _pyproject_by_hand(text: str) -> dict | None:
    m = re.search(r"^\[tool\.alembic\]\s*$(.*?)(?=^\[|\Z)", text, re.M | re.S)
    if not m:
        return None
    conf: dict = {}
    for key, value in re.findall(r"^(\w+)\s*=\s*(.+?)\s*$", m.group(1), re.M):
        if value.startswith("["):
            conf[key] = re.findall(r"[\"']([^\"']*)[\"']", value)
        else:
            conf[key] = value.strip("\"'")
    return conf
