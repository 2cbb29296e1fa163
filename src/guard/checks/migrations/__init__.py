"""migrations: applied history immutable, new migrations ordered and reversible, destructive
statements flagged, model changes matched by a migration, and (on request) the rollback
proven on a throwaway database.

Everything on the branch is read as text: SQL is parsed by guard's own parser for the
statement forms the rules read (sqlfast.py) and by sqlglot for everything else, Python
migrations by `ast`; nothing is imported or run, except by --verify-migrations, whose
purpose is to run them against a throwaway database.
"""

from __future__ import annotations

import gc
import posixpath

from guard.checks.migrations import detect, history
from guard.checks.migrations.model import Migration
from guard.finding import Finding

DEFAULT_MODEL_PATHS = ("src/models/", "src/entities/", "src/schemas/", "prisma/schema.prisma",
                       "src/db/schema.ts", "src/db/schema/", "drizzle/schema.ts",
                       "src/schema.ts", "*/models.py", "*/models/")
FRAMEWORK_DIALECT = {"sql": "postgres", "alembic": "postgres", "django": "postgres",
                     "prisma": "postgres", "drizzle": "postgres"}


class MigSet:
    """One migration folder: its migrations on the base and on the head."""

    def __init__(self, place, dialect: str):
        self.framework = place.framework
        self.folder = place.folder
        self.dialect = dialect
        self.base: list[Migration] = []
        self.head: list[Migration] = []
        self.new: set[str] = set()         # main paths of migrations added on the branch
        self.journal: list | None = None
        self.migrator: str | None = None   # plain SQL: the tool that runs the folder


def _dialect_name(word: str | None) -> str | None:
    from guard.checks.migrations_spec import _dialect_word
    return _dialect_word(word)


def _reuse(migs: list[Migration], tree: dict[str, str], memo: dict) -> list[Migration]:
    """The base's parsed migration in place of a head one with the same path and blob id:
    identical blobs are parsed once (most of a large project's history is unchanged)."""
    return [memo.get((m.path, tree.get(m.path)), m) for m in migs]


def _under(tree: dict[str, str], prefix: str) -> list[str]:
    """The paths of ``tree`` under ``prefix``, by bisection of its sorted paths (kept on the
    dict's side: one sort per tree, where a scan per folder cost 80 x 3,000 comparisons)."""
    import bisect
    memo = _SORTED.get(id(tree))
    if memo is None or memo[0] is not tree or len(memo[1]) != len(tree):
        memo = _SORTED[id(tree)] = (tree, sorted(tree))
    keys = memo[1]
    out = []
    for i in range(bisect.bisect_left(keys, prefix), len(keys)):
        if not keys[i].startswith(prefix):
            break
        out.append(keys[i])
    return out


_SORTED: dict[int, tuple[dict, list[str]]] = {}


def _index(place, tree: dict[str, str], blobs_of, dialect: str,
           memo: dict | None = None, recursive=(), shallow: bool = False,
           migrator: str | None = None) -> tuple[list[Migration], list]:
    # each framework's module is imported only for its own folders
    paths = _under(tree, place.folder + "/") if place.folder else list(tree)
    fw = place.framework
    journal = None
    memo = {} if memo is None else memo
    if fw == "sql":
        from guard.checks.migrations import sqlfiles
        migs = sqlfiles.index(place.folder, paths, migrator)
    elif fw == "prisma":
        from guard.checks.migrations import prisma
        migs = prisma.index(place.folder, paths)
    elif fw == "drizzle":
        from guard.checks.migrations import drizzle
        blobs = blobs_of([f"{place.folder}/{drizzle.JOURNAL}"])
        journal = drizzle.journal(blobs, place.folder)
        migs = drizzle.index(place.folder, paths, journal[0])
    elif fw == "alembic":
        from guard.checks.migrations import alembic
        migs = _reuse(alembic.index(place.folder, paths, place in recursive), tree, memo)
        if shallow:
            return migs, journal
        fresh = [m for m in migs if (m.path, tree.get(m.path)) not in memo]
        blobs = blobs_of([m.path for m in fresh])
        for m in fresh:
            alembic.load(m, blobs.get(m.path), dialect)
            memo[(m.path, tree.get(m.path))] = m
    else:
        from guard.checks.migrations import django
        migs = _reuse(django.index(place.folder, paths), tree, memo)
        if shallow:
            return migs, journal
        fresh = [m for m in migs if (m.path, tree.get(m.path)) not in memo]
        blobs = blobs_of([m.path for m in fresh])
        for m in fresh:
            django.load(m, blobs.get(m.path), dialect)
            memo[(m.path, tree.get(m.path))] = m
    return migs, journal


def _load_sql(mset: MigSet, migs: list[Migration], blobs_of) -> None:
    if mset.framework == "sql":
        from guard.checks.migrations.sqlfiles import load as loader
    elif mset.framework == "prisma":
        from guard.checks.migrations.prisma import load as loader
    elif mset.framework == "drizzle":
        from guard.checks.migrations.drizzle import load as loader
    else:
        return
    blobs = blobs_of([f for m in migs for f in m.files])
    for m in migs:
        loader(m, blobs)


def _reader(ctx, rev: str, tree: dict[str, str]):
    cache: dict[str, bytes] = {}

    def blobs_of(paths: list[str]) -> dict[str, bytes]:
        want = {p: tree[p] for p in paths if p in tree and p not in cache}
        if want:
            cache.update(ctx.git.blobs_at(want))
        return {p: cache[p] for p in paths if p in cache}
    return blobs_of


def listing(settings) -> tuple[list[str], tuple[str, ...]]:
    """(folders, name patterns) of the tree listings: the configured folder whole, else the
    files detection can use anywhere."""
    return ([settings.path], ()) if settings.path else ([], detect.CANDIDATES)


def run(ctx) -> list[Finding]:
    # Thousands of migrations make tens of thousands of small objects (statements, facts,
    # notes) and no reference cycles: the cyclic collector's passes over them found nothing
    # and cost a tenth of the check. Paused while it runs, restored after (reference
    # counting still frees everything), as the conventions check does.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _run(ctx)
    finally:
        _SORTED.clear()
        if collecting:
            gc.enable()


def _run(ctx) -> list[Finding]:
    from guard.checks.migrations_spec import Settings
    settings = ctx.settings("migrations") or Settings()
    git = ctx.git
    folders, names = listing(settings)
    if ctx.merge_base:          # the two listings run at once
        git.prefetch_tree_blobs(ctx.merge_base, folders, names)
    head_tree = git.tree_blobs(ctx.head, folders, names)
    base_tree = git.tree_blobs(ctx.merge_base, folders, names) if ctx.merge_base else {}
    places = detect.find(set(head_tree) | set(base_tree), path=settings.path,
                         framework=settings.framework, hinted=settings.hinted_framework)
    head_read, base_read = _reader(ctx, ctx.head, head_tree), _reader(ctx, ctx.merge_base,
                                                                      base_tree)
    groups, recursive = _alembic_places(ctx, settings, places, head_tree, base_tree,
                                        head_read, base_read)
    findings: list[Finding] = []
    sets: list[MigSet] = []
    # A branch that touches no migration folder (the usual case) has no new migration and
    # no edited one: every rule below reads only new or changed migrations, so the folders
    # are listed by file name and nothing is read or parsed (1,400 Django migrations cost
    # ~0.5 s of `compile`). Verification still reads everything.
    changed = [p for p in head_tree.keys() | base_tree.keys()
               if head_tree.get(p) != base_tree.get(p)]
    shallow = not (ctx.options.verify_migrations or settings.verify) and not any(
        p.startswith(pl.folder + "/") or not pl.folder for p in changed for pl in places)
    # the tool that runs the plain SQL folders decides how their file names read (pop: a
    # database per file) and which version rules hold
    migrator = settings.migrator
    sql_folders = [pl.folder for pl in places if pl.framework == "sql"]
    if not migrator and sql_folders and ctx.merge_base:
        # read from the base, as the policy is: a Makefile or .env the branch adds naming
        # dbmate must not switch off the version rules its own new migrations are held to
        import os
        from guard.checks.migrations import migrators
        read = base_read
        if settings.path:       # the listing holds only that folder: list the root files
            read = _reader(ctx, ctx.merge_base,
                           git.tree_blobs(ctx.merge_base, (), migrators.FILES))
        migrator = migrators.detect(read(list(migrators.FILES)), os.environ, sql_folders)
    for place in places:
        dialect = settings.dialect
        if not dialect and place.framework == "prisma":
            from guard.checks.migrations import prisma
            dialect = _dialect_name(prisma.dialect(head_read(
                [f"{place.folder}/migration_lock.toml"]), place.folder))
        if not dialect and place.framework == "sql":
            dialect = detect.folder_dialect(place.folder)
        dialect = dialect or settings.hinted_dialect
        mset = MigSet(place, dialect or FRAMEWORK_DIALECT[place.framework])
        if place.framework == "sql":
            mset.migrator = migrator
        memo: dict = {}     # (path, blob id) -> parsed Python migration, base then head
        mset.base, _ = _index(place, base_tree, base_read, mset.dialect, memo, recursive,
                              shallow, migrator)
        mset.head, journal = _index(place, head_tree, head_read, mset.dialect, memo, recursive,
                                    shallow, migrator)
        if place.framework == "drizzle" and journal is not None:
            if not settings.dialect and journal[1]:
                mset.dialect = _dialect_name(journal[1]) or mset.dialect
            findings += _journal_findings(mset, journal, base_read)
        base_paths = {m.path for m in mset.base}
        mset.new = {m.path for m in mset.head if m.path not in base_paths}
        sets.append(mset)

    findings += _linked(ctx, places, settings)
    from guard.checks.migrations import rules
    notes = []
    base_files = {f: m for s in sets for m in s.base for f in m.files}
    findings += list(history.immutable(ctx, base_files))
    django_sets = [s for s in sets if s.framework == "django"]
    django_apps = {m.app for s in django_sets for m in s.head + s.base}
    if django_sets:
        from guard.checks.migrations.django import app_of
        django_apps |= {app_of(s.folder) for s in django_sets}
    django_known = {k for s in django_sets for m in s.head for k in (m.key,) + m.replaces}
    alembic_sets = [s for s in sets if s.framework == "alembic"]
    alembic_known = {k for s in alembic_sets for m in s.head for k in (m.key,) + m.labels}
    for group in dict.fromkeys(groups.get(s.folder, s.folder) for s in alembic_sets):
        members = [s for s in alembic_sets if groups.get(s.folder, s.folder) == group]
        findings += list(history.alembic_graph(
            [m for s in members for m in s.base], [m for s in members for m in s.head],
            set().union(*(s.new for s in members)), alembic_known))
    for mset in sets:
        if mset.framework == "django":
            findings += list(history.django_graph(mset.base, mset.head, mset.new,
                                                  django_apps, django_known))
            from guard.checks.migrations.django import settle_alter_fields
            settle_alter_fields(mset.base, [m for m in mset.head if m.path in mset.new])
        elif mset.framework == "prisma":
            from guard.checks.migrations import prisma
            findings += [prisma.out_of_order(f)
                         for f in history.ordered(mset.base, mset.head, mset.new)]
        elif mset.framework != "alembic":       # Alembic: the graph above, never numbers
            findings += list(history.ordered(mset.base, mset.head, mset.new,
                                             migrator if mset.framework == "sql" else None))
        fresh = [m for m in mset.head if m.path in mset.new]
        _load_sql(mset, fresh, head_read)
        for m in fresh:
            found, note = rules.check_new(m, mset, settings)
            findings += found
            notes.append(note)
    findings += list(rules.model_changes(ctx, settings, DEFAULT_MODEL_PATHS,
                                         any(s.new for s in sets)))
    # the base's listing holds the default seed paths too (detect.CANDIDATES), so finding
    # out whether the project keeps seed data asks git nothing more
    findings += list(rules.seed_data(ctx, settings, notes, DEFAULT_MODEL_PATHS,
                                     base_tree if names else None))
    verify = bool(ctx.options.verify_migrations or settings.verify)
    verification = None
    if verify:
        from guard.checks.migrations import verify as verifier
        more, verification = verifier.run(ctx, settings, sets, base_read, head_read, notes)
        findings += more
    ctx.publish("migrations", {
        "sets": [{"framework": s.framework, "folder": s.folder, "dialect": s.dialect,
                  "base": len(s.base), "new": len(s.new)} for s in sets],
        "migrations": notes,
        "verification": verification,
        "searched": settings.path or "the repository layout",
        "migrator": migrator if any(s.framework == "sql" for s in sets) else None,
    })
    if not sets and not findings:
        ctx.set_status("migrations", "skipped",
                       f"no migrations found in {settings.path or 'the repository'}")
    return findings


def _linked(ctx, places, settings) -> list[Finding]:
    """MIG015: a symlink or submodule the branch puts in a migration folder, or under a
    migration's name anywhere. The tools read what it points to; the tree listings above
    hold regular files only, so without this it would be invisible."""
    from guard.git import MODE_SUBMODULE, MODE_SYMLINK
    from guard.checks.migrations import sqlfiles

    folders = [pl.folder + "/" for pl in places if pl.folder]
    if settings.path:
        folders.append(settings.path.rstrip("/") + "/")
    out = []
    for change in ctx.changes:
        if change.status == "D" or change.new_mode not in (MODE_SYMLINK, MODE_SUBMODULE):
            continue
        path = change.path
        parent, _, name = path.rpartition("/")
        named = (sqlfiles.is_sql_migration_name(name) if name.endswith(".sql") else
                 detect.DJANGO_NAME.match(name) is not None and parent.endswith("migrations"))
        inside = any((path + "/").startswith(f) for f in folders) or \
            any(f.startswith(path + "/") for f in folders)
        # a folder of migrations put in as a link (`db/migrations -> ../src/server/migs`);
        # a file's link (`docs/MIGRATING.md`) is no folder of migrations
        folder_named = "migrat" in name.lower() and "." not in name
        if not (named or inside or folder_named):
            continue
        what = "symlink" if change.new_mode == MODE_SYMLINK else "submodule"
        out.append(Finding("MIG015", "migrations", "error",
                           f"{path} is a {what} in migrations: the migration tool reads what "
                           "it points to, which guard does not check",
                           f"replace {path} with the migration itself, as a regular file",
                           path))
    return out


def _alembic_places(ctx, settings, places: list, head_tree: dict, base_tree: dict,
                    head_read, base_read) -> tuple[dict[str, str], set]:
    """Alembic's own configuration (alembic.ini, pyproject [tool.alembic]) as Alembic reads
    it: its version locations become migration folders (listed if the candidate listing
    missed them), grouped by configuration so that one graph spans its locations.
    Returns (folder -> configuration, places read recursively)."""
    if settings.framework not in (None, "alembic"):
        return {}, set()
    configs = [p for p in head_tree if p == "pyproject.toml" or p.endswith("alembic.ini")]
    if not configs:
        return {}, set()
    from guard.checks.migrations import alembic
    from guard.checks.migrations.detect import Place
    locs = alembic.locations(head_read(configs))
    groups: dict[str, str] = {}
    recursive: set = set()
    have = {pl.folder for pl in places}
    for loc in locs:
        for folder in loc.folders:
            if settings.path and not (folder + "/").startswith(settings.path + "/"):
                continue
            groups[folder] = loc.config
            place = Place("alembic", folder)
            if loc.recursive:
                recursive.add(place)
            if folder in have:
                continue
            for tree, rev in ((head_tree, ctx.head), (base_tree, ctx.merge_base)):
                if rev and not any(p.startswith(folder + "/") for p in tree):
                    tree.update(ctx.git.tree_blobs(rev, [folder]))
            if any(p.startswith(folder + "/") and p.endswith(".py") for p in head_tree):
                places.append(place)
                have.add(folder)
    # a folder Alembic reads is not also a Django or plain folder
    places[:] = [pl for pl in places if pl.framework == "alembic" or pl.folder not in groups]
    return groups, recursive


def _journal_findings(mset: MigSet, journal, base_read) -> list[Finding]:
    from guard.checks.migrations import drizzle
    entries, _dialect, problem = journal
    jpath = f"{mset.folder}/{drizzle.JOURNAL}"
    out = []
    if entries is None:
        out.append(Finding("MIG011", "migrations", "error", problem,
                           "regenerate it with drizzle-kit generate", jpath))
        return out
    tags = [e["tag"] for e in entries]
    files = {m.key for m in mset.head}
    for tag in tags:
        if tag not in files:
            out.append(Finding("MIG012", "migrations", "error",
                               f"{jpath} lists {tag}, but {mset.folder}/{tag}.sql does not exist",
                               "restore the SQL file, or regenerate with drizzle-kit generate",
                               jpath))
    for m in mset.head:
        if m.key not in tags:
            out.append(Finding("MIG012", "migrations", "error",
                               f"{m.path} is not listed in {jpath}: drizzle-kit migrate will "
                               "never apply it",
                               "generate migrations with drizzle-kit generate instead of adding "
                               "SQL files by hand", m.path))
    base_entries, _, _ = drizzle.journal(base_read([jpath]), mset.folder)
    if base_entries:
        for old, cur in zip(base_entries, entries):
            if old.get("tag") != cur.get("tag") or old.get("when") != cur.get("when"):
                out.append(Finding("MIG001", "migrations", "error",
                                   f"{jpath}: applied entry {old.get('tag')} was changed or "
                                   "reordered on the branch",
                                   "keep the base's journal entries as they are and append "
                                   "new ones", jpath))
                break
        if len(entries) < len(base_entries):
            out.append(Finding("MIG002", "migrations", "error",
                               f"{jpath} lost {len(base_entries) - len(entries)} applied "
                               "entries on the branch", "restore the journal entries", jpath))
    return out


def folder_of(path: str) -> str:
    return posixpath.dirname(path)
