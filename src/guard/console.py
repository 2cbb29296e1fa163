"""The `guard` command's entry point.

Two command lines skip the command-line framework, click:

`guard check` with a plain, valid command line (guard.checkcmd.check_args) runs at once:
it is the pre-commit hook's and the CI step's command; so does `guard hook commit-msg FILE`,
git's hook on every commit. Anything else about them goes to click, which reads and explains
it.

Claude Code runs `guard hook claude` on every tool call and every stop, where each
millisecond counts, and click has nothing to do for it. Exactly `guard hook claude`,
`... --role NAME` and `... --role=NAME` go straight to the hook; every other command line
(including options click would reject or explain, such as `--help`) goes to guard.cli,
unchanged.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    role = hook_role(args)
    if role is not False:
        from guard.agent import claude
        return claude.main(role=role)
    if args[:1] == ["check"]:
        from guard import checkcmd
        params = checkcmd.check_args(args[1:])
        if params is not None:
            return checkcmd.run_check(params, ends=argv is None)
    message_file = commit_msg_file(args)
    if message_file is not None:
        from guard import checkcmd
        return checkcmd.run_commit_msg(message_file, ends=argv is None)
    from guard.cli import main as cli_main
    return cli_main(argv)


def hook_role(args: list[str]) -> str | None | bool:
    """The role of a plain `hook claude` command line (None: no --role), else False."""
    if args[:2] != ["hook", "claude"]:
        return False
    rest = args[2:]
    if not rest:
        return None
    # an empty (or blank) role is click's to refuse
    if len(rest) == 2 and rest[0] == "--role" and rest[1].strip() and \
            not rest[1].startswith("-"):
        return rest[1]
    if len(rest) == 1 and rest[0].startswith("--role=") and rest[0][len("--role="):].strip():
        return rest[0][len("--role="):]
    return False


def commit_msg_file(args: list[str]) -> str | None:
    """FILE of a plain `hook commit-msg FILE` command line, else None (click reads it)."""
    import os

    if len(args) != 3 or args[:2] != ["hook", "commit-msg"]:
        return None
    file = args[2]
    # click's Path(dir_okay=False) refuses a folder, and an option is click's to read
    return None if not file or file.startswith("-") or os.path.isdir(file) else file
