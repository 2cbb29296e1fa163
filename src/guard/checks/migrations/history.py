"""History rules: applied migrations are immutable, new ones sort last, versions are
unique, sequential numbering has no gaps, revision graphs have one head and no dangling
parent."""

from __future__ import annotations

from collections import defaultdict
from typing import Iterator

from guard.checks.migrations.model import Migration
from guard.errors import GuardError
from guard.finding import Finding

SEQUENTIAL_MAX = 10 ** 6   # versions below this are sequence numbers, not timestamps


def _f(rule, severity, message, hint, path, line=None) -> Finding:
    return Finding(rule, "migrations", severity, message, hint, path, line)


def immutable(ctx, base_files: dict[str, Migration]) -> Iterator[Finding]:
    """MIG001/MIG002: a base migration file modified, deleted or renamed on the branch."""
    for change in ctx.changes:
        old = change.old_path if change.status == "R" else change.path
        mig = base_files.get(old)
        if mig is None or change.status in ("A", "C"):
            continue
        if mig.style == "flyway-repeatable" and change.status in ("M", "T"):
            continue            # Flyway re-runs an R__ migration whenever its checksum changes
        commit = _commit(ctx, old)
        if change.status in ("M", "T"):
            if old.endswith(".py") and _same_code(ctx, change):
                yield _f("MIG014", "info",
                         f"applied migration {old} was edited on the branch ({commit}), but "
                         "only in comments, docstrings, formatting or import order",
                         "nothing to do: the code the database runs is unchanged", old)
                continue
            yield _f("MIG001", "error",
                     f"applied migration {old} was modified on the branch ({commit}); "
                     "databases that already ran it will never see the edit",
                     f"restore {old} from the base and add a new migration instead", old)
        elif change.status == "D":
            yield _f("MIG002", "error",
                     f"applied migration {old} was deleted on the branch ({commit})",
                     f"restore {old}; add a new migration instead", old)
        elif change.status == "R":
            yield _f("MIG002", "error",
                     f"applied migration {old} was renamed to {change.path} on the branch "
                     f"({commit})",
                     f"move it back to {old}; add a new migration instead", old)


def _code(raw: bytes | None) -> str | None:
    """The module's executable shape: its ast with docstrings dropped and the leading
    imports sorted, so comments, docstrings, layout and import order do not count."""
    import ast

    from guard.checks.migrations.pyast import parse_or_none   # (ast: only for Python)
    tree = parse_or_none(raw)
    if tree is None:
        return None
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) \
                and body and isinstance(body[0], ast.Expr) and \
                isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
            node.body = body[1:] or [ast.Pass()]
    head = 0
    while head < len(tree.body) and isinstance(tree.body[head], (ast.Import, ast.ImportFrom)):
        head += 1
    imports = sorted(f"{getattr(n, 'module', '')}:{getattr(n, 'level', 0)}:{a.name}:{a.asname}"
                     for n in tree.body[:head] for a in n.names)
    return "\n".join(imports + [ast.dump(n) for n in tree.body[head:]])


def _same_code(ctx, change) -> bool:
    shas = [change.old_sha, change.new_sha]
    if any(not s or set(s) == {"0"} for s in shas):
        return False
    try:
        blobs = ctx.git.read_blobs(shas)
    except GuardError:   # unreadable blob: judge the edit as executable
        return False
    old, new = _code(blobs.get(change.old_sha)), _code(blobs.get(change.new_sha))
    return old is not None and old == new


def _commit(ctx, path: str) -> str:
    if ctx.mode == "staged" or not ctx.range_spec:
        return "staged, not committed yet"
    sha = ctx.git.last_commit_touching(ctx.range_spec, path)
    if not sha:
        return "changed in the range"
    header = next((c.header for c in ctx.commits() if c.sha == sha), "")
    return f"commit {sha[:8]}" + (f" \"{header}\"" if header else "")


def ordered(base: list[Migration], head: list[Migration], new: set[str],
            migrator: str | None = None) -> Iterator[Finding]:
    """MIG003/MIG004/MIG005 for version-ordered tools (SQL, Prisma, Drizzle). A known SQL
    ``migrator`` decides whether versions must be unique and whether an older newcomer is
    refused (migrators.RULES); without one, the file names do."""
    tool = None
    if migrator:
        from guard.checks.migrations.migrators import RULES
        tool = RULES[migrator]
    versioned = [m for m in head if m.version is not None]
    base_versions = [m.version for m in base if m.version is not None]
    top = max(base_versions) if base_versions else None
    top_label = next((m.label for m in base if m.version == top), "")
    by_version: dict[tuple, list[Migration]] = defaultdict(list)
    for m in versioned:
        # pop: one version has a file per database (`.mysql.`, `.postgres.`) by design; only
        # two files for one database clash (pop runs one of them and never the other)
        by_version[(m.version, m.variant)].append(m)
    for _key, group in sorted(by_version.items()):
        # a runner that applies files in name order tells them apart by the whole name, so
        # `0000_a_up.sql` and `0000_b_up.sql` sharing a number is by design
        clash = [m for m in group if m.style != "name-order"] if tool is None else \
            (group if tool.unique else [])
        if len(clash) > 1 and any(m.path in new for m in clash):
            group = clash
            names = ", ".join(m.path for m in group)
            for m in group:
                if m.path in new:
                    yield _f("MIG004", "error",
                             f"version {m.label} is used by more than one migration: {names}",
                             "give the new migration the next free version number", m.path)
    fresh = sorted((m for m in versioned if m.path in new), key=lambda m: m.version)
    for m in fresh:
        if tool is not None and tool.older is None:
            break
        if top is not None and m.version < top:
            why = (f"{migrator}: {tool.why_older}" if tool else
                   "the tool will skip it or refuse to run")
            yield _f("MIG003", "error",
                     f"new migration {m.path} (version {m.label}) sorts before {top_label}, "
                     f"the newest migration on the base; {why}",
                     f"renumber it after {top_label}", m.path)
    # gaps: only where numbering is a sequence (golang-migrate -seq, dbmate/Flyway 1, 2, 3)
    styles = {m.style for m in versioned}
    if fresh and styles <= {"golang-migrate", "dbmate", "flyway", "goose"} and all(
            len(m.version) == 1 and m.version[0] < SEQUENTIAL_MAX for m in versioned):
        expected = (top[0] + 1) if top is not None else min(m.version[0] for m in fresh)
        for m in fresh:
            if top is not None and m.version[0] <= top[0]:
                continue
            if m.version[0] > expected:
                yield _f("MIG005", "warning",
                         f"new migration {m.path} is number {m.version[0]}, but the next number "
                         f"is {expected}: the sequence has a gap",
                         f"number it {expected:0{len(m.label)}d}, or find the missing migration",
                         m.path)
            expected = max(expected, m.version[0] + 1)


def _django_leaves(migs: list[Migration]) -> dict[str, list[Migration]]:
    """Leaf nodes per app as Django's loader finds them: a squash stands for the migrations
    it replaces (dependencies on them point at it), run_before adds an edge, and a leaf is
    a node no other node of its own app depends on."""
    alias = {r: m.key for m in migs for r in m.replaces}
    nodes = {m.key: m for m in migs if m.key not in alias}
    has_child: set[str] = set()
    for m in nodes.values():
        for parent in m.parents:
            target = alias.get(parent, parent)
            if target != m.key and target.split(".", 1)[0] == m.app:
                has_child.add(target)
        for later in m.run_before:
            if later.split(".", 1)[0] == m.app:
                has_child.add(m.key)
    leaves: dict[str, list[Migration]] = defaultdict(list)
    for key, m in sorted(nodes.items()):
        if key not in has_child:
            leaves[m.app].append(m)
    return leaves


def django_graph(base: list[Migration], head: list[Migration], new: set[str],
                 repo_apps: set[str], known: set[str]) -> Iterator[Finding]:
    """MIG007/MIG006 for Django, judged by the dependency graph and never by the number:
    a parent is missing only when its app has a migrations folder in this repository and
    neither holds nor replaces it; an app has a conflict when it has more than one leaf
    after this change ("Conflicting migrations detected"), where the base had one."""
    if not new:
        return
    keys = known | {m.key for m in head} | {r for m in head for r in m.replaces}
    for m in head:
        if m.path not in new:
            continue
        for parent in m.parents:
            if parent in keys or parent.split(".", 1)[0] not in repo_apps:
                continue        # another app or package that this repository does not hold
            yield _f("MIG007", "error",
                     f"{m.path} depends on {parent}, which does not exist in this repository",
                     "point it at the app's current leaf (the newest existing migration)",
                     m.path)
    before = _django_leaves(base)
    for app, leaves in _django_leaves(head).items():
        if len(leaves) < 2 or len(before.get(app, ())) > 1:
            continue
        if not any(m.path in new for m in head if m.app == app):
            continue
        listed = ", ".join(f"{m.key} ({m.path})" for m in leaves)
        fresh = [m for m in leaves if m.path in new] or leaves
        for m in fresh:
            yield _f("MIG006", "error",
                     f"app {app} has {len(leaves)} leaf migrations after this change: {listed}; "
                     "Django reports \"Conflicting migrations detected\"",
                     "make the new migration depend on the app's current leaf, or add a merge "
                     "migration (manage.py makemigrations --merge)", m.path)


def alembic_heads(migs: list[Migration]) -> dict[str, frozenset[str]]:
    """Heads as `alembic heads` lists them, each with its branch labels: a head is a
    revision no other revision names in down_revision (depends_on does not count), and a
    revision carries the labels of itself and of every ancestor along down_revision."""
    by_key = {m.key: m for m in migs}
    named = {p for m in migs for p in m.parents}
    memo: dict[str, frozenset[str]] = {}

    def labels(key: str) -> frozenset[str]:
        stack, order = [key], []
        while stack:                       # iterative: histories run to thousands
            k = stack.pop()
            if k in memo or k not in by_key or k in order:
                continue
            order.append(k)
            stack.extend(p for p in by_key[k].parents if p not in memo)
        for k in reversed(order):
            m = by_key[k]
            got = set(m.labels)
            for p in m.parents:
                got |= memo.get(p, frozenset())
            memo[k] = frozenset(got)
        return memo.get(key, frozenset())

    return {k: labels(k) for k in sorted(by_key) if k not in named}


def _head_groups(heads: dict[str, frozenset[str]]) -> dict[str | None, list[str]]:
    """Heads per branch label (None: heads with no label): `alembic upgrade LABEL@head`
    needs one head per label, `alembic upgrade head` one unlabelled head."""
    groups: dict[str | None, list[str]] = defaultdict(list)
    for key, labels in heads.items():
        for label in labels or (None,):
            groups[label].append(key)
    return groups


def alembic_graph(base: list[Migration], head: list[Migration], new: set[str],
                  known: set[str]) -> Iterator[Finding]:
    """MIG004/MIG006/MIG007 for Alembic, judged as Alembic reads the revision graph and
    never by a file name or number: a parent is missing only when no version location of
    the repository holds it (``known``: revision ids and branch labels); a branch label (or
    the unlabelled line) has a conflict when it has more heads than on the base."""
    by_key: dict[str, list[Migration]] = defaultdict(list)
    for m in head:
        by_key[m.key].append(m)
    for key, group in by_key.items():
        if len(group) > 1 and any(m.path in new for m in group):
            for m in group:
                if m.path in new:
                    yield _f("MIG004", "error",
                             f"revision id {key} is used by "
                             f"{', '.join(g.path for g in group)}; Alembic keeps one of them "
                             "(\"Revision ... is present more than once\")",
                             "generate a fresh revision id for the new migration", m.path)
    for m in head:
        if m.path not in new:
            continue
        for parent in m.parents + m.depends:
            if parent in known or (parent in m.depends and
                                   any(k.startswith(parent) for k in known)):
                continue
            what = "down_revision" if parent in m.parents else "depends_on"
            yield _f("MIG007", "error",
                     f"{m.path} names {what} {parent}, which no version location of this "
                     "repository holds",
                     "point it at the current head (`alembic heads`)", m.path)
    if not any(m.path in new for m in head):
        return
    paths = {m.key: m.path for m in head}
    before = _head_groups(alembic_heads(base))
    for label, heads in sorted(_head_groups(alembic_heads(head)).items(),
                               key=lambda kv: kv[0] or ""):
        if len(heads) < 2 or len(heads) <= len(before.get(label, ())):
            continue
        listed = ", ".join(f"{h} ({paths[h]})" for h in heads)
        where = f"branch {label}" if label else "the revision graph"
        for h in heads:
            if paths[h] in new:
                yield _f("MIG006", "error",
                         f"{where} has {len(heads)} heads after this change: {listed}; "
                         "`alembic upgrade head` stops with \"Multiple head revisions\"",
                         "set the new revision's down_revision to the current head, or add "
                         "a merge revision (alembic merge heads)", paths[h])
