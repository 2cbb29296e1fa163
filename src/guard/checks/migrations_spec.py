"""migrations: rule documentation and the `guard.migrations` settings (standard library only)."""

import re
from typing import Any, NamedTuple

from guard.errors import GuardError
from guard.rule import Rule
from guard.schema import check_keys, expect, expect_choice, str_list
from guard.yamlfile import line_of

FRAMEWORKS = ("sql", "alembic", "django", "prisma", "drizzle")
DIALECTS = ("postgres", "sqlite", "mysql")
# the tool that runs a plain SQL folder (checks/migrations/migrators.py: its version rules)
MIGRATORS = ("golang-migrate", "goose", "dbmate", "flyway", "sql-migrate", "pop",
             "name-order")
KEYS = ("path", "framework", "migrator", "dialect", "verify", "database_url",
        "allow_inline_ignores", "irreversible", "model_paths", "commands", "seed_paths")
COMMAND_KEYS = ("up", "down", "env")

_R = Rule
RULES: tuple[Rule, ...] = (
    _R("MIG001", "applied-migration-edited", "migrations", "error",
       "A migration that exists on the base was modified on the branch.",
       "Databases that already ran the migration will never run it again: the edit silently "
       "diverges their schema from fresh installs.",
       "db/migrations/0003_orders.up.sql gains a column on the branch",
       "restore the applied file and add a new migration (0007_orders_status.up.sql) instead"),
    _R("MIG002", "applied-migration-removed", "migrations", "error",
       "A migration that exists on the base was deleted or renamed on the branch.",
       "Migration tools key applied history by file name or revision id; a missing or renamed "
       "entry breaks `migrate` on every database that ran it.",
       "git mv migrations/0002_users.sql migrations/0002_accounts.sql",
       "restore the file under its old name; add a new migration for the change"),
    _R("MIG003", "out-of-order-migration", "migrations", "error",
       "A new migration sorts before a migration that is already on the base.",
       "Tools apply migrations in version order and skip versions older than the newest "
       "applied one (or refuse to run): an older-numbered newcomer is never applied. For "
       "plain SQL the migrator decides (guard.migrations.migrator, or detected from go.mod, "
       "package.json, flyway.conf): golang-migrate, goose (unless -allow-missing) and Flyway "
       "(unless outOfOrder) refuse it; dbmate and sql-migrate apply pending older migrations, "
       "so no finding; pop applies every version its schema_migration table lacks, so no "
       "finding either. Prisma: `prisma migrate deploy` applies every folder "
       "_prisma_migrations lacks in name order (the timestamp prefix), so an older-stamped "
       "folder is applied, only in another order than on a fresh database: an info. Never "
       "raised for Alembic or Django, which order by the graph.",
       "base has 0005_*, the branch adds 0004_add_index.up.sql",
       "renumber the new migration after the newest one on the base (0006_add_index)"),
    _R("MIG004", "duplicate-migration-version", "migrations", "error",
       "Two migrations share one version number (or one revision id).",
       "Only one of them will run; which one depends on the tool and the file system. For "
       "plain SQL the migrator decides: golang-migrate, goose, Flyway and dbmate require "
       "unique versions; sql-migrate and name-order runners tell files apart by the whole "
       "name. pop keeps a file per database under one version (`.mysql.`, `.postgres.`, "
       "`.sqlite3.`, none = every other database): only two files for one database clash. "
       "Alembic: a revision id used twice (Alembic keeps one).",
       "0004_users.up.sql and 0004_orders.up.sql",
       "give the new migration the next free version"),
    _R("MIG005", "migration-version-gap", "migrations", "warning",
       "Sequentially numbered migrations skip a number.",
       "With sequential numbering a gap usually means a migration was lost in a merge, or "
       "another branch holds the missing number and will land out of order.",
       "base ends at 0004, the branch adds 0006_x.up.sql",
       "number the new migration 0005, or find the missing one"),
    _R("MIG006", "multiple-migration-heads", "migrations", "error",
       "After the change the migration graph (Alembic revisions, a Django app's migrations) "
       "has more heads than on the base. Alembic: heads as `alembic heads` lists them "
       "(depends_on does not end a head), counted per branch label, so a deliberate new "
       "labelled branch is not a conflict.",
       "Two branches that both add a child of the same head merge cleanly in git but break "
       "`alembic upgrade head` / `manage.py migrate` with 'multiple heads'.",
       "two revisions both with down_revision = 'a1b2c3'",
       "rebase the new migration onto the current head (set its parent), or add a merge "
       "migration (`alembic merge heads`, `manage.py makemigrations --merge`)"),
    _R("MIG007", "missing-migration-parent", "migrations", "error",
       "A migration names a parent (down_revision, depends_on, dependency) that does not "
       "exist. Alembic: one no version location of the repository holds (script_location "
       "and version_locations of alembic.ini or pyproject [tool.alembic]).",
       "The tool cannot build the graph: every command fails until the parent exists.",
       "down_revision = 'ffff0000' (no such revision)",
       "point the migration at an existing revision (normally the current head)"),
    _R("MIG008", "migration-without-rollback", "migrations", "error",
       "A new migration has no down step, where its tool has down steps (golang-migrate, "
       "goose, dbmate, sql-migrate, pop, Flyway in a folder that keeps U undo files, Alembic, "
       "Django; docs/configuration.md has the table per migrator).",
       "Without a down step a bad deploy cannot be rolled back; the role contract asks every migration "
       "for a rollback strategy.",
       "0007_orders.up.sql without 0007_orders.down.sql; a dbmate file without "
       "`-- migrate:down`; RunPython without reverse_code",
       "write the down step, or mark the migration irreversible with a reason in the trusted "
       "policy (guard.migrations.irreversible)"),
    _R("MIG009", "empty-rollback", "migrations", "error",
       "A new migration's down step is empty (`downgrade()` that only passes, an empty "
       ".down.sql or `-- migrate:down` section).",
       "An empty down step looks like a rollback but does nothing: the schema stays changed.",
       "def downgrade():\n    pass",
       "undo the upgrade's operations in reverse order"),
    _R("MIG010", "forward-only-without-rollback-notes", "migrations", "warning",
       "A new migration of a forward-only tool (Prisma, Drizzle; Flyway Community in a folder "
       "with no U undo file; a configured name-order runner's plain files) carries no "
       "rollback notes.",
       "Prisma and Drizzle have no down migrations, Flyway's undo migrations are a paid "
       "edition's; the hand-off report must still say how to roll back.",
       "prisma/migrations/20240101_add_status/migration.sql alone",
       "add a down.sql next to it, or a `-- rollback:` comment saying how to undo it"),
    _R("MIG011", "malformed-migration", "migrations", "error",
       "A migration cannot be parsed (SQL syntax error, Python syntax error, unreadable "
       "journal).",
       "A migration that does not parse will fail at deploy time, and guard cannot check "
       "what it does.",
       "CREATE TABLE orders (id int,",
       "fix the syntax at the line shown; run the migration locally"),
    _R("MIG012", "drizzle-journal-mismatch", "migrations", "error",
       "Drizzle's meta/_journal.json and the SQL files disagree.",
       "drizzle-kit migrate applies what the journal lists: a file missing from the journal "
       "never runs, a journal entry without a file fails.",
       "drizzle/0003_x.sql exists but meta/_journal.json has no tag 0003_x",
       "regenerate with drizzle-kit generate instead of adding files by hand"),
    _R("MIG013", "invalid-inline-ignore", "migrations", "warning",
       "An inline `guard:ignore` in a migration is malformed or not allowed.",
       "An inline ignore must name the rule and give a reason, and is honoured only when the "
       "trusted policy sets guard.migrations.allow_inline_ignores: true.",
       "-- guard:ignore drop it anyway",
       "-- guard:ignore MIG101 reason: table replaced by orders_v2 in 0005"),
    _R("MIG014", "applied-migration-edited-without-effect", "migrations", "info",
       "A Python migration on the base was edited on the branch, but its code is unchanged: "
       "only comments, docstrings, formatting or import order differ.",
       "Databases that ran it see nothing new, and neither will fresh installs: the edit is "
       "harmless, yet a reviewer should know applied history was touched.",
       "a typo fixed in a comment of versions/1f2e_add_orders.py",
       "nothing to do; keep such edits out of applied migrations where you can"),
    _R("MIG015", "migration-through-link", "migrations", "error",
       "A migration folder (or a file named like a migration) gained a symlink or a "
       "submodule on the branch.",
       "Migration tools read the file a link points to, or the submodule's checkout; guard "
       "reads only what the tree holds (a link's target text), so the migration they run "
       "would never be checked: a link to `DROP TABLE` elsewhere in the tree passes unseen.",
       "db/migrations/20240401_d.sql -> ../../src/server/sql/d.sql",
       "commit the migration as a regular file in the migrations folder"),
    _R("MIG020", "model-changed-without-migration", "migrations", "warning",
       "Model files changed on the branch but no migration was added.",
       "A model change that needs a schema change ships without it: the code and the "
       "database disagree after deploy.",
       "src/models/order.py gains a field; migrations/ unchanged",
       "generate the migration (alembic revision --autogenerate, makemigrations, prisma "
       "migrate dev, drizzle-kit generate) or explain why none is needed"),
    _R("MIG021", "table-without-seed-data", "migrations", "warning",
       "The branch adds a table (a new migration's CREATE TABLE, create_table, CreateModel) "
       "or a model file, and touches no seed data (seeds/, prisma/seed.*, Django fixtures/, "
       "or guard.migrations.seed_paths).",
       "The role contract asks for seed data alongside the implementation: a new table "
       "without it leaves local and test environments empty, and the next engineer writes "
       "the rows by hand.",
       "db/migrations/0007_invoices.up.sql creates invoices; seeds/ unchanged",
       "add rows for the new table to its seed data (seeds/, prisma/seed.ts, a Django "
       "fixture), or set guard.migrations.seed_paths: [] if the project has none"),
    _R("MIG030", "rollback-not-clean", "migrations", "error",
       "In the throwaway database, down after up did not give back the base schema.",
       "A rollback that leaves tables, columns or indexes behind fails the next deploy.",
       "down.sql drops the table but not the index it created on another table",
       "make the down step undo every object the up step creates or changes"),
    _R("MIG031", "migration-failed-to-apply", "migrations", "error",
       "A migration failed when guard applied it to a throwaway database.",
       "It will fail the same way in production.",
       "ALTER TABLE orderz ... (no such table)",
       "fix the statement shown; run the migration locally"),
    _R("MIG032", "reapply-not-identical", "migrations", "error",
       "Applying the new migrations again after rolling back gave a different schema.",
       "Up, down, up must be repeatable; a difference means the down step leaves state "
       "behind that the next up reacts to.",
       "CREATE TABLE IF NOT EXISTS skipped on the second run because down left it",
       "make the down step undo everything the up step did"),
    _R("MIG033", "verification-not-possible", "migrations", "error",
       "Round-trip verification was asked for but could not run.",
       "Verification that did not run must not look like a pass.",
       "database_url names $DATABASE_URL, which is not set",
       "set the variable, or fix guard.migrations.database_url / commands"),
    _R("MIG034", "rollback-not-verified", "migrations", "warning",
       "--verify-migrations could not prove one new migration's rollback: it has no down "
       "step, an earlier migration failed to apply, or the layout cannot be stepped.",
       "Each migration's rollback is proven on its own (up, down, up on a database at the "
       "migration before it); one that could not be is named, so a partial verification "
       "never reads as a pass.",
       "0003_a.up.sql without a down file: 0003_a is not verified, 0004_b still is",
       "write the down step, or fix the migration that failed before it, and verify again"),
    _R("MIG101", "drop-table", "migrations", "warning",
       "DROP TABLE (or Alembic drop_table, Django DeleteModel).",
       "Data loss, and a lock on the table; code still deployed may read it.",
       "DROP TABLE orders;",
       "take the DROP out of this migration (and the re-create out of its down step): stop "
       "using the table in code in this release, drop it in a later one after a backup"),
    _R("MIG102", "drop-column", "migrations", "warning",
       "ALTER TABLE ... DROP COLUMN (or drop_column, RemoveField).",
       "Data loss; running code that still selects the column breaks.",
       "ALTER TABLE users DROP COLUMN phone;",
       "stop using the column in one release, drop it in the next, after a backup"),
    _R("MIG103", "drop-schema", "migrations", "warning",
       "DROP SCHEMA / DROP DATABASE.", "Drops every object in it.",
       "DROP SCHEMA billing CASCADE;",
       "take the DROP out of this migration: stop using the schema's objects in code, drop "
       "them in a later release after a backup"),
    _R("MIG104", "truncate", "migrations", "warning",
       "TRUNCATE in a migration.", "Deletes every row with no way back.",
       "TRUNCATE sessions;", "delete the rows in a data task with a backup, or explain why"),
    _R("MIG105", "delete-without-where", "migrations", "warning",
       "DELETE without WHERE.", "Deletes every row of the table.",
       "DELETE FROM carts;", "add a WHERE clause, or explain why every row must go"),
    _R("MIG106", "update-without-where", "migrations", "warning",
       "UPDATE without WHERE.", "Rewrites every row: data loss and a long lock.",
       "UPDATE users SET status = 'active';",
       "add a WHERE clause; backfill large tables in batches"),
    _R("MIG107", "rename-table", "migrations", "warning",
       "A table is renamed.", "Code still deployed uses the old name and breaks.",
       "ALTER TABLE users RENAME TO accounts;",
       "add the new table or a view, move the code, drop the old name later"),
    _R("MIG108", "rename-column", "migrations", "warning",
       "A column is renamed.", "Code still deployed uses the old name and breaks.",
       "ALTER TABLE users RENAME COLUMN name TO full_name;",
       "add the new column, backfill it in batches (UPDATE ... WHERE on a key range), switch "
       "the code, drop the old one in a later release"),
    _R("MIG109", "column-type-change", "migrations", "warning",
       "A column's type changes.",
       "Usually rewrites the table under an exclusive lock, and may lose data.",
       "ALTER TABLE orders ALTER COLUMN total TYPE numeric(10,2);",
       "add a new column, backfill it in batches (UPDATE ... WHERE on a key range), switch "
       "the code over, drop the old column in a later release"),
    _R("MIG110", "not-null-without-default", "migrations", "warning",
       "NOT NULL is added to an existing table's column without a default.",
       "Fails on existing rows holding NULL, or (ADD COLUMN) on any existing row.",
       "ALTER TABLE users ADD COLUMN tier text NOT NULL;",
       "add the column with a DEFAULT, or backfill first in batches (UPDATE ... WHERE) and add "
       "a CHECK ... NOT VALID"),
    _R("MIG111", "unique-on-existing-table", "migrations", "warning",
       "A unique constraint or unique index is added to an existing table.",
       "Fails if duplicates exist, and builds the index under a lock.",
       "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);",
       "check for duplicates first; on PostgreSQL build the index CONCURRENTLY and attach it "
       "with ADD CONSTRAINT ... USING INDEX"),
    _R("MIG112", "index-without-concurrently", "migrations", "warning",
       "CREATE INDEX on an existing PostgreSQL table without CONCURRENTLY.",
       "A plain CREATE INDEX blocks writes to the table until the index is built.",
       "CREATE INDEX orders_user_idx ON orders (user_id);",
       "CREATE INDEX CONCURRENTLY (outside a transaction)"),
    _R("MIG113", "foreign-key-without-index", "migrations", "warning",
       "A new foreign key has no index on its columns. Not raised for MySQL, whose InnoDB "
       "creates the index a foreign key needs when none exists.",
       "Deletes and updates of the parent scan the child table; joins are slow.",
       "ALTER TABLE orders ADD COLUMN user_id int REFERENCES users(id);",
       "index the foreign key's column(s) in the same migration: CREATE INDEX (CONCURRENTLY "
       "on an existing PostgreSQL table, as MIG112 asks), "
       "op.create_index(...) or Column(..., index=True)"),
)

# compiled by re on first use (and cached there): a config that names no URL never pays
_ENV = r"^(?:env:|\$\{?)([A-Za-z_][A-Za-z0-9_]*)\}?$"


# NamedTuples rather than frozen dataclasses: as immutable, and cheaper to define (every run
# imports this module to read the configuration)
class Irreversible(NamedTuple):
    migration: str
    reason: str
    where: str


class Settings(NamedTuple):
    path: str | None = None
    framework: str | None = None
    migrator: str | None = None          # the tool that runs a plain SQL folder
    dialect: str | None = None
    verify: bool = False
    database_url: str | None = None      # literal URL
    database_env: str | None = None      # or the environment variable that holds it
    allow_inline_ignores: bool = False
    irreversible: tuple[Irreversible, ...] = ()
    model_paths: tuple[str, ...] | None = None
    seed_paths: tuple[str, ...] | None = None
    up_command: tuple[str, ...] | None = None
    down_command: tuple[str, ...] | None = None
    url_env: str = "DATABASE_URL"
    hinted_framework: str | None = None   # from tech_stack.orm
    hinted_dialect: str | None = None     # from tech_stack.database
    file: str = "company.config.yaml"
    database_url_line: int | None = None  # where guard.migrations.database_url is set


def _dialect_word(word: Any) -> str | None:
    if not isinstance(word, str):
        return None
    w = word.lower()
    if "postgres" in w or w in ("pg", "psql", "supabase", "neon"):
        return "postgres"
    if "sqlite" in w or w in ("libsql", "turso", "d1"):
        return "sqlite"
    if "mysql" in w or "maria" in w or w == "planetscale":
        return "mysql"
    return None


def _framework_word(word: Any) -> str | None:
    if not isinstance(word, str):
        return None
    w = word.lower()
    for key, fw in (("prisma", "prisma"), ("drizzle", "drizzle"), ("alembic", "alembic"),
                    ("sqlalchemy", "alembic"), ("django", "django"), ("dbmate", "sql"),
                    ("flyway", "sql"), ("golang-migrate", "sql"), ("sql", "sql")):
        if key in w:
            return fw
    return None


PLACEHOLDERS = ("{target}", "{base}", "{app}")
_PLACEHOLDER = r"\{[^{}]*\}"


def _command(value, *, file, line, what) -> tuple[str, ...]:
    if isinstance(value, str):
        import shlex
        try:
            words = tuple(shlex.split(value))
        except ValueError as exc:
            raise GuardError(f"{what} cannot be split into words: {exc}", path=file, line=line,
                             hint="close the quote, or write the command as a list") from None
    else:
        words = tuple(c for c, _ in str_list(value, file=file, line=line, what=what))
    for word in words:
        for ph in re.findall(_PLACEHOLDER, word):
            if ph not in PLACEHOLDERS:
                raise GuardError(f"{what} uses the placeholder {ph}, which guard does not "
                                 "fill", path=file, line=line,
                                 hint="use {target} (the migration to go to), {base} (the one "
                                      "before it) or {app} (the Django app)")
    return words


def parse_config(value: Any, *, file: str, line: int | None, data: Any) -> Settings:
    tech = data.get("tech_stack") if isinstance(data, dict) else None
    tech = tech if isinstance(tech, dict) else {}
    hinted_fw = _framework_word(tech.get("orm")) or _framework_word(tech.get("migrations"))
    hinted_dialect = _dialect_word(tech.get("database"))
    kw: dict[str, Any] = {"hinted_framework": hinted_fw, "hinted_dialect": hinted_dialect,
                          "file": file}
    if value is None:
        return Settings(**kw)
    if isinstance(value, bool):
        return Settings(verify=value, **kw)
    expect(value, dict, file=file, line=line, what="guard.migrations")
    check_keys(value, KEYS, file=file, where="guard.migrations")

    def ln(key):
        return line_of(value, key, line)

    if "path" in value:
        path = expect(value["path"], str, file=file, line=ln("path"), what="guard.migrations.path")
        path = path.strip().rstrip("/")
        if not path or path.startswith("/") or ".." in path.split("/"):
            raise GuardError(f"guard.migrations.path {value['path']!r} is not a folder inside "
                             "the repository", path=file, line=ln("path"),
                             hint="give a repository-relative folder, e.g. db/migrations")
        kw["path"] = path
    if "framework" in value:
        kw["framework"] = expect_choice(value["framework"], FRAMEWORKS, file=file,
                                        line=ln("framework"), what="guard.migrations.framework")
    if "migrator" in value:
        kw["migrator"] = expect_choice(value["migrator"], MIGRATORS, file=file,
                                       line=ln("migrator"), what="guard.migrations.migrator")
    if "dialect" in value:
        d = expect(value["dialect"], str, file=file, line=ln("dialect"),
                   what="guard.migrations.dialect")
        kw["dialect"] = expect_choice(_dialect_word(d) or d, DIALECTS, file=file,
                                      line=ln("dialect"), what="guard.migrations.dialect")
    for key in ("verify", "allow_inline_ignores"):
        if key in value:
            kw[key] = expect(value[key], bool, file=file, line=ln(key),
                             what=f"guard.migrations.{key}")
    if "database_url" in value:
        url = expect(value["database_url"], str, file=file, line=ln("database_url"),
                     what="guard.migrations.database_url").strip()
        kw["database_url_line"] = ln("database_url")
        m = re.match(_ENV, url)
        if m:
            kw["database_env"] = m.group(1)
        elif url.startswith(("postgres://", "postgresql://")):
            kw["database_url"] = url
        else:
            raise GuardError("guard.migrations.database_url must be a postgresql:// URL or "
                             f"name an environment variable (env:VAR or ${{VAR}}), got {url!r}",
                             path=file, line=ln("database_url"),
                             hint="e.g. database_url: ${GUARD_TEST_DATABASE_URL} — keep "
                                  "passwords out of the file")
    if "irreversible" in value:
        items = expect(value["irreversible"], list, file=file, line=ln("irreversible"),
                       what="guard.migrations.irreversible")
        out = []
        for i, entry in enumerate(items):
            eline = line_of(items, i, ln("irreversible"))
            expect(entry, dict, file=file, line=eline,
                   what="each entry of guard.migrations.irreversible")
            check_keys(entry, ("migration", "reason"), file=file,
                       where="an entry of guard.migrations.irreversible")
            mig = entry.get("migration")
            reason = entry.get("reason")
            if not isinstance(mig, str) or not mig.strip():
                raise GuardError("an entry of guard.migrations.irreversible has no migration",
                                 path=file, line=eline,
                                 hint="migration: the file or version, e.g. 0007_drop_legacy")
            if not isinstance(reason, str) or not reason.strip():
                raise GuardError("an entry of guard.migrations.irreversible has no reason",
                                 path=file, line=eline,
                                 hint="reason: \"why it cannot be rolled back and what the "
                                      "backup plan is\"")
            out.append(Irreversible(mig.strip(), reason.strip(), f"{file}:{eline}"))
        kw["irreversible"] = tuple(out)
    if "model_paths" in value:
        kw["model_paths"] = tuple(p for p, _ in str_list(value["model_paths"], file=file,
                                                         line=ln("model_paths"),
                                                         what="guard.migrations.model_paths"))
    if "seed_paths" in value:
        seeds = []
        for p, pline in str_list(value["seed_paths"], file=file, line=ln("seed_paths"),
                                 what="guard.migrations.seed_paths"):
            p = p.strip()
            if not p or p.startswith("/") or ".." in p.split("/"):
                raise GuardError(f"guard.migrations.seed_paths: {p!r} is not a path inside "
                                 "the repository", path=file, line=pline or ln("seed_paths"),
                                 hint="give repository-relative folders or globs, e.g. "
                                      "seeds/ or prisma/seed.*")
            if p.startswith("./"):
                # paths are matched as git gives them, without ./: it would never match
                raise GuardError(f"guard.migrations.seed_paths: {p!r} starts with ./, so it "
                                 "matches no file", path=file, line=pline or ln("seed_paths"),
                                 hint=f"write it without the leading ./ ({p[2:]})")
            seeds.append(p)
        kw["seed_paths"] = tuple(seeds)
    if "commands" in value:
        cmds = expect(value["commands"], dict, file=file, line=ln("commands"),
                      what="guard.migrations.commands")
        check_keys(cmds, COMMAND_KEYS, file=file, where="guard.migrations.commands")
        for key in ("up", "down"):
            if key in cmds:
                kw[f"{key}_command"] = _command(cmds[key], file=file, line=line_of(cmds, key),
                                                what=f"guard.migrations.commands.{key}")
        if "env" in cmds:
            kw["url_env"] = expect(cmds["env"], str, file=file, line=line_of(cmds, "env"),
                                   what="guard.migrations.commands.env")
    return Settings(**kw)
