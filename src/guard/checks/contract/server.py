"""`start:` mode: start the project's server in its own process group, wait until it answers
(bounded), and stop it and all its children afterwards — on success, failure and Ctrl-C.

"All its children" includes helpers that leave the group (a `setsid()` child, a double-forked
daemon): on Linux guard makes itself the child subreaper of what it starts, so orphans of
the server's tree are re-parented to guard instead of init, and stop() finds the whole tree
by parentage in /proc, not by process group alone.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from guard.checks.contract_spec import _VAR

# the framework's default port when neither .env nor .env.example sets one (the seed's
# dev-environment defaults)
FRAMEWORK_PORTS = {"fastapi": 8000, "django": 8000, "flask": 5000, "express": 3000,
                   "nestjs": 3000, "nextjs": 3000, "next": 3000, "rails": 3000,
                   "laravel": 8000, "spring": 8080, "gin": 8080, "fiber": 3000,
                   "starlette": 8000, "hono": 3000, "koa": 3000, "fastify": 3000}
DEFAULT_PORT = 8000


class ServerError(Exception):
    """The server crashed or never answered; ``output`` is its last output."""

    def __init__(self, message: str, output: str = "") -> None:
        super().__init__(message)
        self.output = output


def _env_file(path: str) -> dict[str, str]:
    out: dict[str, str] = {}
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            lines = fh.read().splitlines()
    except OSError:
        return out
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        if line.startswith("export "):
            line = line[7:]
        key, _, value = line.partition("=")
        value = value.split(" #", 1)[0].strip().strip("'\"")
        out[key.strip()] = value
    return out


def resolve_port(root: str, framework: str | None) -> tuple[int, str]:
    """The seed's rule: API_PORT (or PORT) from .env, else .env.example, else the
    framework's default port."""
    for name in (".env", ".env.example"):
        values = _env_file(os.path.join(root, name))
        for key in ("API_PORT", "PORT"):
            value = values.get(key)
            if value and value.isdigit() and 0 < int(value) < 65536:
                return int(value), f"{key} in {name}"
    fw = (framework or "").lower()
    if fw in FRAMEWORK_PORTS:
        return FRAMEWORK_PORTS[fw], f"the {framework} default"
    return DEFAULT_PORT, "the default port (no .env, .env.example or tech_stack.framework)"


def expand(text: str, values: dict[str, str]) -> str:
    return _VAR.sub(lambda m: values.get(m.group(1), m.group(0)), text)


class Server:
    """A started server; use as a context manager."""

    def __init__(self, argv: list[str], url: str, *, cwd: str, env: dict[str, str],
                 timeout: float) -> None:
        self.argv, self.url, self.cwd, self.env, self.timeout = argv, url, cwd, env, timeout
        self.proc: subprocess.Popen | None = None
        self._log = tempfile.TemporaryFile()
        self._old_term = None
        self._reaper = False
        self._children_before: set[int] = set()

    def output(self, lines: int = 20) -> str:
        self._log.flush()
        self._log.seek(0)
        text = self._log.read().decode("utf-8", "replace")
        return "\n".join(text.rstrip().splitlines()[-lines:])

    def __enter__(self) -> "Server":
        self._reaper = _subreaper(True)
        self._children_before = _children_of(os.getpid()) if self._reaper else set()
        try:
            self.proc = subprocess.Popen(self.argv, cwd=self.cwd, env=self.env,
                                         stdin=subprocess.DEVNULL, stdout=self._log,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        except OSError as exc:
            if self._reaper:
                self._reaper = not _subreaper(False)
            raise ServerError(f"cannot start {self.argv[0]}: {exc.strerror}") from None
        # a SIGTERM to guard must still stop the server: turn it into KeyboardInterrupt
        try:
            self._old_term = signal.signal(signal.SIGTERM, _raise_interrupt)
        except ValueError:        # not the main thread
            self._old_term = None
        try:
            self._wait()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def _wait(self) -> None:
        parts = urlsplit(self.url)
        host = parts.hostname or "127.0.0.1"
        port = parts.port or (443 if parts.scheme == "https" else 80)
        deadline = time.monotonic() + self.timeout
        while True:
            code = self.proc.poll()
            if code is not None:
                raise ServerError(f"the server exited with code {code} before it answered "
                                  f"at {self.url}", self.output())
            if _answers(host, port, self.url):
                return
            if time.monotonic() > deadline:
                raise ServerError(f"the server did not answer at {self.url} within "
                                  f"{self.timeout:g}s", self.output())
            time.sleep(0.1)

    def stop(self) -> None:
        proc = self.proc
        if proc is not None:
            pgid = proc.pid
            # the tree as it stands, before the group dies and its orphans move to guard
            strays = self._strays(proc.pid) if self._reaper else set()
            for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
                try:
                    os.killpg(pgid, sig)
                except (ProcessLookupError, PermissionError):
                    break
                end = time.monotonic() + wait
                while time.monotonic() < end:
                    proc.poll()
                    if not _group_alive(pgid):
                        break
                    time.sleep(0.05)
                else:
                    continue
                break
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
            if self._reaper:
                self._stop_strays(strays | self._strays(proc.pid))
                _subreaper(False)
                self._reaper = False
            self.proc = None
        if self._old_term is not None:
            signal.signal(signal.SIGTERM, self._old_term)
            self._old_term = None


    def _strays(self, server_pid: int) -> set[int]:
        """Processes of the server's tree outside its process group: its descendants, and
        guard's children that guard did not have before the server started (orphans of
        the tree, re-parented to guard as their subreaper) and their descendants."""
        table = _process_table()
        roots = {server_pid} | (_children_of(os.getpid(), table) - self._children_before
                                - {server_pid})
        return (_descendants(roots, table) | roots) - {server_pid}

    def _stop_strays(self, pids: set[int]) -> None:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            live = [pid for pid in pids if _alive(pid)]
            for pid in live:
                try:
                    os.kill(pid, sig)
                except (ProcessLookupError, PermissionError):
                    pass
            end = time.monotonic() + 3.0
            while live and time.monotonic() < end:
                _reap(pids)
                live = [pid for pid in live if _alive(pid)]
                if live:
                    time.sleep(0.05)
            if not live:
                break
        _reap(pids)


def _subreaper(on: bool) -> bool:
    """PR_SET_CHILD_SUBREAPER (Linux 3.4+): while on, orphans of what guard starts are
    re-parented to guard rather than to init. True when the call worked."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(36, int(on), 0, 0, 0) == 0      # 36 = PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


def _process_table() -> dict[int, tuple[int, int]]:
    """pid -> (parent pid, process group) for every live, non-zombie process in /proc."""
    table: dict[int, tuple[int, int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
            if fields[0] != b"Z":
                table[int(name)] = (int(fields[1]), int(fields[2]))
        except (OSError, IndexError, ValueError):
            continue
    return table


def _children_of(pid: int, table: dict[int, tuple[int, int]] | None = None) -> set[int]:
    table = _process_table() if table is None else table
    return {child for child, (parent, _) in table.items() if parent == pid}


def _descendants(roots: set[int], table: dict[int, tuple[int, int]]) -> set[int]:
    out: set[int] = set()
    frontier = set(roots)
    while frontier:
        frontier = {child for child, (parent, _) in table.items()
                    if parent in frontier and child not in out}
        out |= frontier
    return out


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        return False


def _reap(pids: set[int]) -> None:
    """Collect the exit status of strays re-parented to guard (else they stay zombies)."""
    for pid in pids:
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # zombies still count for killpg(0); check /proc where there is one
    if os.path.isdir("/proc"):
        return any(group == pgid for _parent, group in _process_table().values())
    return True


def _answers(host: str, port: int, url: str) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            pass
    except OSError:
        return False
    try:
        with urllib.request.urlopen(url, timeout=2):   # noqa: S310 - the configured URL
            return True
    except urllib.error.HTTPError:
        return True            # any HTTP answer means the server is up
    except (urllib.error.URLError, OSError, ValueError):
        return False
