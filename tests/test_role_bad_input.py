"""The role contract's settings (issue 15) on bad input: one line on stderr naming
company.config.yaml and the line of the bad value, what is wrong and what to do; exit 2; no
traceback. One case per setting at least, on a real repository through the real CLI."""

import pytest

from gitrepo import BACKEND_CONFIG, backend_project, run_guard

TENANCY = ("check", "--only", "conventions")
CONTRACT = ("check", "--only", "contract")
MIGRATIONS = ("check", "--only", "migrations")
REPORT = ("report",)
# BACKEND_CONFIG's `guard:` mapping ends on line 7: settings under it start on line 8
CASES = [
    # architecture.multi_tenancy (before BACKEND_CONFIG: line 1 is `architecture:`)
    (TENANCY, "architecture:\n  multi_tenancy: 0\n", 2,
     "architecture.multi_tenancy must be a mapping"),
    (TENANCY, "architecture:\n  multi_tenancy: [a]\n", 2,
     "architecture.multi_tenancy must be a mapping"),
    (TENANCY, "architecture:\n  multi_tenancy:\n    tables: [5]\n", 3,
     "each entry of architecture.multi_tenancy.tables must be a string"),
    (TENANCY, "architecture:\n  multi_tenancy:\n    rls: maybe\n", 3,
     "architecture.multi_tenancy.rls must be true or false"),
    # api.*
    (CONTRACT, "api:\n  naming: camelCase\n", 2, "api.naming must be a mapping"),
    (CONTRACT, "api:\n  base_path: 5\n", 2, "api.base_path must be a string"),
    (CONTRACT, "api:\n  pagination: pages\n", 2, "api.pagination is 'pages'"),
    # guard.lint.command
    (REPORT, "  lint: make lint\n", 8, "guard.lint must be a mapping"),
    (REPORT, "  lint:\n    command: \"make 'lint\"\n", 9,
     "guard.lint.command cannot be split into words"),
    (REPORT, "  lint:\n    commnd: make lint\n", 9, "did you mean 'command'"),
    # guard.migrations.seed_paths
    (MIGRATIONS, "  migrations:\n    seed_paths: 5\n", 9,
     "guard.migrations.seed_paths must be a list"),
    (MIGRATIONS, "  migrations:\n    seed_paths: [../seeds/]\n", 9,
     "'../seeds/' is not a path inside the repository"),
    (MIGRATIONS, "  migrations:\n    seed_paths:\n      - seeds/\n      - ./db/seeds/\n", 11,
     "'./db/seeds/' starts with ./, so it matches no file"),
]


@pytest.mark.parametrize("command, snippet, line, message", CASES,
                         ids=[f"{c[0][-1]}:{' '.join(c[1].split())}" for c in CASES])
def test_bad_setting_is_one_line_with_its_line_and_exit_2(tmp_path, command, snippet, line,
                                                          message):
    if snippet.startswith("  "):
        config = BACKEND_CONFIG + snippet
    else:
        config = snippet + BACKEND_CONFIG
    repo = backend_project(str(tmp_path / "p"), config=config)
    repo.commit("feat(db): invoices", {"migrations/0002_x.sql": "CREATE TABLE x (id int);\n"})
    res = run_guard(*command, "--base", "main", cwd=repo.path)
    assert res.code == 2, (res.code, res.err)
    [err] = res.err.strip().splitlines()
    assert err.startswith(f"guard: error: company.config.yaml:{line}: "), err
    assert message in err and " — " in err, err     # what is wrong — what to do


def test_multi_tenancy_false_is_off(tmp_path):
    config = "architecture:\n  multi_tenancy: false\n" + BACKEND_CONFIG
    repo = backend_project(str(tmp_path / "p"), config=config)
    repo.commit("feat(db): invoices", {"migrations/0002_x.sql": "CREATE TABLE x (id int);\n"})
    res = run_guard(*TENANCY, "--base", "main", cwd=repo.path)
    assert res.code == 0, res.err
