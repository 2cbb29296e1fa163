"""Plain SQL migrators as they name their files: `X_up.sql`/`X_down.sql` pairs of runners
that apply files in name order. Real repositories, the real CLI."""

from test_migrations_sql import check, notes, project, rules

NAME_ORDER_BASE = {
    "migrations/0000_create_extension_a_up.sql": "CREATE TABLE ext_a (id integer);\n",
    "migrations/0000_create_extension_a_down.sql": "DROP TABLE ext_a;\n",
    "migrations/0001_users_up.sql": "CREATE TABLE users (id integer PRIMARY KEY, email text);\n",
    "migrations/0001_users_down.sql": "DROP TABLE users;\n",
}


def test_up_down_pair_in_underscore_style_is_one_migration(tmp_path):
    repo = project(tmp_path, NAME_ORDER_BASE)
    repo.commit("feat(db): items", {
        "migrations/0002_items_up.sql": "CREATE TABLE items (id integer PRIMARY KEY);\n",
        "migrations/0002_items_down.sql": "DROP TABLE items;\n"})
    data = check(repo)
    assert data["findings"] == []
    [note] = notes(data)
    assert note["file"] == "migrations/0002_items_up.sql"
    assert note["rollback"]["steps"] == ["drop table items"]


def test_underscore_style_up_without_down_names_the_down_file(tmp_path):
    repo = project(tmp_path, NAME_ORDER_BASE)
    repo.commit("feat(db): items", {
        "migrations/0002_items_up.sql": "CREATE TABLE items (id integer PRIMARY KEY);\n"})
    data = check(repo)
    assert rules(data) == [("MIG008", "migrations/0002_items_up.sql")]
    assert "migrations/0002_items_down.sql" in data["findings"][0]["hint"]


def test_name_order_runner_shares_a_number_between_distinct_names(tmp_path):
    repo = project(tmp_path, NAME_ORDER_BASE)
    repo.commit("feat(db): second extension", {
        "migrations/0000_create_extension_b_up.sql": "CREATE TABLE ext_b (id integer);\n",
        "migrations/0000_create_extension_b_down.sql": "DROP TABLE ext_b;\n"})
    assert "MIG004" not in {r for r, _ in rules(check(repo))}


def test_golang_migrate_duplicate_version_is_still_an_error(tmp_path):
    repo = project(tmp_path, {
        "db/migrations/0001_users.up.sql": "CREATE TABLE users (id integer);\n",
        "db/migrations/0001_users.down.sql": "DROP TABLE users;\n"})
    repo.commit("feat(db): again", {
        "db/migrations/0001_again.up.sql": "CREATE TABLE again (id integer);\n",
        "db/migrations/0001_again.down.sql": "DROP TABLE again;\n"})
    assert ("MIG004", "db/migrations/0001_again.up.sql") in rules(check(repo))


def test_verify_never_runs_a_down_file_as_an_up_step(tmp_path):
    repo = project(tmp_path, NAME_ORDER_BASE)
    repo.commit("feat(db): items", {
        "migrations/0002_items_up.sql": "CREATE TABLE items (id integer PRIMARY KEY);\n",
        "migrations/0002_items_down.sql": "DROP TABLE items;\n"})
    data = check(repo, "--verify-migrations")
    assert [f for f in data["findings"] if f["rule"].startswith("MIG03")] == []
    assert data["facts"]["migrations"]["verification"]["status"] == "passed"


def test_each_folder_is_read_in_the_dialect_its_name_gives(tmp_path):
    repo = project(tmp_path, {
        "migrations/sqlite/0001_users.up.sql": "CREATE TABLE users (id integer);\n",
        "migrations/sqlite/0001_users.down.sql": "DROP TABLE users;\n",
        "migrations/postgres/0001_users.up.sql": "CREATE TABLE users (id integer);\n",
        "migrations/postgres/0001_users.down.sql": "DROP TABLE users;\n"})
    repo.commit("feat(db): indexes", {
        # SQLite's INSERT OR IGNORE does not parse as PostgreSQL
        "migrations/sqlite/0002_seed.up.sql": "INSERT OR IGNORE INTO users (id) VALUES (1);\n",
        "migrations/sqlite/0002_seed.down.sql": "DELETE FROM users WHERE id = 1;\n",
        # MySQL's DROP INDEX ... ON ... is not PostgreSQL
        "migrations/postgres/0002_idx.up.sql": "DROP INDEX users_id ON users;\n",
        "migrations/postgres/0002_idx.down.sql": "CREATE INDEX users_id ON users (id);\n"})
    data = check(repo)
    sets = {s["folder"]: s["dialect"] for s in data["facts"]["migrations"]["sets"]}
    assert sets == {"migrations/sqlite": "sqlite", "migrations/postgres": "postgres"}
    got = rules(data)
    assert ("MIG011", "migrations/postgres/0002_idx.up.sql") in got
    assert not [p for r, p in got if r == "MIG011" and "sqlite" in p]


def test_drop_index_on_table_is_fine_in_a_mysql_folder(tmp_path):
    repo = project(tmp_path, {
        "db/mysql/0001_users.up.sql": "CREATE TABLE users (id integer);\n",
        "db/mysql/0001_users.down.sql": "DROP TABLE users;\n"})
    repo.commit("feat(db): drop index", {
        "db/mysql/0002_idx.up.sql": "DROP INDEX users_id ON users;\n",
        "db/mysql/0002_idx.down.sql": "CREATE INDEX users_id ON users (id);\n"})
    data = check(repo)
    assert data["facts"]["migrations"]["sets"][0]["dialect"] == "mysql"
    assert "MIG011" not in {r for r, _ in rules(data)}


GOOSE_BASE = {
    "db/migrations/00001_users.sql":
        "-- +goose Up\nCREATE TABLE users (id integer PRIMARY KEY);\n\n"
        "-- +goose Down\nDROP TABLE users;\n"}


def test_goose_single_file_up_and_down(tmp_path):
    repo = project(tmp_path, GOOSE_BASE)
    repo.commit("feat(db): items", {
        "db/migrations/00002_items.sql":
            "-- +goose Up\n-- +goose StatementBegin\nCREATE TABLE items (id integer);\n"
            "-- +goose StatementEnd\n\n-- +goose Down\nDROP TABLE items;\n"})
    data = check(repo, "--verify-migrations")
    assert data["findings"] == []
    [note] = notes(data)
    assert note["summary"] == "create table items"
    assert note["rollback"]["steps"] == ["drop table items"]
    assert data["facts"]["migrations"]["verification"]["status"] == "passed"


def test_goose_without_down_names_goose_marker(tmp_path):
    repo = project(tmp_path, GOOSE_BASE)
    repo.commit("feat(db): items", {
        "db/migrations/00002_items.sql": "-- +goose Up\nCREATE TABLE items (id integer);\n"})
    data = check(repo)
    assert rules(data) == [("MIG008", "db/migrations/00002_items.sql")]
    assert "-- +goose Down" in data["findings"][0]["hint"]


def test_sql_migrate_sections(tmp_path):
    repo = project(tmp_path, {
        "migrations/1_users.sql":
            "-- +migrate Up\nCREATE TABLE users (id integer);\n-- +migrate Down\nDROP TABLE users;\n"})
    repo.commit("feat(db): items", {
        "migrations/2_items.sql":
            "-- +migrate Up\nCREATE TABLE items (id integer);\n-- +migrate Down\nDROP TABLE items;\n"})
    data = check(repo)
    assert data["findings"] == []
    assert notes(data)[0]["rollback"]["steps"] == ["drop table items"]


def test_flyway_repeatable_edit_is_not_an_applied_edit_but_versioned_is(tmp_path):
    folder = "src/main/resources/db/migration/"
    repo = project(tmp_path, {
        folder + "V1__init.sql": "CREATE TABLE a (id int);\n",
        folder + "U1__init.sql": "DROP TABLE a;\n",
        folder + "R__views.sql": "CREATE VIEW v AS SELECT 1;\n"},
        "  migrations:\n    path: src/main/resources/db/migration\n")
    repo.commit("feat(db): edit", {
        folder + "R__views.sql": "CREATE OR REPLACE VIEW v AS SELECT 2;\n",
        folder + "V1__init.sql": "CREATE TABLE a (id bigint);\n"})
    got = rules(check(repo))
    assert ("MIG001", folder + "V1__init.sql") in got
    assert not [r for r in got if r[1] == folder + "R__views.sql"]
