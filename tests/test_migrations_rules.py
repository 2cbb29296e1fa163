"""Destructive/risky statement rules as data (fixtures/migrations/sql_rules.yaml), parsed by
the real sqlglot through guard's sqlrisk module; the statement splitter and inline ignores."""

import os

import pytest
import yaml

from guard.checks.migrations import sqlrisk, sqltext
from guard.registry import RULES_BY_ID

CASES = yaml.safe_load(open(os.path.join(os.path.dirname(__file__), "fixtures", "migrations",
                                         "sql_rules.yaml")))


def rules_raised(sql, dialect="postgres"):
    analysis = sqlrisk.analyse(sqltext.split(sql, "m.sql"), dialect)
    assert not analysis.errors, analysis.errors
    return {r.rule for r in analysis.risks}


BAD = [(c["rule"], c.get("dialect", "postgres"), sql) for c in CASES for sql in c["bad"]]
GOOD = [(c["rule"], c.get("dialect", "postgres"), sql) for c in CASES for sql in c["good"]]


@pytest.mark.parametrize("rule,dialect,sql", BAD)
def test_risky_statement_raises_its_rule(rule, dialect, sql):
    assert rule in rules_raised(sql, dialect)


@pytest.mark.parametrize("rule,dialect,sql", GOOD)
def test_safe_statement_does_not_raise_the_rule(rule, dialect, sql):
    assert rule not in rules_raised(sql, dialect)


def test_every_statement_rule_has_a_case_and_a_page():
    covered = {c["rule"] for c in CASES if c["bad"]}
    statement_rules = {r for r in RULES_BY_ID if r.startswith("MIG1")}
    assert statement_rules == covered
    for rule in statement_rules:
        assert RULES_BY_ID[rule].why and RULES_BY_ID[rule].right


def test_splitter_keeps_lines_quotes_dollar_quotes_and_ignores():
    sql = ("-- header\nCREATE TABLE a (s text DEFAULT ';');\n\n"
           "CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql;\n"
           "/* multi\nline; */ DROP TABLE a; -- guard:ignore MIG101 reason: replaced by b\n"
           "-- guard:ignore MIG102, MIG101 reason: cleanup of the old schema\n"
           "ALTER TABLE b DROP COLUMN c;\n")
    stmts = sqltext.split(sql, "m.sql")
    assert [s.line for s in stmts] == [2, 4, 6, 8]
    assert stmts[1].sql.endswith("LANGUAGE sql")
    assert stmts[2].ignores == (("MIG101", "replaced by b", 6),)
    assert {r for r, _, _ in stmts[3].ignores} == {"MIG101", "MIG102"}


def test_malformed_inline_ignores_are_reported():
    bad = []
    sqltext.split("-- guard:ignore drop it anyway\nDROP TABLE a;\n"
                  "-- guard:ignore MIG101\nDROP TABLE b;\n", "m.sql", 1, bad)
    assert [(line, "names no rule" in p or "no reason" in p) for _, line, p in bad] == \
        [(1, True), (3, True)]


def test_malformed_sql_is_a_finding_with_its_line_not_a_crash():
    analysis = sqlrisk.analyse(sqltext.split("SELECT 1;\n\nCREATE TABLE t (\n  a int,\n",
                                             "m.sql"), "postgres")
    assert len(analysis.errors) == 1 and analysis.errors[0][0] >= 3
    assert "does not parse" in analysis.errors[0][1]


def test_model_and_seed_patterns_answer_as_fnmatch():
    """The migrations check's path patterns (model_paths, seed_paths): a pattern without a
    wildcard is compared as a string, and answers what fnmatch answers for it."""
    import fnmatch
    import itertools

    from guard.checks.migrations.rules import DEFAULT_SEED_PATHS, DEFAULT_SEED_SPECS, _matches

    def by_fnmatch(path, pattern):
        if pattern.endswith("/"):
            return fnmatch.fnmatch(path, pattern + "*") if "*" in pattern \
                else path.startswith(pattern)
        return fnmatch.fnmatch(path, pattern)

    patterns = ["prisma/schema.prisma", "src/db/schema.ts", "*/models.py", "db/seed.*",
                "seeds/", "*/fixtures/", "models.py", "a[b]c.py", "x?.py", "db/",
                *DEFAULT_SEED_PATHS, *DEFAULT_SEED_SPECS]
    paths = ["prisma/schema.prisma", "prisma/schema.prismax", "xprisma/schema.prisma",
             "src/db/schema.ts", "app/models.py", "models.py", "a/b/models.py", "db/seed.ts",
             "seeds/users.sql", "x/seeds/users.sql", "app/fixtures/a.json", "abc.py",
             "a[b]c.py", "x1.py", "x.py", "db/a.sql", "db", "src/db/schema.ts/x"]
    for path, pattern in itertools.product(paths, patterns):
        assert _matches(path, pattern) == by_fnmatch(path, pattern), (path, pattern)
