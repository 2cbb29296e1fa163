"""The hand-off report's "Migration notes" (guard report) and `guard demo`."""

from gitrepo import run_guard
from test_migrations_sql import GOLANG_BASE, project


def section4(md):
    start = md.index("## 4. Migration notes")
    return md[start:md.index("## 5.", start)]


def test_migration_notes_list_each_new_migration(tmp_path):
    repo = project(tmp_path, GOLANG_BASE)
    repo.commit("feat(db): items", {
        "db/migrations/0003_items.up.sql":
            "CREATE TABLE items (id integer PRIMARY KEY);\nDROP TABLE orders;\n",
        "db/migrations/0003_items.down.sql":
            "CREATE TABLE orders (id integer PRIMARY KEY, user_id integer);\nDROP TABLE items;\n",
        "db/migrations/0001_users.up.sql": "CREATE TABLE users (id integer PRIMARY KEY);\n"})
    res = run_guard("report", "--base", "main", "--verify-migrations", cwd=repo.path)
    assert res.code == 0, res.err     # guard report documents; it fails only on --fail-on
    block = section4(res.out)
    assert "`db/migrations/0003_items.up.sql`" in block
    assert "create table items; drop table orders" in block
    assert "Rollback: db/migrations/0003_items.down.sql: create table orders; drop table items" \
        in block
    assert "MIG101 line 2: DROP TABLE orders" in block
    assert "Verification: " in block and "sqlite" in block
    assert "MIG001" in block and "0001_users.up.sql" in block


def test_migration_notes_without_migrations_say_so(tmp_path):
    repo = project(tmp_path, {})
    repo.commit("feat(api): x", {"src/api/x.py": "x = 1\n"})
    block = section4(run_guard("report", "--base", "main", cwd=repo.path).out)
    assert "none found" in block and "not selected" not in block


def test_demo_has_a_destructive_migration_and_an_edited_applied_one():
    res = run_guard("demo", "--format", "json", cwd=".")
    assert res.code == 0, res.err
    import json
    data = json.loads(res.out)
    found = {(f["rule"], f["path"]) for f in data["findings"]}
    assert ("MIG001", "db/migrations/0001_create_orders.up.sql") in found
    assert any(rule == "MIG101" for rule, _ in found)
