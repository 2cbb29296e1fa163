"""`python -m guard` for the tests without paying the interpreter's start each time.

A run of guard in a subprocess costs ~0.3 s of CPU before guard does anything: the
interpreter starts and imports click, PyYAML, pathspec and guard itself. The tests run guard
about a thousand times. So each pytest process starts one *fork server* (this file, run as a
script: ``python tests/forkrun.py SOCKET``) that imports guard's modules once and then, per
request, forks a real child process that becomes ``python -m guard ARGS``: it takes the
request's stdin, stdout and stderr (pipes the caller made, passed over a Unix socket), its
working directory, environment and argv, runs guard's __main__ through runpy exactly as
``-m`` does, and ends as that interpreter would (SystemExit's code, atexit, flushed output;
see finish).
Its exit status, stdout and stderr come back as subprocess.run gives them.

The server never runs guard itself, so every child starts from the same state: modules
imported, nothing cached (guard's lru_caches and module globals are as a fresh import leaves
them). What a fork cannot give is a fresh interpreter: a request whose environment differs
from the server's in what the interpreter reads at start (PYTHON*, the locale variables)
runs as a plain subprocess, and so does every run with ``fresh=True`` or, for the whole
session, with GUARD_TEST_FRESH=1 in the environment. The hash seed is the server's, one per
pytest process.
"""

from __future__ import annotations

import os
import pickle
import selectors
import socket
import struct
import subprocess
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
# what the interpreter reads from the environment when it starts: a request that sets any of
# these differently from the server's own environment needs a fresh interpreter
START_VARS = ("LANG", "LC_ALL", "LC_CTYPE")
# the contract check's libraries (guard imports them inside the check): preloaded by the
# server too, see preload
HEAVY_PRELOAD = ("hypothesis", "schemathesis", "schemathesis.engine", "schemathesis.checks",
                 "schemathesis.config", "openapi_spec_validator.validation")
HEADER = struct.Struct("!I")
NUMBER = struct.Struct("!q")


def fresh_wanted(env: dict[str, str], server_env: dict[str, str]) -> bool:
    """Does a run with ``env`` need its own interpreter (not a fork of the server)?"""
    keys = {k for k in (*env, *server_env) if k.startswith("PYTHON") or k in START_VARS}
    return any(env.get(k) != server_env.get(k) for k in keys)


# -- the caller's side ------------------------------------------------------------------------

class Server:
    """One fork server, started on first use by this process (each xdist worker has its own)."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = dict(env)
        self.folder = tempfile.mkdtemp(prefix="guard-forkrun-")
        self.path = os.path.join(self.folder, "socket")
        log = open(os.path.join(self.folder, "log"), "w+b")
        # stdin is the server's lifeline: it stops when this process closes it (also when
        # this process dies); stdout says when it is ready
        self.proc = subprocess.Popen([sys.executable, os.path.join(HERE, "forkrun.py"),
                                      self.path], env=self.env, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=log)
        ready = self.proc.stdout.readline()
        self.proc.stdout.close()
        if ready != b"ready\n":
            self.proc.wait()
            log.seek(0)
            raise RuntimeError(f"tests/forkrun.py did not start: {log.read().decode()}")
        log.close()

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        import shutil
        if self.proc.stdin and not self.proc.stdin.closed:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.folder, ignore_errors=True)

    def run(self, args: list[str], *, cwd: str, env: dict[str, str], input: str | None,
            timeout: float | None) -> subprocess.CompletedProcess:
        """subprocess.run([python, -m, guard, *args], capture_output=True, text=True, ...),
        the process forked from the server."""
        cmd = [sys.executable, "-m", "guard", *args]
        theirs: list[int] = []      # the child's ends, closed here once sent
        mine: dict[str, int] = {}   # this side's ends, closed by _collect or at the end
        try:
            if input is None:       # subprocess.run's child would read pytest's /dev/null
                theirs.append(os.open(os.devnull, os.O_RDONLY))
            else:
                r, mine["stdin"] = os.pipe()
                theirs.append(r)
            for name in ("stdout", "stderr"):
                mine[name], w = os.pipe()
                theirs.append(w)
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.connect(self.path)
                payload = pickle.dumps((list(args), cwd, env), pickle.HIGHEST_PROTOCOL)
                frame = HEADER.pack(len(payload)) + payload
                sent = socket.send_fds(sock, [frame], theirs)
                sock.sendall(frame[sent:])
                for fd in theirs:
                    os.close(fd)
                theirs = []
                code, out, err = self._collect(sock, mine, input, timeout, cmd)
        finally:
            for fd in theirs + list(mine.values()):
                os.close(fd)
        return subprocess.CompletedProcess(cmd, code, text(out), text(err))

    def _collect(self, sock, mine: dict[str, int], input, timeout, cmd):
        """(exit code, stdout bytes, stderr bytes): stdin written, both outputs read to their
        end, the status read from the server, all at once, as Popen.communicate does. A pipe
        end closed here leaves ``mine``."""
        import time
        deadline = None if timeout is None else time.monotonic() + timeout
        data = {mine["stdout"]: bytearray(), mine["stderr"]: bytearray()}
        reply = bytearray()
        pending = memoryview(input.encode(encoding())) if input is not None else None
        sel = selectors.DefaultSelector()
        for fd in data:
            sel.register(fd, selectors.EVENT_READ)
        sel.register(sock, selectors.EVENT_READ)
        if pending is not None:
            if pending:
                os.set_blocking(mine["stdin"], False)
                sel.register(mine["stdin"], selectors.EVENT_WRITE)
            else:
                os.close(mine.pop("stdin"))
        pid = None
        killed = False
        try:
            while sel.get_map():
                if killed and len(reply) == 3 * NUMBER.size:
                    break           # killed and reaped: subprocess.run waits for no output
                wait = None if deadline is None else deadline - time.monotonic()
                if wait is not None and wait <= 0:
                    if pid is not None:
                        os.kill(pid, 9)     # as subprocess.run does on its timeout
                    killed = True
                    deadline = None         # then wait for the status
                    continue
                for key, _ in sel.select(wait):
                    fd = key.fd
                    if fd == mine.get("stdin"):
                        try:
                            n = os.write(fd, pending[:65536])
                        except BrokenPipeError:  # the child stopped reading: as communicate
                            n = len(pending)
                        pending = pending[n:]
                        if not pending:
                            sel.unregister(fd)
                            os.close(mine.pop("stdin"))
                    elif key.fileobj is sock:
                        chunk = sock.recv(64)
                        if not chunk:
                            sel.unregister(sock)
                        reply += chunk
                        if pid is None and len(reply) >= NUMBER.size:
                            pid = NUMBER.unpack_from(reply)[0]
                            if killed:
                                os.kill(pid, 9)
                    else:
                        chunk = os.read(fd, 65536)
                        if chunk:
                            data[fd] += chunk
                        else:
                            sel.unregister(fd)
        finally:
            sel.close()
        if len(reply) != 3 * NUMBER.size:
            raise RuntimeError(f"tests/forkrun.py: the server ended the run of {cmd[3:]} "
                               f"without its exit status (see {self.folder}/log)")
        code = NUMBER.unpack_from(reply, NUMBER.size)[0]
        CPU[0] += NUMBER.unpack_from(reply, 2 * NUMBER.size)[0] / 1e6
        out, err = (bytes(data[mine[name]]) for name in ("stdout", "stderr"))
        if killed:
            raise subprocess.TimeoutExpired(cmd, timeout, out, err)
        return code, out, err


def encoding() -> str:
    """The encoding subprocess's text mode uses (this process's locale, or UTF-8 mode)."""
    import locale
    get = getattr(subprocess, "_text_encoding", None)
    return get() if get else locale.getpreferredencoding(False)


def text(data: bytes) -> str:
    """Output as subprocess's text mode gives it: that encoding, universal newlines."""
    return data.decode(encoding()).replace("\r\n", "\n").replace("\r", "\n")


# CPU time (user + sys, s) of the runs forked so far, whose processes are the server's
# grandchildren: not in this process's RUSAGE_CHILDREN until the server ends
CPU = [0.0]
_SERVER: list[Server] = []
_LOCK = threading.Lock()


def server(env: dict[str, str]) -> Server:
    """This process's fork server, started with ``env`` on first use."""
    with _LOCK:
        if _SERVER and not _SERVER[0].alive():
            _SERVER.pop().stop()
        if not _SERVER:
            import atexit
            _SERVER.append(Server(env))
            atexit.register(_SERVER[0].stop)
        return _SERVER[0]


def run(args: list[str], *, cwd: str, env: dict[str, str], input: str | None = None,
        timeout: float | None = None, fresh: bool = False) -> subprocess.CompletedProcess:
    """``python -m guard ARGS`` as subprocess.run(..., capture_output=True, text=True) gives
    it; forked from this process's fork server unless a fresh interpreter is asked for
    (``fresh``, GUARD_TEST_FRESH=1) or needed (see fresh_wanted), or ``cwd`` is no folder."""
    if not fresh and os.environ.get("GUARD_TEST_FRESH") != "1" and hasattr(os, "fork") \
            and os.path.isdir(cwd):
        srv = server(env)
        if not fresh_wanted(env, srv.env):
            return srv.run(list(args), cwd=cwd, env=env, input=input, timeout=timeout)
    return subprocess.run([sys.executable, "-m", "guard", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, input=input, timeout=timeout,
                          check=False)


# -- the server's side ------------------------------------------------------------------------

def preload() -> None:
    """Import what guard's runs import (not run anything): guard's own modules and the
    libraries its command line loads at once."""
    import importlib
    import pkgutil

    import guard
    for info in pkgutil.walk_packages(guard.__path__, "guard."):
        if info.name.endswith("__main__"):
            continue
        try:
            importlib.import_module(info.name)
        except ImportError:         # an optional dependency missing: imported when run
            pass
    # what the contract check imports when it runs (lazily, off the pre-commit path): ~0.5 s
    # of CPU in every forked contract run otherwise. Importing starts no thread and reads
    # nothing of the run's folder or environment; a run that must not see these modules (an
    # import test, a missing extra through PYTHONPATH) runs fresh, as above.
    for name in HEAVY_PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError:
            pass


def receive(conn: socket.socket):
    """(fds, (args, cwd, env)) of one request."""
    msg, fds, _, _ = socket.recv_fds(conn, 1 << 16, 3)
    while len(msg) < HEADER.size or len(msg) < HEADER.size + HEADER.unpack_from(msg)[0]:
        chunk = conn.recv(1 << 16)
        if not chunk:
            raise EOFError("request cut short")
        msg += chunk
    return fds, pickle.loads(msg[HEADER.size:])


def serve(path: str):
    """Accept requests until the lifeline (stdin) closes; in a forked child, return the
    child's (connection, fds, request)."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)
    os.write(1, b"ready\n")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)
    sel = selectors.DefaultSelector()
    sel.register(listener, selectors.EVENT_READ)
    sel.register(0, selectors.EVENT_READ)
    while True:
        for key, _ in sel.select(timeout=2):
            if key.fd == 0:
                if not os.read(0, 1):
                    return None
                continue
            conn, _ = listener.accept()
            try:
                fds, request = receive(conn)
            except (OSError, EOFError, pickle.UnpicklingError):
                conn.close()
                continue
            pid = os.fork()
            if pid == 0:
                sel.close()
                listener.close()
                return conn, fds, request
            for fd in fds:
                os.close(fd)
            conn.close()
        while True:                 # reap the finished monitors
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break


def monitor(conn: socket.socket, fds: list[int], request) -> None:
    """The forked monitor: fork the run, tell the caller its pid and then its exit status.
    Returns only in the run's own process."""
    pid = os.fork()
    if pid == 0:
        conn.close()
        become(fds, *request)
        return
    code = 0
    try:
        for fd in fds:
            os.close(fd)
        conn.sendall(NUMBER.pack(pid))
        _, status, usage = os.wait4(pid, 0)
        conn.sendall(NUMBER.pack(os.waitstatus_to_exitcode(status))
                     + NUMBER.pack(int((usage.ru_utime + usage.ru_stime) * 1e6)))
    except OSError:
        code = 1
    finally:
        os._exit(code)


def become(fds: list[int], args: list[str], cwd: str, env: dict[str, str]) -> None:
    """This process takes the run's stdin/stdout/stderr, folder, environment and argv."""
    import types
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    sys.argv = ["-m", *args]
    sys.orig_argv = [sys.executable, "-m", "guard", *args]
    sys.path[0] = os.getcwd()       # `python -m` puts the working folder first
    sys.modules["__main__"] = types.ModuleType("__main__")


def fork_validate_helper() -> None:
    """The contract check starts `python -m guard.checks.contract.helper validate ...` for
    openapi-spec-validator (~1 s of CPU, nearly all of it the validator's imports, which the
    server has made already). In a forked run, that helper process is forked from the run
    instead: the same helper.main on the same argv, folder and environment, in a process of
    its own with its own pipes, returned as the subprocess.Popen guard waits on (its exec
    replaced by the helper's work and exit, in preexec_fn). Only `validate`, which imports
    nothing of the checked project, and only with no other thread running (a fork copies
    none of them); `routes` and `conform`, which import the project's app, start a fresh
    interpreter as in a user's run, and so does every helper under GUARD_TEST_FRESH=1."""
    import subprocess as sp
    import threading

    from guard.checks.contract import helper
    real_start = helper.start

    def start(*args, cwd=None, stdin=None, env=None):
        if args[:1] != ("validate",) or stdin is not None or threading.active_count() != 1:
            return real_start(*args, cwd=cwd, stdin=stdin, env=env)

        def run_helper() -> None:   # in the child: pipes and folder already set up
            import io
            code = 1
            try:
                kept.extend((sys.stdin, sys.stdout, sys.stderr))   # never flushed here
                if env is not None:
                    os.environ.clear()
                    os.environ.update(env)
                sys.stdin = open(0, closefd=False)
                sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False),
                                              encoding="utf-8", line_buffering=False)
                sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False),
                                              encoding="utf-8", errors="backslashreplace")
                sys.argv = [helper.__file__, *args]
                code = helper.main(list(args))
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
            except BaseException:
                import traceback
                traceback.print_exc()
            finally:
                for stream in (sys.stdout, sys.stderr):
                    try:
                        stream.flush()
                    except (OSError, ValueError):
                        pass
                os._exit(code or 0)

        kept: list = []
        return sp.Popen([sys.executable, "-m", "guard.checks.contract.helper", *args],
                        cwd=cwd, env=env, stdin=sp.DEVNULL, stdout=sp.PIPE, stderr=sp.PIPE,
                        preexec_fn=run_helper)

    helper.start = start


def run_main() -> None:
    """What `python -m guard` runs (its contract validation helper forked, see
    fork_validate_helper)."""
    import runpy
    fork_validate_helper()
    runpy._run_module_as_main("guard")


def finish(main) -> None:
    """Run ``main`` and end this process as the interpreter ends one: the exit code from
    SystemExit (None 0, an int itself, anything else printed to stderr and 1), an uncaught
    exception's traceback and 1; then non-daemon threads joined, atexit functions run
    (weakref finalizers and temporary folders among them), stdout and stderr flushed (120
    when that fails). What it skips is the interpreter's teardown of every module and
    object (~30 ms a run here): guard opens its files in `with` blocks, so no buffered data
    waits for it; GUARD_TEST_FRESH=1 runs everything with it."""
    import atexit
    import threading
    try:
        main()
        code = 0
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            code = exc.code or 0
        else:
            print(exc.code, file=sys.stderr)
            code = 1
    except BaseException:
        sys.excepthook(*sys.exc_info())
        code = 1
    threading._shutdown()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            code = 120
    os._exit(code & 0xFF)


if __name__ == "__main__":
    del sys.path[0]                 # this folder: never a place guard imports from
    sys.path.insert(0, os.getcwd())
    preload()
    served = serve(sys.argv[1])
    if served is not None:
        monitor(*served)
        del served
        finish(run_main)
