"""--verify-migrations step by step (as pytest-alembic's up/down consistency test): each new
migration is proven on a database at the migration before it, on real SQLite and (when
GUARD_TEST_POSTGRES_URL names a server, as .ci/run provides) PostgreSQL databases."""

import pytest

from gitrepo import run_guard
from test_migrations_sql import GOLANG_BASE, notes, project
from test_migrations_verify import PG_CONFIG, PG_URL, django_project, needs_pg, pg_databases
from test_migrations_verify import verify

MIXED = {   # 0003 fine; 0004 has no down step; 0005's down leaves a column behind
    "db/migrations/0003_items.up.sql": "CREATE TABLE items (id integer PRIMARY KEY);\n",
    "db/migrations/0003_items.down.sql": "DROP TABLE items;\n",
    "db/migrations/0004_tags.up.sql": "CREATE TABLE tags (id integer PRIMARY KEY);\n",
    "db/migrations/0005_phone.up.sql": "ALTER TABLE users ADD COLUMN phone text;\n"
                                       "CREATE TABLE notes (id integer PRIMARY KEY);\n",
    "db/migrations/0005_phone.down.sql": "DROP TABLE notes;\n",
}


def by_rule(data, rule):
    return [f for f in data["findings"] if f["rule"] == rule]


def note_of(data, path):
    return next(n for n in notes(data) if n["file"] == path)["verification"]


def assert_mixed(data, engine):
    [leak] = by_rule(data, "MIG030")
    # the leak is found although the migration before it has no down step
    assert leak["path"] == "db/migrations/0005_phone.down.sql"
    assert "table users: column phone" in leak["message"] and leak["severity"] == "error"
    [unproven] = by_rule(data, "MIG034")
    assert unproven["path"] == "db/migrations/0004_tags.up.sql"
    assert unproven["severity"] == "warning" and "no down step" in unproven["message"]
    assert "restores the schema before it" in note_of(data, "db/migrations/0003_items.up.sql")
    assert note_of(data, "db/migrations/0004_tags.up.sql").startswith("not verified")
    ver = data["facts"]["migrations"]["verification"]
    assert ver["status"] == "failed" and ver["engine"] == engine


def test_sqlite_each_migration_is_proven_on_its_own(tmp_path):
    repo = project(tmp_path, GOLANG_BASE)
    repo.commit("feat(db): three", MIXED)
    assert_mixed(verify(repo), "sqlite")


def test_a_broken_rollback_does_not_hide_the_next_migration(tmp_path):
    repo = project(tmp_path, GOLANG_BASE)
    repo.commit("feat(db): two", {
        # down leaves the index: the second up fails, the database is rebuilt for 0004
        "db/migrations/0003_idx.up.sql": "CREATE INDEX users_email ON users (email);\n",
        "db/migrations/0003_idx.down.sql": "SELECT 1;\n",
        "db/migrations/0004_items.up.sql": "CREATE TABLE items (id integer PRIMARY KEY);\n",
        "db/migrations/0004_items.down.sql": "DROP TABLE items;\n"})
    data = verify(repo)
    assert {f["path"] for f in by_rule(data, "MIG030")} == {"db/migrations/0003_idx.down.sql"}
    assert by_rule(data, "MIG034") == []
    assert "restores the schema before it" in note_of(data, "db/migrations/0004_items.up.sql")


def test_unknown_command_placeholder_is_bad_input(tmp_path):
    repo = project(tmp_path, GOLANG_BASE,
                   "  migrations:\n    commands:\n      up: alembic upgrade {revision}\n")
    repo.commit("feat(db): three", MIXED)
    res = run_guard("check", "--base", "main", "--verify-migrations", cwd=repo.path)
    assert res.code == 2
    [line] = res.err.strip().splitlines()
    assert "company.config.yaml" in line and "{revision}" in line and "{target}" in line


@needs_pg
def test_postgres_each_migration_is_proven_on_its_own(tmp_path):
    before = pg_databases()
    repo = project(tmp_path, GOLANG_BASE, PG_CONFIG)
    repo.commit("feat(db): three", MIXED)
    assert_mixed(verify(repo, env={"GUARD_TEST_POSTGRES_URL": PG_URL}), "postgresql")
    assert pg_databases() == before      # every rebuilt database is dropped as well


def django_two(repo):
    from test_migrations_frameworks import django_mig
    repo.commit("feat(shop): two", {
        "shop/migrations/0002_note.py": django_mig(
            [("shop", "0001_initial")],
            ["migrations.AddField(model_name='order', name='note', field=models.TextField("
             "null=True))"]),
        "shop/migrations/0003_idx.py": django_mig(
            [("shop", "0002_note")],
            ["migrations.RunSQL('CREATE INDEX shop_order_total ON shop_order (total)', "
             "reverse_sql='SELECT 1')"])})


def assert_django(data):
    [leak] = by_rule(data, "MIG030")
    assert leak["path"] == "shop/migrations/0003_idx.py"
    assert "index shop_order_total" in leak["message"]
    good = note_of(data, "shop/migrations/0002_note.py")
    assert "migrate shop 0001_initial" in good and "restores the schema before it" in good
    assert "shop_order_total" in note_of(data, "shop/migrations/0003_idx.py")


def test_django_each_migration_through_manage_py(tmp_path):
    repo = django_project(tmp_path)
    django_two(repo)
    assert_django(verify(repo))


@needs_pg
def test_django_each_migration_on_postgres(tmp_path):
    before = pg_databases()
    repo = django_project(tmp_path, PG_CONFIG)
    django_two(repo)
    assert_django(verify(repo, env={"GUARD_TEST_POSTGRES_URL": PG_URL}))
    assert pg_databases() == before


@pytest.mark.slow      # manage.py migrate six times
def test_django_irreversible_migration_does_not_hide_a_later_leak(tmp_path):
    from test_migrations_frameworks import django_mig
    repo = django_project(tmp_path)
    repo.commit("feat(shop): two", {
        # RunPython without reverse_code: Django cannot unapply 0002
        "shop/migrations/0002_fill.py": django_mig(
            [("shop", "0001_initial")],
            ["migrations.RunPython(lambda apps, schema_editor: None)"]),
        "shop/migrations/0003_idx.py": django_mig(
            [("shop", "0002_fill")],
            ["migrations.RunSQL('CREATE INDEX shop_order_total ON shop_order (total)', "
             "reverse_sql='SELECT 1')"])})
    data = verify(repo)
    [unproven] = by_rule(data, "MIG034")
    assert unproven["path"] == "shop/migrations/0002_fill.py"
    assert "no reverse" in unproven["message"] and unproven["severity"] == "warning"
    [leak] = by_rule(data, "MIG030")
    assert leak["path"] == "shop/migrations/0003_idx.py"
    assert "index shop_order_total" in leak["message"]
    assert by_rule(data, "MIG031") == []
