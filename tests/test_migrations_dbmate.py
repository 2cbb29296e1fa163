"""dbmate, detected from the project's own traces (a Makefile recipe, a compose service, a
package.json script, DBMATE_* variables, DATABASE_URL in .env beside db/migrations), and its
one-file `-- migrate:up` / `-- migrate:down` migrations proven on a real SQLite database.
Real repositories, the real CLI."""

import os

import pytest

from test_migrations_sql import check, notes, project, rules

UP_DOWN = "-- migrate:up\nCREATE TABLE {t} (id integer);\n\n-- migrate:down\nDROP TABLE {t};\n"


def dbmate_base(extra):
    files = {"db/migrations/20240101000000_users.sql": UP_DOWN.format(t="users"),
             "db/migrations/20240301000000_orders.sql": UP_DOWN.format(t="orders")}
    files.update(extra)
    return files


@pytest.mark.parametrize("trace", [
    {"Makefile": "migrate:\n\tdbmate --wait up\n"},
    {"docker-compose.yml": "services:\n  migrate:\n    image: ghcr.io/amacneil/dbmate:2\n"
                           "    command: up\n"},
    {"package.json": '{"scripts": {"db:migrate": "dbmate up"}}\n'},
    {".env": "# local\nexport DATABASE_URL=\"postgres://localhost/app?sslmode=disable\"\n"},
    {".env": "DBMATE_MIGRATIONS_DIR=db/migrations\n"},
], ids=["makefile", "compose", "npm-script", "dotenv-database-url", "dotenv-dbmate-var"])
def test_dbmate_traces_name_the_migrator(tmp_path, trace):
    # an older version than the base's newest: dbmate applies every pending migration
    repo = project(tmp_path, dbmate_base(trace))
    repo.commit("feat(db): items", {
        "db/migrations/20240201000000_items.sql": UP_DOWN.format(t="items")})
    data = check(repo)
    assert data["facts"]["migrations"]["migrator"] == "dbmate"
    assert rules(data) == []


def test_dbmate_variable_in_the_environment(tmp_path):
    repo = project(tmp_path, dbmate_base({}))
    repo.commit("feat(db): items", {
        "db/migrations/20240201000000_items.sql": UP_DOWN.format(t="items")})
    assert check(repo)["facts"]["migrations"]["migrator"] is None
    env = dict(os.environ, DBMATE_MIGRATIONS_DIR="db/migrations")
    data = check(repo, env=env)
    assert data["facts"]["migrations"]["migrator"] == "dbmate"
    assert rules(data) == []


def test_a_word_that_only_contains_dbmate_is_no_trace(tmp_path):
    # DATABASE_URL alone is every framework's; it counts only beside dbmate's db/migrations
    repo = project(tmp_path, {"Makefile": "x:\n\t./tools/dbmate-lint\n",
                              ".env": "DATABASE_URL=postgres://x/y\n",
                              "sql/migrations/20240101000000_users.sql":
                                  UP_DOWN.format(t="users")})
    repo.commit("feat(db): items", {
        "sql/migrations/20240201000000_items.sql": UP_DOWN.format(t="items")})
    assert check(repo)["facts"]["migrations"]["migrator"] is None


def test_verify_runs_dbmate_up_and_down_sections_on_sqlite(tmp_path):
    repo = project(tmp_path, dbmate_base({"Makefile": "db:\n\tdbmate up\n"}))
    repo.commit("feat(db): invoices", {
        "db/migrations/20240401000000_invoices.sql":
            "-- migrate:up transaction:false\n"
            "CREATE TABLE invoices (id integer PRIMARY KEY, total integer NOT NULL);\n"
            "CREATE INDEX invoices_total_idx ON invoices (total);\n\n"
            "-- migrate:down transaction:false\n"
            "DROP INDEX invoices_total_idx;\nDROP TABLE invoices;\n",
        # its down section forgets the column's index: the round trip shows it
        "db/migrations/20240402000000_users_email.sql":
            "-- migrate:up\nALTER TABLE users ADD COLUMN email text;\n"
            "CREATE INDEX users_email_idx ON users (email);\n"
            "-- migrate:down\nDROP INDEX users_email_idx;\n"})
    data = check(repo, "--verify-migrations")
    by_file = {n["file"]: n for n in notes(data)}
    invoices = by_file["db/migrations/20240401000000_invoices.sql"]
    assert "rollback restores" in invoices["verification"]
    assert invoices["summary"].startswith("create table invoices")
    assert "drop table invoices" in invoices["rollback"]["text"]
    [f] = [f for f in data["findings"] if f["rule"] == "MIG030"]
    assert f["path"] == "db/migrations/20240402000000_users_email.sql"
    assert "email" in f["message"]


def test_configured_path_still_reads_the_root_files(tmp_path):
    # guard.migrations.path narrows the listing to that folder; the migrator's traces are
    # at the root all the same
    repo = project(tmp_path, dbmate_base({"Makefile": "db:\n\tdbmate up\n"}),
                   "  migrations:\n    path: db/migrations\n")
    repo.commit("feat(db): items", {
        "db/migrations/20240201000000_items.sql": UP_DOWN.format(t="items")})
    data = check(repo)
    assert data["facts"]["migrations"]["migrator"] == "dbmate"
    assert rules(data) == []


def test_every_migrator_file_is_in_the_listing():
    from guard.checks.migrations import detect, migrators
    assert set(migrators.FILES) <= set(detect.CANDIDATES)
