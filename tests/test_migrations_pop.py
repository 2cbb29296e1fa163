"""pop (gobuffalo/pop, ory's popx): one folder, `<version>_<name>[.<db>][.autocommit].(up|down).sql`,
judged by pop's own rules. Real repositories in the layout ory/kratos uses (our own SQL),
the real CLI, a real SQLite database for --verify-migrations."""

from gitrepo import run_guard
from test_migrations_sql import check, project, rules

DIR = "persistence/sql/migrations/sql"
GO_MOD = ("module example.com/svc\n\ngo 1.22\n\nrequire (\n"
          "\tgithub.com/ory/x v0.0.700\n"
          "\tgithub.com/golang-migrate/migrate/v4 v4.17.0 // indirect\n)\n")


def pop_files(version, name, variants, down=True):
    """{path: sql} for one version: ``variants`` maps a suffix ("" = every database,
    ".mysql", ".postgres.autocommit") to (up, down)."""
    out = {}
    for suffix, (up, dn) in variants.items():
        out[f"{DIR}/{version}_{name}{suffix}.up.sql"] = up
        if down:
            out[f"{DIR}/{version}_{name}{suffix}.down.sql"] = dn
    return out


def base_files():
    files = {"go.mod": GO_MOD}
    files.update(pop_files("20240101000000000000", "accounts", {
        "": ("CREATE TABLE accounts (id uuid PRIMARY KEY, created_at timestamp NOT NULL);\n",
             "DROP TABLE accounts;\n"),
        ".mysql": ("CREATE TABLE accounts (id char(36) PRIMARY KEY, created_at datetime NOT "
                   "NULL);\n", "DROP TABLE accounts;\n"),
        ".sqlite3": ("CREATE TABLE accounts (id text PRIMARY KEY, created_at datetime NOT "
                     "NULL);\n", "DROP TABLE accounts;\n")}))
    files.update(pop_files("20240301000000000000", "tokens", {
        "": ("CREATE TABLE tokens (id uuid PRIMARY KEY, account_id uuid NOT NULL);\n",
             "DROP TABLE tokens;\n")}))
    return files


def test_one_version_per_database_and_an_older_newcomer_pass(tmp_path):
    # a version older than the base's newest, with a file per database: pop applies every
    # version its schema_migration table lacks; the mysql file is MySQL; the generic
    # autocommit file runs only on SQLite and CockroachDB (postgres has its own)
    repo = project(tmp_path, base_files())
    repo.commit("feat(db): accounts index", pop_files("20240201000000000000", "accounts_idx", {
        ".autocommit": ("CREATE INDEX IF NOT EXISTS accounts_created_idx ON accounts "
                        "(created_at);\n", "DROP INDEX IF EXISTS accounts_created_idx;\n"),
        ".mysql": ("CREATE INDEX accounts_created_idx ON accounts (created_at);\n",
                   "DROP INDEX accounts_created_idx ON accounts;\n"),
        ".postgres.autocommit": (
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_created_idx ON accounts "
            "(created_at);\n", "DROP INDEX CONCURRENTLY IF EXISTS accounts_created_idx;\n")}))
    data = check(repo)
    assert data["facts"]["migrations"]["migrator"] == "pop"
    assert rules(data) == []


def test_two_files_for_one_database_clash(tmp_path):
    repo = project(tmp_path, base_files())
    repo.commit("feat(db): twice", {
        **pop_files("20240401000000000000", "a", {".postgres": (
            "ALTER TABLE tokens ADD COLUMN a text;\n", "ALTER TABLE tokens DROP COLUMN a;\n")}),
        **pop_files("20240401000000000000", "b", {".postgres": (
            "ALTER TABLE tokens ADD COLUMN b text;\n", "ALTER TABLE tokens DROP COLUMN b;\n")}),
        **pop_files("20240401000000000000", "b", {".mysql": (
            "ALTER TABLE tokens ADD COLUMN b text;\n", "ALTER TABLE tokens DROP COLUMN b;\n")}),
    })
    data = check(repo)
    clash = sorted(f["path"] for f in data["findings"] if f["rule"] == "MIG004")
    assert clash == [f"{DIR}/20240401000000000000_a.postgres.up.sql",
                     f"{DIR}/20240401000000000000_b.postgres.up.sql"]


def test_down_step_is_the_databases_own_else_the_generic_one(tmp_path):
    repo = project(tmp_path, base_files())
    repo.commit("feat(db): notes", {
        f"{DIR}/20240501000000000000_notes.up.sql": "ALTER TABLE tokens ADD COLUMN n text;\n",
        f"{DIR}/20240501000000000000_notes.down.sql": "ALTER TABLE tokens DROP COLUMN n;\n",
        f"{DIR}/20240501000000000000_notes.mysql.up.sql": "ALTER TABLE tokens ADD n text;\n",
        # the mysql and sqlite3 files have no down of their own: pop runs the generic one
        f"{DIR}/20240501000000000000_notes.sqlite3.up.sql": "ALTER TABLE tokens ADD n text;\n",
        f"{DIR}/20240601000000000000_flags.postgres.up.sql":
            "ALTER TABLE tokens ADD COLUMN f boolean;\n",
        f"{DIR}/20240601000000000000_flags.mysql.up.sql": "ALTER TABLE tokens ADD f bool;\n",
        f"{DIR}/20240601000000000000_flags.mysql.down.sql": "ALTER TABLE tokens DROP f;\n",
    })
    data = check(repo)
    assert rules(data) == [("MIG008", f"{DIR}/20240601000000000000_flags.postgres.up.sql")]


def test_each_file_parses_in_its_own_database(tmp_path):
    repo = project(tmp_path, base_files())
    repo.commit("feat(db): bad", pop_files("20240701000000000000", "bad", {
        # MySQL's DROP INDEX ... ON in the PostgreSQL file is still an error
        ".postgres": ("CREATE INDEX tokens_account_idx ON tokens (account_id);\n",
                      "DROP INDEX tokens_account_idx ON tokens;\n"),
        ".mysql": ("CREATE INDEX tokens_account_idx ON tokens (account_id);\n",
                   "DROP INDEX tokens_account_idx ON tokens;\n")}))
    data = check(repo)
    found = rules(data)
    assert ("MIG011", f"{DIR}/20240701000000000000_bad.postgres.down.sql") in found
    assert ("MIG112", f"{DIR}/20240701000000000000_bad.postgres.up.sql") in found
    assert not [p for _r, p in found if ".mysql." in p]


def test_mysql_foreign_key_needs_no_index_of_its_own(tmp_path):
    # InnoDB creates the index a foreign key needs; PostgreSQL does not
    repo = project(tmp_path, base_files())
    repo.commit("feat(db): owner", pop_files("20240751000000000000", "owner", {
        ".postgres": ("ALTER TABLE tokens ADD COLUMN owner_id uuid REFERENCES accounts (id);\n",
                      "ALTER TABLE tokens DROP COLUMN owner_id;\n"),
        ".mysql": ("ALTER TABLE tokens ADD COLUMN owner_id char(36) NULL,\n"
                   "    ADD CONSTRAINT tokens_owner_fk FOREIGN KEY (owner_id) REFERENCES "
                   "accounts (id);\n", "ALTER TABLE tokens DROP COLUMN owner_id;\n")}))
    assert rules(check(repo)) == [
        ("MIG113", f"{DIR}/20240751000000000000_owner.postgres.up.sql")]


def test_indirect_requirement_is_not_the_migrator_and_config_wins(tmp_path):
    files = base_files()
    files["go.mod"] = ("module x\n\nrequire (\n\tgithub.com/gobuffalo/pop/v6 v6.1.1 // "
                       "indirect\n)\n")
    repo = project(tmp_path, files)
    repo.commit("feat(db): x", pop_files("20240801000000000000", "x", {
        "": ("ALTER TABLE tokens ADD COLUMN x text;\n", "ALTER TABLE tokens DROP COLUMN x;\n"),
        ".mysql": ("ALTER TABLE tokens ADD x text;\n", "ALTER TABLE tokens DROP x;\n")}))
    data = check(repo)
    assert data["facts"]["migrations"]["migrator"] is None
    repo2 = project(tmp_path / "two", files, "  migrations:\n    migrator: pop\n")
    repo2.commit("feat(db): x", pop_files("20240801000000000000", "x", {
        "": ("ALTER TABLE tokens ADD COLUMN x text;\n", "ALTER TABLE tokens DROP COLUMN x;\n"),
        ".mysql": ("ALTER TABLE tokens ADD x text;\n", "ALTER TABLE tokens DROP x;\n")}))
    data = check(repo2)
    assert data["facts"]["migrations"]["migrator"] == "pop"
    assert rules(data) == []


def test_verify_on_sqlite_runs_the_sqlite3_files(tmp_path):
    repo = project(tmp_path, base_files())
    # the generic file is PostgreSQL only (SQLite has no ALTER COLUMN): pop runs the
    # sqlite3 one on SQLite, and so does the verification
    repo.commit("feat(db): email", pop_files("20240901000000000000", "email", {
        "": ("ALTER TABLE accounts ADD COLUMN email text;\n"
             "ALTER TABLE accounts ALTER COLUMN email SET NOT NULL;\n",
             "ALTER TABLE accounts DROP COLUMN email;\n"),
        ".sqlite3": ("ALTER TABLE accounts ADD COLUMN email text NOT NULL DEFAULT '';\n",
                     "ALTER TABLE accounts DROP COLUMN email;\n")}))
    data = check(repo, "--verify-migrations")
    assert [f for f in data["findings"] if f["severity"] == "error"] == []
    verification = data["facts"]["migrations"]["verification"]
    assert verification["status"] == "passed", verification
    [note] = [n for n in data["facts"]["migrations"]["migrations"]
              if n["file"].endswith("email.sqlite3.up.sql")]
    assert "rollback restores" in note["verification"]


def test_unknown_migrator_error_names_pop(tmp_path):
    repo = project(tmp_path, base_files(), "  migrations:\n    migrator: popx\n")
    res = run_guard("check", "--base", "main", "--only", "migrations", cwd=repo.path)
    assert res.code == 2 and "Traceback" not in res.err
    assert "pop" in res.err
