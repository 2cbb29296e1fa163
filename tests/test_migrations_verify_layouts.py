"""--verify-migrations step by step on every plain SQL layout guard reads: in each, the base
has one migration; the branch adds one without a down step (a MIG034 warning) and then one
whose down step leaves a column (a MIG030 error on that migration, although the one before
it cannot be rolled back), then a right one. Real repositories, real SQLite databases."""

import pytest

from test_migrations_sql import notes, project
from test_migrations_verify import verify

FLYWAY = "src/main/resources/db/migration/"
FLYWAY_CONFIG = "  migrations:\n    path: src/main/resources/db/migration\n"


def sections(up_mark, down_mark):
    def make(up, down):
        return f"{up_mark}\n{up}" + (f"{down_mark}\n{down}" if down is not None else "")
    return make


def pair(up_name, down_name):
    def files(n, name, up, down):
        out = {up_name(n, name): up}
        if down is not None:
            out[down_name(n, name)] = down
        return out
    return files


def one_file(path, make):
    def files(n, name, up, down):
        return {path(n, name): make(up, down)}
    return files


LAYOUTS = {
    "golang-migrate": (pair(lambda n, x: f"db/migrations/000{n}_{x}.up.sql",
                            lambda n, x: f"db/migrations/000{n}_{x}.down.sql"), ""),
    "name-order": (pair(lambda n, x: f"migrations/000{n}_{x}_up.sql",
                        lambda n, x: f"migrations/000{n}_{x}_down.sql"), ""),
    "flyway": (pair(lambda n, x: f"{FLYWAY}V{n}__{x}.sql",
                    lambda n, x: f"{FLYWAY}U{n}__{x}.sql"), FLYWAY_CONFIG),
    "goose": (one_file(lambda n, x: f"db/migrations/0000{n}_{x}.sql",
                       sections("-- +goose Up", "-- +goose Down")), ""),
    "sql-migrate": (one_file(lambda n, x: f"migrations/{n}_{x}.sql",
                             sections("-- +migrate Up", "-- +migrate Down")), ""),
    "dbmate": (one_file(lambda n, x: f"db/migrations/2024010{n}000000_{x}.sql",
                        sections("-- migrate:up", "-- migrate:down")), ""),
}


def by_rule(data, rule):
    return [f for f in data["findings"] if f["rule"] == rule]


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_each_migration_is_proven_on_its_own(tmp_path, layout):
    files, config = LAYOUTS[layout]
    repo = project(tmp_path, files(1, "users", "CREATE TABLE users (id integer);\n",
                                   "DROP TABLE users;\n"), config)
    no_down = files(2, "tags", "CREATE TABLE tags (id integer);\n", None)
    leaky = files(3, "phone", "ALTER TABLE users ADD COLUMN phone text;\n"
                  "CREATE TABLE notes (id integer);\n", "DROP TABLE notes;\n")
    good = files(4, "likes", "CREATE TABLE likes (id integer);\n", "DROP TABLE likes;\n")
    repo.commit("feat(db): three", {**no_down, **leaky, **good})
    data = verify(repo)
    [unproven] = by_rule(data, "MIG034")
    assert unproven["path"] == next(iter(no_down)) and "no down step" in unproven["message"]
    [leak] = by_rule(data, "MIG030")
    assert leak["path"] in leaky and "table users: column phone" in leak["message"]
    assert by_rule(data, "MIG031") == []
    good_note = next(n for n in notes(data) if n["file"] == next(iter(good)))
    assert "restores the schema before it" in good_note["verification"]
    assert data["facts"]["migrations"]["verification"]["status"] == "failed"


def test_flyway_repeatable_is_named_as_one(tmp_path):
    files, config = LAYOUTS["flyway"]
    repo = project(tmp_path, files(1, "users", "CREATE TABLE users (id integer);\n",
                                   "DROP TABLE users;\n"), config)
    repo.commit("feat(db): view", {FLYWAY + "R__views.sql": "CREATE VIEW v AS SELECT 1 AS x;\n",
                                   **files(2, "tags", "CREATE TABLE tags (id integer);\n",
                                           "DROP TABLE tags;\n")})
    data = verify(repo)
    [unproven] = by_rule(data, "MIG034")
    assert unproven["path"] == FLYWAY + "R__views.sql"
    assert "repeatable" in unproven["message"] and "no down step" not in unproven["message"]
    assert by_rule(data, "MIG030") == []
    assert data["facts"]["migrations"]["verification"]["status"] == "partial"
