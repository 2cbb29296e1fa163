"""--verify-migrations: up, down, up again on a real throwaway database (SQLite, and
PostgreSQL when GUARD_TEST_POSTGRES_URL names a server, as .ci/run provides)."""

import os

import pytest

from test_migrations_sql import GOLANG_BASE, check, notes, project

PG_URL = os.environ.get("GUARD_TEST_POSTGRES_URL")
needs_pg = pytest.mark.skipif(not PG_URL, reason="GUARD_TEST_POSTGRES_URL is not set: no "
                              "PostgreSQL server for the round-trip tests (.ci/run starts one)")

GOOD = {
    "db/migrations/0003_items.up.sql":
        "CREATE TABLE items (id integer PRIMARY KEY, order_id integer REFERENCES orders(id));\n"
        "CREATE INDEX items_order ON items (order_id);\n"
        "ALTER TABLE users ADD COLUMN phone text;\n",
    "db/migrations/0003_items.down.sql":
        "ALTER TABLE users DROP COLUMN phone;\nDROP TABLE items;\n",
}
LEAKY = {
    "db/migrations/0003_items.up.sql":
        "CREATE TABLE items (id integer PRIMARY KEY);\n"
        "CREATE INDEX users_email ON users (email);\n",
    "db/migrations/0003_items.down.sql": "DROP TABLE items;\n",
}
BROKEN = {
    "db/migrations/0003_x.up.sql": "CREATE TABLE x (id int);\nALTER TABLE nope ADD COLUMN y int;\n",
    "db/migrations/0003_x.down.sql": "DROP TABLE x;\n",
}


def verify(repo, env=None, tmp=None):
    env = dict(env or {})
    if tmp is not None:
        env["TMPDIR"] = str(tmp)
    return check(repo, "--verify-migrations", env=env)


def leftovers(folder):
    return [name for name in os.listdir(folder) if name.startswith("guard-verify-")]


def test_sqlite_round_trip_passes_and_is_reported(tmp_path):
    repo = project(tmp_path, GOLANG_BASE)
    repo.commit("feat(db): items", GOOD)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    data = verify(repo, tmp=tmp)
    assert [f for f in data["findings"] if f["rule"].startswith("MIG03")] == []
    ver = data["facts"]["migrations"]["verification"]
    assert ver["engine"] == "sqlite" and ver["status"] == "passed"
    assert "rollback restores the schema before it" in notes(data)[0]["verification"]
    assert leftovers(tmp) == []


def test_sqlite_rollback_that_leaves_an_index_behind(tmp_path):
    repo = project(tmp_path, GOLANG_BASE)
    repo.commit("feat(db): items", LEAKY)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    data = verify(repo, tmp=tmp)
    f = next(f for f in data["findings"] if f["rule"] == "MIG030")
    assert "table users: index users_email" in f["message"] and "left over" in f["message"]
    assert f["severity"] == "error"
    assert "MIG032" in {f["rule"] for f in data["findings"]}   # second up: index exists
    assert leftovers(tmp) == []          # the throwaway database is gone, also on failure


def test_sqlite_failing_up_names_file_and_line(tmp_path):
    repo = project(tmp_path, GOLANG_BASE)
    repo.commit("feat(db): broken", BROKEN)
    data = verify(repo)
    f = next(f for f in data["findings"] if f["rule"] == "MIG031")
    assert f["path"] == "db/migrations/0003_x.up.sql" and f["line"] == 2
    assert "no such table" in f["message"]


def test_verify_from_trusted_policy_and_dbmate_down_sections(tmp_path):
    repo = project(tmp_path, {
        "db/migrations/20240101000000_init.sql":
            "-- migrate:up\nCREATE TABLE a (id int);\n-- migrate:down\nDROP TABLE a;\n"},
        "  migrations:\n    verify: true\n")
    repo.commit("feat(db): b", {"db/migrations/20240201000000_b.sql":
                                "-- migrate:up\nALTER TABLE a ADD COLUMN b int;\n"
                                "CREATE TABLE c (id int);\n"
                                "-- migrate:down\nDROP TABLE c;\n"})
    data = check(repo)
    f = next(f for f in data["findings"] if f["rule"] == "MIG030")
    assert "table a: column b" in f["message"]


def test_missing_database_variable_fails_closed(tmp_path):
    repo = project(tmp_path, GOLANG_BASE,
                   "  migrations:\n    database_url: ${GUARD_NO_SUCH_DATABASE_URL}\n")
    repo.commit("feat(db): items", GOOD)
    data = verify(repo)
    f = next(f for f in data["findings"] if f["rule"] == "MIG033")
    assert "GUARD_NO_SUCH_DATABASE_URL" in f["message"] and f["severity"] == "error"


def test_alembic_round_trip_without_the_tool_is_not_a_pass(tmp_path):
    from test_migrations_frameworks import alembic_base, alembic_rev
    repo = project(tmp_path, alembic_base(),
                   "  migrations:\n    commands:\n      up: no-such-alembic upgrade head\n")
    repo.commit("feat(db): c3", {"db/alembic/versions/c3_x.py": alembic_rev(
        "c3", "b2", "    op.create_table('t')\n")})
    data = verify(repo)
    f = next(f for f in data["findings"] if f["rule"] == "MIG033")
    assert "no-such-alembic" in f["message"] and f["path"] == "db/alembic/versions/c3_x.py"


def pg_databases():
    import psycopg
    with psycopg.connect(PG_URL) as conn:
        return {r[0] for r in conn.execute("SELECT datname FROM pg_database")}


PG_CONFIG = "  migrations:\n    database_url: ${GUARD_TEST_POSTGRES_URL}\n"


@needs_pg
def test_postgres_round_trip_passes_and_drops_its_database(tmp_path):
    before = pg_databases()
    repo = project(tmp_path, GOLANG_BASE, PG_CONFIG)
    repo.commit("feat(db): items", GOOD)
    data = verify(repo, env={"GUARD_TEST_POSTGRES_URL": PG_URL})
    assert [f for f in data["findings"] if f["rule"].startswith("MIG03")] == []
    ver = data["facts"]["migrations"]["verification"]
    assert ver["engine"] == "postgresql" and ver["status"] == "passed"
    assert "on postgresql" in notes(data)[0]["verification"]
    assert pg_databases() == before


@needs_pg
def test_postgres_rollback_difference_and_failure_still_drop_the_database(tmp_path):
    before = pg_databases()
    repo = project(tmp_path, GOLANG_BASE, PG_CONFIG)
    repo.commit("feat(db): items", LEAKY)
    data = verify(repo, env={"GUARD_TEST_POSTGRES_URL": PG_URL})
    f = next(f for f in data["findings"] if f["rule"] == "MIG030")
    assert "table users: index users_email" in f["message"]
    repo2 = project(tmp_path / "b", GOLANG_BASE, PG_CONFIG)
    repo2.commit("feat(db): broken", BROKEN)
    data = verify(repo2, env={"GUARD_TEST_POSTGRES_URL": PG_URL})
    f = next(f for f in data["findings"] if f["rule"] == "MIG031")
    assert f["line"] == 2 and "nope" in f["message"]
    assert pg_databases() == before


DJANGO_SETTINGS = '''\
import os
from urllib.parse import urlsplit

SECRET_KEY = "test"
INSTALLED_APPS = ["shop"]
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
_url = urlsplit(os.environ["DATABASE_URL"])
if _url.scheme == "sqlite":
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": _url.path[1:]}}
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql",
                             "NAME": _url.path[1:], "USER": _url.username,
                             "PASSWORD": _url.password, "HOST": _url.hostname,
                             "PORT": _url.port}}
'''
MANAGE = ("import os, sys\n"
          "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'proj.settings')\n"
          "from django.core.management import execute_from_command_line\n"
          "execute_from_command_line(sys.argv)\n")


def django_project(tmp_path, config=""):
    from test_migrations_frameworks import django_mig
    files = {
        "manage.py": MANAGE, "proj/__init__.py": "", "proj/settings.py": DJANGO_SETTINGS,
        "shop/__init__.py": "", "shop/models.py": "", "shop/migrations/__init__.py": "",
        "shop/migrations/0001_initial.py": django_mig([], [
            "migrations.CreateModel(name='Order', fields=[('id', models.AutoField("
            "primary_key=True)), ('total', models.IntegerField(default=0))])"]),
    }
    return project(tmp_path, files, config)


def test_django_round_trip_through_manage_py(tmp_path):
    from test_migrations_frameworks import django_mig
    repo = django_project(tmp_path)
    repo.commit("feat(shop): note", {"shop/migrations/0002_note.py": django_mig(
        [("shop", "0001_initial")],
        ["migrations.AddField(model_name='order', name='note', field=models.TextField("
         "null=True))"])})
    data = verify(repo)
    assert [f for f in data["findings"] if f["rule"].startswith("MIG03")] == [], data["findings"]
    note = notes(data)[0]["verification"]
    assert "migrate shop 0001_initial" in note and "restores the schema before it" in note


def test_django_rollback_that_leaves_an_index_behind(tmp_path):
    from test_migrations_frameworks import django_mig
    repo = django_project(tmp_path)
    repo.commit("feat(shop): index", {"shop/migrations/0002_idx.py": django_mig(
        [("shop", "0001_initial")],
        ["migrations.RunSQL('CREATE INDEX shop_order_total ON shop_order (total)', "
         "reverse_sql='')"])})
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    data = verify(repo, tmp=tmp)
    f = next(f for f in data["findings"] if f["rule"] == "MIG030")
    assert "table shop_order: index shop_order_total" in f["message"]
    assert leftovers(tmp) == []     # exported trees and the database file are gone


@needs_pg
def test_django_round_trip_on_postgres(tmp_path):
    from test_migrations_frameworks import django_mig
    before = pg_databases()
    repo = django_project(tmp_path, PG_CONFIG)
    repo.commit("feat(shop): note", {"shop/migrations/0002_note.py": django_mig(
        [("shop", "0001_initial")],
        ["migrations.AddField(model_name='order', name='note', field=models.TextField("
         "null=True))"])})
    data = verify(repo, env={"GUARD_TEST_POSTGRES_URL": PG_URL})
    assert [f for f in data["findings"] if f["rule"].startswith("MIG03")] == [], data["findings"]
    assert "on postgresql" in notes(data)[0]["verification"]
    assert pg_databases() == before
