"""`guard init` on a team's repository: it reads the layout (backend/, frontend/, workspace
folders) and the commit style from the project itself, so the first agent branch that keeps
its contract passes, in real repositories built in temp folders."""

import json
import os

import pytest
import yaml

from gitrepo import Repo, from_template, run_guard

GITMOJI = "\u2728"     # ✨ (sparkles)
FIX = "\U0001f41b"     # 🐛 (bug)


@pytest.fixture
def monorepo(tmp_path) -> Repo:
    """A full-stack project laid out as many are: backend/ and frontend/ applications, a root
    Compose file, CI, workspace lock files, a README; its history written in gitmoji. Built
    once per process (25 commits), each test gets its own copy."""
    return from_template(str(tmp_path / "shop"), "monorepo", _build_monorepo)


def _build_monorepo(path: str) -> Repo:
    repo = Repo.init(path)
    repo.commit(f"{GITMOJI} Start the shop", {
        "README.md": "# shop\n",
        "backend/app/main.py": "app = None\n",
        "backend/Dockerfile": "FROM python:3.11\n",
        "backend/pyproject.toml": "[project]\nname = 'shop-backend'\n",
        "frontend/src/App.tsx": "export const App = () => null\n",
        "frontend/package.json": "{}\n",
        "compose.yaml": "services: {}\n",
        ".github/workflows/ci.yml": "name: ci\n",
        "package.json": "{}\n",
        "uv.lock": "version = 1\n",
        "scripts/release.sh": "echo release\n",
    })
    for i in range(24):
        repo.commit(f"{FIX if i % 2 else GITMOJI} Change number {i}", {"backend/app/main.py":
                                                                     f"app = {i}\n"})
    return repo


def init(repo: Repo) -> str:
    res = run_guard("init", cwd=repo.path)
    assert res.code == 0, res.err
    return res.out


def check(repo: Repo, *args: str) -> tuple[int, dict]:
    res = run_guard("check", "--base", "main", "--only", "scope,policy,commits",
                    "--format", "json", *args, cwd=repo.path)
    assert res.code in (0, 1), res.err
    return res.code, json.loads(res.out)


def rules(data: dict) -> list[tuple[str, str, str]]:
    return sorted((f["rule"], f["severity"], f["path"]) for f in data["findings"])


def test_init_reads_the_layout_and_the_commit_style(monorepo):
    out = init(monorepo)
    assert "read the layout: backend/ (backend); frontend/ (frontend)" in out
    assert "shared workspace files package.json, uv.lock" in out
    assert "commit style: gitmoji" in out and "25 follow gitmoji" in out
    assert "no role owns scripts/" in out
    assert "1. commit company.config.yaml and .guard/roles/ on the base branch" in out
    # the steps agree with the README: push the policy, the documented hooks, the CI files
    assert "on the base branch and push it" in out
    assert "`args: [--skip, contract]`" in out and "run `pre-commit install`" in out
    assert "GitHub Action or ci/gitlab-guard.yml" in out and "<base branch>" not in out
    config = yaml.safe_load(open(os.path.join(monorepo.path, "company.config.yaml")))
    assert config["conventions"] == {"commit_style": "gitmoji"}
    assert config["guard"]["shared"] == ["/*.md"]
    backend = yaml.safe_load(open(os.path.join(monorepo.path, ".guard/roles/backend.yaml")))
    assert backend["extends"] == "backend" and backend["owned"][0]["paths"] == ["backend/"]
    assert backend["forbidden"][0] == {"owner": "frontend", "note": "Frontend Engineer's domain",
                                       "paths": ["frontend/"]}
    assert sorted(os.listdir(os.path.join(monorepo.path, ".guard/roles"))) == \
        ["backend.yaml", "devops.yaml", "frontend.yaml"]


def test_agent_branches_pass_on_their_own_folders(monorepo):
    init(monorepo)
    monorepo.commit("\U0001f527 Add guard policy", add_all=True)
    monorepo.branch("agent/backend/orders")
    monorepo.commit(f"{GITMOJI} Add the orders endpoint", {
        "backend/app/main.py": "app = 'orders'\n", "uv.lock": "version = 2\n"})
    code, data = check(monorepo)
    assert data["role"] == "backend"
    # the lock file is shared (a coordination warning), the backend's folder its own
    assert code == 0 and rules(data) == [("SCOPE002", "warning", "uv.lock")], data["findings"]

    monorepo.checkout("main")
    monorepo.branch("agent/frontend/cart")
    monorepo.commit(f"{GITMOJI} Show the cart", {"frontend/src/App.tsx": "export const A = 1\n",
                                                 "README.md": "# shop\n\nThe cart.\n"})
    code, data = check(monorepo)
    assert code == 0 and rules(data) == [("SCOPE002", "warning", "README.md")], data["findings"]


def test_the_other_sides_folders_and_containers_name_their_owner(monorepo):
    init(monorepo)
    monorepo.commit("\U0001f527 Add guard policy", add_all=True)
    monorepo.branch("agent/backend/compose")
    monorepo.commit(f"{FIX} Touch everything", {
        "frontend/src/App.tsx": "x\n", "compose.yaml": "services: {db: {}}\n",
        "backend/Dockerfile": "FROM python:3.12\n", "scripts/release.sh": "echo 2\n"})
    code, data = check(monorepo)
    assert code == 1
    found = {f["path"]: f for f in data["findings"]}
    assert found["frontend/src/App.tsx"]["rule"] == "SCOPE001"
    assert "Frontend Engineer" in found["frontend/src/App.tsx"]["message"]
    for path in ("compose.yaml", "backend/Dockerfile"):
        assert found[path]["rule"] == "SCOPE001" and "DevOps" in found[path]["message"], path
    assert found["scripts/release.sh"]["rule"] == "SCOPE003"

    # the devops agent owns the container files inside the application folders, not the code
    monorepo.checkout("main")
    monorepo.branch("agent/devops/images")
    monorepo.commit(f"{FIX} Newer base images", {
        "backend/Dockerfile": "FROM python:3.13\n", "compose.yaml": "services: {web: {}}\n",
        "backend/app/main.py": "app = 'devops'\n"})
    code, data = check(monorepo, "--skip", "commits")
    assert rules(data) == [("SCOPE001", "error", "backend/app/main.py")], data["findings"]
    assert "Backend Engineer" in data["findings"][0]["message"]


def test_a_conventional_history_is_written_as_such(tmp_path):
    repo = Repo.init(str(tmp_path / "svc"))
    for i in range(22):
        repo.commit(f"feat(api): add endpoint {i}", {"src/api/x.py": f"x = {i}\n"})
    out = init(repo)
    assert "commit style: conventional" in out
    config = yaml.safe_load(open(os.path.join(repo.path, "company.config.yaml")))
    assert config["conventions"]["commit_style"] == "conventional"
    # no application folders: the built-in packs' own layout, no role files
    assert not os.path.exists(os.path.join(repo.path, ".guard")) and "read the layout" not in out


def test_no_majority_and_short_histories_keep_the_default(tmp_path):
    mixed = Repo.init(str(tmp_path / "mixed"))
    for i in range(25):
        mixed.commit(f"feat: thing {i}" if i % 3 == 0 else f"Update thing {i}",
                     {"a.txt": f"{i}\n"})
    out = init(mixed)
    assert "no style has a majority" in out and "9 follow conventional" in out
    assert "conventions" not in yaml.safe_load(
        open(os.path.join(mixed.path, "company.config.yaml")))

    short = Repo.init(str(tmp_path / "short"))
    for i in range(5):
        short.commit(f"{GITMOJI} Thing {i}", {"a.txt": f"{i}\n"})
    out = init(short)
    assert "commit style" not in out
    assert "conventions" not in yaml.safe_load(
        open(os.path.join(short.path, "company.config.yaml")))


def test_bots_and_merges_are_not_the_projects_style(tmp_path):
    repo = Repo.init(str(tmp_path / "bots"))
    for i in range(21):
        repo.commit(f"{GITMOJI} Feature {i}", {"a.txt": f"{i}\n"})
    bot = dict(repo.env, GIT_AUTHOR_NAME="dependabot[bot]",
               GIT_AUTHOR_EMAIL="49699333+dependabot[bot]@users.noreply.github.com")
    for i in range(30):
        repo.write("b.txt", f"{i}\n")
        repo.git("add", "-A")
        Repo(repo.path, bot).git("commit", "-q", "-m", f"Bump lib from 1.{i} to 1.{i + 1}")
    out = init(repo)
    assert "commit style: gitmoji" in out and "of the last 21 commits" in out


def test_existing_role_files_and_conventions_are_kept(monorepo):
    monorepo.commit(f"{GITMOJI} Own roles", {
        ".guard/roles/backend.yaml": "name: backend\nextends: backend\nowned: [backend/]\n",
        "company.config.yaml": "conventions:\n  commit_scopes: [api]\n"})
    out = init(monorepo)
    assert "kept the existing .guard/roles/backend.yaml" in out
    assert open(os.path.join(monorepo.path, ".guard/roles/backend.yaml")).read() == \
        "name: backend\nextends: backend\nowned: [backend/]\n"
    assert "set conventions.commit_style: gitmoji in company.config.yaml" in out
    config = yaml.safe_load(open(os.path.join(monorepo.path, "company.config.yaml")))
    assert config["conventions"] == {"commit_scopes": ["api"]}
    assert os.path.exists(os.path.join(monorepo.path, ".guard/roles/frontend.yaml"))


def test_print_shows_the_role_files_and_stays_valid_yaml(monorepo):
    res = run_guard("init", "--print", cwd=monorepo.path)
    assert res.code == 0, res.err
    assert "# guard init also writes .guard/roles/backend.yaml:" in res.out
    assert "#   - owner: frontend" in res.out
    data = yaml.safe_load(res.out)
    assert data["conventions"]["commit_style"] == "gitmoji" and "guard" in data
    assert not os.path.exists(os.path.join(monorepo.path, ".guard"))
    assert not os.path.exists(os.path.join(monorepo.path, "company.config.yaml"))


def test_explain_opens_the_role_file_line_a_message_cites(monorepo):
    """A finding cites the project role file init wrote as `.guard/roles/backend.yaml:N`;
    `guard explain` on that citation shows the file as guard read it, line N marked (it
    used to read it as a path and answer about a file named `...yaml:N`)."""
    import re
    init(monorepo)
    monorepo.commit("\U0001f527 Add guard policy", add_all=True)
    monorepo.branch("agent/backend/ui")
    monorepo.commit(f"{FIX} Touch the app", {"frontend/src/App.tsx": "x\n"})
    res = run_guard("check", "--base", "main", "--only", "scope", cwd=monorepo.path)
    cited = re.search(r"at (\.guard/roles/backend\.yaml:(\d+))\)", res.out)
    assert res.code == 1 and cited, res.out
    res = run_guard("explain", cited.group(1), cwd=monorepo.path)
    assert res.code == 0, res.err
    assert res.out.startswith(".guard/roles/backend.yaml as guard reads it (policy from base")
    marked = [row for row in res.out.splitlines() if row.startswith(">")]
    assert marked == [f">   {int(cited.group(2)):2} |     paths: [frontend/]"], res.out
    # a citation past the end, or of a file the policy does not have: exit 2, one line
    for what in (".guard/roles/backend.yaml:400", "builtin:backend.yaml:400", "nope.yaml:3"):
        res = run_guard("explain", what, cwd=monorepo.path)
        assert res.code == 2 and len(res.err.strip().splitlines()) == 1, (what, res.err)
