"""A hostile branch, more of issue 20: export-ignore and --verify-migrations (point 2),
folders a thousand levels deep (point 7), a forbidden change reverted inside the range
(point 11)."""

from __future__ import annotations

import os

from test_migrations_sql import GOLANG_BASE, check, project
from test_migrations_verify import LEAKY


# -- point 2: the branch's .gitattributes does not hide its own migrations -----------------
def test_export_ignore_on_the_branch_does_not_hide_a_leaky_down_step(tmp_path):
    repo = project(tmp_path, GOLANG_BASE)
    repo.commit("feat(db): items", dict(LEAKY, **{
        ".gitattributes": "db/migrations/* export-ignore\n*.sql filter=hide eol=crlf\n"}))
    data = check(repo, "--verify-migrations")
    rules = {f["rule"] for f in data["findings"]}
    assert "MIG030" in rules, data["findings"]


def test_export_ignore_does_not_hide_a_django_migration_from_the_round_trip(tmp_path):
    from test_migrations_frameworks import django_mig
    from test_migrations_verify import django_project, verify
    repo = django_project(tmp_path)
    repo.commit("feat(shop): index", {
        ".gitattributes": "shop/migrations/0002_idx.py export-ignore\n",
        "shop/migrations/0002_idx.py": django_mig(
            [("shop", "0001_initial")],
            ["migrations.RunSQL('CREATE INDEX shop_order_total ON shop_order (total)', "
             "reverse_sql='')"])})
    data = verify(repo)
    assert "MIG030" in {f["rule"] for f in data["findings"]}, data["findings"]


# -- point 7: a folder 1,100 levels deep ---------------------------------------------------
def _deep_file(root: str, rel: str, content: str = "x = 1\n") -> None:
    folder = root
    for part in rel.split("/")[:-1]:         # os.makedirs recurses once per level
        folder = os.path.join(folder, part)
        if not os.path.isdir(folder):
            os.mkdir(folder)
    with open(os.path.join(root, rel), "w") as fh:
        fh.write(content)


def _remove_deep(root: str) -> None:
    """shutil.rmtree recurses once per level: pytest's clean-up would fail on these."""
    if os.path.islink(root) or not os.path.isdir(root):
        return
    todo, folders = [root], []
    while todo:
        folder = todo.pop()
        folders.append(folder)
        for entry in os.scandir(folder):
            if entry.is_dir(follow_symlinks=False):
                todo.append(entry.path)
            else:
                os.unlink(entry.path)
    for folder in reversed(folders):
        os.rmdir(folder)


def test_a_folder_1100_levels_deep_is_checked_not_crashed(tmp_path):
    try:
        _deep_checks(str(tmp_path / "p"))
    finally:
        _remove_deep(str(tmp_path / "p"))


def _deep_checks(path: str) -> None:
    import json

    from gitrepo import backend_project, run_guard
    repo = backend_project(path)
    _deep_file(repo.path, "src/server/" + "a/" * 1100 + "x.py")
    repo.git("add", "-A")
    repo.git("commit", "-q", "-m", "feat(server): deep")
    res = run_guard("check", cwd=repo.path)
    assert res.code == 0 and "RecursionError" not in res.err + res.out, res
    _deep_file(repo.path, "deploy/" + "b/" * 1100 + "y.conf")
    stop = {"hook_event_name": "Stop", "stop_hook_active": False, "cwd": repo.path}
    res = run_guard("hook", "claude", cwd=repo.path, input=json.dumps(stop))
    assert res.code == 2 and "internal error" not in res.err and "SCOPE001" in res.err, res
    deep = os.path.join(repo.path, "deploy/" + "c/" * 1100 + "z.conf")
    write = {"hook_event_name": "PreToolUse", "tool_name": "Write", "cwd": repo.path,
             "tool_input": {"file_path": deep, "content": "x"}}
    res = run_guard("hook", "claude", cwd=repo.path, input=json.dumps(write))
    assert res.code == 2 and "do-not-touch" in res.err, res


# -- point 11: a forbidden change and its revert inside the range -------------------------
def test_a_forbidden_change_reverted_in_the_range_is_a_warning_naming_the_commit(tmp_path):
    from gitrepo import backend_project, run_guard
    repo = backend_project(str(tmp_path / "p"))
    bad = repo.commit("fix(deploy): tune nginx", {"deploy/nginx.conf": "server { x }\n"})
    repo.commit("revert: nginx", {"deploy/nginx.conf": "server {}\n"})
    repo.commit("feat(server): work", {"src/server/app.py": "app = 1\n"})
    res = run_guard("check", "--format", "json", cwd=repo.path)
    import json
    data = json.loads(res.out)
    found = [f for f in data["findings"] if f["rule"] == "SCOPE006"]
    assert res.code == 0 and len(found) == 1, res
    assert found[0]["severity"] == "warning" and found[0]["path"] == "deploy/nginx.conf"
    assert bad[:8] in found[0]["message"]
    assert not [f for f in data["findings"] if f["rule"] == "SCOPE001"]


def test_a_tree_1100_levels_deep_is_exported_and_removed(tmp_path):
    from gitrepo import Repo
    from guard.fsutil import remove_tree
    from guard.git import Git
    repo = Repo.init(str(tmp_path / "r"))
    rel = "db/" + "m/" * 1100 + "0001.sql"
    try:
        _deep_file(repo.path, rel, "CREATE TABLE t (id int);\n")
        repo.git("add", "-A")
        repo.git("commit", "-q", "-m", "feat(db): deep")
        dest = str(tmp_path / "out")
        os.mkdir(dest)
        Git(repo.path).export_tree("HEAD", dest)
        with open(os.path.join(dest, rel)) as fh:
            assert fh.read() == "CREATE TABLE t (id int);\n"
        remove_tree(dest)
        assert not os.path.exists(dest)
    finally:
        _remove_deep(repo.path)
