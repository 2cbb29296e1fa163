"""The fast SQL path (sqlfast.py) against sqlglot: every statement gives the same summary,
risks (rule, message, line) and parse errors whichever parser reads it.

Corpus: every SQL string in the migration tests and fixtures, the benchmark's 2,000
generated migrations, hand-written tricky statements, and generated variants of each
statement form (names that are keywords, quoting, comments, types, dialects). Plus:
sqlwords.py still matches the installed sqlglot, and linting an ordinary migration set
does not import sqlglot at all.
"""

import ast
import glob
import itertools
import os
import random
import subprocess
import sys

import pytest
import yaml

from guard.checks.migrations import sqlfast, sqlrisk, sqltext

HERE = os.path.dirname(__file__)
DIALECTS = ("postgres", "mysql", "sqlite")
sys.path.insert(0, os.path.join(HERE, "..", "benchmarks"))


def _result(sql: str, dialect: str, fast: bool):
    analysis = sqlrisk.analyse(sqltext.split(sql, "m.sql"), dialect, fast=fast)
    return (analysis.summary, [(r.rule, r.message, r.stmt.line) for r in analysis.risks],
            analysis.errors)


def _differences(texts, dialects=DIALECTS):
    out = []
    for text in texts:
        for dialect in dialects:
            fast, slow = _result(text, dialect, True), _result(text, dialect, False)
            if fast != slow:
                out.append((dialect, text, fast, slow))
    return out


def _test_sql_strings() -> list[str]:
    """Every string constant in the migration tests that holds SQL statements, and the
    rule fixtures."""
    verbs = ("CREATE", "ALTER", "DROP", "TRUNCATE", "DELETE", "UPDATE", "INSERT", "SELECT",
             "BEGIN", "COMMIT", "COMMENT", "GRANT", "SET")
    found = []
    for path in sorted(glob.glob(os.path.join(HERE, "test_migrations_*.py"))):
        if path.endswith("test_migrations_fastsql.py"):
            continue
        tree = ast.parse(open(path, encoding="utf-8").read())
        for node in ast.walk(tree):
            if isinstance(node, (ast.Constant, ast.BinOp)):
                try:
                    value = ast.literal_eval(node)
                except ValueError:
                    continue
                if isinstance(value, str) and any(
                        s.sql.split(None, 1)[0].upper() in verbs
                        for s in sqltext.split(value, "x") if s.sql.split()):
                    found.append(value)
    cases = yaml.safe_load(open(os.path.join(HERE, "fixtures", "migrations",
                                             "sql_rules.yaml")))
    found += [sql for c in cases for sql in c["bad"] + c["good"]]
    return sorted(set(found))


TRICKY = [
    # quoting, case, schema-qualified names
    'CREATE TABLE "Orders" ("Id" bigint PRIMARY KEY, "User Id" int REFERENCES "Users"(id));',
    "CREATE TABLE public.orders (id int, user_id int REFERENCES public.users (id));",
    "ALTER TABLE public.users DROP COLUMN \"Email\";",
    "ALTER TABLE `users` DROP COLUMN `email`;",
    "ALTER TABLE [users] DROP COLUMN [email];",
    "DROP TABLE IF EXISTS a, b CASCADE;",
    "DROP TABLE s.a; DROP SCHEMA IF EXISTS billing CASCADE; DROP DATABASE d;",
    "DROP INDEX CONCURRENTLY IF EXISTS i; DROP VIEW v; DROP SEQUENCE IF EXISTS s;",
    # keywords inside strings, comments and dollar quotes
    "UPDATE t SET note = 'DROP TABLE x; -- not a comment' WHERE id = 1;",
    "INSERT INTO t (a) VALUES ('TRUNCATE t'), ('it''s');",
    "SELECT $$ DROP TABLE users $$;",
    "SELECT $body$ ; DELETE FROM t $body$, 1;",
    "/* DROP TABLE x; */ CREATE TABLE x (id int);",
    "CREATE TABLE x (id int -- DROP TABLE y;\n, name text);",
    "CREATE TABLE x (id int PRIMARY /* c */ KEY);",
    "CREATE TABLE x (id int PRIMARY -- c\n KEY, b int REFERENCES o);",
    "ALTER TABLE t ALTER COLUMN a TYPE double /* c */ precision;",
    "ALTER TABLE t ALTER COLUMN a TYPE double\n\tprecision;",
    "ALTER TABLE t ALTER COLUMN a TYPE timestamp  with \n time zone;",
    "ALTER TABLE t ALTER COLUMN a TYPE timestamp(3) with time zone;",
    "SELECT E'it\\'s';",
    "SELECT E'plain';",
    "SELECT e'x' AS y;",
    "UPDATE t SET a = 'x\\' WHERE b = 1;",
    "SELECT /* a /* nested */ b */ 1;",
    "# mysql comment\nDROP TABLE a;",
    # multi-action ALTER TABLE, IF EXISTS, ONLY
    "ALTER TABLE t ADD COLUMN a int, ADD COLUMN b int NOT NULL;",
    "ALTER TABLE t ADD COLUMN a int, DROP COLUMN b;",
    "ALTER TABLE t DROP COLUMN a, RENAME TO x;",
    "ALTER TABLE t ALTER COLUMN a SET NOT NULL, ALTER COLUMN b TYPE int;",
    "ALTER TABLE IF EXISTS ONLY s.t DROP COLUMN IF EXISTS a CASCADE;",
    "ALTER TABLE t ADD COLUMN IF NOT EXISTS a int NOT NULL;",
    "ALTER TABLE t ADD a int; ALTER TABLE t DROP a; ALTER TABLE t RENAME a TO b;",
    "ALTER TABLE t ADD CHECK (a > 0); ALTER TABLE t ADD PRIMARY KEY (id);",
    "ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0); ALTER TABLE t OWNER TO bob;",
    "ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES o (id) ON DELETE CASCADE;",
    "ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES o (id) NOT VALID;",
    "ALTER TABLE t ADD UNIQUE (a); ALTER TABLE t ADD FOREIGN KEY (a) REFERENCES o;",
    "ALTER TABLE t ALTER COLUMN a TYPE numeric(10,2) USING a::numeric;",
    "ALTER TABLE t ALTER a SET DATA TYPE bigint; ALTER TABLE t ALTER COLUMN a DROP NOT NULL;",
    "ALTER TABLE t ALTER COLUMN a SET DEFAULT 0; ALTER TABLE t ALTER COLUMN a DROP DEFAULT;",
    "ALTER TABLE t ADD COLUMN a int GENERATED ALWAYS AS IDENTITY;",
    "ALTER TABLE t ADD COLUMN a int NOT NULL DEFAULT 0;",
    "ALTER TABLE t ADD COLUMN a serial NOT NULL;",
    "ALTER INDEX i RENAME TO j; ALTER SEQUENCE s RESTART 1;",
    # MySQL and SQLite syntax
    "ALTER TABLE t MODIFY COLUMN a bigint NOT NULL;",
    "ALTER TABLE t CHANGE a b varchar(10);",
    "CREATE TABLE t (id int AUTO_INCREMENT PRIMARY KEY, k varchar(10), UNIQUE KEY uk (k)) "
    "ENGINE=InnoDB;",
    "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, a TEXT) WITHOUT ROWID;",
    "CREATE TABLE t (a int unsigned, b varchar(10) CHARACTER SET utf8);",
    "INSERT OR IGNORE INTO t VALUES (1); REPLACE INTO t VALUES (1);",
    "CREATE TABLE t (a mood, b text[], c int4range);",
    # indexes
    "CREATE INDEX ON t (a); CREATE INDEX i ON ONLY t (a);",
    "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS i ON s.t USING btree (lower(a), b DESC) "
    "WHERE a IS NOT NULL;",
    "CREATE INDEX i ON t USING gin (a); CREATE INDEX i ON t (a) INCLUDE (b);",
    "CREATE TABLE t (a int); CREATE UNIQUE INDEX t_a ON t (a); CREATE INDEX t_b ON t (a);",
    # other statements
    "SELECT 1; SELEC 1; foo bar baz;",
    "INSERT INTO t VALUES (1,,2); UPDATE t SET; UPDATE t SET a = 1 WHERE;",
    "DELETE FROM t WHERE; CREATE TABLE t (a int,); CREATE TABLE t (a int DEFAULT);",
    "CREATE TABLE t (a int",
    "UPDATE t SET a = 'unterminated;",
    "CREATE TABLE t AS SELECT 1; CREATE VIEW v AS SELECT 1; CREATE SCHEMA billing;",
    "CREATE EXTENSION IF NOT EXISTS pgcrypto; CREATE SEQUENCE s;",
    "CREATE TYPE mood AS ENUM ('a', 'b'); COMMENT ON TABLE t IS 'x'; GRANT SELECT ON t TO b;",
    "BEGIN; COMMIT; SET lock_timeout = '5s';",
    "CREATE OR REPLACE FUNCTION f() RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql;",
    "TRUNCATE a, b RESTART IDENTITY; TRUNCATE TABLE ONLY a; TRUNCATE t CASCADE;",
    "DELETE FROM t AS x WHERE x.a = 1; UPDATE public.t AS x SET a = 1;",
    "UPDATE t SET a = 1, b = b + 1 WHERE c IN (1, 2) AND d IS NOT NULL OR e BETWEEN 1 AND 2;",
    "INSERT INTO t VALUES (1, 'a', NULL, TRUE, now(), CURRENT_TIMESTAMP);",
    "UPDATE t SET a = lower(b, c); UPDATE t SET a = coalesce(); UPDATE t SET a = foo(1);",
    "CREATE TABLE t (a int DEFAULT 'x' || 'y', b int DEFAULT (1 + 2), c int DEFAULT -1);",
    "CREATE TABLE t (a numeric(10, 2) DEFAULT 0.5e3, b uuid DEFAULT gen_random_uuid());",
    "CREATE TABLE t (a int CHECK (a > 0), b text COLLATE \"C\", CHECK (a < 10));",
    "CREATE TABLE t (id int, PRIMARY KEY (id), UNIQUE (a, b), CHECK (a > 0), FOREIGN KEY (b) "
    "REFERENCES o (id) ON DELETE SET NULL ON UPDATE CASCADE);",
    "CREATE TABLE t (id int CONSTRAINT pk PRIMARY KEY, b int CONSTRAINT fk REFERENCES o (id));",
    "CREATE TABLE t (a int NULL NOT NULL, b int UNIQUE, c int PRIMARY KEY REFERENCES o(id));",
    "CREATE TABLE t (a int DEFAULT 1 NOT NULL DEFAULT 2);",
    "CREATE TABLE items (id int, order_id int, CONSTRAINT f FOREIGN KEY (order_id) "
    "REFERENCES orders(id)); CREATE INDEX items_o ON items (order_id);",
]

# Names dropped into every name position: ordinary ones, keywords that sqlglot reads as
# identifiers, and words this parser or sqlglot treats specially.
NAMES = ["users", "t1", "name", "type", "key", "text", "date", "status", "value", "data",
         "user", "level", "comment", "first", "index", "column", "only", "concurrently",
         "if", "cascade", "restrict", "identity", "restart", "using", "to", "table",
         "default", "constraint", "unique", "primary", "check", "references", "set", "add",
         "drop", "rename", "alter", "valid", "time", "zone", "with", "e", "x", "_a",
         '"Mixed Case"', "`tick`", "[br]", '"a""b"', '""']


# Names the fast path reads itself (so their variants exercise it, not just the fallback).
PLAIN = ["users", "t1", "name", "type", "key", "text", "date", "status", "value", "data",
         "user_id", "_a", "x", '"Mixed Case"', "`tick`", "[br]"]


def _forms(rng: random.Random, names: list[str]) -> list[str]:
    a, b, c, d = (rng.choice(names) for _ in range(4))
    ty = rng.choice(["int", "integer", "bigint", "text", "varchar(20)", "numeric(10, 2)",
                     "numeric(10)", "timestamptz", "timestamp with time zone",
                     "double precision", "character varying(5)", "boolean", "uuid", "jsonb",
                     "mood", "int[]", "serial", "date", "timestamp(3)", "float8",
                     "decimal(1,2,3)", "varchar(0020)", "int unsigned"])
    expr = rng.choice(["1", "'x'", "now()", "NULL", "TRUE", "-1.5", "1 + 2", "'a' || 'b'",
                       "(1)", "a", "x.y", "lower('A')", "CURRENT_TIMESTAMP", "'{}'::jsonb",
                       "1 = 1", "a IS NULL", "a NOT LIKE 'x%'", "a IN (1, 2)", "name",
                       "CASE WHEN a THEN 1 END", "CAST(a AS int)", "interval", "E'x'"])
    return [
        f"CREATE TABLE {a} ({b} {ty}, {c} {ty} NOT NULL DEFAULT {expr});",
        f"CREATE TABLE IF NOT EXISTS {a}.{b} ({c} {ty} PRIMARY KEY, {d} int REFERENCES {a} "
        f"({c}) ON DELETE CASCADE);",
        f"CREATE TABLE {a} ({b} int, CONSTRAINT {c} FOREIGN KEY ({b}) REFERENCES {d});",
        f"CREATE TABLE {a} ({b} int UNIQUE, {c} int CHECK ({expr}), PRIMARY KEY ({b}));",
        f"ALTER TABLE {a} ADD COLUMN {b} {ty};",
        f"ALTER TABLE {a} ADD {b} {ty} NOT NULL;",
        f"ALTER TABLE {a} ADD COLUMN {b} {ty} NOT NULL DEFAULT {expr};",
        f"ALTER TABLE {a} ADD COLUMN {b} int REFERENCES {c}({d});",
        f"ALTER TABLE {a} DROP COLUMN {b};",
        f"ALTER TABLE {a} DROP COLUMN IF EXISTS {b} CASCADE, DROP COLUMN {c};",
        f"ALTER TABLE {a} DROP CONSTRAINT {b};",
        f"ALTER TABLE {a} RENAME TO {b};",
        f"ALTER TABLE {a} RENAME COLUMN {b} TO {c};",
        f"ALTER TABLE {a} ALTER COLUMN {b} TYPE {ty};",
        f"ALTER TABLE {a} ALTER COLUMN {b} SET DATA TYPE {ty} USING {expr};",
        f"ALTER TABLE {a} ALTER COLUMN {b} SET NOT NULL;",
        f"ALTER TABLE {a} ALTER COLUMN {b} SET DEFAULT {expr};",
        f"ALTER TABLE {a} ALTER {b} DROP DEFAULT;",
        f"ALTER TABLE {a} ADD CONSTRAINT {b} UNIQUE ({c});",
        f"ALTER TABLE {a} ADD CONSTRAINT {b} FOREIGN KEY ({c}) REFERENCES {d} ({c});",
        f"ALTER TABLE {a} ADD CONSTRAINT {b} PRIMARY KEY ({c}), ADD COLUMN {d} int;",
        f"CREATE INDEX {a} ON {b} ({c});",
        f"CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS {a} ON {b} USING btree ({c} DESC, "
        f"{d});",
        f"CREATE INDEX {a} ON {b} ({c}) WHERE {expr};",
        f"DROP TABLE {a};",
        f"DROP TABLE IF EXISTS {a}, {b}.{c} CASCADE;",
        f"DROP INDEX CONCURRENTLY {a};",
        f"DROP VIEW IF EXISTS {a}; DROP SCHEMA {b} RESTRICT;",
        f"TRUNCATE TABLE {a}, {b} RESTART IDENTITY;",
        f"DELETE FROM {a};",
        f"DELETE FROM {a} WHERE {expr};",
        f"UPDATE {a} SET {b} = {expr};",
        f"UPDATE {a}.{b} SET {c} = {expr}, {d} = 1 WHERE {expr};",
        f"INSERT INTO {a} ({b}, {c}) VALUES ({expr}, 1), (2, {expr});",
        f"INSERT INTO {a} VALUES ({expr});",
        f"SELECT {expr}, 1;",
    ]


def _mutants(text: str, rng: random.Random, n: int) -> list[str]:
    """Broken and odd variants: a token dropped, doubled or swapped, a comment put in."""
    lexed = sqltext.lex(text.rstrip(";"), "postgres")
    if not lexed or len(lexed[0]) < 2:
        return []
    toks = lexed[0]
    out = []
    for _ in range(n):
        t = list(toks)
        k = rng.randrange(len(t))
        how = rng.randrange(4)
        if how == 0:
            del t[k]
        elif how == 1:
            t.insert(k, t[k])
        elif how == 2:
            j = rng.randrange(len(t))
            t[k], t[j] = t[j], t[k]
        else:
            t.insert(k, "/* c */")
        out.append(" ".join(t) + ";")
    return out


def test_sqlwords_matches_the_installed_sqlglot():
    import sqlwords_gen
    with open(sqlwords_gen.TARGET, encoding="utf-8") as fh:
        assert fh.read() == sqlwords_gen.generate(), (
            "src/guard/checks/migrations/sqlwords.py is out of date for sqlglot "
            f"{sqlwords_gen.sqlglot_version()}: run `python tests/sqlwords_gen.py`")


def test_every_migration_in_the_tests_reads_the_same_both_ways():
    texts = _test_sql_strings()
    assert len(texts) > 80
    assert _differences(texts) == []


def test_the_benchmark_corpus_reads_the_same_and_never_needs_sqlglot():
    import migrations as bench
    files = bench.generate(2000)
    assert _differences(files.values(), ("postgres",)) == []
    stmts = [s for p, text in files.items() for s in sqltext.split(text, p)]
    assert [s.sql for s in stmts if sqlfast.facts(s.sql, "postgres") is None] == []


def test_tricky_statements_read_the_same_both_ways():
    assert _differences(TRICKY) == []


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("names", ["plain", "keywords"])
def test_generated_statements_and_broken_variants_read_the_same_both_ways(seed, names):
    rng = random.Random(seed)
    texts = []
    for _ in range(10):
        for form in _forms(rng, PLAIN if names == "plain" else NAMES):
            texts.append(form)
            texts += _mutants(form, rng, 4)
    assert _differences(texts) == []


def test_the_fast_path_covers_the_common_forms():
    """Not a correctness property (sqlglot is the fallback) but the point of the fast
    path: ordinary statements must not need sqlglot."""
    common = ["CREATE TABLE t (id bigint PRIMARY KEY, name text NOT NULL, at timestamptz "
              "DEFAULT now(), u_id int REFERENCES u (id) ON DELETE CASCADE);",
              "ALTER TABLE t ADD COLUMN c varchar(20) NOT NULL DEFAULT 'x';",
              "ALTER TABLE t ALTER COLUMN c TYPE bigint;", "DROP TABLE IF EXISTS t;",
              "CREATE INDEX CONCURRENTLY t_c ON t (c);", "UPDATE t SET c = 1 WHERE id = 2;",
              "INSERT INTO t (id, name) VALUES (1, 'a');", "SELECT 1;"]
    for sql in common:
        for dialect in ("postgres", "sqlite"):
            assert sqlfast.facts(sql.rstrip(";"), dialect) is not None, (dialect, sql)


def test_linting_ordinary_migrations_does_not_import_sqlglot(tmp_path):
    from gitrepo import Repo
    repo = Repo.init(str(tmp_path / "r"))
    repo.commit("chore: base", {"company.config.yaml": "guard:\n  role: backend\n"})
    repo.git("checkout", "-q", "-b", "agent/backend/x")
    repo.commit("feat(db): tables", {
        "db/migrations/0001_users.up.sql":
            "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);\n"
            "CREATE INDEX CONCURRENTLY users_email ON users (email);\n",
        "db/migrations/0001_users.down.sql": "DROP TABLE users;\n",
        "db/migrations/0002_name.up.sql": "ALTER TABLE users ADD COLUMN name text;\n"
                                          "UPDATE users SET name = 'x' WHERE id = 1;\n",
        "db/migrations/0002_name.down.sql": "ALTER TABLE users DROP COLUMN name;\n"})
    code = ("import sys, json, io, contextlib\n"
            "from guard.cli import main\n"
            "buf = io.StringIO()\n"
            "with contextlib.redirect_stdout(buf):\n"
            "    try:\n"
            "        main(['check', '--base', 'main', '--only', 'migrations', '--format', "
            "'json', '--fail-on', 'never'])\n"
            "    except SystemExit:\n"
            "        pass\n"
            "data = json.loads(buf.getvalue())\n"
            "print(json.dumps({'rules': sorted(f['rule'] for f in data['findings']),\n"
            "                  'sqlglot': sorted(m for m in sys.modules\n"
            "                                    if m.startswith('sqlglot'))}))\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=repo.path, capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stderr
    import json
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["sqlglot"] == []
    assert "MIG101" not in got["rules"] and "MIG102" not in got["rules"]   # up parts only
