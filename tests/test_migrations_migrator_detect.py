"""The migrator decides the version rules of a plain SQL folder: detected from go.mod,
package.json or flyway.conf, or set as guard.migrations.migrator. Real repositories, the
real CLI."""

from gitrepo import run_guard
from test_migrations_sql import check, project, rules

GOOSE = "-- +goose Up\nCREATE TABLE {t} (id integer);\n-- +goose Down\nDROP TABLE {t};\n"
DBMATE = "-- migrate:up\nCREATE TABLE {t} (id integer);\n-- migrate:down\nDROP TABLE {t};\n"


def base(kind, extra=None):
    body = GOOSE if kind == "goose" else DBMATE
    files = {"db/migrations/20240101000000_users.sql": body.format(t="users"),
             "db/migrations/20240301000000_orders.sql": body.format(t="orders")}
    files.update(extra or {})
    return files


def add_older(repo, kind):
    body = GOOSE if kind == "goose" else DBMATE
    repo.commit("feat(db): older", {
        "db/migrations/20240201000000_items.sql": body.format(t="items")})


def test_goose_in_go_mod_refuses_an_older_newcomer(tmp_path):
    repo = project(tmp_path, base("goose", {"go.mod": "module x\n\ngo 1.22\n\nrequire (\n"
                                            "\tgithub.com/pressly/goose/v3 v3.20.0\n)\n"}))
    add_older(repo, "goose")
    data = check(repo)
    assert data["facts"]["migrations"]["migrator"] == "goose"
    [f] = [f for f in data["findings"] if f["rule"] == "MIG003"]
    assert "allow-missing" in f["message"]


def test_dbmate_applies_older_pending_migrations(tmp_path):
    repo = project(tmp_path, base("dbmate", {
        "package.json": '{"devDependencies": {"dbmate": "^2.0.0"}}\n'}))
    add_older(repo, "dbmate")
    data = check(repo)
    assert data["facts"]["migrations"]["migrator"] == "dbmate"
    assert rules(data) == []


def test_configured_migrator_wins_over_the_file_names(tmp_path):
    repo = project(tmp_path, base("dbmate"), "  migrations:\n    migrator: sql-migrate\n")
    repo.commit("feat(db): same version", {
        "db/migrations/20240301000000_again.sql": DBMATE.format(t="again")})
    add_older(repo, "dbmate")
    data = check(repo)
    assert data["facts"]["migrations"]["migrator"] == "sql-migrate"
    assert "MIG003" not in {r for r, _ in rules(data)}
    assert "MIG004" not in {r for r, _ in rules(data)}


def test_golang_migrate_refuses_an_older_version(tmp_path):
    repo = project(tmp_path, {
        "go.mod": "module x\n\nrequire github.com/golang-migrate/migrate/v4 v4.17.0\n",
        "db/migrations/0001_users.up.sql": "CREATE TABLE users (id integer);\n",
        "db/migrations/0001_users.down.sql": "DROP TABLE users;\n",
        "db/migrations/0003_orders.up.sql": "CREATE TABLE orders (id integer);\n",
        "db/migrations/0003_orders.down.sql": "DROP TABLE orders;\n"})
    repo.commit("feat(db): 2", {"db/migrations/0002_items.up.sql": "CREATE TABLE i (id int);\n",
                                "db/migrations/0002_items.down.sql": "DROP TABLE i;\n"})
    data = check(repo)
    [f] = [f for f in data["findings"] if f["rule"] == "MIG003"]
    assert "golang-migrate" in f["message"]


def test_unknown_migrator_is_a_one_line_config_error(tmp_path):
    repo = project(tmp_path, base("dbmate"), "  migrations:\n    migrator: gooze\n")
    res = run_guard("check", "--base", "main", "--only", "migrations", cwd=repo.path)
    assert res.code == 2
    assert "Traceback" not in res.err
    [line] = [ln for ln in res.err.splitlines() if "migrator" in ln]
    assert "company.config.yaml:" in line and "gooze" in line
    assert "goose" in res.err
