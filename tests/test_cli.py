"""Entry points: demo, init, rules/explain, --help import cost, and the docs catalogue."""

import os
import re
import subprocess
import sys

import pytest

from gitrepo import Repo, git_env, run_guard

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HEAVY = ("schemathesis", "hypothesis", "openapi_spec_validator", "sqlglot", "tree_sitter",
         "fastapi", "flask", "django", "git")   # `git` = GitPython: not needed on the fast path


def test_demo_runs_and_shows_violations(tmp_path):
    res = run_guard("demo", cwd=str(tmp_path))
    assert res.code == 0, res.err
    for needle in ("SCOPE001", "src/components/Button.tsx", ".github/workflows/ci.yml",
                   "deploy/nginx.conf", "SCOPE002", "src/types/order.ts",
                   "# Hand-off report — Casey (Backend Engineer)", "## 5. Commit references"):
        assert needle in res.out, needle
    assert "as expected" in res.err
    # the clean change is not flagged
    assert "src/api/orders.py (" not in res.out
    assert os.listdir(tmp_path) == []   # nothing left behind in the caller's folder


def test_demo_json(tmp_path):
    import json
    res = run_guard("demo", "--format", "json", cwd=str(tmp_path))
    data = json.loads(res.out)
    assert data["persona"] == "Casey" and data["role"] == "backend"
    assert data["failed"] is True


def test_help_imports_nothing_heavy():
    code = ("import sys\nfrom guard.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            f"heavy = [m for m in sys.modules if m.split('.')[0] in {HEAVY!r}]\n"
            "print('HEAVY', heavy)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert "HEAVY []" in out, out


def _loaded_after(repo, argv: list[str], names) -> str:
    """Run guard.cli.main(argv) in a fresh interpreter in ``repo``; 'LOADED [...] RC n'
    names the top-level modules among ``names`` it imported and its exit code."""
    code = ("import sys\nfrom guard.cli import main\n"
            f"rc = main({argv!r})\n"
            f"loaded = [m for m in sys.modules if m.split('.')[0] in {tuple(names)!r}]\n"
            "print('LOADED', loaded, 'RC', rc, file=sys.stderr)\n")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=repo.path, env=git_env()).stderr


def test_staged_scope_path_imports_nothing_heavy(repo):
    repo.write("src/api/x.py", "x\n")
    repo.git("add", "-A")
    err = _loaded_after(repo, ["check", "--staged", "--only", "scope,policy", "--format",
                               "json"], HEAVY)
    assert "LOADED [] RC 0" in err, err


def test_migrations_path_imports_only_what_it_uses(repo):
    """`guard check --only migrations` asks no scope question and gets no JUnit file: it
    loads neither pathspec (patterns are compiled when a path is first matched) nor
    sqlglot, hashlib, xml or traceback (each imported where it is used)."""
    repo.commit("feat(db): m", {"db/migrations/000001_a.up.sql": "CREATE TABLE a (id int);\n",
                                "db/migrations/000001_a.down.sql": "DROP TABLE a;\n"})
    err = _loaded_after(repo, ["check", "--base", "main", "--only", "migrations", "--format",
                               "json"], ("pathspec", "sqlglot", "hashlib", "xml", "traceback"))
    assert "LOADED [] RC 0" in err, err


def test_init_writes_valid_section_and_refuses_twice(repo):
    os.remove(os.path.join(repo.path, "company.config.yaml"))
    repo.write("company.config.yaml", "personas:\n  engineering_backend: Casey\n")
    res = run_guard("init", "--role", "backend", cwd=repo.path)
    assert res.code == 0, res.err
    text = open(os.path.join(repo.path, "company.config.yaml")).read()
    assert text.startswith("personas:") and "guard:\n  # Default role" not in text[:10]
    assert "role: backend" in text and "# Paths neither owned nor shared" in text
    res = run_guard("check", "--base", "main", "--policy", "worktree", cwd=repo.path)
    assert res.code in (0, 1), res.err
    res = run_guard("init", cwd=repo.path)
    assert res.code == 2 and "already has a guard section" in res.err


def test_init_print(tmp_path):
    res = run_guard("init", "--print", cwd=str(tmp_path))
    assert res.code == 0 and res.out.startswith("# guard")


def test_every_rule_is_in_the_readme_catalogue():
    from guard.registry import RULES
    text = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    block = text.split("<!-- rule-catalogue:start")[1].split("<!-- rule-catalogue:end")[0]
    listed = set(re.findall(r"^\| ([A-Z]+\d{3}) \|", block, re.M))
    assert listed == {r.id for r in RULES}


def test_every_rule_has_a_complete_page():
    from guard.registry import RULES
    for rule in RULES:
        assert re.fullmatch(r"[A-Z]+\d{3}", rule.id), rule.id
        assert rule.summary and rule.why and rule.wrong and rule.right, rule.id
        assert rule.name == rule.name.lower() and " " not in rule.name, rule.id


def test_version_and_unknown_command(tmp_path):
    assert run_guard("--version", cwd=str(tmp_path)).out.startswith("guard, version")
    res = run_guard("frobnicate", cwd=str(tmp_path))
    assert res.code == 2 and "No such command" in res.err


def test_github_summary_line_states_range(repo):
    repo.commit("feat(ui): x", {"src/components/Button.tsx": "x\n"})
    res = run_guard("check", "--base", "main", "--format", "github", cwd=repo.path)
    assert res.code == 1
    assert repo.git("rev-parse", "--short=8", "HEAD") in res.out.splitlines()[-1]


def test_every_subpackage_ships():
    """`pip install .` (not editable) ships only the packages pyproject lists."""
    tomllib = pytest.importorskip("tomllib")   # Python 3.11+
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as fh:
        listed = set(tomllib.load(fh)["tool"]["setuptools"]["packages"])
    found = {"guard.rules"}
    for folder, _dirs, files in os.walk(os.path.join(ROOT, "src", "guard")):
        if "__init__.py" in files:
            rel = os.path.relpath(folder, os.path.join(ROOT, "src"))
            found.add(rel.replace(os.sep, "."))
    assert listed == found
