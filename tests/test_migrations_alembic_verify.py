"""--verify-migrations on a real Alembic project (alembic.ini, env.py on the database the
round trip gives it, revisions with upgrade/downgrade): each new revision is proven on its
own with `alembic upgrade <rev>` / `alembic downgrade <parent>`, on SQLite and (when
GUARD_TEST_POSTGRES_URL names a server) PostgreSQL."""

import pytest

from test_migrations_sql import notes, project
from test_migrations_verify import PG_CONFIG, PG_URL, leftovers, needs_pg, pg_databases, verify

pytestmark = pytest.mark.slow      # each test runs alembic several times (~1 s a run)

ENV_PY = '''\
import os

from alembic import context
from sqlalchemy import create_engine

url = os.environ["DATABASE_URL"]
if url.startswith("postgresql://"):
    url = "postgresql+psycopg://" + url[len("postgresql://"):]
with create_engine(url).connect() as connection:
    context.configure(connection=connection, target_metadata=None)
    with context.begin_transaction():
        context.run_migrations()
'''


def rev(rev, down, up, downgrade=None):
    """A revision file; downgrade=None writes none at all."""
    text = (f'"""{rev}"""\nfrom alembic import op\nimport sqlalchemy as sa\n\n'
            f"revision = {rev!r}\ndown_revision = {down!r}\n\n\n"
            f"def upgrade():\n{up}")
    if downgrade is not None:
        text += f"\n\ndef downgrade():\n{downgrade}"
    return text


BASE = {
    "alembic.ini": "[alembic]\nscript_location = db/alembic\n",
    "db/alembic/env.py": ENV_PY,
    "db/alembic/versions/a1_users.py": rev(
        "a1", None, "    op.create_table('users', sa.Column('id', sa.Integer, "
        "primary_key=True))\n", "    op.drop_table('users')\n"),
}
V = "db/alembic/versions/"
GOOD = rev("b2", "a1", "    op.add_column('users', sa.Column('email', sa.Text))\n"
           "    op.create_index('users_email', 'users', ['email'])\n",
           "    op.drop_index('users_email', 'users')\n    op.drop_column('users', 'email')\n")
LEAKY = rev("b2", "a1", "    op.add_column('users', sa.Column('email', sa.Text))\n"
            "    op.create_table('orders', sa.Column('id', sa.Integer))\n",
            "    op.drop_table('orders')\n")


def by_rule(data, rule):
    return [f for f in data["findings"] if f["rule"] == rule]


def note_of(data, path):
    return next(n for n in notes(data) if n["file"] == path)["verification"]


def alembic_project(tmp_path, config=""):
    return project(tmp_path, BASE, config)


def test_correct_downgrade_is_proven(tmp_path):
    repo = alembic_project(tmp_path)
    repo.commit("feat(db): email", {V + "b2_email.py": GOOD})
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    data = verify(repo, tmp=tmp)
    assert [f for f in data["findings"] if f["rule"].startswith("MIG03")] == [], data["findings"]
    note = note_of(data, V + "b2_email.py")
    assert "downgrade a1" in note and "restores the schema before it" in note
    ver = data["facts"]["migrations"]["verification"]
    assert ver["status"] == "passed" and ver["engine"] == "sqlite"
    assert leftovers(tmp) == []


def test_downgrade_that_leaves_a_column(tmp_path):
    repo = alembic_project(tmp_path)
    repo.commit("feat(db): email", {V + "b2_email.py": LEAKY})
    data = verify(repo)
    [leak] = by_rule(data, "MIG030")
    assert leak["path"] == V + "b2_email.py" and leak["severity"] == "error"
    assert "table users: column email" in leak["message"] and "left over" in leak["message"]
    assert data["facts"]["migrations"]["verification"]["status"] == "failed"


def test_revision_without_downgrade_is_a_visible_warning(tmp_path):
    repo = alembic_project(tmp_path)
    repo.commit("feat(db): email", {V + "b2_email.py": rev(
        "b2", "a1", "    op.add_column('users', sa.Column('email', sa.Text))\n")})
    data = verify(repo)
    [unproven] = by_rule(data, "MIG034")
    assert unproven["path"] == V + "b2_email.py" and unproven["severity"] == "warning"
    assert "it has no downgrade()" in unproven["message"]
    assert by_rule(data, "MIG030") == [] and by_rule(data, "MIG031") == []
    assert note_of(data, V + "b2_email.py").startswith("not verified")
    assert data["facts"]["migrations"]["verification"]["status"] == "partial"


def chain(repo):
    """b2 has no downgrade; c3's downgrade leaves a table; d4 is right."""
    repo.commit("feat(db): three", {
        V + "b2_email.py": rev("b2", "a1",
                               "    op.add_column('users', sa.Column('email', sa.Text))\n",
                               "    pass\n"),
        V + "c3_orders.py": rev("c3", "b2",
                                "    op.create_table('orders', sa.Column('id', sa.Integer))\n"
                                "    op.create_table('items', sa.Column('id', sa.Integer))\n",
                                "    op.drop_table('orders')\n"),
        V + "d4_tags.py": rev("d4", "c3",
                              "    op.create_table('tags', sa.Column('id', sa.Integer))\n",
                              "    op.drop_table('tags')\n")})


def assert_chain(data, engine):
    [leak] = by_rule(data, "MIG030")
    # c3's leak is found although the revision before it cannot be rolled back
    assert leak["path"] == V + "c3_orders.py" and "table items is left over" in leak["message"]
    [unproven] = by_rule(data, "MIG034")
    assert unproven["path"] == V + "b2_email.py" and "downgrade() is empty" in unproven["message"]
    assert "restores the schema before it" in note_of(data, V + "d4_tags.py")
    ver = data["facts"]["migrations"]["verification"]
    assert ver["status"] == "failed" and ver["engine"] == engine


def test_earlier_revision_without_down_does_not_hide_a_later_leak(tmp_path):
    repo = alembic_project(tmp_path)
    chain(repo)
    assert_chain(verify(repo), "sqlite")


@needs_pg
def test_alembic_chain_on_postgres(tmp_path):
    before = pg_databases()
    repo = alembic_project(tmp_path, PG_CONFIG)
    chain(repo)
    assert_chain(verify(repo, env={"GUARD_TEST_POSTGRES_URL": PG_URL}), "postgresql")
    assert pg_databases() == before


def test_custom_commands_without_target_are_checked_together_and_said_so(tmp_path):
    repo = alembic_project(tmp_path, "  migrations:\n    commands:\n"
                           "      up: alembic upgrade head\n"
                           "      down: alembic downgrade {base}\n")
    repo.commit("feat(db): two", {
        V + "b2_email.py": GOOD,
        V + "c3_orders.py": rev("c3", "b2",
                                "    op.create_table('orders', sa.Column('id', sa.Integer))\n",
                                "    pass\n")})
    data = verify(repo)
    # `alembic` is found next to guard's Python although this PATH does not have it
    assert by_rule(data, "MIG033") == [], data["findings"]
    assert {f["path"] for f in by_rule(data, "MIG034")} == {V + "b2_email.py",
                                                            V + "c3_orders.py"}
    assert all("not one by one" in f["message"] for f in by_rule(data, "MIG034"))
    [leak] = by_rule(data, "MIG030")
    assert "table orders is left over" in leak["message"]
