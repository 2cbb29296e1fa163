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


def _loaded_after(repo, argv: list[str], names, entry: str = "console") -> str:
    """Run guard.<entry>.main(argv) in a fresh interpreter in ``repo``, as the console script
    does; 'LOADED [...] RC n' names the top-level modules among ``names`` it imported and its
    exit code (after whatever the command printed)."""
    code = (f"import sys\nfrom guard.{entry} import main\n"
            f"rc = main({argv!r})\n"
            "loaded = sorted({m.split('.')[0] for m in sys.modules} & "
            f"set({tuple(names)!r}))\n"
            "print('LOADED', loaded, 'RC', rc, file=sys.stderr)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=repo.path, env=git_env())
    return proc.stdout + "\n--- stderr\n" + proc.stderr


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
    # an explicit roles_dir must exist; the project has no .guard/roles, so init writes the
    # key commented out (written, it made this check exit 2)
    assert "\n  # roles_dir: .guard/roles\n" in text and "\n  roles_dir:" not in text
    res = run_guard("check", "--base", "main", "--policy", "worktree", cwd=repo.path)
    assert res.code in (0, 1), res.err
    res = run_guard("init", cwd=repo.path)
    assert res.code == 2 and "already has a guard section" in res.err


def test_init_print(tmp_path):
    res = run_guard("init", "--print", cwd=str(tmp_path))
    assert res.code == 0 and res.out.startswith("# guard")


def test_every_rule_is_in_the_docs_catalogue():
    from guard.registry import RULES
    text = open(os.path.join(ROOT, "docs", "rules.md"), encoding="utf-8").read()
    listed = set(re.findall(r"^\| \[([A-Z]+\d{3})\]", text, re.M))
    assert listed == {r.id for r in RULES}, "run `python -m guard.rulesdoc`"


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


@pytest.mark.slow
def test_wheel_ships_every_module_and_the_role_packs(tmp_path):
    """`pip install .` (not editable, as pre-commit does in its clone of guard) installs the
    wheel built from the committed tree: it holds every file of src/guard and the role packs
    as guard/rules, nothing else, and the build leaves nothing in the tree (setuptools left
    build/ and *.egg-info, 1.3 MB, in every pre-commit clone). Builds from the package index
    (the build backend), like pre-commit."""
    import zipfile
    env = git_env()
    clone = str(tmp_path / "guard")
    subprocess.run(["git", "clone", "-q", "--no-local", ROOT, clone], env=env, check=True)
    dist = str(tmp_path / "dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                    "--disable-pip-version-check", "-w", dist, "."], cwd=clone, check=True,
                   capture_output=True)
    [wheel] = os.listdir(dist)
    names = set(zipfile.ZipFile(os.path.join(dist, wheel)).namelist())
    tracked = subprocess.run(["git", "ls-files", "src/guard", "rules"], cwd=clone, env=env,
                             check=True, capture_output=True, text=True).stdout.split()
    shipped = {p[len("src/"):] if p.startswith("src/") else "guard/" + p for p in tracked}
    assert "guard/rules/backend.yaml" in shipped
    assert {n for n in names if not n.startswith("agent_branch_guard-")} == shipped
    left = subprocess.run(["git", "status", "--porcelain", "--ignored"], cwd=clone, env=env,
                          check=True, capture_output=True, text=True).stdout
    assert left == ""


# `guard check` without click (guard.checkcmd): the same answers as through click


CHECK_LINES = [
    ["check", "--base", "main"],
    ["check", "--base=main", "--format", "json", "--fail-on", "never"],
    ["check", "--base", "main", "--only", "scope", "--only=policy,commits", "--skip",
     "commits", "--format=agent"],
    ["check", "-C", ".", "--base", "main", "--role", "frontend", "--format", "markdown"],
    ["check", "--base", "main", "--output", "json=../out.json", "--format", "sarif"],
    ["check", "--staged", "--only", "scope,policy", "--format", "json"],
    ["check", "--base", "nosuch"],                          # a guard error: exit 2
    ["check", "--base", "main", "--scope", "missing.yaml"],   # a configuration error
    ["check", "--base", "main", "--only", "nosuch"],          # an unknown check
]


@pytest.mark.parametrize("argv", CHECK_LINES, ids=lambda a: " ".join(a[1:]))
def test_plain_check_runs_without_click_and_answers_as_click_does(repo, argv):
    repo.commit("feat(api): x", {"src/api/x.py": "x = 1\n", "src/components/B.tsx": "b\n"})
    repo.write("src/api/y.py", "y = 1\n")
    repo.git("add", "-A")
    from guard.checkcmd import check_args
    assert check_args(argv[1:]) is not None, "this command line must take the fast path"
    fast = _loaded_after(repo, argv, ("click",) + HEAVY)
    slow = _loaded_after(repo, argv, ("click",) + HEAVY, entry="cli")
    assert "LOADED [] RC" in fast, fast
    def timeless(text):                 # durations differ from run to run
        return re.sub(r"\d+\.\d+", "N", text)
    assert timeless(slow.replace("LOADED ['click'] RC", "LOADED [] RC")) == timeless(fast)
    rc = int(fast.rsplit("RC ", 1)[1])
    assert rc in (0, 1, 2) and ("guard: error:" in fast) == (rc == 2), fast


@pytest.mark.parametrize("argv", [
    ["--help"], ["-h"], ["--bas", "main"], ["--base"], ["--base", "-x"], ["--format", "xml"],
    ["--output", "sarif"], ["--output", "xml=a"], ["--output", "json="], ["--staged", "--base",
    "main"], ["--staged", "--head=HEAD"], ["-Cdir"], ["-C=dir"], ["--debug"], ["extra"],
    ["--staged=1"], ["--policy", "head"], ["--fail-on", "info"], ["--if-no-role", "warn"],
    ["--", "--base"], ["--run-tests"], ["-x"], ["--output", "json=a", "--output=sarif=./a"],
    ["--only", ""], ["--only=,"], ["--skip", " "], ["--role="], ["--role", ""],
    ["--base", ""], ["--head= "], ["--scope", ""], ["--tests-junit="], ["-C", ""]],
    ids=lambda a: " ".join(a))
def test_every_other_check_line_goes_to_click(argv):
    from guard.checkcmd import check_args
    assert check_args(argv) is None


def test_checkcmd_knows_every_option_of_click_check():
    """checkcmd's option table is click's `check` command, option for option."""
    import click

    from guard import checkcmd
    from guard.cli import cli
    command = cli.commands["check"]
    seen = set()
    for param in command.params:
        if param.name == "help":
            continue
        names = param.opts + param.secondary_opts
        seen.update(names)
        for name in names:
            if param.is_flag:
                assert checkcmd.FLAGS[name] == param.name
                continue
            assert checkcmd.VALUED[name][0] == param.name, name
            choices = (tuple(param.type.choices) if isinstance(param.type, click.Choice)
                       else None)
            assert checkcmd.VALUED[name][1] == choices, name
            assert (param.name in checkcmd.MULTIPLE) == param.multiple, name
    assert seen == set(checkcmd.VALUED) | set(checkcmd.FLAGS)
    # what click passes for a bare `guard check` (Option.default is a sentinel in click 8.2+)
    assert checkcmd.check_defaults() == command.make_context("check", []).params


@pytest.mark.parametrize("seed", [7, *(pytest.param(s, marks=pytest.mark.slow)
                                        for s in (8, 9, 10))])
def test_check_args_reads_command_lines_exactly_as_click(seed):
    """Random command lines, valid and not: whenever checkcmd takes one, click reads the
    same parameters from it; and checkcmd takes most valid ones. 750 lines a seed; the fast
    lane runs the first seed, CI all four (each seed one more sample of the same property)."""
    import random

    import click

    from guard import checkcmd
    from guard.cli import cli
    command = cli.commands["check"]
    values = ["main", "origin/main", "HEAD~2", "", "a b", "é", "x=y", "json=o.json",
              "sarif=a=b", "scope,policy", "base", "worktree", "skip", "error", "never",
              "warning", "text", "agent", "-x", "--base", "nl\nname"]
    options = list(checkcmd.VALUED) + list(checkcmd.FLAGS) + ["--bogus", "-h", "pos"]
    rng = random.Random(seed)
    taken = 0
    for _ in range(750):
        args: list[str] = []
        for _ in range(rng.randint(0, 6)):
            opt = rng.choice(options)
            if opt in checkcmd.VALUED and rng.random() < 0.9:
                value = rng.choice(values + list(checkcmd.VALUED[opt][1] or ()) * 3)
                if opt.startswith("--") and rng.random() < 0.4:
                    args.append(f"{opt}={value}")
                else:
                    args += [opt, value]
            else:
                args.append(opt)
        fast = checkcmd.check_args(args)
        try:
            ctx = command.make_context("check", list(args), resilient_parsing=False)
            clicks = dict(ctx.params)
            if clicks["staged"] and (clicks["base"] or clicks["head"]):
                clicks = None            # guard.cli refuses it after parsing
            elif checkcmd.outputs_problem(clicks["outputs"]):
                clicks = None
        except (click.exceptions.Exit, click.UsageError):
            clicks = None
        if fast is not None:
            taken += 1
            assert clicks == fast, args
    assert taken > 75


@pytest.mark.parametrize("message", ["feat(api): add orders\n", "WIP orders\n", None],
                         ids=["clean", "wip", "missing-file"])
def test_commit_msg_hook_runs_without_click_and_answers_as_click_does(repo, tmp_path, message):
    path = tmp_path / "MSG"
    if message is not None:
        path.write_text(message)
    argv = ["hook", "commit-msg", str(path)]
    from guard.console import commit_msg_file
    assert commit_msg_file(argv) == str(path)
    fast = _loaded_after(repo, argv, ("click",) + HEAVY)
    slow = _loaded_after(repo, argv, ("click",) + HEAVY, entry="cli")
    assert "LOADED [] RC" in fast, fast
    assert slow.replace("LOADED ['click'] RC", "LOADED [] RC") == fast
    expected = {"feat(api): add orders\n": "RC 0", "WIP orders\n": "RC 1", None: "RC 2"}
    assert fast.rstrip().endswith(expected[message]), fast


@pytest.mark.parametrize("argv", [
    ["hook", "commit-msg"], ["hook", "commit-msg", "--help"], ["hook", "commit-msg", "-C"],
    ["hook", "commit-msg", "a", "b"], ["hook", "commit-msg", ""], ["hook", "commit-msg", "."],
    ["--debug", "hook", "commit-msg", "f"], ["hook", "claude"]])
def test_every_other_commit_msg_line_goes_to_click(argv):
    from guard.console import commit_msg_file
    assert commit_msg_file(argv) is None


def test_explain_shows_a_builtin_role_pack_line(tmp_path):
    """Messages cite built-in packs as builtin:backend.yaml:LINE; explain shows that line."""
    from gitrepo import backend_project, run_guard
    repo = backend_project(str(tmp_path / "p"))
    res = run_guard("explain", "builtin:backend.yaml:3", cwd=repo.path)
    assert res.code == 0 and "built-in role pack backend.yaml" in res.out
    assert [r for r in res.out.splitlines() if r.startswith(">")][0].split("|")[0].split() == [">", "3"]
    bad = run_guard("explain", "builtin:nope.yaml", cwd=repo.path)
    assert bad.code == 2 and "no built-in role pack" in bad.err and "Traceback" not in bad.err
