"""migrations check on Alembic, Django, Prisma and Drizzle layouts (read statically)."""

import json

from test_migrations_sql import check, notes, project, rules

ALEMBIC_ENV = {"alembic.ini": "[alembic]\nscript_location = db/alembic\n",
               "db/alembic/env.py": "# alembic env\n"}


def alembic_rev(rev, down, up, downgrade="    op.drop_table('x')\n"):
    down_repr = repr(down)
    return (f'"""{rev}"""\nfrom alembic import op\nimport sqlalchemy as sa\n\n'
            f"revision = {rev!r}\ndown_revision = {down_repr}\n\n\n"
            f"def upgrade():\n{up}\n\ndef downgrade():\n{downgrade}")


def alembic_base():
    files = dict(ALEMBIC_ENV)
    files["db/alembic/versions/a1_users.py"] = alembic_rev(
        "a1", None, "    op.create_table('users', sa.Column('id', sa.Integer, primary_key=True))\n",
        "    op.drop_table('users')\n")
    files["db/alembic/versions/b2_orders.py"] = alembic_rev(
        "b2", "a1", "    op.create_table('orders', sa.Column('id', sa.Integer))\n",
        "    op.drop_table('orders')\n")
    return files


def test_alembic_clean_revision_with_notes(tmp_path):
    repo = project(tmp_path, alembic_base())
    repo.commit("feat(db): status", {"db/alembic/versions/c3_status.py": alembic_rev(
        "c3", "b2", "    op.add_column('orders', sa.Column('status', sa.String(), nullable=True))\n",
        "    op.drop_column('orders', 'status')\n")})
    data = check(repo)
    assert data["findings"] == []
    [note] = notes(data)
    assert note["summary"] == "add column orders.status"
    assert note["rollback"]["steps"] == ["drop column orders.status"]


def test_alembic_two_heads_missing_parent_and_empty_downgrade(tmp_path):
    repo = project(tmp_path, alembic_base())
    repo.commit("feat(db): two children of b2", {
        "db/alembic/versions/c3_a.py": alembic_rev("c3", "b2", "    op.create_table('a')\n",
                                                   "    op.drop_table('a')\n"),
        "db/alembic/versions/d4_b.py": alembic_rev("d4", "b2", "    op.create_table('b')\n",
                                                   "    pass\n"),
        "db/alembic/versions/e5_c.py": alembic_rev("e5", "ffff", "    op.create_table('c')\n",
                                                   '    """nothing"""\n')})
    got = rules(check(repo))
    assert ("MIG006", "db/alembic/versions/c3_a.py") in got
    assert ("MIG006", "db/alembic/versions/d4_b.py") in got
    assert ("MIG007", "db/alembic/versions/e5_c.py") in got
    assert ("MIG009", "db/alembic/versions/d4_b.py") in got
    assert ("MIG009", "db/alembic/versions/e5_c.py") in got


def test_alembic_missing_downgrade_destructive_ops_and_execute_sql(tmp_path):
    repo = project(tmp_path, alembic_base())
    up = ("    op.drop_column('orders', 'total')\n"
          "    op.create_index('orders_user', 'orders', ['user_id'])\n"
          "    op.execute('DELETE FROM users')\n")
    text = alembic_rev("c3", "b2", up).split("def downgrade")[0]
    repo.commit("feat(db): c3", {"db/alembic/versions/c3_x.py": text})
    data = check(repo)
    got = {f["rule"]: f for f in data["findings"]}
    assert {"MIG008", "MIG102", "MIG112", "MIG105"} <= set(got)
    assert got["MIG102"]["line"] == 10 and got["MIG105"]["line"] == 12


def test_alembic_batch_ops_read_with_the_batch_table(tmp_path):
    # autogenerate with render_as_batch writes every change of an existing table this way
    repo = project(tmp_path, alembic_base())
    up = ("    with op.batch_alter_table('orders', schema=None) as batch_op:\n"
          "        batch_op.add_column(sa.Column('user_id', sa.Integer(), nullable=False))\n"
          "        batch_op.create_index('ix_orders_user', ['user_id'], unique=True)\n"
          "        batch_op.drop_column('total')\n")
    down = ("    with op.batch_alter_table('orders', schema=None) as batch_op:\n"
            "        batch_op.add_column(sa.Column('total', sa.Integer(), nullable=True))\n"
            "        batch_op.drop_index('ix_orders_user')\n"
            "        batch_op.drop_column('user_id')\n")
    repo.commit("feat(db): c3", {"db/alembic/versions/c3_x.py": alembic_rev("c3", "b2", up, down)})
    data = check(repo)
    got = {f["rule"]: f["message"] for f in data["findings"]}
    assert "adds NOT NULL column orders.user_id" in got["MIG110"]
    assert "unique index on existing table orders" in got["MIG111"]
    assert "drops column orders.total" in got["MIG102"]
    [note] = notes(data)
    assert "drop column orders.user_id" in note["rollback"]["steps"]


def test_alembic_foreign_key_hint_names_no_other_table(tmp_path):
    repo = project(tmp_path, alembic_base())
    up = ("    op.add_column('users', sa.Column('team_id', sa.Integer(), nullable=True))\n"
          "    op.create_foreign_key('fk_users_team', 'users', 'teams', ['team_id'], ['id'])\n")
    down = ("    op.drop_constraint('fk_users_team', 'users')\n"
            "    op.drop_column('users', 'team_id')\n")
    repo.commit("feat(db): c3", {"db/alembic/versions/c3_x.py": alembic_rev("c3", "b2", up, down)})
    [finding] = [f for f in check(repo)["findings"] if f["rule"] == "MIG113"]
    assert "users(team_id)" in finding["message"]
    assert "orders" not in finding["hint"] and "op.create_index" in finding["hint"]


def test_alembic_file_is_never_imported(tmp_path):
    marker = tmp_path / "imported"
    repo = project(tmp_path, alembic_base())
    repo.commit("feat(db): c3", {"db/alembic/versions/c3_x.py":
                                 f"open({str(marker)!r}, 'w').write('x')\n" + alembic_rev(
                                     "c3", "b2", "    op.create_table('t')\n")})
    check(repo)
    assert not marker.exists()


def test_alembic_syntax_error_is_a_finding(tmp_path):
    repo = project(tmp_path, alembic_base())
    repo.commit("feat(db): broken", {"db/alembic/versions/c3_x.py": "revision = 'c3'\ndef up(:\n"})
    f = next(f for f in check(repo)["findings"] if f["rule"] == "MIG011")
    assert f["line"] == 2 and "syntax error" in f["message"]


def django_mig(deps, ops):
    return ("from django.db import migrations, models\n\n\n"
            "class Migration(migrations.Migration):\n"
            f"    dependencies = {deps!r}\n"
            "    operations = [\n" + "".join(f"        {op},\n" for op in ops) + "    ]\n")


DJANGO_BASE = {
    "shop/__init__.py": "",
    "shop/models.py": "from django.db import models\n",
    "shop/migrations/__init__.py": "",
    "shop/migrations/0001_initial.py": django_mig(
        [], ["migrations.CreateModel(name='Order', fields=[('id', models.AutoField(primary_key=True))])"]),
    "shop/migrations/0002_total.py": django_mig(
        [("shop", "0001_initial")],
        ["migrations.AddField(model_name='order', name='total', field=models.IntegerField(default=0))"]),
}


def test_django_clean_migration_and_reverse_notes(tmp_path):
    repo = project(tmp_path, DJANGO_BASE, "  migrations:\n    model_paths: [shop/models.py]\n")
    repo.commit("feat(shop): note", {"shop/migrations/0003_note.py": django_mig(
        [("shop", "0002_total"), ("auth", "0012_alter_user")],
        ["migrations.AddField(model_name='order', name='note', field=models.TextField(null=True))"])})
    data = check(repo)
    assert data["findings"] == []
    assert notes(data)[0]["rollback"]["steps"] == ["drop column order.note"]


def test_django_two_leaves_missing_dependency_irreversible_and_destructive(tmp_path):
    repo = project(tmp_path, DJANGO_BASE)
    repo.commit("feat(shop): two", {
        "shop/migrations/0003_a.py": django_mig(
            [("shop", "0002_total")],
            ["migrations.RemoveField(model_name='order', name='total')",
             "migrations.RunPython(forwards)"]),
        "shop/migrations/0003_b.py": django_mig(
            [("shop", "0002_total")],
            ["migrations.AddField(model_name='order', name='code', field=models.CharField(max_length=5))"]),
        "shop/migrations/0004_c.py": django_mig([("shop", "0009_missing")], [])})
    got = rules(check(repo))
    assert ("MIG006", "shop/migrations/0003_a.py") in got
    assert ("MIG007", "shop/migrations/0004_c.py") in got
    assert ("MIG008", "shop/migrations/0003_a.py") in got
    assert ("MIG102", "shop/migrations/0003_a.py") in got
    assert ("MIG110", "shop/migrations/0003_b.py") in got
    # Django orders by the graph: a shared number is no finding, the second leaf is
    assert not [r for r in got if r[0] in ("MIG003", "MIG004")]


def test_django_model_changed_without_migration(tmp_path):
    repo = project(tmp_path, DJANGO_BASE)
    repo.commit("feat(shop): field", {"shop/models.py": "from django.db import models\n\n\n"
                                      "class Order(models.Model):\n"
                                      "    note = models.TextField()\n"})
    assert rules(check(repo)) == [("MIG020", "shop/models.py")]


PRISMA_BASE = {
    "prisma/schema.prisma": "datasource db { provider = \"postgresql\" }\n",
    "prisma/migrations/migration_lock.toml": 'provider = "postgresql"\n',
    "prisma/migrations/20240101000000_init/migration.sql": "CREATE TABLE \"User\" (id int);\n",
}


def test_prisma_rollback_notes_required_and_read(tmp_path):
    repo = project(tmp_path, PRISMA_BASE)
    repo.commit("feat(db): two", {
        "prisma/schema.prisma": "datasource db { provider = \"postgresql\" }\n// Post\n",
        "prisma/migrations/20240201000000_posts/migration.sql":
            "-- rollback: DROP TABLE \"Post\"; restore from the nightly backup if data matters\n"
            "CREATE TABLE \"Post\" (id int);\n",
        "prisma/migrations/20240202000000_idx/migration.sql":
            "CREATE INDEX post_id ON \"User\" (id);\n",
        "prisma/migrations/20230101000000_old/migration.sql": "SELECT 1;\n"})
    data = check(repo)
    got = rules(data)
    assert ("MIG010", "prisma/migrations/20240202000000_idx/migration.sql") in got
    assert ("MIG112", "prisma/migrations/20240202000000_idx/migration.sql") in got
    assert ("MIG003", "prisma/migrations/20230101000000_old/migration.sql") in got
    posts = next(n for n in notes(data) if "posts" in n["file"])
    assert posts["rollback"]["kind"] == "notes" and "nightly backup" in posts["rollback"]["text"]
    assert "MIG020" not in {r for r, _ in got}


def test_prisma_edited_applied_migration(tmp_path):
    repo = project(tmp_path, PRISMA_BASE)
    repo.commit("fix(db): edit", {"prisma/migrations/20240101000000_init/migration.sql":
                                  "CREATE TABLE \"User\" (id int, name text);\n"})
    assert rules(check(repo)) == [("MIG001", "prisma/migrations/20240101000000_init/migration.sql")]


def journal(*tags, dialect="postgresql"):
    return json.dumps({"version": "7", "dialect": dialect, "entries": [
        {"idx": i, "version": "7", "when": 1700000000000 + i, "tag": t, "breakpoints": True}
        for i, t in enumerate(tags)]})


DRIZZLE_BASE = {
    "drizzle.config.ts": "export default { schema: './src/db/schema.ts', out: './drizzle' }\n",
    "src/db/schema.ts": "export const users = 1\n",
    "drizzle/0000_init.sql": "CREATE TABLE \"users\" (\"id\" serial PRIMARY KEY);\n",
    "drizzle/meta/_journal.json": journal("0000_init"),
}


def test_drizzle_journal_and_rules(tmp_path):
    repo = project(tmp_path, DRIZZLE_BASE)
    repo.commit("feat(db): drizzle", {
        "drizzle/0001_posts.sql":
            "CREATE TABLE \"posts\" (\"id\" serial PRIMARY KEY, \"user_id\" integer);\n"
            "--> statement-breakpoint\n"
            "ALTER TABLE \"posts\" ADD CONSTRAINT \"p_fk\" FOREIGN KEY (\"user_id\") "
            "REFERENCES \"users\"(\"id\");\n",
        "drizzle/0001_posts.down.sql": "DROP TABLE \"posts\";\n",
        "drizzle/0002_stray.sql": "-- rollback: drop table stray\nCREATE TABLE stray (id int);\n",
        "drizzle/meta/_journal.json": journal("0000_init", "0001_posts")})
    got = rules(check(repo))
    assert ("MIG012", "drizzle/0002_stray.sql") in got
    assert ("MIG113", "drizzle/0001_posts.sql") in got
    assert not [r for r in got if r[0] in ("MIG008", "MIG010")]


def test_drizzle_edited_journal_entry_and_model_change(tmp_path):
    repo = project(tmp_path, DRIZZLE_BASE)
    repo.commit("feat(db): rewrite history", {
        "drizzle/meta/_journal.json": journal("0000_first"),
        "src/db/schema.ts": "export const users = 2\n"})
    got = rules(check(repo))
    assert ("MIG001", "drizzle/meta/_journal.json") in got
    assert ("MIG012", "drizzle/meta/_journal.json") in got
    assert ("MIG020", "src/db/schema.ts") in got
