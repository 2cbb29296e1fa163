"""A hostile branch: inputs an agent controls must not hang guard, blow up its memory or
slip past it. Real repositories, the real command line, each run under a timeout."""

import json
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "fixtures", "contract"))

from contract_fixture import CONTRACT, contract_config, fixture_text  # noqa: E402
from gitrepo import BACKEND_CONFIG, Repo, backend_project, run_guard  # noqa: E402
from test_errors import assert_clean_error  # noqa: E402

from guard import yamlfile  # noqa: E402
from guard.errors import GuardError  # noqa: E402


def guard(*args, cwd, timeout=60, env=None, input=None):
    """The real command line; a run past ``timeout`` fails the test instead of hanging it."""
    return run_guard(*args, cwd=cwd, timeout=timeout, env=env, input=input)


# -- 5. YAML alias bombs ---------------------------------------------------------------------

def alias_bomb(levels: int, indent: str = "") -> str:
    """``levels`` anchors, each a list of nine aliases of the one before: 9**levels nodes."""
    lines = [f'{indent}a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        lines.append(f"{indent}a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]")
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_refused_with_file_and_line():
    text = "x:\n" + alias_bomb(9, "  ")
    with pytest.raises(GuardError) as exc:
        yamlfile.load(text, "c.yaml")
    assert exc.value.path == "c.yaml" and exc.value.line is not None
    assert "too many YAML nodes once aliases are expanded" in exc.value.message


def test_recursive_alias_is_refused():
    with pytest.raises(GuardError) as exc:
        yamlfile.load("a: &x [1, *x]\n", "c.yaml")
    assert "refers to a node that contains it" in exc.value.message and exc.value.line == 1


def test_aliases_within_the_budget_still_load():
    data = yamlfile.load("base: &b {a: 1}\nuse: *b\nmore: {<<: *b, c: 2}\n", "c.yaml")
    assert data["use"] == {"a": 1} and data["more"] == {"a": 1, "c": 2}


def test_alias_budget_is_counted_whenever_an_anchor_may_be_there():
    """The budget is skipped only for text without `&`: there an alias names no anchor and
    the parser refuses it; an escaped `\\x26` in a quoted string is content, not an anchor;
    an anchor next to other text is still counted."""
    for text in ("a: *x\n", "a: \"\\x26x\"\nb: *x\n"):
        with pytest.raises(GuardError) as exc:
            yamlfile.load(text, "c.yaml")
        assert "alias" in exc.value.message and exc.value.path == "c.yaml", exc.value.message
    assert yamlfile.load("a: \"\\x26\"\n", "c.yaml") == {"a": "&"}
    with pytest.raises(GuardError) as exc:
        yamlfile.load("# & note\nq: 1\na: &x [1, *x]\n", "c.yaml")
    assert "refers to a node that contains it" in exc.value.message

def test_short_repr_is_bounded():
    huge = [[["x" * 1000] * 1000] * 1000] * 1000
    text = yamlfile.short_repr(huge)
    assert len(text) <= 80


def test_config_alias_bomb_of_the_wrong_type_is_exit_2_quickly(tmp_path):
    config = alias_bomb(9) + BACKEND_CONFIG.replace("role: backend", "role: backend\n  shared: *a8")
    repo = backend_project(str(tmp_path / "p"), config=config)
    repo.commit("feat: x", {"src/api/x.py": "x\n"})
    assert_clean_error(guard("check", "--base", "main", cwd=repo.path, timeout=30),
                       "company.config.yaml:", "too many YAML nodes")


def test_config_wrong_type_error_shows_a_short_value(tmp_path):
    # under the budget (9**4 nodes), but far too long to print whole
    config = alias_bomb(4) + BACKEND_CONFIG.replace("role: backend", "role: *a3")
    repo = backend_project(str(tmp_path / "p"), config=config)
    repo.commit("feat: x", {"src/api/x.py": "x\n"})
    line = assert_clean_error(guard("check", "--base", "main", cwd=repo.path, timeout=30),
                              "company.config.yaml:", "guard.role must be a string")
    assert len(line) < 400, line


def test_contract_alias_bomb_does_not_hide_a_scope_error(tmp_path):
    spec = fixture_text("openapi.yaml")
    repo = backend_project(str(tmp_path / "p"), config=contract_config(""),
                           extra={CONTRACT: spec})
    repo.commit("feat(api): work", {CONTRACT: spec + "x-lol:\n" + alias_bomb(9, "  "),
                                    "deploy/nginx.conf": "server { listen 81; }\n"})
    res = guard("check", "--format", "json", "--base", "main", cwd=repo.path, timeout=60)
    assert res.code == 1, res.err
    found = {(f["rule"], f["path"]) for f in json.loads(res.out)["findings"]}
    assert ("SCOPE001", "deploy/nginx.conf") in found
    assert ("CONTRACT003", CONTRACT) in found
    messages = [f["message"] for f in json.loads(res.out)["findings"]]
    assert any("too many YAML nodes" in m for m in messages), messages


# -- 6. regular expressions on text the agent writes stay linear ------------------------------

def timed_guard(*args, cwd, limit=10.0):
    import time
    start = time.monotonic()
    res = guard(*args, cwd=cwd, timeout=60)
    elapsed = time.monotonic() - start
    assert elapsed < limit, f"took {elapsed:.1f} s"
    return res


def commit_from_stdin(repo, message: str, files: dict) -> None:
    """A message too long for one command-line argument (128 KB)."""
    for rel, content in files.items():
        repo.write(rel, content)
    repo.git("add", "-A")
    repo.git("commit", "-q", "--cleanup=verbatim", "-F", "-", input=message.encode())


def test_long_commit_lines_are_checked_in_linear_time(tmp_path):
    repo = backend_project(str(tmp_path / "p"))
    commit_from_stdin(repo, "feat(api): add orders\n\n" + "a" * 150_000 + "\n",
                      {"src/api/a.py": "a = 1\n"})
    repo.commit("feat (" + " " * 5_000 + "x", {"src/api/b.py": "b = 1\n"})
    repo.commit("." * 50_000 + "a", {"src/api/c.py": "c = 1\n"})
    res = timed_guard("check", "--only", "commits", "--format", "json", "--base", "main",
                      cwd=repo.path)
    assert res.code == 1, res.err
    rules = [f["rule"] for f in json.loads(res.out)["findings"]]
    assert "COMMIT007" in rules and "COMMIT001" in rules


def test_long_comment_of_key_words_is_scanned_in_linear_time(tmp_path):
    repo = backend_project(str(tmp_path / "p"))
    repo.commit("feat(api): add orders", {
        "src/server/settings.py": "# " + "token" * 600 + "\n" + "x = 1 # " + "secret" * 10_000 + "\n"
                                  + 'api_token = "Zq8xV2mN7bLp4RtY9wKc"\n'})
    res = timed_guard("check", "--only", "conventions", "--format", "json", "--base", "main",
                      cwd=repo.path)
    found = [(f["rule"], f["line"]) for f in json.loads(res.out)["findings"]]
    assert any(line == 3 for _, line in found), found


# -- 4. padding a server file past the parse limit ----------------------------------------

def test_padding_a_server_file_past_2_mb_still_fails(tmp_path):
    repo = backend_project(str(tmp_path / "p"))
    padded = "# pad\n" * 400_000 + "app.run(port=8080)\n"
    repo.commit("feat(api): serve", {"src/server/app.py": padded})
    res = guard("check", "--only", "conventions", "--format", "json", "--base", "main",
                cwd=repo.path)
    assert res.code == 1, (res.code, res.err)
    found = {(f["rule"], f["severity"]) for f in json.loads(res.out)["findings"]
             if f["path"] == "src/server/app.py"}
    assert ("CONV011", "error") in found, found


# -- 8. no writes through a committed symbolic link -----------------------------------------

@pytest.mark.parametrize("dangling", [False, True])
def test_output_through_a_committed_link_is_refused(tmp_path, dangling):
    outside = tmp_path / "outside.txt"
    if not dangling:
        outside.write_text("keep me\n")
    repo = backend_project(str(tmp_path / "p"))
    os.symlink(str(outside), os.path.join(repo.path, "guard.sarif"))
    os.symlink(str(outside), os.path.join(repo.path, "summary.md"))
    repo.commit("feat(api): x", {"src/api/x.py": "x = 1\n"})
    res = guard("check", "--base", "main", "--output", "sarif=guard.sarif", cwd=repo.path)
    assert_clean_error(res, "guard.sarif", "symbolic link")
    res = guard("check", "--base", "main", "--format", "github", cwd=repo.path,
                env={"GITHUB_STEP_SUMMARY": os.path.join(repo.path, "summary.md")})
    assert_clean_error(res, "summary.md", "symbolic link")
    if dangling:
        assert not outside.exists()
    else:
        assert outside.read_text() == "keep me\n"


# -- 3. a newline in a folder name does not dodge do-not-touch patterns ---------------------

def test_newline_in_an_ancestor_folder_still_matches(tmp_path):
    repo = backend_project(str(tmp_path / "p"))
    repo.commit("feat(api): x", {"src/server/a\nb/Dockerfile": "FROM x\n",
                                 ".github/x\ny/workflows/ci.yml": "name: ci\n"})
    res = guard("check", "--only", "scope", "--format", "json", "--base", "main", cwd=repo.path)
    assert res.code == 1, (res.code, res.err)
    paths = {f["path"] for f in json.loads(res.out)["findings"] if f["severity"] == "error"}
    assert "src/server/a\nb/Dockerfile" in paths, paths
