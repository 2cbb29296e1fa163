"""Work the contract check runs in a second process, in parallel with schemathesis: contract
validation, and listing the routes of an app that is not also imported for the run (url:
and start: modes). One JSON document on stdout.

    python -m guard.checks.contract.helper validate FOLDER ROOT_FILE LABEL
    python -m guard.checks.contract.helper routes REPO_ROOT MODULE:ATTR [APP_DIR]
    python -m guard.checks.contract.helper conform < SETTINGS_JSON

`conform` imports the app of another tree (the base commit, exported) and runs schemathesis
against it: in its own process, so the two imports of one package never share sys.modules.
The settings (headers with secrets among them) come on stdin, never on the command line. It
writes two lines: the routes as soon as the app is imported (the route check of the branch
needs only them), then the conformance failures.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading


def start(*args: str, cwd: str | None = None, stdin: bytes | None = None,
          env: dict[str, str] | None = None) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "guard.checks.contract.helper", *args],
                            cwd=cwd, env=env, stdin=subprocess.DEVNULL if stdin is None else
                            subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if stdin is not None:
        proc.stdin.write(stdin)
        proc.stdin.close()
        proc.stdin = None           # communicate() must not flush it again
    return proc


def result(proc: subprocess.Popen, timeout: float = 300):
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise RuntimeError("the helper process timed out") from None
    if proc.returncode != 0:
        tail = err.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"the helper process failed: {tail[0]}")
    return json.loads(out)


MARK = b"\x1eguard-helper "


class Lines:
    """A helper that writes one JSON document per line, after MARK: each read as it comes,
    within a time limit. Both pipes are drained in threads (an app that logs a lot on stderr never
    blocks the helper on a full pipe)."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.proc = proc
        self._lines: queue.Queue = queue.Queue()
        self._err: list[bytes] = []
        self._threads = [threading.Thread(target=self._read_out, daemon=True),
                         threading.Thread(target=self._read_err, daemon=True)]
        for t in self._threads:
            t.start()

    def _read_out(self) -> None:
        for line in self.proc.stdout:
            if line.startswith(MARK):        # anything else is the app's own output
                self._lines.put(line[len(MARK):])
        self._lines.put(None)

    def _read_err(self) -> None:
        for line in self.proc.stderr:
            self._err.append(line)
            del self._err[:-20]

    def next(self, timeout: float):
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            self.kill()
            raise RuntimeError("the helper process timed out") from None
        if line is None:
            self.proc.wait()
            for t in self._threads:
                t.join(timeout=5)
            tail = b"".join(self._err).decode("utf-8", "replace").strip().splitlines()[-1:]
            raise RuntimeError(f"the helper process failed: {(tail or ['no output'])[0]}")
        return json.loads(line)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def _validate(folder: str, root: str, label: str) -> list:
    from guard.checks.contract import spec

    def read(rel: str):
        try:
            with open(os.path.join(folder, rel), "rb") as fh:
                return fh.read()
        except OSError:
            return None
    contract = spec.load(read, root, label)
    scratch = folder + ".validate"
    return [[p.path, p.line, p.message] for p in spec.validate(contract, scratch)]


def _routes(repo_root: str, app_spec: str, app_dir: str = ""):
    from guard.checks.contract import inventory
    try:
        app = inventory.load_app(app_spec, repo_root, app_dir)
    except inventory.AppLoadError as exc:
        return {"error": str(exc), "detail": exc.detail}
    found = inventory.routes(app)
    if found is None:
        return {"routes": None}
    return {"routes": [[list(r.methods), r.path, r.framework, r.file, r.line] for r in found]}


def _conform(settings: dict, emit):
    from guard.checks.contract import inventory, runner
    root = settings["root"]
    try:
        app = inventory.load_app(settings["app"], root, settings.get("app_dir", ""))
    except inventory.AppLoadError as exc:
        return {"error": str(exc)}
    found = inventory.routes(app)
    emit({"routes": None if found is None else
          [[list(r.methods), r.path, r.framework, r.file, r.line] for r in found]})
    result = runner.run(settings["spec"], app=app, headers=settings["headers"],
                        include=settings["include"], exclude=settings["exclude"],
                        checks=settings["checks"], phases=settings["phases"],
                        max_examples=settings["max_examples"], seed=settings["seed"])
    return {"failures": [[f.operation, f.check, f.status] for f in result.failures],
            "errors": [list(e) for e in result.errors], "operations": result.operations}


def main(argv: list[str]) -> int:
    if argv[:1] == ["validate"] and len(argv) == 4:
        data = _validate(*argv[1:])
    elif argv[:1] == ["routes"] and len(argv) in (3, 4):
        stdout = sys.stdout
        sys.stdout = sys.stderr          # the app's prints must not corrupt the JSON
        try:
            data = _routes(*argv[1:])
        finally:
            sys.stdout = stdout
    elif argv == ["conform"]:
        settings = json.loads(sys.stdin.read())
        stdout = sys.stdout
        sys.stdout = sys.stderr

        def emit(doc) -> None:
            stdout.write(MARK.decode() + json.dumps(doc) + "\n")
            stdout.flush()
        try:
            emit(_conform(settings, emit))
        finally:
            sys.stdout = stdout
        return 0
    else:
        print(__doc__, file=sys.stderr)
        return 2
    sys.stdout.write(json.dumps(data) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
