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
        return hook_claude(role, ends=argv is None)
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


def hook_claude(role: str | None, *, ends: bool) -> int:
    """`guard hook claude` with the cyclic collector tuned for one short run, as
    guard.checkcmd.program does for `guard check` (which this path does not import): a
    Stop builds ~100 classes and thousands of objects and almost no reference cycles, and
    the default young generation had the collector walk them over and over; at exit (when
    the process ends next, ``ends``) gc.freeze() spares the interpreter's last collection
    over every object of the run. Together ~33 M instructions (~9 %) of a Stop on a
    3,000-file repository. Restored on return (tests call main() in-process)."""
    import gc

    from guard.agent import claude

    thresholds = gc.get_threshold()
    gc.set_threshold(50_000)
    try:
        return claude.main(role=role)
    finally:
        gc.set_threshold(*thresholds)
        if ends:
            gc.freeze()


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
