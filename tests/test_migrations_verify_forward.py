"""--verify-migrations on the forward-only tools (Prisma, Drizzle), which guard applies
itself: a migration with a down.sql next to it is proven step by step like any other; one
without (Prisma's design: migrations only go forward) is a visible MIG034 warning naming
what is missing, and does not hide a later migration's broken down.sql. Real SQLite and
(when GUARD_TEST_POSTGRES_URL names a server) PostgreSQL databases."""

from test_migrations_frameworks import DRIZZLE_BASE, PRISMA_BASE, journal
from test_migrations_sql import notes, project
from test_migrations_verify import PG_CONFIG, PG_URL, needs_pg, pg_databases, verify

P = "prisma/migrations/"
PRISMA_NEW = {
    # forward-only with notes: cannot be proven
    P + "20240201000000_posts/migration.sql":
        "-- rollback: DROP TABLE \"Post\"\nCREATE TABLE \"Post\" (id int);\n",
    # a down.sql that forgets the index
    P + "20240202000000_tags/migration.sql":
        "CREATE TABLE \"Tag\" (id int);\nCREATE INDEX user_id ON \"User\" (id);\n",
    P + "20240202000000_tags/down.sql": "DROP TABLE \"Tag\";\n",
    # a right one
    P + "20240203000000_likes/migration.sql": "CREATE TABLE \"Like\" (id int);\n",
    P + "20240203000000_likes/down.sql": "DROP TABLE \"Like\";\n",
}


def by_rule(data, rule):
    return [f for f in data["findings"] if f["rule"] == rule]


def note_of(data, path):
    return next(n for n in notes(data) if n["file"] == path)["verification"]


def assert_prisma(data, engine):
    [unproven] = by_rule(data, "MIG034")
    assert unproven["path"] == P + "20240201000000_posts/migration.sql"
    assert "forward-only" in unproven["message"] and "down.sql" in unproven["message"]
    [leak] = by_rule(data, "MIG030")
    assert leak["path"] == P + "20240202000000_tags/down.sql"
    assert "index user_id" in leak["message"]
    assert "restores the schema before it" in note_of(
        data, P + "20240203000000_likes/migration.sql")
    ver = data["facts"]["migrations"]["verification"]
    assert ver["status"] == "failed" and ver["engine"] == engine


def test_prisma_forward_only_is_named_and_down_sql_is_proven(tmp_path):
    repo = project(tmp_path, PRISMA_BASE)
    repo.commit("feat(db): three", PRISMA_NEW)
    assert_prisma(verify(repo), "sqlite")


@needs_pg
def test_prisma_on_postgres(tmp_path):
    before = pg_databases()
    repo = project(tmp_path, PRISMA_BASE, PG_CONFIG)
    repo.commit("feat(db): three", PRISMA_NEW)
    assert_prisma(verify(repo, env={"GUARD_TEST_POSTGRES_URL": PG_URL}), "postgresql")
    assert pg_databases() == before


def test_drizzle_down_sql_and_breakpoints(tmp_path):
    base = dict(DRIZZLE_BASE)
    base["drizzle/0000_init.sql"] = "CREATE TABLE \"users\" (\"id\" integer PRIMARY KEY);\n"
    repo = project(tmp_path, base)
    repo.commit("feat(db): two", {
        "drizzle/0001_posts.sql": "CREATE TABLE \"posts\" (\"id\" integer);\n"
                                  "--> statement-breakpoint\n"
                                  "ALTER TABLE \"users\" ADD COLUMN \"name\" text;\n",
        "drizzle/0001_posts.down.sql": "DROP TABLE \"posts\";\n",
        "drizzle/0002_tags.sql": "CREATE TABLE \"tags\" (\"id\" integer);\n",
        "drizzle/meta/_journal.json": journal("0000_init", "0001_posts", "0002_tags")})
    data = verify(repo)
    [leak] = by_rule(data, "MIG030")
    assert leak["path"] == "drizzle/0001_posts.down.sql"
    assert "table users: column name" in leak["message"]
    [unproven] = by_rule(data, "MIG034")
    assert unproven["path"] == "drizzle/0002_tags.sql" and "forward-only" in unproven["message"]
