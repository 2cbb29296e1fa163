"""MIG021: a branch adding a table or a model touches the seed data too (real repositories,
the real CLI)."""

from gitrepo import run_guard
from test_migrations_sql import GOLANG_BASE, check, project

NEW_TABLE = {"db/migrations/0003_items.up.sql": "CREATE TABLE items (id integer PRIMARY KEY);\n",
             "db/migrations/0003_items.down.sql": "DROP TABLE items;\n"}
SEEDED = {**GOLANG_BASE, "seeds/users.sql": "INSERT INTO users VALUES (1, 'a@b.c');\n"}


def mig021(data):
    return [f for f in data["findings"] if f["rule"] == "MIG021"]


def test_new_table_without_seed_data_is_a_warning(tmp_path):
    repo = project(tmp_path, SEEDED)
    repo.commit("feat(db): items", NEW_TABLE)
    [f] = mig021(check(repo))
    assert f["severity"] == "warning" and f["path"] == "db/migrations/0003_items.up.sql"
    assert "items" in f["message"] and "seeds/" in f["message"]


def test_new_table_with_seed_data_passes(tmp_path):
    repo = project(tmp_path, SEEDED)
    repo.commit("feat(db): items", {**NEW_TABLE, "seeds/items.sql": "INSERT INTO items VALUES (1);\n"})
    assert mig021(check(repo)) == []


def test_project_without_seed_data_is_left_alone_unless_configured(tmp_path):
    repo = project(tmp_path, GOLANG_BASE)
    repo.commit("feat(db): items", NEW_TABLE)
    assert mig021(check(repo)) == []
    repo2 = project(tmp_path / "b", GOLANG_BASE, "  migrations:\n    seed_paths: [db/fixtures/]\n")
    repo2.commit("feat(db): items", NEW_TABLE)
    [f] = mig021(check(repo2))
    assert "db/fixtures/" in f["message"]


def test_django_model_and_fixture(tmp_path):
    from test_migrations_verify import django_project
    from test_migrations_frameworks import django_mig
    repo = django_project(tmp_path, "  migrations:\n    seed_paths: ['*/fixtures/']\n")
    mig = {"shop/migrations/0002_tag.py": django_mig([("shop", "0001_initial")], [
        "migrations.CreateModel(name='Tag', fields=[('id', models.AutoField("
        "primary_key=True))])"])}
    repo.commit("feat(shop): tag", mig)
    [f] = mig021(check(repo))
    assert "Tag" in f["message"]
    repo.commit("feat(shop): tag fixture", {"shop/fixtures/tags.json": "[]\n"})
    assert mig021(check(repo)) == []


def test_bad_seed_path_is_bad_input(tmp_path):
    repo = project(tmp_path, GOLANG_BASE, "  migrations:\n    seed_paths: [../seeds/]\n")
    repo.commit("feat(db): items", NEW_TABLE)
    res = run_guard("check", "--base", "main", "--only", "migrations", cwd=repo.path)
    assert res.code == 2
    [line] = res.err.strip().splitlines()
    assert "company.config.yaml" in line and "seed_paths" in line
