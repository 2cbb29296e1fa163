"""migrations check on plain SQL layouts (golang-migrate, Flyway, dbmate): real repositories,
the real CLI."""

import json
import os

from gitrepo import backend_project, run_guard

GOLANG_BASE = {
    "db/migrations/0001_users.up.sql": "CREATE TABLE users (id integer PRIMARY KEY, email text);\n",
    "db/migrations/0001_users.down.sql": "DROP TABLE users;\n",
    "db/migrations/0002_orders.up.sql":
        "CREATE TABLE orders (id integer PRIMARY KEY, user_id integer REFERENCES users(id));\n"
        "CREATE INDEX orders_user ON orders (user_id);\n",
    "db/migrations/0002_orders.down.sql": "DROP TABLE orders;\n",
}


def project(tmp_path, base, config_extra=""):
    from gitrepo import BACKEND_CONFIG
    return backend_project(str(tmp_path / "p"), BACKEND_CONFIG + config_extra, extra=base)


def check(repo, *args, env=None):
    res = run_guard("check", "--base", "main", "--only", "migrations", "--format", "json",
                    *args, cwd=repo.path, env=env)
    assert res.code in (0, 1), res.err
    return json.loads(res.out)


def rules(data):
    return sorted((f["rule"], f["path"]) for f in data["findings"])


def notes(data):
    return data["facts"]["migrations"]["migrations"]


def test_clean_new_golang_migration_passes_with_notes(tmp_path):
    repo = project(tmp_path, GOLANG_BASE)
    repo.commit("feat(db): order status", {
        "db/migrations/0003_status.up.sql":
            "ALTER TABLE orders ADD COLUMN status text NOT NULL DEFAULT 'new';\n",
        "db/migrations/0003_status.down.sql": "ALTER TABLE orders DROP COLUMN status;\n"})
    data = check(repo)
    assert data["findings"] == []
    [note] = notes(data)
    assert note["file"] == "db/migrations/0003_status.up.sql"
    assert note["summary"] == "alter table orders: add column status"
    assert note["rollback"]["steps"] == ["alter table orders: drop column status"]
    status = {c["name"]: c["status"] for c in data["checks"]}
    assert status["migrations"] == "passed"


def test_edited_deleted_and_renamed_applied_migrations(tmp_path):
    repo = project(tmp_path, GOLANG_BASE)
    sha = repo.commit("fix(db): tweak the users table", {
        "db/migrations/0001_users.up.sql": "CREATE TABLE users (id integer PRIMARY KEY);\n"})
    repo.git("rm", "-q", "db/migrations/0002_orders.down.sql")
    repo.git("mv", "db/migrations/0002_orders.up.sql", "db/migrations/0002_purchases.up.sql")
    repo.commit("refactor(db): rename")
    data = check(repo)
    found = {f["rule"]: f for f in data["findings"] if f["rule"] in ("MIG001",)}
    assert rules(data).count(("MIG002", "db/migrations/0002_orders.down.sql")) == 1
    assert ("MIG002", "db/migrations/0002_orders.up.sql") in rules(data)
    edit = found["MIG001"]
    assert edit["path"] == "db/migrations/0001_users.up.sql"
    assert sha[:8] in edit["message"] and "add a new migration instead" in edit["hint"]
    assert edit["severity"] == "error"


def test_out_of_order_duplicate_and_gap(tmp_path):
    repo = project(tmp_path, GOLANG_BASE)
    repo.commit("feat(db): three new", {
        "db/migrations/0001_again.up.sql": "SELECT 1;\n",
        "db/migrations/0001_again.down.sql": "SELECT 1;\n",
        "db/migrations/0005_late.up.sql": "SELECT 1;\n",
        "db/migrations/0005_late.down.sql": "SELECT 1;\n"})
    got = rules(check(repo))
    assert ("MIG003", "db/migrations/0001_again.up.sql") in got
    assert ("MIG004", "db/migrations/0001_again.up.sql") in got
    assert ("MIG005", "db/migrations/0005_late.up.sql") in got
    assert ("MIG003", "db/migrations/0005_late.up.sql") not in got


def test_timestamp_versions_have_no_gap_rule(tmp_path):
    repo = project(tmp_path, {
        "migrations/20240101120000_a.up.sql": "SELECT 1;\n",
        "migrations/20240101120000_a.down.sql": "SELECT 1;\n"})
    repo.commit("feat(db): b", {"migrations/20240301090000_b.up.sql": "SELECT 2;\n",
                                "migrations/20240301090000_b.down.sql": "SELECT 2;\n"})
    assert check(repo)["findings"] == []


def test_missing_and_empty_down(tmp_path):
    repo = project(tmp_path, GOLANG_BASE)
    repo.commit("feat(db): two", {
        "db/migrations/0003_a.up.sql": "CREATE TABLE a (id int);\n",
        "db/migrations/0004_b.up.sql": "CREATE TABLE b (id int);\n",
        "db/migrations/0004_b.down.sql": "-- nothing to do\n"})
    data = check(repo)
    got = rules(data)
    assert ("MIG008", "db/migrations/0003_a.up.sql") in got
    assert ("MIG009", "db/migrations/0004_b.down.sql") in got
    hint = next(f["hint"] for f in data["findings"] if f["rule"] == "MIG008")
    assert "db/migrations/0003_a.down.sql" in hint


def test_irreversible_by_trusted_policy_needs_a_reason_and_is_honoured(tmp_path):
    cfg = ("  migrations:\n    irreversible:\n      - migration: 0003_a\n"
           "        reason: one-way data fix; backup taken in OPS-12\n")
    repo = project(tmp_path, GOLANG_BASE, cfg)
    repo.commit("feat(db): a", {"db/migrations/0003_a.up.sql": "CREATE TABLE a (id int);\n"})
    data = check(repo)
    assert data["findings"] == []
    assert "OPS-12" in notes(data)[0]["rollback"]["text"]
    bad = project(tmp_path / "x", GOLANG_BASE,
                  "  migrations:\n    irreversible:\n      - migration: 0003_a\n")
    res = run_guard("check", "--base", "main", cwd=bad.path)
    assert res.code == 2 and "has no reason" in res.err and "company.config.yaml:" in res.err


def test_destructive_statements_and_inline_ignores(tmp_path):
    sql = ("-- guard:ignore MIG101 reason: legacy table replaced by orders_v2\n"
           "DROP TABLE legacy_orders;\n"
           "ALTER TABLE users DROP COLUMN email;\n"
           "-- guard:ignore drop it anyway\n"
           "DELETE FROM orders;\n")
    files = {"db/migrations/0003_cleanup.up.sql": sql,
             "db/migrations/0003_cleanup.down.sql": "SELECT 1;\n"}
    repo = project(tmp_path, GOLANG_BASE)
    repo.commit("feat(db): cleanup", files)
    data = check(repo)
    by_rule = {f["rule"]: f for f in data["findings"]}
    assert {"MIG101", "MIG102", "MIG105", "MIG013"} <= set(by_rule)
    assert by_rule["MIG101"]["line"] == 2 and by_rule["MIG101"]["severity"] == "warning"
    assert "not honoured" in by_rule["MIG101"]["message"]
    assert by_rule["MIG013"]["line"] == 4
    # the trusted policy allows inline ignores: the named, reasoned one is honoured
    allowed = project(tmp_path / "y", GOLANG_BASE,
                      "  migrations:\n    allow_inline_ignores: true\n")
    allowed.commit("feat(db): cleanup", files)
    data = check(allowed)
    assert "MIG101" not in {f["rule"] for f in data["findings"]}
    assert {"MIG102", "MIG105", "MIG013"} <= {f["rule"] for f in data["findings"]}
    flag = next(x for x in notes(data)[0]["destructive"] if x["rule"] == "MIG101")
    assert flag["ignored"] == "legacy table replaced by orders_v2"


def test_branch_cannot_allow_its_own_inline_ignores(tmp_path):
    repo = project(tmp_path, GOLANG_BASE)
    cfg = repo.git("show", "main:company.config.yaml")
    repo.commit("feat(db): drop", {
        "company.config.yaml": cfg + "  migrations:\n    allow_inline_ignores: true\n",
        "db/migrations/0003_d.up.sql": "DROP TABLE orders; -- guard:ignore MIG101 reason: x\n",
        "db/migrations/0003_d.down.sql": "SELECT 1;\n"})
    assert "MIG101" in {f["rule"] for f in check(repo)["findings"]}


def test_severity_per_rule_from_trusted_policy(tmp_path):
    cfg = ("  severity:\n    MIG101: {level: error, reason: \"no drops without a DBA\"}\n")
    repo = project(tmp_path, GOLANG_BASE, cfg)
    repo.commit("feat(db): drop", {"db/migrations/0003_d.up.sql": "DROP TABLE orders;\n",
                                   "db/migrations/0003_d.down.sql": "SELECT 1;\n"})
    f = next(f for f in check(repo)["findings"] if f["rule"] == "MIG101")
    assert f["severity"] == "error"


def test_malformed_sql_is_a_finding(tmp_path):
    repo = project(tmp_path, GOLANG_BASE)
    repo.commit("feat(db): broken", {
        "db/migrations/0003_b.up.sql": "CREATE TABLE ok (id int);\nCREATE TABLE broken (\n  id int,\n",
        "db/migrations/0003_b.down.sql": "DROP TABLE ok;\n"})
    f = next(f for f in check(repo)["findings"] if f["rule"] == "MIG011")
    assert f["path"] == "db/migrations/0003_b.up.sql" and f["line"] >= 2
    assert f["severity"] == "error"


def test_flyway_layout(tmp_path):
    repo = project(tmp_path, {
        "src/main/resources/db/migration/V1__init.sql": "CREATE TABLE a (id int);\n",
        "src/main/resources/db/migration/U1__init.sql": "DROP TABLE a;\n",
        "src/main/resources/db/migration/V2__b.sql": "CREATE TABLE b (id int);\n",
        "src/main/resources/db/migration/U2__b.sql": "DROP TABLE b;\n"},
        "  migrations:\n    path: src/main/resources/db/migration\n")
    repo.commit("feat(db): flyway", {
        "src/main/resources/db/migration/V1_5__late.sql": "CREATE TABLE c (id int);\n",
        "src/main/resources/db/migration/V3__no_undo.sql": "CREATE TABLE d (id int);\n",
        "src/main/resources/db/migration/V4__ok.sql": "CREATE TABLE e (id int);\n",
        "src/main/resources/db/migration/U4__ok.sql": "DROP TABLE e;\n",
        "src/main/resources/db/migration/R__views.sql": "CREATE VIEW v AS SELECT 1;\n"})
    got = rules(check(repo))
    folder = "src/main/resources/db/migration/"
    assert (("MIG003", folder + "V1_5__late.sql") in got
            and ("MIG008", folder + "V3__no_undo.sql") in got)
    assert not [r for r in got if r[1] in (folder + "V4__ok.sql", folder + "R__views.sql")]


def test_dbmate_layout(tmp_path):
    repo = project(tmp_path, {
        "db/migrations/20240101000000_init.sql":
            "-- migrate:up\nCREATE TABLE a (id int);\n\n-- migrate:down\nDROP TABLE a;\n"})
    repo.commit("feat(db): dbmate", {
        "db/migrations/20240201000000_ok.sql":
            "-- migrate:up\nCREATE TABLE b (id int);\n-- migrate:down\nDROP TABLE b;\n",
        "db/migrations/20240202000000_no_down.sql": "-- migrate:up\nCREATE TABLE c (id int);\n",
        "db/migrations/20240203000000_empty_down.sql":
            "-- migrate:up\nCREATE TABLE d (id int);\n-- migrate:down\n"})
    data = check(repo)
    got = rules(data)
    assert got == [("MIG008", "db/migrations/20240202000000_no_down.sql"),
                   ("MIG009", "db/migrations/20240203000000_empty_down.sql")]
    ok = next(n for n in notes(data) if n["file"].endswith("_ok.sql"))
    assert ok["rollback"]["steps"] == ["drop table b"]
    empty = next(f for f in data["findings"] if f["rule"] == "MIG009")
    assert empty["line"] == 3


def test_model_changed_without_migration(tmp_path):
    repo = project(tmp_path, GOLANG_BASE)
    repo.commit("feat(models): add a field", {"src/models/order.py": "status = 'x'\n"})
    assert rules(check(repo)) == [("MIG020", "src/models/order.py")]
    repo.commit("feat(db): and its migration", {
        "db/migrations/0003_s.up.sql": "ALTER TABLE orders ADD COLUMN status text;\n",
        "db/migrations/0003_s.down.sql": "ALTER TABLE orders DROP COLUMN status;\n"})
    assert check(repo)["findings"] == []


def test_no_migrations_anywhere_is_reported_as_skipped(tmp_path):
    repo = project(tmp_path, {})
    repo.commit("feat(api): x", {"src/api/x.py": "x = 1\n"})
    data = check(repo)
    status = {c["name"]: c for c in data["checks"]}["migrations"]
    assert status["status"] == "skipped" and "no migrations found" in status["note"]


def test_bad_configuration_is_a_clear_error(tmp_path):
    repo = project(tmp_path, GOLANG_BASE, "  migrations:\n    framework: rails\n")
    res = run_guard("check", "--base", "main", cwd=repo.path)
    assert res.code == 2 and "guard.migrations.framework" in res.err
    assert "Traceback" not in res.err


def test_staged_mode_reads_the_index(tmp_path):
    repo = project(tmp_path, GOLANG_BASE)
    repo.write("db/migrations/0001_users.up.sql", "CREATE TABLE users (id int);\n")
    repo.write("db/migrations/0003_t.up.sql", "TRUNCATE users;\n")
    repo.git("add", "db/migrations/0001_users.up.sql", "db/migrations/0003_t.up.sql")
    repo.write("db/migrations/0003_t.down.sql", "SELECT 1;\n")   # not staged: not seen
    res = run_guard("check", "--staged", "--only", "migrations", "--format", "json",
                    cwd=repo.path)
    data = json.loads(res.out)
    got = rules(data)
    assert ("MIG001", "db/migrations/0001_users.up.sql") in got
    assert ("MIG104", "db/migrations/0003_t.up.sql") in got
    assert ("MIG008", "db/migrations/0003_t.up.sql") in got
    edit = next(f for f in data["findings"] if f["rule"] == "MIG001")
    assert "staged" in edit["message"]


def test_database_url_must_be_postgres_or_name_a_variable(tmp_path):
    repo = project(tmp_path, GOLANG_BASE, "  migrations:\n    database_url: mysql://x/y\n")
    res = run_guard("check", "--base", "main", cwd=repo.path)
    assert res.code == 2 and "guard.migrations.database_url" in res.err
    assert "company.config.yaml:" in res.err


def test_verify_with_nothing_new_says_so(tmp_path):
    repo = project(tmp_path, GOLANG_BASE, "  migrations: true\n")   # shorthand for verify
    repo.commit("feat(api): x", {"src/api/x.py": "x = 1\n"})
    data = check(repo)
    assert data["findings"] == []
    assert data["facts"]["migrations"]["verification"]["status"] == "nothing to verify"


def test_last_commit_touching_reads_a_path_as_a_name_not_a_pattern(tmp_path):
    from gitrepo import Repo

    from guard.git import Git
    repo = Repo.init(str(tmp_path / "r"))
    base = repo.commit("feat: base", {"m/a[1].sql": "SELECT 1;\n", "m/a1.sql": "SELECT 1;\n"})
    first = repo.commit("fix: bracket file", {"m/a[1].sql": "SELECT 2;\n"})
    repo.commit("fix: plain file", {"m/a1.sql": "SELECT 2;\n"})
    git = Git(repo.path)
    assert git.last_commit_touching(f"{base}..HEAD", "m/a[1].sql") == first
    assert git.last_commit_touching(f"{base}..HEAD", "m/*.sql") is None


def test_loose_blobs_read_from_the_work_tree_only_when_they_hash_to_the_blob(tmp_path):
    from gitrepo import Repo

    from guard.git import Git
    repo = Repo.init(str(tmp_path / "r"))
    repo.commit("feat: files", {"a.sql": "SELECT 1;\n", "b.sql": "SELECT 2;\n",
                                "c.sql": "SELECT 3;\n", "d.sql": "SELECT 4;\n"})
    git = Git(repo.path)
    tree = git.tree_blobs("HEAD")
    assert git._loose(tree["a.sql"])            # just committed: loose objects
    repo.write("b.sql", "DROP TABLE users;\n")  # edited after the commit
    os.remove(os.path.join(repo.path, "c.sql"))
    os.symlink("a.sql", os.path.join(repo.path, "c.sql"))   # replaced by a symlink
    os.remove(os.path.join(repo.path, "d.sql"))             # deleted
    got = git.blobs_at({p: tree[p] for p in ("a.sql", "b.sql", "c.sql", "d.sql")})
    assert got == {"a.sql": b"SELECT 1;\n", "b.sql": b"SELECT 2;\n", "c.sql": b"SELECT 3;\n",
                   "d.sql": b"SELECT 4;\n"}
    # the work tree served a.sql only: the edited, replaced and deleted files came from git
    assert git._worktree_blobs({p: tree[p] for p in ("a.sql", "b.sql", "c.sql", "d.sql")}) == (
        {"a.sql": b"SELECT 1;\n"}, {p: tree[p] for p in ("b.sql", "c.sql", "d.sql")})


def test_detection_lists_candidate_names_whatever_the_pathspec_environment(tmp_path):
    """Without guard.migrations.path, git lists only the names detection can use (wildcard
    pathspecs); a GIT_*_PATHSPECS variable in the environment must not change what is found."""
    base = dict(GOLANG_BASE, **{"services/billing/db/migrations/0001_a.up.sql": "SELECT 1;\n",
                                "services/billing/db/migrations/0001_a.down.sql": "SELECT 1;\n",
                                "src/api/orders.py": "x = 1\n"})
    repo = project(tmp_path, base)
    repo.commit("feat(db): truncate", {"db/migrations/0003_t.up.sql": "TRUNCATE users;\n",
                                       "services/billing/db/migrations/0001_a.up.sql":
                                           "SELECT 2;\n"})
    want = rules(check(repo))
    assert ("MIG008", "db/migrations/0003_t.up.sql") in want
    assert ("MIG001", "services/billing/db/migrations/0001_a.up.sql") in want
    for var in ("GIT_LITERAL_PATHSPECS", "GIT_GLOB_PATHSPECS", "GIT_NOGLOB_PATHSPECS",
                "GIT_ICASE_PATHSPECS"):
        assert rules(check(repo, env={var: "1"})) == want, var


def test_split_without_a_scan_gives_the_scans_statements():
    """A text with no comment, quote or dollar sign is cut at each `;` without the
    character scan (sqltext._split_plain). On random texts of such characters, whitespace
    of every kind included, it must give exactly the scan's statements and lines."""
    import random

    from guard.checks.migrations import sqltext
    rng = random.Random(5)
    alphabet = list("ab ;;\n\n\t\r\f\v\u00a0\u2028(),=") + ["DROP TABLE t", "\n\n"]
    for _ in range(30000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 16)))
        first = rng.randint(1, 3)
        assert sqltext._ANY_SPECIAL.search(text) is None
        assert sqltext.split(text, "m.sql", first) == \
            sqltext._split_scan(text, "m.sql", first, []), repr(text)
    # any of the special characters sends the text to the scan
    text = "SELECT ';';\n-- guard:ignore MIG101 reason: x\nDROP TABLE t;"
    stmts = sqltext.split(text, "m.sql")
    assert [(s.sql, s.line, s.ignores) for s in stmts] == [
        ("SELECT ';'", 1, ()), ("DROP TABLE t", 3, (("MIG101", "x", 2),))]
