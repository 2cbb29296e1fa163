"""What `guard check` and `guard report` do once their command line is read, and the error
handling every guard command shares — without the command-line framework.

click's import costs a run ~7–10 ms (its own modules; most of what it imports besides,
guard imports anyway). A plain `guard check` command line — long options (`--base REF`,
`--base=REF`), `-C DIR` and the two flags, every value valid — is read here (`check_args`)
and run without it; any other command line, including every mistake, `--help` and
`--debug`, goes through click in guard.cli, so its errors and help stay click's. Tests hold
check_args to click's own reading of the same command lines.
"""

from __future__ import annotations

import errno
import os
import sys

from guard.errors import GuardError

FORMATS = ("text", "json", "markdown", "junit", "sarif", "github", "agent")
POLICIES = ("base", "worktree")
FAIL_ON = ("error", "warning", "never")
IF_NO_ROLE = ("error", "skip")


def split(values) -> list[str]:
    """`--only a,b --only c` -> ["a", "b", "c"]."""
    out: list[str] = []
    for value in values:
        out += [v.strip() for v in value.split(",") if v.strip()]
    return out


def value_problem(param: str, value: str) -> str | None:
    """Why ``value`` cannot be given to the option of parameter ``param`` (None: it can).
    An empty value would read as the option left out: `--only ''` would run every check,
    `--role ''` would fall back to guard.role, `--base ''` to the default branch."""
    if param in ("only", "skip"):
        if not split([value]):
            return f"{value!r} names no check; give one or more, e.g. scope,policy"
    elif not value.strip():
        return "the value is empty; give one, or leave the option out"
    return None


def output_problem(value: str) -> str | None:
    """Why `--output VALUE` is not FORMAT=FILE with a known format (None: it is)."""
    fmt, sep, path = value.partition("=")
    if not sep or not path:
        return f"{value!r} is not FORMAT=FILE (e.g. sarif=guard.sarif)"
    if fmt not in FORMATS:
        return f"unknown format {fmt!r}; one of {', '.join(FORMATS)}"
    return None


def outputs_problem(values) -> str | None:
    """Why a set of `--output` values cannot all be written (None: they can): one is not
    FORMAT=FILE, or two name the same file (the second would silently replace the first)."""
    seen: dict[str, str] = {}
    for value in values:
        problem = output_problem(value)
        if problem:
            return problem
        key = os.path.realpath(value.partition("=")[2])
        if key in seen:
            return (f"{seen[key]!r} and {value!r} write the same file; give each report "
                    "its own FILE")
        seen[key] = value
    return None


def colour() -> bool:
    # no-color.org: NO_COLOR set to a non-empty value turns colour off
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR") and \
        os.environ.get("TERM") != "dumb"


def execute(fmt: str, default_fail_on: str, *, repo, base, head, staged, role, scope_file,
            policy, only, skip, outputs, fail_on, tests_junit, verify_migrations, if_no_role,
            run_tests: bool, config_fail_on: bool = True, run_lint: bool = False,
            **extra) -> int:
    """Run the checks and write the reports; the exit code. The command line is valid
    (`--staged` without --base/--head, each output FORMAT=FILE). `config_fail_on`: whether
    guard.fail_on applies (it does for `guard check`; `guard report` fails only on an explicit
    --fail-on)."""
    from guard import context, engine
    from guard.report import render

    out_pairs = [tuple(value.split("=", 1)) for value in outputs]
    checks = engine.select_checks(split(only), split(skip))
    opts = context.Options(repo=repo, base=base, head=head, staged=staged, role=role,
                           scope=scope_file, policy=policy, verify_migrations=verify_migrations,
                           extra=tuple(sorted(extra.items())),
                           outputs=tuple(os.path.abspath(f) for _, f in out_pairs))
    ctx = build_context(opts, if_no_role, "nothing checked")
    if ctx is None:
        return 0
    from guard import testsrun

    cfg = ctx.policy.config
    tests = testsrun.for_run(ctx, junit_file=tests_junit, run_tests=run_tests)
    threshold = fail_on or (cfg.fail_on if config_fail_on else None) or default_fail_on
    lint = testsrun.lint_for_run(ctx, run_lint=run_lint)
    report = engine.run(ctx, checks, fail_on=threshold, tests=tests, lint=lint)

    kwargs = {"colour": colour()} if fmt == "text" else {}
    sys.stdout.write(render(fmt, report, **kwargs))
    sys.stdout.flush()
    write_outputs(report, out_pairs)
    append_step_summary(report, fmt, out_pairs)
    if any(f.rule == "POLICY001" for f in report.findings):
        unpushed_policy_notice(ctx)
    return 1 if report.failed else 0


def unpushed_policy_notice(ctx) -> None:
    """The first-day trap: a person commits the policy on the local main, does not push,
    and starts an agent branch; guard reads the policy from origin/main and reports the
    person's own commit as the branch's POLICY001. Say so when the base is origin/X and
    the local X holds commits origin/X lacks."""
    base = ctx.base_ref or ""
    if not base.startswith("origin/") or ctx.mode == "staged":
        return
    name = base[len("origin/"):]
    local = ctx.git.try_resolve(f"refs/heads/{name}")
    if not local or local == ctx.base or not ctx.git.is_ancestor(ctx.base, local):
        return
    _err(f"guard: notice: your local {name} has commits {base} lacks; guard read the policy "
         f"from {base} — if they hold the policy you mean (company.config.yaml, .guard/), "
         f"push {name} (git push origin {name}) and run guard again")


def write_file(path: str, text: str, *, append: bool = False) -> None:
    """Every file guard writes goes through here. The path may sit in the checked branch,
    which can commit a symbolic link there (dangling or not): O_NOFOLLOW refuses to write
    through it, where open() would overwrite or create the file it points to."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | (os.O_APPEND if append else os.O_TRUNC)
    fd = os.open(path, flags, 0o666)
    with os.fdopen(fd, "a" if append else "w", encoding="utf-8") as fh:
        fh.write(text)


def _why(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "it is a symbolic link, and guard does not write through links"
    return exc.strerror or str(exc)


def append_step_summary(report, fmt: str, pairs) -> None:
    """On GitHub Actions ($GITHUB_STEP_SUMMARY set), a run with the github format (on stdout
    or as an --output) appends the markdown report to the job summary; a file that cannot
    be appended to is a GuardError naming it."""
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if not summary or not (fmt == "github" or any(f == "github" for f, _ in pairs)):
        return
    from guard.report import render

    try:
        write_file(summary, render("markdown", report), append=True)
    except OSError as exc:
        raise GuardError(f"cannot append the job summary named by $GITHUB_STEP_SUMMARY: "
                         f"{_why(exc)}", path=summary,
                         hint="unset GITHUB_STEP_SUMMARY outside GitHub Actions, or point "
                              "it at a writable file") from None


def build_context(opts, if_no_role: str, skipped: str):
    """context.build(opts); with `--if-no-role skip` and no role, None after a notice on
    stderr saying ``skipped`` (e.g. "nothing checked")."""
    from guard import context

    try:
        return context.build(opts)
    except context.NoRoleError as exc:
        if if_no_role != "skip":
            raise
        _err(f"guard: notice: {skipped} — {exc.one_line()} (--if-no-role skip)")
        return None


def write_outputs(report, pairs) -> None:
    """The extra reports of `--output FORMAT=FILE`; a file that cannot be written is a
    GuardError naming it."""
    from guard.report import render

    for out_fmt, path in pairs:
        try:
            write_file(path, render(out_fmt, report))
        except OSError as exc:
            raise GuardError(f"cannot write the {out_fmt} report: {_why(exc)}",
                             path=path, hint="create its folder or pick a writable FILE for "
                                             f"--output {out_fmt}=FILE") from None


# `guard check`'s options: name -> (parameter, choices or None); flags apart. Must match
# guard.cli.range_options and check's --format (a test compares the two).
VALUED = {
    "-C": ("repo", None), "--repo": ("repo", None), "--base": ("base", None),
    "--head": ("head", None), "--role": ("role", None), "--scope": ("scope_file", None),
    "--policy": ("policy", POLICIES), "--only": ("only", None), "--skip": ("skip", None),
    "--output": ("outputs", None), "--fail-on": ("fail_on", FAIL_ON),
    "--tests-junit": ("tests_junit", None), "--if-no-role": ("if_no_role", IF_NO_ROLE),
    "--format": ("fmt", FORMATS),
}
FLAGS = {"--staged": "staged", "--verify-migrations": "verify_migrations"}
MULTIPLE = ("only", "skip", "outputs")


def check_defaults() -> dict:
    return {"repo": ".", "base": None, "head": None, "staged": False, "role": None,
            "scope_file": None, "policy": "base", "only": (), "skip": (), "outputs": (),
            "fail_on": None, "tests_junit": None, "if_no_role": "error",
            "verify_migrations": False, "fmt": "text"}


def check_args(args: list[str]) -> dict | None:
    """The parameters of a plain, valid `check` command line (args without the `check`), as
    click would pass them; None for anything else (click then reads it, and explains)."""
    params = check_defaults()
    multi: dict[str, list[str]] = {name: [] for name in MULTIPLE}
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in FLAGS:
            params[FLAGS[arg]] = True
            i += 1
            continue
        name, eq, value = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        if name not in VALUED:
            return None
        if not eq:
            if i + 1 >= len(args):
                return None
            value = args[i + 1]
            i += 1
        i += 1
        if value.startswith("-"):
            return None                 # an option's value or a forgotten one: click decides
        param, choices = VALUED[name]
        if choices is not None and value not in choices:
            return None
        if value_problem(param, value):
            return None                 # click refuses it, and says why
        if param in multi:
            multi[param].append(value)
        else:
            params[param] = value
    if params["staged"] and (params["base"] or params["head"]):
        return None
    if outputs_problem(multi["outputs"]):
        return None
    for name, values in multi.items():
        params[name] = tuple(values)
    return params


def run_check(params: dict, *, ends: bool = True) -> int:
    """`guard check` from check_args' parameters, as a whole program: the exit code."""
    def body() -> int:
        fmt = params["fmt"]
        rest = {k: v for k, v in params.items() if k != "fmt"}
        return execute(fmt, "error", run_tests=False, **rest)
    return program(lambda: guarded(body, debug=False), ends=ends)


def commit_msg(file: str, repo: str = ".") -> int:
    """`guard hook commit-msg FILE`: its lines on stderr, its exit code."""
    from guard.checks import commits
    code, lines = commits.commit_msg_hook(file, repo=repo)
    for line in lines:
        _err(line)
    return code


def run_commit_msg(file: str, *, ends: bool = True) -> int:
    """commit_msg as a whole program (git's commit-msg stage, without click)."""
    return program(lambda: guarded(lambda: commit_msg(file), debug=False), ends=ends)


def program(body, *, ends: bool = True) -> int:
    """Run body as the process's main work, with the collector tuned for one short run.

    A guard run builds tens of thousands of objects (changes, policy, findings, the report)
    and almost no reference cycles. With the default young generation of 700 objects the
    cyclic collector walked them ~50 times for nothing (~15 ms of a full migrations lint); it
    now waits for 50,000 (as mypy does, 150,000). Reference counting frees everything as
    before; restored on return. When the process ends next (`ends`), gc.freeze() spares the
    interpreter's last collection at exit a walk over every object of the run.
    """
    import gc
    thresholds = gc.get_threshold()
    gc.set_threshold(50_000)
    try:
        return body()
    finally:
        gc.set_threshold(*thresholds)
        if ends:
            gc.freeze()


def guarded(body, *, debug: bool) -> int:
    """body's exit code; a guard error, an interrupt or an unexpected exception becomes one
    line on stderr and exit 2 (the traceback too with --debug)."""
    try:
        return body()
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    except GuardError as exc:
        _err(f"guard: error: {exc.one_line()}")
        if debug:
            import traceback
            traceback.print_exc()
        return 2
    except KeyboardInterrupt:
        _err("guard: interrupted")
        return 2
    except Exception as exc:  # noqa: BLE001 - the one place unexpected errors are mapped
        if debug:
            import traceback
            traceback.print_exc()
        _err(f"guard: internal error: {type(exc).__name__}: {exc} "
             "(run again with --debug for the traceback and report it)")
        return 2


def _err(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()
