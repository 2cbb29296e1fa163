"""conventions: multi-tenancy, when company.config.yaml configures it
(`architecture.multi_tenancy`) — "apply the Multi-tenancy skill for all data access".

Statically, on what the branch changed (every line of an added file):

- TENANT001: a table or model it adds has no tenant column (SQL `CREATE TABLE`, Alembic
  `op.create_table`, Django `CreateModel` and model classes, SQLAlchemy/SQLModel models,
  Prisma `model` blocks);
- TENANT002: with `rls: true`, a tenant table it creates does not enable row-level security
  and get a policy in the branch's migrations;
- TENANT003: a query it writes on a tenant-scoped model has no tenant filter (SQLAlchemy
  `select`/`update`/`delete`/`session.query`, Django managers, Prisma delegates);
- TENANT004: raw SQL it writes on a tenant table has no tenant column.

With `rls: true` the database keeps tenants apart, so TENANT003/004 are not raised. Queries are
read as written: a filter applied elsewhere (a scoped manager, a repository helper) is named
in `scoped_by`, and any call or attribute with "tenant" in its name counts as one.
"""

from __future__ import annotations

import ast
import re
from typing import NamedTuple

from guard.checks.conventions_spec import Tenancy
from guard.finding import Finding
from guard.lazyre import Pattern

CHECK = "conventions"
CODE_PY = (".py",)
CODE_JS = (".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs", ".mts", ".cts")
MAX_BYTES = 2_000_000
MIGRATION_DIRS = Pattern(r"(?:^|/)(?:migrations|migrate|versions|alembic|db/migrate|"
                            r"prisma/migrations)/")
_IDENT = r'"?([A-Za-z_][\w$]*(?:"?\."?[A-Za-z_][\w$]*)?)"?'
_CREATE = Pattern(r"\bcreate\s+(?:(?:global\s+|local\s+)?(?:temp|temporary|unlogged)\s+)?"
                     r"table\s+(?:if\s+not\s+exists\s+)?" + _IDENT + r"\s*\(", re.I)
_ADD_COL = Pattern(r"\balter\s+table\s+(?:only\s+)?(?:if\s+exists\s+)?" + _IDENT +
                      r"\s+add\s+(?:column\s+)?(?:if\s+not\s+exists\s+)?\"?([A-Za-z_]\w*)",
                      re.I)
_RLS = Pattern(r"\balter\s+table\s+(?:only\s+)?(?:if\s+exists\s+)?" + _IDENT +
                  r"\s+(?:force|enable)\s+row\s+level\s+security", re.I)
_POLICY = Pattern(r"\bcreate\s+policy\s+\"?[\w$]+\"?\s+on\s+" + _IDENT, re.I)
_NOT_COLUMN = {"constraint", "primary", "foreign", "unique", "check", "exclude", "like",
               "index", "key", "fulltext", "spatial", "period"}
_SQL_START = Pattern(r"\s*(?:select|update|delete|insert|with)\b", re.I)
_SQL_TABLES = Pattern(r"\b(?:from|join|update|into)\s+(?:only\s+)?" + _IDENT, re.I)
_SQL_COMMENT = Pattern(r"--[^\n]*|/\*.*?\*/", re.S)
_JS_STRING = Pattern(r"`(?:[^`\\]|\\.)*`|'(?:[^'\\\n]|\\.)*'|\"(?:[^\"\\\n]|\\.)*\"", re.S)
_PRISMA_CALL = Pattern(r"\b([A-Za-z_$][\w$]*)\.([a-z][\w$]*)\.(findMany|findFirst|"
                          r"findFirstOrThrow|findUnique|findUniqueOrThrow|updateMany|"
                          r"deleteMany|update|delete|count|aggregate|groupBy|upsert)\s*\(")
_PRISMA_MODEL = Pattern(r"^[ \t]*model[ \t]+([A-Za-z_]\w*)[ \t]*\{", re.M)
DJANGO_METHODS = {"all", "filter", "get", "exclude", "first", "last", "values",
                  "values_list", "count", "update", "delete", "iterator", "aggregate",
                  "annotate", "order_by", "select_related", "prefetch_related", "create",
                  "get_or_create", "update_or_create", "bulk_create", "in_bulk", "exists",
                  "only", "defer", "distinct", "raw", "none"}


class Table(NamedTuple):
    name: str
    columns: tuple[str, ...]
    path: str
    line: int
    kind: str             # "table" (a migration creates it) or "model" (a model class)
    tenant_base: bool = False   # a base class or mixin with "tenant" in its name


class Site(NamedTuple):
    rule: str
    target: str           # model or table
    path: str
    line: int
    what: str


def norm(name: str) -> set[str]:
    """The names a table or model may be compared by: `shop_order_items`, `OrderItem` and
    `order_items` meet at `orderitem` (lower case, letters and digits, singular)."""
    name = name.strip('"`').rsplit(".", 1)[-1]
    forms = {name}
    if "_" in name:
        forms.add(name.split("_", 1)[1])        # Django's app prefix
    out = set()
    for form in forms:
        n = re.sub(r"[^a-z0-9]", "", form.lower())
        if n.endswith("ies") and len(n) > 4:
            n = n[:-3] + "y"
        elif n.endswith("s") and not n.endswith("ss") and len(n) > 2:
            n = n[:-1]
        if n:
            out.add(n)
    return out


class Scope:
    def __init__(self, t: Tenancy) -> None:
        self.t = t
        self.exempt = set().union(*(norm(n) for n in t.exempt)) if t.exempt else set()
        listed = tuple(t.tables or ()) + tuple(t.models)
        self.listed = set().union(*(norm(n) for n in listed)) if listed else set()
        column = t.column
        base = column[:-3] if column.lower().endswith("_id") else column
        self.fields = {re.sub(r"[^a-z0-9]", "", f.lower()) for f in (column, base)}
        camel = re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), column)
        self.words = tuple({column.lower(), base.lower(), camel.lower(), "tenant"} |
                           {w.lower() for w in t.scoped_by})

    def scoped(self, name: str) -> bool:
        forms = norm(name)
        if forms & self.exempt:
            return False
        return True if self.t.tables is None and not self.t.models else bool(forms &
                                                                              self.listed)

    def has_column(self, columns) -> bool:
        return any(re.sub(r"[^a-z0-9]", "", c.lower()) in self.fields for c in columns)

    def mentions(self, text: str) -> bool:
        low = text.lower()
        return any(w in low for w in self.words)


# -- readers --------------------------------------------------------------------------------

def _line_at(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _balanced(text: str, start: int, limit: int = 20_000) -> str:
    """The text from the `(` at ``start`` to its closing `)` (strings are not skipped: a
    parenthesis in a string may end it early, which only shortens what is read)."""
    depth = 0
    end = min(len(text), start + limit)
    for i in range(start, end):
        ch = text[i]
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return text[start + 1:i]
    return text[start + 1:end]


def _split_top(body: str) -> list[str]:
    parts, depth, cur = [], 0, []
    for ch in body:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return parts


def sql_tables(text: str, path: str) -> list[Table]:
    code = _SQL_COMMENT.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)
    out = []
    for m in _CREATE.finditer(code):
        body = _balanced(code, m.end() - 1)
        cols = []
        for item in _split_top(body):
            word = re.match(r'\s*"?([A-Za-z_][\w$]*)', item)
            if word and word.group(1).lower() not in _NOT_COLUMN:
                cols.append(word.group(1))
        out.append(Table(m.group(1).replace('"', ""), tuple(cols), path,
                         _line_at(code, m.start()), "table"))
    return out


def sql_added_columns(text: str) -> list[tuple[str, str]]:
    return [(m.group(1).replace('"', ""), m.group(2)) for m in _ADD_COL.finditer(text)]


def rls_statements(text: str) -> tuple[set[str], set[str]]:
    rls = {m.group(1).replace('"', "") for m in _RLS.finditer(text)}
    policies = {m.group(1).replace('"', "") for m in _POLICY.finditer(text)}
    return rls, policies


def _const(node) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) \
        else None


def _call_name(node: ast.Call) -> str:
    f = node.func
    return f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""


def _kw(node: ast.Call, name: str):
    return next((k.value for k in node.keywords if k.arg == name), None)


def py_tables(tree: ast.AST, path: str) -> list[Table]:
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = _call_name(node)
            if name == "create_table" and isinstance(node.func, ast.Attribute):
                table = _const(node.args[0]) if node.args else _const(_kw(node, "table_name"))
                if table:
                    cols = tuple(c for c in (_const(a.args[0]) if isinstance(a, ast.Call) and
                                             _call_name(a).endswith("Column") and a.args
                                             else None for a in node.args[1:]) if c)
                    out.append(Table(table, cols, path, node.lineno, "table"))
            elif name == "CreateModel":
                model = _const(_kw(node, "name")) or (_const(node.args[0]) if node.args
                                                      else None)
                fields = _kw(node, "fields") or (node.args[1] if len(node.args) > 1 else None)
                cols = []
                if isinstance(fields, (ast.List, ast.Tuple)):
                    for item in fields.elts:
                        if isinstance(item, ast.Tuple) and item.elts and _const(item.elts[0]):
                            cols.append(_const(item.elts[0]))
                bases = _kw(node, "bases")
                tenant_base = bases is not None and "tenant" in ast.unparse(bases).lower()
                options = _kw(node, "options")
                if isinstance(options, ast.Dict):
                    for k, v in zip(options.keys, options.values):
                        if _const(k) == "abstract" and isinstance(v, ast.Constant) and v.value:
                            model = None
                if model:
                    out.append(Table(model, tuple(cols), path, node.lineno, "table",
                                     tenant_base))
        elif isinstance(node, ast.ClassDef):
            table = _model_class(node, path)
            if table is not None:
                out.append(table)
    return out


def _model_class(node: ast.ClassDef, path: str) -> Table | None:
    bases = [ast.unparse(b) for b in node.bases]
    fields, tablename, abstract = [], None, False
    for stmt in node.body:
        targets = []
        if isinstance(stmt, ast.Assign):
            targets = [t.id for t in stmt.targets if isinstance(t, ast.Name)]
            if "__tablename__" in targets:
                tablename = _const(stmt.value)
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            targets = [stmt.target.id]
        elif isinstance(stmt, ast.ClassDef) and stmt.name == "Meta":
            abstract = "abstract = True" in ast.unparse(stmt)
        fields += [t for t in targets if not t.startswith("__")]
    table_kw = any(k.arg == "table" and isinstance(k.value, ast.Constant) and k.value.value
                   for k in node.keywords)
    is_model = (tablename is not None or table_kw or
                any(b.endswith("models.Model") or b == "db.Model" for b in bases) or
                ("models" in path and any(b.endswith("Model") and b not in
                                          ("BaseModel", "SQLModel", "pydantic.BaseModel")
                                          for b in bases)))
    if not is_model or abstract:
        return None
    return Table(tablename or node.name, tuple(fields), path, node.lineno, "model",
                 any("tenant" in b.lower() for b in bases))


def prisma_models(text: str, path: str) -> list[Table]:
    out = []
    for m in _PRISMA_MODEL.finditer(text):
        end = text.find("}", m.end())
        body = text[m.end():end if end >= 0 else len(text)]
        fields, name = [], m.group(1)
        for line in body.split("\n"):
            bare = line.strip()
            mapped = re.match(r'@@map\(\s*"([^"]+)"', bare)
            if mapped:
                name = mapped.group(1)
            elif bare and not bare.startswith(("//", "@@")):
                fields.append(bare.split()[0])
        out.append(Table(name, tuple(fields), path, _line_at(text, m.start()), "model"))
    return out


def _parents(tree: ast.AST) -> dict[int, ast.AST]:
    return {id(child): node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def _chain(node: ast.AST, parents: dict) -> tuple[ast.AST, list[ast.Call]]:
    """The method calls chained onto ``node`` (`select(X).where(...).limit(1)`): the
    outermost expression and every call on the way."""
    calls = [node] if isinstance(node, ast.Call) else []
    top = node
    while True:
        parent = parents.get(id(top))
        if isinstance(parent, ast.Attribute) and parent.value is top:
            grand = parents.get(id(parent))
            if isinstance(grand, ast.Call) and grand.func is parent:
                calls.append(grand)
                top = grand
                continue
        return top, calls


def _filtered(calls: list[ast.Call], scope: Scope) -> bool:
    for call in calls:
        if scope.mentions(_call_name(call)):
            return True
        text = " ".join([ast.unparse(a) for a in call.args] +
                        [f"{k.arg or ''}={ast.unparse(k.value)}" for k in call.keywords])
        if scope.mentions(text):
            return True
    return False


def _later_filtered(top: ast.AST, parents: dict, scope: Scope) -> bool:
    """`stmt = select(X)` and, later in the same function, `stmt.where(X.tenant_id == t)`
    (or `stmt = stmt.filter_by(tenant=...)`)."""
    assign = parents.get(id(top))
    if not (isinstance(assign, ast.Assign) and len(assign.targets) == 1 and
            isinstance(assign.targets[0], ast.Name)):
        return False
    var = assign.targets[0].id
    scope_node = assign
    while scope_node is not None and not isinstance(scope_node, (ast.FunctionDef,
                                                                 ast.AsyncFunctionDef,
                                                                 ast.Module)):
        scope_node = parents.get(id(scope_node))
    if scope_node is None:
        return False
    for node in ast.walk(scope_node):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and
                isinstance(node.func.value, ast.Name) and node.func.value.id == var and
                node.lineno >= assign.lineno and _filtered([node], scope)):
            return True
    return False


def py_queries(tree: ast.AST, path: str, scope: Scope) -> list[Site]:
    parents = None
    out = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func, model, start = node.func, None, None
        name = _call_name(node)
        # Django: Model.objects.filter(...)
        if (isinstance(func, ast.Attribute) and name in DJANGO_METHODS and
                isinstance(func.value, ast.Attribute) and
                isinstance(func.value.value, ast.Name) and func.value.value.id[:1].isupper()):
            manager = func.value.attr
            if scope.mentions(manager):
                continue
            model, start, what = func.value.value.id, node, f"{model_name(func)}"
        # SQLAlchemy: select(Model) / update(Model) / delete(Model) / session.query(Model)
        elif name in ("select", "update", "delete", "query") and node.args and \
                isinstance(node.args[0], (ast.Name, ast.Attribute)):
            first = node.args[0]
            model = first.id if isinstance(first, ast.Name) else (
                first.value.id if isinstance(first.value, ast.Name) else None)
            if not model or not model[:1].isupper():
                continue
            if name == "query" and not isinstance(func, ast.Attribute):
                continue
            start, what = node, f"{name}({model})"
        if model is None or not scope.scoped(model):
            continue
        if parents is None:
            parents = _parents(tree)
        top, calls = _chain(start, parents)
        if _filtered(calls, scope) or _later_filtered(top, parents, scope):
            continue
        out.append(Site("TENANT003", model, path, node.lineno, what))
    return out


def model_name(func: ast.Attribute) -> str:
    return f"{func.value.value.id}.{func.value.attr}.{func.attr}()"


def sql_sites(text: str, path: str, line: int, scope: Scope) -> list[Site]:
    """Raw SQL in a string that starts at ``line``: one site per tenant table it names
    when the tenant column appears nowhere in it."""
    if not _SQL_START.match(text):
        return []
    if scope.has_column(re.findall(r"[A-Za-z_]\w*", text)):
        return []
    out = []
    for m in _SQL_TABLES.finditer(text):
        table = m.group(1).replace('"', "")
        if scope.scoped(table) and not any(s.target == table for s in out):
            snippet = " ".join(text.split())[:80]
            out.append(Site("TENANT004", table, path, line + text.count("\n", 0, m.start()),
                            snippet))
    return out


def py_raw_sql(tree: ast.AST, path: str, scope: Scope) -> list[Site]:
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and \
                len(node.value) > 10:
            out += sql_sites(node.value, path, node.lineno, scope)
    return out


def js_queries(text: str, path: str, scope: Scope) -> list[Site]:
    out = []
    for m in _PRISMA_CALL.finditer(text):
        client, delegate, method = m.groups()
        if client in ("console", "Math", "JSON", "Object", "Array", "Promise") or \
                scope.mentions(client):
            continue
        line_start = text.rfind("\n", 0, m.start()) + 1
        if text[line_start:m.start()].lstrip().startswith(("//", "*")):
            continue
        model = delegate[:1].upper() + delegate[1:]
        if not scope.scoped(model):
            continue
        if scope.mentions(_balanced(text, m.end() - 1)):
            continue
        out.append(Site("TENANT003", model, path, _line_at(text, m.start()),
                        f"{client}.{delegate}.{method}()"))
    for m in _JS_STRING.finditer(text):
        body = m.group(0)[1:-1]
        out += sql_sites(body, path, _line_at(text, m.start()), scope)
    return out


# -- the rules --------------------------------------------------------------------------------

def run(ctx, t: Tenancy, changes, sources) -> list[Finding]:
    """``sources``: (Source, text) of the changed files, with their changed lines known."""
    if t.strategy != "column":
        return []
    scope = Scope(t)
    tables: list[Table] = []
    sites: list[Site] = []
    rls: set[str] = set()
    policies: set[str] = set()
    added_cols: list[tuple[str, str]] = []
    for src, text in sources:
        path = src.path
        migration = bool(MIGRATION_DIRS.search(path))
        if path.endswith(".sql"):
            tables += sql_tables(text, path)
            added_cols += sql_added_columns(text)
            r, p = rls_statements(text)
            rls |= r
            policies |= p
            if not migration:
                for m in re.finditer(r"[^;]+", _SQL_COMMENT.sub(" ", text)):
                    stmt = m.group(0)
                    first = len(stmt) - len(stmt.lstrip())
                    sites += sql_sites(stmt.lstrip(), path,
                                       _line_at(text, m.start() + first), scope)
        elif path.endswith(".prisma"):
            tables += prisma_models(text, path)
        elif path.endswith(CODE_PY):
            try:
                tree = ast.parse(text, filename=path)
            except (SyntaxError, ValueError, RecursionError):
                continue              # CONV011 reports unparsable server code
            tables += py_tables(tree, path)
            r, p = rls_statements(text)
            rls |= r
            policies |= p
            added_cols += sql_added_columns(text)
            if not migration:
                sites += py_queries(tree, path, scope)
                sites += py_raw_sql(tree, path, scope)
        elif path.endswith(CODE_JS):
            sites += js_queries(text, path, scope)
    changed = {src.path: src for src, _ in sources}
    cfg = f"{t.file}:{t.line}" if t.line else t.file
    out: list[Finding] = []
    seen: set[str] = set()
    # model classes first: that is where the fix goes (then the migration follows)
    for table in sorted(tables, key=lambda x: (x.kind != "model", x.path, x.line)):
        src = changed[table.path]
        if not src.changed(table.line) or not scope.scoped(table.name):
            continue
        forms = norm(table.name)
        extra = [c for tname, c in added_cols if norm(tname) & forms]
        if table.tenant_base or scope.has_column(table.columns + tuple(extra)):
            if t.rls and table.kind == "table" and not (
                    any(norm(n) & forms for n in rls) and
                    any(norm(n) & forms for n in policies)):
                missing = [w for w, got in (("ENABLE ROW LEVEL SECURITY",
                                             any(norm(n) & forms for n in rls)),
                                            ("CREATE POLICY", any(norm(n) & forms
                                                                  for n in policies)))
                           if not got]
                out.append(Finding(
                    "TENANT002", CHECK, "error",
                    f"tenant table {table.name} is created without {' and '.join(missing)} "
                    f"in this branch's migrations, where architecture.multi_tenancy.rls is "
                    f"true ({cfg})",
                    f"add ALTER TABLE {table.name} ENABLE ROW LEVEL SECURITY and a tenant "
                    f"policy (CREATE POLICY ... ON {table.name} USING ({t.column} = "
                    "current_setting(...))) to the migration", table.path, table.line,
                    (("table", table.name),)))
            continue
        if forms & seen:
            continue
        seen |= forms
        what = "table" if table.kind == "table" else "model"
        out.append(Finding(
            "TENANT001", CHECK, "error",
            f"new {what} {table.name} has no tenant column {t.column}, where multi-tenancy "
            f"is configured ({cfg})",
            f"add {t.column} (not null, referencing the tenants table) to {table.name}; if "
            "it is global data shared by all tenants, list it under "
            "architecture.multi_tenancy.exempt (on the base branch, by its owner)",
            table.path, table.line, (("table", table.name),)))
    if not t.rls:
        done: set[tuple] = set()
        for site in sites:
            src = changed[site.path]
            key = (site.path, site.line, site.target)
            if key in done or not src.changed(site.line):
                continue
            done.add(key)
            if site.rule == "TENANT003":
                message = (f"{site.what} queries tenant-scoped {site.target} with no tenant "
                           f"filter ({t.column}), where multi-tenancy is configured ({cfg})")
                hint = (f"filter by the current tenant ({t.column}=...) in this query, or use "
                        "the tenant-scoped manager; a scope applied elsewhere is named under "
                        "architecture.multi_tenancy.scoped_by")
            else:
                message = (f"raw SQL on tenant table {site.target} has no {t.column} "
                           f"condition: {site.what!r} ({cfg})")
                hint = f"add {t.column} = <current tenant> to the WHERE clause (a bound " \
                       "parameter, never formatted into the string)"
            out.append(Finding(site.rule, CHECK, "warning", message, hint, site.path,
                               site.line, (("target", site.target),)))
    return out


def check(ctx, t: Tenancy, changed) -> list[Finding]:
    """Read the changed code, SQL and Prisma files (one batched `git cat-file`, and one for
    the old side of the modified ones), then run the rules."""
    from guard.checks.conventions import Source, rules

    wanted = [c for c in changed if c.path.endswith((".sql", ".prisma") + CODE_PY + CODE_JS)
              and not rules.is_test_file(c.path)]
    if not wanted:
        return []
    blobs = ctx.git.read_blobs([c.new_sha for c in wanted])
    sources = []
    for change in wanted:
        data = blobs.get(change.new_sha)
        if data is None or len(data) > MAX_BYTES or b"\0" in data[:8000]:
            continue
        sources.append(Source(change, data))
    olds = ctx.git.read_blobs(list({s.change.old_sha for s in sources if s.needs_old()}))
    for src in sources:
        if src.needs_old():
            src.set_old(olds.get(src.change.old_sha))
    return run(ctx, t, changed, [(s, s.text) for s in sources])
