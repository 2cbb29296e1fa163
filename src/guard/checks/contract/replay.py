"""Replay one conformance failure against the in-process app, after guard has exited.

    python -m guard.checks.contract.replay --app MODULE:ATTR --contract FILE \\
        --check CHECK --case JSON [--header 'Name: value' ...] 'METHOD /path'

Run it in the repository root: it imports the app from there (the working tree), sends the
recorded request in-process (no server, no port) and runs the one schemathesis check that
failed. Exit 1 with the failure when it still fails, 0 when the answer conforms, 2 when the
replay cannot run (the app does not import, the contract has no such operation).
CONTRACT007 findings carry this command, ready to paste.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys


def command(app: str, contract: str, label: str, check: str, case_json: str,
            headers: dict[str, str]) -> str:
    """The shell line a finding shows; header values keep their ${VAR}s (the user's shell
    fills them in, the report never shows a secret)."""
    parts = [sys.executable, "-m", "guard.checks.contract.replay", "--app", app,
             "--contract", contract, "--check", check, "--case", case_json or "{}"]
    line = " ".join(shlex.quote(p) for p in parts)
    for name, shown in headers.items():
        line += f' --header "{name}: {shown}"'
    return f"{line} {shlex.quote(label)}"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m guard.checks.contract.replay",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--app", required=True)
    parser.add_argument("--contract", required=True)
    parser.add_argument("--check", required=True)
    parser.add_argument("--case", default="{}")
    parser.add_argument("--header", action="append", default=[])
    parser.add_argument("operation")
    args = parser.parse_args(argv)
    headers = {}
    for raw in args.header:
        name, sep, value = raw.partition(":")
        if not sep:
            print(f"guard replay: error: --header {raw!r} is not 'Name: value'", file=sys.stderr)
            return 2
        headers[name.strip()] = value.strip()
    from guard.checks.contract import inventory, runner
    root = os.getcwd()
    if not os.path.isfile(args.contract):
        print(f"guard replay: error: {args.contract}: no such contract file here; run the "
              "command in the repository root", file=sys.stderr)
        return 2
    try:
        app = inventory.load_app(args.app, root)
        status, failure = runner.replay(args.contract, app, args.operation, args.case,
                                        args.check, headers)
    except inventory.AppLoadError as exc:
        print(f"guard replay: error: the app {args.app} could not be imported: {exc}",
              file=sys.stderr)
        return 2
    except (LookupError, ValueError, TypeError) as exc:
        print(f"guard replay: error: {exc}", file=sys.stderr)
        return 2
    if failure:
        print(f"{args.operation}: {args.check}: {failure} (status {status})")
        return 1
    print(f"{args.operation}: {args.check}: conforms now (status {status})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
