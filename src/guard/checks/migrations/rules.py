"""Rules on each new migration (rollback, parse, destructive statements, inline ignores) and
the model-changed-without-migration rule. Each returns findings plus the migration's notes
for the hand-off report."""

from __future__ import annotations

import posixpath
from typing import Iterator

from guard.checks.migrations import sqlrisk
from guard.checks.migrations.model import Migration
from guard.checks.migrations_spec import RULES
from guard.finding import Finding

_BY_ID = {r.id: r for r in RULES}


def _f(rule: str, message: str, hint: str, path: str | None, line: int | None = None,
       severity: str | None = None) -> Finding:
    return Finding(rule, "migrations", severity or _BY_ID[rule].severity, message, hint, path,
                   line)


def irreversible_entry(m: Migration, settings):
    if not settings.irreversible:
        return None
    names = {m.path, posixpath.basename(m.path), m.key, m.label, posixpath.dirname(m.path),
             posixpath.basename(m.path).rsplit(".", 1)[0]}
    names |= {n.split(".up.sql")[0] for n in list(names)}
    return next((e for e in settings.irreversible if e.migration in names), None)


def forward_only(m: Migration, mset) -> str | None:
    """Why the tool that runs ``m`` has no down step by design, or None when it has one.
    Flyway Community runs V files only (U undo files are the paid editions'): a folder with
    no U file at all is forward-only, one that keeps them owes one per migration. A runner
    of plain files in name order has no down step (unless the folder pairs _up/_down)."""
    if m.framework != "sql":
        return None
    migrator = getattr(mset, "migrator", None)
    if m.style == "flyway" and migrator in (None, "flyway") and not any(
            x.down_path for x in mset.base + mset.head if x.style == "flyway"):
        return ("Flyway Community has no undo (U<version>__*.sql undo migrations are "
                "Flyway Teams/Enterprise)")
    if m.style == "dbmate" and migrator == "name-order":
        return "a runner that applies files in name order has no down step"
    return None


def _rollback(m: Migration, settings, mset=None) -> tuple[list[Finding], dict]:
    entry = irreversible_entry(m, settings)
    if entry is not None:
        return [], {"kind": "irreversible", "steps": [],
                    "text": f"irreversible by policy ({entry.where}): {entry.reason}"}
    state = m.down_state
    out: list[Finding] = []
    why_forward = forward_only(m, mset) if state == "none" and mset is not None else None
    if why_forward:
        # no down step by the tool's design: rollback notes, as for Prisma and Drizzle
        if m.rollback_notes:
            return [], {"kind": "notes", "steps": [m.rollback_notes],
                        "text": m.rollback_notes}
        hint = (f"add a `-- rollback: how to undo it` comment to {m.path}"
                + (f" (or the undo migration U{m.label}__{m.name}.sql on Flyway "
                   "Teams/Enterprise)" if m.style == "flyway" else "")
                + ", or list it under guard.migrations.irreversible with a reason")
        out.append(_f("MIG010", f"new migration {m.path} is forward-only ({why_forward}) and "
                      "carries no rollback notes", hint, m.path))
        return out, {"kind": "none", "steps": [], "text": "forward-only, no rollback notes"}
    if state == "none":
        if m.framework == "sql" and m.style == "pop":
            stem = m.path[:-len(".up.sql")]
            generic = f"{m.label}_{m.name}.down.sql"
            hint = (f"add {stem}.down.sql" if m.variant == "all" else
                    f"add {stem.rpartition('/')[2]}.down.sql or {generic}")
            hint += (" (pop refuses to run a folder in which a version has no down file, "
                     "and rolls back with the generic one where a database has none)")
        elif m.framework == "sql" and m.style == "golang-migrate":
            hint = f"add {m.path[:-len('.up.sql')]}.down.sql"
        elif m.framework == "sql" and m.style == "name-order":
            hint = f"add {m.path[:-len('_up.sql')]}_down.sql"
        elif m.framework == "sql" and m.style == "flyway":
            hint = f"add the undo migration U{m.label}__{m.name}.sql"
        elif m.framework == "sql" and m.style == "goose":
            hint = "add a `-- +goose Down` section that undoes the `-- +goose Up` part"
        elif m.framework == "sql" and m.style == "sql-migrate":
            hint = "add a `-- +migrate Down` section that undoes the `-- +migrate Up` part"
        elif m.framework == "sql":
            hint = "add a `-- migrate:down` section that undoes the `-- migrate:up` part"
        elif m.framework == "django":
            hint = ("give RunPython a reverse_code (migrations.RunPython.noop if nothing to "
                    "undo) and RunSQL a reverse_sql")
        else:
            hint = "write downgrade() undoing upgrade() in reverse order"
        hint += ", or list it under guard.migrations.irreversible with a reason"
        what = "is not reversible (an operation has no reverse)" if m.framework == "django" \
            else "has no down step"
        out.append(_f("MIG008", f"new migration {m.path} {what}", hint, m.path, m.down_line))
        return out, {"kind": "none", "steps": [], "text": "none: no down step"}
    if state == "empty":
        where = m.down_path or m.path
        out.append(_f("MIG009", f"new migration {m.path}: the down step in {where} is empty, "
                      "so a rollback changes nothing",
                      "undo the up step's operations in reverse order", where, m.down_line))
        return out, {"kind": "empty", "steps": [], "text": "empty down step"}
    if state == "forward-only":
        out.append(_f("MIG010", f"new {m.framework} migration {m.path} is forward-only and "
                      "carries no rollback notes",
                      (f"add {posixpath.dirname(m.path)}/down.sql" if m.framework == "prisma"
                       else f"add {m.path[:-4]}.down.sql")
                      + ", or a `-- rollback: how to undo it` comment", m.path))
        return out, {"kind": "none", "steps": [],
                     "text": "forward-only, no rollback notes"}
    if state == "notes":
        return [], {"kind": "notes", "steps": [m.rollback_notes], "text": m.rollback_notes}
    if state == "repeatable":
        return [], {"kind": "repeatable", "steps": [], "text": "repeatable migration: "
                    "re-applied when it changes"}
    if m.down is not None:
        # steps and text are filled in by check_new, which parses the down part once
        where = m.down_path if m.down_path != m.path else f"{m.path} (-- migrate:down)"
        return [], {"kind": "down", "steps": [], "text": where}
    return [], {"kind": "down", "steps": list(m.down_ops),
                "text": ("downgrade(): " if m.framework == "alembic" else "Django reverses: ")
                + ("; ".join(m.down_ops) or "nothing to undo")}


def check_new(m: Migration, mset, settings) -> tuple[list[Finding], dict]:
    findings: list[Finding] = []
    for rule, line, message, hint in m.problems:
        findings.append(_f(rule, message, hint, m.path, line))
    rb_findings, rollback = _rollback(m, settings, mset)
    findings += rb_findings
    risks: list[tuple[str, str, str, int, tuple]] = []   # rule, message, path, line, ignores
    summary: list[str] = []
    if m.up is not None:
        dialect = m.dialect or mset.dialect     # pop: the database the file name says
        analysis = sqlrisk.analyse(m.up, dialect)
        summary = analysis.summary
        for r in analysis.risks:
            risks.append((r.rule, r.message, r.stmt.path, r.stmt.line, r.stmt.ignores))
        for line, problem in analysis.errors:
            findings.append(_f("MIG011", f"{m.path}: {problem}",
                               "fix the statement; run the migration locally", m.path, line))
        if m.down:
            down = sqlrisk.analyse(m.down, dialect)
            rollback["steps"] = down.summary
            rollback["text"] = f"{rollback['text']}: {'; '.join(down.summary)}"
            for line, problem in down.errors:
                findings.append(_f("MIG011", f"{m.down[0].path}: {problem}",
                                   "fix the statement in the down step", m.down[0].path, line))
    for op in m.ops:
        summary.append(op.text)
        near = tuple(i for i in m.ignores if i[2] in (op.line, op.line - 1))
        for rule, message in op.risks:
            risks.append((rule, message, m.path, op.line, near))
        if op.sql:
            analysis = sqlrisk.analyse(list(op.sql), mset.dialect)
            for r in analysis.risks:
                risks.append((r.rule, r.message, m.path, r.stmt.line, r.stmt.ignores + near))
            for line, problem in analysis.errors:
                findings.append(_f("MIG011", f"{m.path}: {problem}",
                                   "fix the SQL string", m.path, line))
    for path, line, problem in m.bad_ignores:
        # the rule the ignore is for: the first risk at or below it (MIG101 when none is)
        below = sorted((at, rule) for rule, _msg, where, at, _i in risks
                       if where == path and at >= line)
        rule = below[0][1] if below else "MIG101"
        findings.append(_f("MIG013", f"{path}: {problem}",
                           f"remove the comment, or name the rule and why: `guard:ignore {rule} "
                           "reason: why` in a comment on or above the statement", path, line))
    flags = []
    for rule, message, path, line, ignores in risks:
        reason = next((r for (rid, r, _l) in ignores if rid == rule), None)
        flag = {"rule": rule, "line": line, "message": message, "ignored": None}
        if reason and settings.allow_inline_ignores:
            flag["ignored"] = reason
            flags.append(flag)
            continue
        suffix = ""
        if reason:
            suffix = (" (its inline ignore is not honoured: the trusted policy does not set "
                      "guard.migrations.allow_inline_ignores)")
        flags.append(flag)
        findings.append(_f(rule, f"{path}: {message}{suffix}",
                           _BY_ID[rule].right, path, line))
    if m.rollback_notes and rollback.get("kind") == "down":
        rollback["text"] += f" (notes: {m.rollback_notes})"
    note = {
        "file": m.path, "framework": m.framework, "version": m.label,
        "summary": "; ".join(summary) if summary else "no operations",
        "rollback": rollback, "destructive": flags, "verification": None,
    }
    return findings, note


DEFAULT_SEED_PATHS = ("seeds/", "*/seeds/", "prisma/seed.*", "fixtures/", "*/fixtures/",
                      "db/seed.*", "db/seeds.*")


DEFAULT_SEED_SPECS = tuple(p + "*" if p.endswith("/") else p for p in DEFAULT_SEED_PATHS)


def seed_data(ctx, settings, notes, model_patterns, base_listing: dict | None = None
              ) -> Iterator[Finding]:
    """MIG021: new tables or model files, and no seed data touched on the branch.
    ``base_listing``: the base's files, where the listing includes DEFAULT_SEED_SPECS."""
    seeds = settings.seed_paths if settings.seed_paths is not None else DEFAULT_SEED_PATHS
    if not seeds:
        return
    if any(_matches(c.path, p) for c in ctx.changes for p in seeds):
        return
    new = []
    for note in notes:
        for part in note["summary"].split("; "):
            if part.startswith("create table "):
                new.append((part[len("create table "):], note["file"]))
    if not new:
        patterns = settings.model_paths if settings.model_paths is not None else model_patterns
        new = [(c.path, c.path) for c in ctx.changes if c.status == "A"
               and "/migrations/" not in c.path and not c.path.endswith(".sql")
               and any(_matches(c.path, p) for p in patterns)
               and not c.path.endswith("__init__.py")]
        what = "model file"
    else:
        what = "table"
    if not new:
        return               # (before any git process: most branches add no table)
    if settings.seed_paths is None:
        # by default only where the project keeps seed data on the base: a project with
        # none has chosen so (guard.migrations.seed_paths turns the rule on for it)
        if not ctx.merge_base:
            return
        if base_listing is not None:
            import fnmatch         # git's wildcard `*` matches `/`, as fnmatch's does
            if not any(fnmatch.fnmatchcase(p, s) for p in base_listing
                       if "seed" in p or "fixtures/" in p for s in DEFAULT_SEED_SPECS):
                return
        elif not ctx.git.tree_blobs(ctx.merge_base, (), DEFAULT_SEED_SPECS):
            return
    names = ", ".join(n for n, _ in new[:5]) + (f" (and {len(new) - 5} more)"
                                                if len(new) > 5 else "")
    yield _f("MIG021", f"the branch adds {what}{'s' if len(new) > 1 else ''} {names} but "
             f"touches no seed data ({', '.join(seeds)})",
             "add rows for it to the seed data, or set guard.migrations.seed_paths to the "
             "project's seed files ([] when it has none)", new[0][1])


def _matches(path: str, pattern: str) -> bool:
    if pattern.endswith("/") and "*" not in pattern:
        return path.startswith(pattern)
    if "*" not in pattern and "?" not in pattern and "[" not in pattern:
        return path == pattern      # fnmatch's answer, without compiling a regex for it
    import fnmatch
    return fnmatch.fnmatch(path, pattern + "*" if pattern.endswith("/") else pattern)


def model_changes(ctx, settings, defaults, any_new: bool) -> Iterator[Finding]:
    if any_new:
        return
    patterns = settings.model_paths if settings.model_paths is not None else defaults
    for change in ctx.changes:
        path = change.path
        if "/migrations/" in path or path.endswith(".sql"):
            continue
        if any(_matches(path, p) for p in patterns):
            if path.endswith(".py") and change.status == "M" and _same_schema(ctx, change):
                continue
            yield _f("MIG020", f"model file {path} changed ({change.describe}) but the branch "
                     "adds no migration",
                     "generate the migration (alembic revision --autogenerate, manage.py "
                     "makemigrations, prisma migrate dev, drizzle-kit generate), or say in the "
                     "hand-off report why the schema does not change", path)


def _schema(raw: bytes | None) -> list[str] | None:
    """What of a Python models file can reach the schema: per class its bases and its
    class-level assignments (Django fields, Meta's db_table/indexes/constraints,
    SQLAlchemy Column/mapped_column, __tablename__, __table_args__), and module-level
    assignments of calls (Table(...)). Methods, docstrings and comments are left out."""
    import ast

    from guard.checks.migrations.pyast import parse_or_none   # (ast: only for Python)
    tree = parse_or_none(raw)
    if tree is None:
        return None
    out: list[str] = []

    def klass(node: ast.ClassDef, where: str) -> None:
        out.append(f"class {where}{node.name}({', '.join(ast.dump(b) for b in node.bases)}"
                   f"{''.join(ast.dump(k) for k in node.keywords)})")
        for item in node.body:
            if isinstance(item, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                out.append(f"{where}{node.name}: {ast.dump(item)}")
            elif isinstance(item, ast.ClassDef):
                klass(item, f"{where}{node.name}.")
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            if _plain_data_class(node):
                continue
            klass(node, "")
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and isinstance(node.value, ast.Call):
            out.append(ast.dump(node))
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            out.append(ast.dump(node))      # Table(...) or event hooks called bare
    return out


_ORM_CALL_NAMES = ("Column", "mapped_column", "relationship", "column_property",
                   "composite", "Index", "UniqueConstraint", "CheckConstraint")
_ORM_MODULES = ("models", "db", "sa", "sqlalchemy", "orm", "fields")


def _orm_call(node) -> bool:
    """A call that declares a column: `models.CharField(...)`, `ForeignKey(...)`,
    `sa.Column(...)`, `mapped_column(...)` (pydantic's bare `Field(...)` is not one)."""
    import ast
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and \
            func.value.id in _ORM_MODULES:
        return True
    return (name.endswith(("Field", "Key")) and name != "Field") or name in _ORM_CALL_NAMES


def _plain_data_class(node) -> bool:
    """A class declared with bare annotations (`url: URL | None = None`: pydantic, a
    dataclass, a TypedDict) and nothing an ORM reads — no Meta, no __tablename__ or
    __table_args__, no `Mapped[...]` annotation, no column-declaring call. Django fields are
    never bare annotations (SQLModel's are, and count), so such a class is no table (saleor's EditorJS payload models
    live in a models.py)."""
    import ast
    if any(k.arg == "table" for k in node.keywords) or any(
            getattr(b, "id", getattr(b, "attr", "")) == "SQLModel" for b in node.bases):
        return False            # SQLModel declares its columns as bare annotations
    annotated = False
    for item in node.body:
        if isinstance(item, ast.ClassDef) and item.name == "Meta":
            return False
        if isinstance(item, ast.AnnAssign):
            annotated = True
            target = getattr(item.target, "id", "")
            ann = item.annotation
            ann_name = ann.value if isinstance(ann, ast.Subscript) else ann
            if target.startswith("__") or getattr(ann_name, "id", "") == "Mapped" or \
                    getattr(ann_name, "attr", "") == "Mapped" or _orm_call(item.value):
                return False
        elif isinstance(item, ast.Assign):
            if any(getattr(t, "id", "").startswith("__table") for t in item.targets) or \
                    _orm_call(item.value):
                return False
    return annotated


def _same_schema(ctx, change) -> bool:
    from guard.errors import GuardError
    shas = [change.old_sha, change.new_sha]
    if any(not s or set(s) == {"0"} for s in shas):
        return False
    try:
        blobs = ctx.git.read_blobs(shas)
    except GuardError:      # unreadable: judge the edit as a schema change
        return False
    old, new = _schema(blobs.get(change.old_sha)), _schema(blobs.get(change.new_sha))
    return old is not None and old == new
