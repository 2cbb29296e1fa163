"""The PreToolUse hook's Bash reader against a hostile agent (issue 20, points 2, 9 and 10):
a real shell parser, fail closed on what it cannot read, git commands that move refs or
settings held as writes into .git/, linked worktrees, and a differential test against bash
itself (what bash wrote must be among what the hook predicted)."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess

import pytest

from gitrepo import backend_project, git_env, run_guard
from guard.agent import claude
from guard.agent.bashparse import write_targets


@pytest.fixture
def clean_env(monkeypatch):
    for key in list(os.environ):
        if key.startswith("GIT_") or key in ("GITHUB_ACTIONS", "GITHUB_BASE_REF", "GITLAB_CI",
                                             "CI_MERGE_REQUEST_TARGET_BRANCH_NAME",
                                             "CI_DEFAULT_BRANCH", "PRE_COMMIT_FROM_REF"):
            monkeypatch.delenv(key)
    for key, value in git_env().items():
        if key.startswith("GIT_"):
            monkeypatch.setenv(key, value)


def bash_event(repo_path: str, command: str, cwd: str | None = None) -> bytes:
    return json.dumps({"hook_event_name": "PreToolUse", "tool_name": "Bash",
                       "tool_input": {"command": command}, "cwd": cwd or repo_path,
                       "session_id": "s", "transcript_path": "/dev/null"}).encode()


def ask(repo_path: str, command: str, cwd: str | None = None) -> claude.Answer:
    return claude.answer(bash_event(repo_path, command, cwd), None)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return backend_project(str(tmp_path_factory.mktemp("bash") / "p"))


# -- point 10: what the old hand-written splitter misread ---------------------------------
@pytest.mark.parametrize("command,blocked", [
    ("echo a#b > src/components/x.tsx", "src/components/x.tsx"),
    ("echo hi > src/components/Butt\\\non.tsx", "src/components/Button.tsx"),
    ("if true; then tee src/components/x.tsx; fi", "src/components/x.tsx"),
    ("{ cp src/server/app.py src/components/; }", "src/components/app.py"),
    ("for i in 1; do cp src/server/app.py deploy/app.py; done", "deploy/app.py"),
    ("! tee deploy/x < /dev/null", "deploy/x"),
    ("cp -rt deploy src/server/app.py", "deploy/app.py"),
    ("cp --target-directory deploy src/server/app.py", "deploy/app.py"),
    ("sudo -u x tee deploy/x", "deploy/x"),
    ("env -i A=1 tee deploy/x", "deploy/x"),
    ("nice -n 5 tee deploy/x", "deploy/x"),
    ("timeout 5 tee deploy/x", "deploy/x"),
    ("command tee deploy/x", "deploy/x"),
    ("exec tee deploy/x", "deploy/x"),
    ("git -C . checkout -- deploy/nginx.conf", "deploy/nginx.conf"),
    ("git checkout HEAD~0 deploy/nginx.conf", "deploy/nginx.conf"),
    ("git restore deploy/nginx.conf", "deploy/nginx.conf"),
    ("dd if=/dev/null of=deploy/nginx.conf", "deploy/nginx.conf"),
    ("echo x | tee -a deploy/nginx.conf", "deploy/nginx.conf"),
    ("echo x >| deploy/nginx.conf", "deploy/nginx.conf"),
    ("echo x &> deploy/nginx.conf", "deploy/nginx.conf"),
    ("cat <<EOF > deploy/nginx.conf\nhi\nEOF", "deploy/nginx.conf"),
    ("echo $(tee deploy/x)", "deploy/x"),
    ("bash -c 'echo > deploy/x'", "deploy/x"),
    # a hard link of a do-not-touch file into an owned folder: writing it writes the file
    ("ln deploy/nginx.conf src/server/nginx.conf", "deploy/nginx.conf"),
])
def test_bash_reader_reads_what_bash_runs(project, clean_env, command, blocked):
    res = ask(project.path, command)
    assert res.code == 2, (command, res)
    assert f"{blocked} is on the do-not-touch list" in res.stderr, res.stderr


@pytest.mark.parametrize("command,why", [
    ("echo 'unterminated > deploy/x", "does not parse"),
    ("then tee deploy/x", "shell keyword `then`"),
    ("do cp a deploy/x", "shell keyword `do`"),
    ("echo x > \"$OUT\"", "computed path"),
    ("cd \"$DIR\" && tee x", "cannot tell"),
    ("find . -name x | xargs rm", "xargs feeds"),
    ("$EDITOR src/server/app.py", "computed"),
    ("tee {deploy,src}/x", "computed argument"),
    ("git apply fix.patch", "git apply"),
])
def test_bash_reader_fails_closed(project, clean_env, command, why):
    res = ask(project.path, command)
    assert res.code == 2, (command, res)
    assert "guard cannot tell what it writes" in res.stderr and why in res.stderr, res.stderr


@pytest.mark.parametrize("command", [
    "pytest -q > /tmp/out.txt", "echo done >&2 2>&1", "cat deploy/nginx.conf",
    "echo '>' deploy/x", "echo a > src/server/new.py", "git status > /dev/null",
    "git config --get user.name", "git branch", "git branch new-work",
    "git reset --soft HEAD", "git checkout -b other", "python -c \"print(1)\"",
])
def test_bash_reader_allows_what_writes_nothing_held(project, clean_env, command):
    res = ask(project.path, command)
    assert res.code == 0, (command, res)


def test_hard_link_made_earlier_is_held_on_write(tmp_path, clean_env):
    repo = backend_project(str(tmp_path / "p"))
    os.link(os.path.join(repo.path, "deploy/nginx.conf"),
            os.path.join(repo.path, "src/server/n.conf"))
    res = ask(repo.path, "echo x >> src/server/n.conf")
    assert res.code == 2 and "deploy/nginx.conf is on the do-not-touch list" in res.stderr, res


# -- point 2: git commands that move refs or settings -------------------------------------
@pytest.mark.parametrize("command", [
    "git branch -f main HEAD", "git branch -D main", "git branch -u agent/backend/task",
    "git update-ref refs/heads/main HEAD", "git config init.defaultBranch agent",
    "git config --unset init.defaultBranch", "git symbolic-ref HEAD refs/heads/main",
    "git push . HEAD:main", "git checkout -B main", "git switch -C main",
    "git worktree add ../elsewhere", "git remote set-url origin /tmp/x",
    "git tag -f v1", "git replace HEAD HEAD~0", "git fetch . HEAD:main",
    "git update-index --skip-worktree deploy/nginx.conf", "git -C src branch -f main",
])
def test_git_commands_moving_refs_or_settings_are_blocked(project, clean_env, command):
    res = ask(project.path, command)
    assert res.code == 2, (command, res)
    assert "in git's own folder" in res.stderr and "POLICY001" in res.stderr, res.stderr


def test_git_reset_is_blocked_on_the_base_branch_only(tmp_path, clean_env):
    repo = backend_project(str(tmp_path / "p"))
    assert ask(repo.path, "git reset --hard HEAD").code == 0
    repo.checkout("main")
    res = ask(repo.path, "git reset --hard HEAD~0")
    assert res.code == 2 and "this would move main" in res.stderr, res


# -- point 9: a linked worktree's common git folder ---------------------------------------
def test_linked_worktree_holds_the_main_checkouts_git_folder(tmp_path):
    repo = backend_project(str(tmp_path / "main"))
    repo.git("checkout", "-q", "main")
    wt = str(tmp_path / "wt")
    repo.git("worktree", "add", "-q", "-b", "agent/backend/t2", wt)
    common = os.path.join(repo.path, ".git")
    for target in (os.path.join(common, "config"), os.path.join(common, "hooks", "pre-commit"),
                   os.path.join(common, "worktrees", "wt", "HEAD")):
        ev = {"hook_event_name": "PreToolUse", "tool_name": "Write",
              "tool_input": {"file_path": target, "content": "x"}, "cwd": wt}
        res = run_guard("hook", "claude", cwd=wt, input=json.dumps(ev))
        assert res.code == 2 and "git's own folder" in res.err, (target, res)
    res = run_guard("hook", "claude", cwd=wt, input=bash_event(
        wt, f"echo '[core]' >> {common}/config").decode())
    assert res.code == 2 and "git's own folder" in res.err, res
    res = run_guard("hook", "claude", cwd=wt, input=bash_event(wt, "git config x.y z").decode())
    assert res.code == 2 and "git's own folder" in res.err, res


# -- differential: bash itself says what was written --------------------------------------
FILES = ["a", "b", "d/c", "d/e", "sub/f", "g h"]


def _snapshot(root: str) -> dict[str, tuple]:
    out, todo = {}, [root]
    while todo:
        folder = todo.pop()
        for entry in os.scandir(folder):
            rel = os.path.relpath(entry.path, root)
            st = entry.stat(follow_symlinks=False)
            if entry.is_dir(follow_symlinks=False):
                todo.append(entry.path)
                out[rel + "/"] = (st.st_mode,)
            else:
                with open(entry.path, "rb") if entry.is_file(follow_symlinks=False) else \
                        open(os.devnull, "rb") as fh:
                    data = fh.read()
                out[rel] = (st.st_mode, st.st_ino, st.st_mtime_ns, data)
    return out


def _sandbox(path: str) -> None:
    os.makedirs(path)
    env = git_env()
    for rel in FILES:
        full = os.path.join(path, rel)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as fh:
            fh.write(rel + "\n")
    subprocess.run("git init -q -b main && git add -A && git -c user.name=t -c "
                   "user.email=t@t.invalid commit -q -m x && echo changed > a && echo c2 > d/c",
                   shell=True, cwd=path, env=env, check=True)


CORPUS = [
    "echo a#b > w1", "echo x > fi\\\nle", "echo x >> a", "echo x >| b", "echo x &> w2",
    "echo x 2> w3 1>&2", "cat <<EOF > w4\nhi\nEOF", "echo x | tee w5 w6", "tee -a a < b",
    "cp a b", "cp a d", "cp a b d/", "cp -r d sub", "cp -rt sub a b", "cp --target-directory=d a",
    "cp -t d a", "mv a d/", "mv 'g h' w7", "ln a w8", "ln -s a w9", "ln d/c", "rm a",
    "rm -r d", "rmdir sub 2>/dev/null; true", "touch w10 d/w11", "truncate -s 0 a",
    "sed -i s/a/b/ a", "sed -i.bak s/a/b/ a", "perl -pi -e s/a/b/ b", "dd if=a of=w12 2>/dev/null",
    "sort -o w13 a", "chmod +x a", "cd d && echo x > w14", "cd d; cd ..; echo x > w15",
    "(cd sub && touch w16)", "{ echo x > w17; }", "if true; then tee w18 < a; fi",
    "for i in 1 2; do echo $i >> w19; done", "! tee w20 < a", "env -i A=1 tee w21 < a",
    "nice -n 5 touch w22", "timeout 5 touch w23", "command touch w24", "exec touch w25",
    "bash -c 'echo x > w26'", "sh -c \"touch w27\"", "eval touch w28", "echo $(touch w29)",
    "git checkout -- a", "git -C . checkout -- d/c", "git checkout HEAD d/c", "git restore a",
    "git rm -q b", "git mv b w30", "find d -name c -delete", "touch d/*", "rm d/*",
    "echo x > 'q r'", "echo x > \"s t\"", "echo x > u\\ v", "f() { touch w31; }; f",
    "true && touch w32 || touch w33", "echo x | (cd d && tee w34)",
]


def _generated(n: int, seed: int) -> list[str]:
    rnd = random.Random(seed)
    names = ["a", "b", "d/c", "w40", "d/w41", "'w 42'", "sub/w43", "d/../w44"]
    writers = ["echo x > {p}", "echo x >> {p}", "tee {p} < a", "touch {p}", "cp a {p}",
               "truncate -s 1 {p}", "dd if=a of={p} 2>/dev/null", "sed -i s/x/y/ {p}",
               "rm -f {p}", "ln -sf a {p}"]
    wrappers = ["", "nice ", "command ", "env X=1 ", "timeout 9 ", "nohup "]
    joins = [" ; ", " && ", " || ", " | ", "\n"]
    out = []
    for _ in range(n):
        parts = []
        for _k in range(rnd.randint(1, 3)):
            if rnd.random() < 0.2:
                parts.append(rnd.choice(["cd d", "cd sub", "cd .."]))
            parts.append(rnd.choice(wrappers) + rnd.choice(writers).format(p=rnd.choice(names)))
        command = parts[0]
        for part in parts[1:]:
            command += rnd.choice(joins) + part
        if rnd.random() < 0.2:
            command = "{ " + command + "; }"
        out.append(command)
    return out


def _covered(path: str, targets) -> bool:
    for t in targets:
        if path == t.path or path.startswith(t.path.rstrip("/") + "/") or \
                (t.tree and path.startswith(t.path.rstrip("/") + "/")):
            return True
    return False


@pytest.fixture(scope="module")
def sandbox_template(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("sandbox") / "box")
    _sandbox(path)
    return path


@pytest.mark.parametrize("command", CORPUS + [
    pytest.param(c, marks=pytest.mark.slow) for c in _generated(240, 21)])
def test_the_hook_predicts_a_superset_of_what_bash_writes(tmp_path, sandbox_template,
                                                          command):
    box = str(tmp_path / "box")
    shutil.copytree(sandbox_template, box, symlinks=True)
    parsed = write_targets(command, box)
    assert parsed.unsure is None, (command, parsed.unsure)
    before = _snapshot(box)
    env = git_env()
    env["HOME"] = str(tmp_path / "home")
    subprocess.run(["bash", "-c", command], cwd=box, env=env, capture_output=True,
                   timeout=20, check=False)
    after = _snapshot(box)
    changed = {p for p in set(before) | set(after) if before.get(p) != after.get(p)}
    changed = {p for p in changed
               if not p.startswith(".git/") and not p.endswith("/")
               or p.rstrip("/") not in {os.path.dirname(q) for q in changed}}
    changed = {p.rstrip("/") for p in changed if not p.startswith(".git/")}
    # a changed folder entry is the side effect of a change inside it or of its own creation
    missed = sorted(p for p in changed if not _covered(os.path.join(box, p), parsed.targets)
                    and not any(q.startswith(p + "/") for q in changed))
    assert not missed, (command, missed, parsed.targets)


def test_a_huge_or_deeply_nested_command_is_answered_fast_and_briefly():
    import time
    for command in ["echo " + "$(" * 3000 + "x" + ")" * 3000 + " > f",
                    "(" * 5000 + "tee f" + ")" * 5000, "tee " + "a" * 1_000_000,
                    "echo x > f; " * 10000]:
        start = time.perf_counter()
        parsed = write_targets(command, "/tmp")
        assert time.perf_counter() - start < 5, command[:40]
        assert parsed.unsure is None or len(parsed.unsure) < 200, parsed.unsure[:300]
