"""The docs stay true to the code: the generated rule catalogue matches the registry, every
option of `guard check` is documented, the README stays a front page."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCS = os.path.join(ROOT, "docs")


def _read(*parts: str) -> str:
    with open(os.path.join(ROOT, *parts), encoding="utf-8") as fh:
        return fh.read()


def test_rules_doc_is_up_to_date():
    from guard import rulesdoc
    assert _read("docs", "rules.md") == rulesdoc.render(), (
        f"docs/rules.md is out of date with guard.registry: run `{rulesdoc.COMMAND}` "
        "at the repository root and commit the result")


def test_rules_doc_lists_every_rule_with_its_page():
    from guard.registry import RULES
    text = _read("docs", "rules.md")
    table = set(re.findall(r"^\| \[([A-Z]+\d{3})\]\(#", text, re.M))
    pages = set(re.findall(r"^## ([A-Z]+\d{3})$", text, re.M))
    assert table == pages == {r.id for r in RULES}


def test_regenerate_command_writes_and_checks(tmp_path):
    path = tmp_path / "rules.md"
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "src"))
    cmd = [sys.executable, "-m", "guard.rulesdoc"]
    stale = subprocess.run(cmd + ["--check", str(path)], capture_output=True, text=True,
                           env=env)
    assert stale.returncode == 1 and "run `python -m guard.rulesdoc`" in stale.stderr
    assert subprocess.run(cmd + [str(path)], capture_output=True, env=env).returncode == 0
    fresh = subprocess.run(cmd + ["--check", str(path)], capture_output=True, env=env)
    assert fresh.returncode == 0
    assert path.read_text(encoding="utf-8") == _read("docs", "rules.md")


def _long_options(command) -> list[str]:
    return sorted({opt for param in command.params for opt in param.opts + param.secondary_opts
                   if opt.startswith("--")})


def test_every_option_of_guard_check_is_documented():
    from guard.cli import check
    usage = _read("docs", "usage.md")
    missing = [opt for opt in _long_options(check) if f"`{opt}" not in usage]
    assert not missing, (f"options of `guard check` not documented in docs/usage.md: "
                         f"{', '.join(missing)} (add them to its options table)")
    assert "`-C DIR`" in usage


def test_every_option_of_guard_report_is_documented():
    from guard.cli import report
    usage = _read("docs", "usage.md")
    missing = [opt for opt in _long_options(report) if f"`{opt}" not in usage]
    assert not missing, f"options of `guard report` not documented in docs/usage.md: {missing}"


def test_readme_is_a_front_page():
    text = _read("README.md")
    assert len(text.encode("utf-8")) <= 16 * 1024
    # the two set-up commands, exactly
    # the demo runs every check, the contract check too: its extra is part of the command
    assert ("python3 -m venv .venv && .venv/bin/pip install -q '.[contract]' && "
            ".venv/bin/guard demo" in text)
    command = ".venv/bin/python -m pytest -q -n auto"
    assert ("python3 -m venv .venv && .venv/bin/pip install -q -e '.[test]' && " + command
            + "\n") in text
    # and CI runs exactly that command
    assert command in _read(".ci", "run")
    for undefined in ("the seed", "design card", "<!--"):
        assert undefined not in text.lower(), undefined
    assert "the role contract" in text.lower()


def test_docs_have_no_undefined_terms_or_placeholders():
    for name in sorted(os.listdir(DOCS)):
        if not name.endswith(".md"):
            continue
        text = _read("docs", name)
        for term in ("the seed's", "the seed ", "design card", "your-org", "v0.1.0"):
            assert term not in text, f"docs/{name}: {term!r}"
        if name != "rules.md":
            assert "<!--" not in text, f"docs/{name}: leftover comment"


def test_relative_links_in_readme_and_docs_resolve():
    for base, name in [(ROOT, "README.md")] + [(DOCS, n) for n in os.listdir(DOCS)
                                                if n.endswith(".md")]:
        text = _read(os.path.relpath(os.path.join(base, name), ROOT))
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
            if "://" in target or target.startswith("mailto:"):
                continue
            assert os.path.exists(os.path.join(base, target)), f"{name}: broken link {target}"


def test_tables_are_not_split_by_blank_lines():
    for base, name in [(ROOT, "README.md")] + [(DOCS, n) for n in os.listdir(DOCS)
                                                if n.endswith(".md")]:
        lines = _read(os.path.relpath(os.path.join(base, name), ROOT)).split("\n")
        for i in range(1, len(lines) - 1):
            if lines[i] == "" and lines[i - 1].startswith("|") and \
                    lines[i + 1].startswith("|") and not lines[i + 1].startswith("| ---") and \
                    not re.match(r"^\|[-| ]+\|$", lines[i + 2] if i + 2 < len(lines) else ""):
                raise AssertionError(f"{name}:{i + 1}: a blank line splits a table")


def test_whole_project_configuration_example_is_valid(tmp_path):
    """The company.config.yaml of docs/configuration.md, on a real repository: guard reads
    it (no exit 2), takes the role from the branch name and applies its severity change."""
    from gitrepo import Repo, run_guard
    text = _read("docs", "configuration.md")
    block = text.split("## A whole project")[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    repo = Repo.init(str(tmp_path / "project"))
    repo.commit("chore: base", {
        "company.config.yaml": block,
        "tasks/current.yaml": "task: orders\nallowed: [src/server/]\n",
        "migrations/versions/.keep": "",
        "src/server/main.py": "app = None\n",
        "artifacts/api/openapi.yaml": "openapi: 3.0.3\ninfo: {title: t, version: '1'}\n"
                                      "paths: {}\n",
    })
    repo.branch("agent/backend/orders")
    repo.commit("feat(api): add orders\n\nAgent-Role: backend",
                {"src/server/orders.py": "ORDERS = []\n"})
    res = run_guard("check", "--skip", "contract", "--format", "json", cwd=repo.path)
    assert res.code == 1, res
    data = json.loads(res.out)
    assert data["role"] == "backend" and "branch name" in data["role_origin"]
    assert data["persona"] == "Casey"
    rules = {(f["rule"], f["severity"]) for f in data["findings"]}
    assert ("CONV008", "error") in rules            # the severity change in the example
