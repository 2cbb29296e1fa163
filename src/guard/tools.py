"""`guard init --tools`: the role contract's tool scripts that guard can stand behind.

The contract tells agents to run `./tools/db/migration-check.sh` before marking migration
work complete and to validate OpenAPI specs with `./tools/ci/openapi-lint.sh`. guard writes
them as small executable scripts that call guard with the right flags, so a team whose agents
were told to run them gets guard's checks. An existing script is never overwritten.
(run-tests.sh and lint-format.sh run the project's own tools: guard cannot stand behind them.)
"""

from __future__ import annotations

import os

from guard.errors import GuardError
from guard.git import open_repo

_HEAD = """#!/bin/sh
# Written by `guard init --tools`. {what}
# Extra arguments go to guard (e.g. --base main). GUARD names another guard executable.
set -eu
"""

SCRIPTS: tuple[tuple[str, str, str], ...] = (
    ("tools/db/migration-check.sh",
     "Migration history, rollbacks and risky SQL; each new migration's rollback proven "
     "up, down, up on a throwaway database.",
     'exec "${GUARD:-guard}" check --only migrations --verify-migrations "$@"\n'),
    ("tools/ci/openapi-lint.sh",
     "The OpenAPI contract: the spec is valid, and the routes match it.",
     'exec "${GUARD:-guard}" check --only contract "$@"\n'),
)


def run(*, repo: str) -> str:
    git = open_repo(repo)
    lines = []
    for rel, what, body in SCRIPTS:
        path = os.path.join(git.root, *rel.split("/"))
        if os.path.lexists(path):
            lines.append(f"kept {rel}: it exists already (not overwritten)")
            continue
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "x", encoding="utf-8") as fh:
                fh.write(_HEAD.format(what=what) + body)
            os.chmod(path, 0o755)
        except (NotADirectoryError, FileExistsError):
            raise GuardError(f"cannot write {rel}: a file stands where {os.path.dirname(rel)} "
                             "should be a folder", path=os.path.dirname(rel),
                             hint="move that file away, or write the script by hand") from None
        except OSError as exc:
            raise GuardError(f"cannot write {rel}: {exc.strerror}", path=rel,
                             hint="check the folder's permissions") from None
        lines.append(f"wrote {rel}")
    return "\n".join(lines) + "\ncommit the scripts so agents running them get guard's checks\n"
