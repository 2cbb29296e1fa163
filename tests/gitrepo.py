"""Real git repositories in temp folders, for tests and benchmarks (no mocks of git)."""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field


def git_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update({
        "GIT_AUTHOR_NAME": "Test Agent", "GIT_AUTHOR_EMAIL": "agent@example.invalid",
        "GIT_COMMITTER_NAME": "Test Agent", "GIT_COMMITTER_EMAIL": "agent@example.invalid",
        "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull,
        "LC_ALL": "C",
    })
    for var in ("GITHUB_ACTIONS", "GITHUB_BASE_REF", "GITLAB_CI", "CI_MERGE_REQUEST_DIFF_BASE_SHA",
                "CI_MERGE_REQUEST_TARGET_BRANCH_NAME", "CI_DEFAULT_BRANCH", "PRE_COMMIT_FROM_REF",
                "PRE_COMMIT_TO_REF", "GITHUB_STEP_SUMMARY", "NO_COLOR",
                # the branch a detached CI checkout is for, and pre-commit's own marker
                "GITHUB_SHA", "GITHUB_HEAD_REF", "GITHUB_REF", "GITHUB_EVENT_NAME",
                "GITHUB_EVENT_PATH", "CI_COMMIT_SHA", "CI_COMMIT_BRANCH",
                "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA",
                "CI_MERGE_REQUEST_EVENT_TYPE", "CI_MERGE_REQUEST_TARGET_BRANCH_SHA", "PRE_COMMIT"):
        env.pop(var, None)
    return env


@dataclass
class Repo:
    path: str
    env: dict = field(default_factory=git_env)

    @classmethod
    def init(cls, path: str, branch: str = "main") -> "Repo":
        """A new repository with `commit.gpgsign false` and `core.hooksPath` off: one git
        call, the settings coming from a template folder (see init_template)."""
        os.makedirs(path, exist_ok=True)
        repo = cls(str(path))
        repo.git("init", "-q", "-b", branch, f"--template={init_template()}")
        return repo

    def git(self, *args: str, check: bool = True, input: bytes | None = None) -> str:
        proc = subprocess.run(["git", *args], cwd=self.path, env=self.env, capture_output=True,
                              input=input, check=False)
        if check and proc.returncode != 0:
            raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr.decode()}")
        return proc.stdout.decode("utf-8", "surrogateescape").strip()

    def write(self, rel: str | bytes, content: str | bytes = "x\n") -> str:
        path = os.path.join(os.fsencode(self.path), os.fsencode(rel))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(content.encode() if isinstance(content, str) else content)
        return os.fsdecode(path)

    def commit(self, message: str, files: dict | None = None, *, add_all: bool = True) -> str:
        for rel, content in (files or {}).items():
            self.write(rel, content)
        if add_all:
            self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.head()

    def head(self) -> str:
        """`git rev-parse HEAD`, read from .git's files when they are plain: just after a
        commit the branch's ref is a loose file (git writes one on every update). Anything
        else (a linked work tree, a packed ref, a detached HEAD) asks git."""
        gitdir = os.path.join(self.path, ".git")
        try:
            with open(os.path.join(gitdir, "HEAD"), encoding="utf-8") as fh:
                ref = fh.read().strip()
            if ref.startswith("ref: refs/"):
                with open(os.path.join(gitdir, ref[5:]), encoding="utf-8") as fh:
                    sha = fh.read().strip()
                if len(sha) in (40, 64) and all(c in "0123456789abcdef" for c in sha):
                    return sha
        except (OSError, UnicodeDecodeError):
            pass
        return self.git("rev-parse", "HEAD")

    def branch(self, name: str) -> None:
        self.git("checkout", "-q", "-b", name)

    def checkout(self, name: str) -> None:
        self.git("checkout", "-q", name)


@dataclass
class Result:
    code: int
    out: str
    err: str


def run_guard(*args: str, cwd: str, env: dict | None = None, input: str | None = None,
              timeout: float | None = None, fresh: bool = False) -> Result:
    """The real command line, `python -m guard ARGS` in its own process: exit code, stdout and
    stderr as a user sees them. The process is forked from a server that has imported guard
    already (tests/forkrun.py); ``fresh=True`` starts a new interpreter instead, for a test
    about the start itself (imports, timing), as GUARD_TEST_FRESH=1 does for every run. A
    run past ``timeout`` is killed and raises subprocess.TimeoutExpired."""
    import forkrun
    full_env = git_env()
    full_env.update(env or {})
    proc = forkrun.run(list(args), cwd=cwd, env=full_env, input=input, timeout=timeout,
                       fresh=fresh)
    return Result(proc.returncode, proc.stdout, proc.stderr)


BACKEND_CONFIG = """\
personas:
  engineering_backend: Casey
  engineering_frontend: Riley
conventions:
  commit_style: conventional
guard:
  role: backend
"""


# Repositories many tests build alike are built once per process and copied afterwards (a copy
# costs one git call; building one, about ten). Per process, so pytest-xdist workers never
# share a template; each test gets its own copy, so none sees another's changes.
_TEMPLATES: dict[str, str] = {}
_TEMPLATE_ROOT: list[str] = []


def _scratch() -> str:
    if not _TEMPLATE_ROOT:
        root = tempfile.mkdtemp(prefix="guard-test-templates-")
        atexit.register(shutil.rmtree, root, True)
        _TEMPLATE_ROOT.append(root)
    return _TEMPLATE_ROOT[0]


def _template_dir() -> str:
    # its own folder: a template's build may make another template first (nested keys)
    return tempfile.mkdtemp(prefix="t", dir=_scratch())


def init_template() -> str:
    """The folder `git init --template` copies into each new .git: the two settings every
    test repository has (no signing, no hooks run) and git's own info/exclude, without the
    dozen sample hooks git installs by default (never run: core.hooksPath is off), which
    every copy of a template repository would copy again."""
    folder = os.path.join(_scratch(), "git-init")
    if not os.path.isdir(folder):
        os.makedirs(os.path.join(folder, "hooks"))
        os.makedirs(os.path.join(folder, "info"))
        with open(os.path.join(folder, "config"), "w") as fh:
            fh.write(f"[commit]\n\tgpgsign = false\n[core]\n\thooksPath = {os.devnull}\n")
        with open(os.path.join(folder, "info", "exclude"), "w") as fh:
            fh.write("# git ls-files --others --exclude-from=.git/info/exclude\n")
    return folder


def copy_tree(src: str, dst: str, _objects: bool = False) -> None:
    """shutil.copytree(src, dst, symlinks=True, dirs_exist_ok=True) for a small repository,
    at a third of its cost: file bytes, symlinks and the executable bit (what git records),
    not the times or the other permission bits (the index is refreshed after a copy). Files
    under .git/objects/ are hard links, as `git clone --local` makes them: git never writes
    an object file in place (a new object is a new file, gc and prune unlink), and no test
    opens one for writing, so a copy cannot change its template."""
    os.makedirs(dst, exist_ok=True)
    with os.scandir(src) as entries:
        for entry in entries:
            target = os.path.join(dst, entry.name)
            if entry.is_symlink():
                os.symlink(os.readlink(entry.path), target)
            elif entry.is_dir():
                copy_tree(entry.path, target,
                          _objects or (entry.name == "objects" and src.endswith(".git")))
            elif _objects:
                try:
                    os.link(entry.path, target)
                except OSError:             # another file system: a copy, as below
                    shutil.copyfile(entry.path, target)
            else:
                with open(entry.path, "rb") as fin, open(target, "wb") as fout:
                    fout.write(fin.read())
                mode = entry.stat().st_mode
                if mode & 0o111:
                    os.chmod(target, mode & 0o7777)


def from_template(path: str, key, build) -> Repo:
    """A copy at ``path`` of the repository ``build(folder)`` makes, built once per process
    for each ``key``. ``build`` must give the same repository every time it runs for one key
    (no clock, no randomness in what the tests look at), and the caller owns the copy."""
    template = _TEMPLATES.get(key)
    if template is None:
        template = _template_dir()
        build(template)
        _TEMPLATES[key] = template
    copy_tree(template, path)
    repo = Repo(str(path))
    # the copy has new inodes and ctimes: refresh the index so plumbing sees a clean tree
    repo.git("update-index", "-q", "--refresh", check=False)
    return repo


def backend_project(path: str, config: str = BACKEND_CONFIG, extra: dict | None = None) -> Repo:
    """A base branch `main` with a policy, and an agent branch checked out, no changes yet."""
    key = ("backend_project", config, repr(sorted((extra or {}).items(), key=repr)))
    return from_template(path, key, lambda folder: _build_backend_project(folder, config, extra))


def _build_backend_project(path: str, config: str, extra: dict | None) -> Repo:
    repo = Repo.init(path)
    files = {
        "company.config.yaml": config,
        "README.md": "# project\n",
        "src/server/app.py": "app = None\n",
        "src/components/Button.tsx": "export {}\n",
        "src/types/order.ts": "export type Order = {}\n",
        "deploy/nginx.conf": "server {}\n",
        ".github/workflows/ci.yml": "name: ci\n",
    }
    files.update(extra or {})
    repo.commit("chore: base", files)
    repo.branch("agent/backend/task")
    return repo
