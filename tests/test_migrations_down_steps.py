"""Whether a new migration without a down step is a finding follows the migrator: Flyway
Community and plain name-order runners have no down step by design (MIG010, rollback notes),
the tools with down steps get MIG008. Real repositories, the real CLI."""

from test_migrations_sql import check, notes, project, rules

FLYWAY = "src/main/resources/db/migration/"


def flyway_project(tmp_path, undo: bool):
    files = {FLYWAY + "V1__init.sql": "CREATE TABLE a (id int);\n",
             "flyway.conf": "flyway.locations=filesystem:src/main/resources/db/migration\n"}
    if undo:
        files[FLYWAY + "U1__init.sql"] = "DROP TABLE a;\n"
    return project(tmp_path, files)


def test_flyway_community_folder_is_forward_only(tmp_path):
    repo = flyway_project(tmp_path, undo=False)
    repo.commit("feat(db): b and c", {
        FLYWAY + "V2__b.sql": "CREATE TABLE b (id int);\n",
        FLYWAY + "V3__c.sql": "-- rollback: DROP TABLE c;\nCREATE TABLE c (id int);\n"})
    data = check(repo)
    found = [(f["rule"], f["severity"], f["path"]) for f in data["findings"]]
    assert found == [("MIG010", "warning", FLYWAY + "V2__b.sql")]
    [f] = data["findings"]
    assert "Flyway Community has no undo" in f["message"]
    assert "U2__b.sql" in f["hint"] and "-- rollback:" in f["hint"]
    c = next(n for n in notes(data) if n["file"].endswith("V3__c.sql"))
    assert c["rollback"]["kind"] == "notes" and "DROP TABLE c" in c["rollback"]["text"]


def test_flyway_folder_that_keeps_undo_files_owes_one(tmp_path):
    repo = flyway_project(tmp_path, undo=True)
    repo.commit("feat(db): b", {FLYWAY + "V2__b.sql": "CREATE TABLE b (id int);\n"})
    [f] = check(repo)["findings"]
    assert (f["rule"], f["severity"]) == ("MIG008", "error")
    assert "U2__b.sql" in f["hint"]


def test_name_order_runner_has_no_down_step(tmp_path):
    repo = project(tmp_path, {"sql/migrations/001_init.sql": "CREATE TABLE a (id int);\n"},
                   "  migrations:\n    migrator: name-order\n")
    repo.commit("feat(db): b", {"sql/migrations/002_b.sql": "CREATE TABLE b (id int);\n"})
    assert rules(check(repo)) == [("MIG010", "sql/migrations/002_b.sql")]


def test_golang_migrate_without_down_file_stays_an_error(tmp_path):
    repo = project(tmp_path, {
        "go.mod": "module x\n\nrequire github.com/golang-migrate/migrate/v4 v4.17.0\n",
        "db/migrations/0001_a.up.sql": "CREATE TABLE a (id int);\n",
        "db/migrations/0001_a.down.sql": "DROP TABLE a;\n"})
    repo.commit("feat(db): b", {"db/migrations/0002_b.up.sql": "CREATE TABLE b (id int);\n"})
    [f] = check(repo)["findings"]
    assert (f["rule"], f["severity"]) == ("MIG008", "error")
    assert "0002_b.down.sql" in f["hint"]
