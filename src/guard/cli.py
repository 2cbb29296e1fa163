"""Command line: thin wiring only. Heavy modules are imported inside the command that needs
them, so `guard --help` and the pre-commit path stay fast."""

from __future__ import annotations

import sys

import click

from guard import __version__, checkcmd
from guard.checkcmd import FORMATS, colour as _colour


def _outputs(values: tuple[str, ...]) -> tuple[str, ...]:
    problem = checkcmd.outputs_problem(values)
    if problem:
        raise click.BadParameter(problem, param_hint="--output")
    return values


def _given(ctx: click.Context, param: click.Parameter, value):
    """An option's value, refused when it is empty (checkcmd.value_problem): an empty value
    must not read as the option left out."""
    for item in (value if isinstance(value, tuple) else (value,)):
        problem = item is not None and checkcmd.value_problem(param.name, item)
        if problem:
            raise click.BadParameter(problem, ctx=ctx, param=param)
    return value


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="guard")
@click.option("--debug", is_flag=True, help="Show tracebacks for internal errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """guard: did this branch keep its role's contract?

    Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage, configuration, git or
    internal error.
    """
    ctx.obj = {"debug": debug}


def range_options(func):
    opts = [
        click.option("-C", "--repo", default=".", show_default=True, metavar="DIR",
                     callback=_given, help="Repository to check."),
        click.option("--base", metavar="REF", callback=_given,
                     help="Base branch or commit (default: CI target branch, upstream or "
                          "default branch)."),
        click.option("--head", metavar="REF", callback=_given,
                     help="Head commit (default HEAD)."),
        click.option("--staged", is_flag=True,
                     help="Check the staged change against HEAD (the pre-commit hook)."),
        click.option("--role", metavar="NAME", callback=_given,
                     help="Role whose contract applies."),
        click.option("--scope", "scope_file", metavar="FILE", callback=_given,
                     help="The task's own file scope (YAML, or ALLOWED:/FORBIDDEN: lists)."),
        click.option("--policy", type=click.Choice(["base", "worktree"]), default="base",
                     show_default=True,
                     help="Read policy from the trusted base (default) or the working tree."),
        click.option("--only", multiple=True, metavar="CHECK[,CHECK]", callback=_given,
                     help="Run only these checks."),
        click.option("--skip", multiple=True, metavar="CHECK[,CHECK]", callback=_given,
                     help="Skip these checks."),
        click.option("--output", "outputs", multiple=True, metavar="FORMAT=FILE",
                     help="Also write a report in FORMAT to FILE (repeatable)."),
        click.option("--fail-on", type=click.Choice(["error", "warning", "never"]),
                     help="Lowest severity that makes the exit code 1 (default error)."),
        click.option("--tests-junit", metavar="FILE", callback=_given,
                     help="JUnit XML with the project's test results, for the report."),
        click.option("--if-no-role", type=click.Choice(["error", "skip"]), default="error",
                     show_default=True,
                     help="When no role can be determined: exit 2 (default), or skip with a "
                          "notice on stderr and exit 0 (for hooks on non-agent branches)."),
        click.option("--verify-migrations", is_flag=True,
                     help="Prove rollback: apply, revert and re-apply the branch's migrations "
                          "in a throwaway database."),
    ]
    for opt in reversed(opts):
        func = opt(func)
    return func


def _run(fmt: str, default_fail_on: str, *, staged, base, head, outputs, **kwargs) -> int:
    if staged and (base or head):
        raise click.UsageError("--staged checks the index against HEAD; drop --base/--head")
    return checkcmd.execute(fmt, default_fail_on, staged=staged, base=base, head=head,
                            outputs=_outputs(outputs), **kwargs)


@cli.command()
@range_options
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="What goes to stdout.")
def check(fmt: str, **kwargs) -> None:
    """Check the branch (or the staged change) against its role's contract."""
    raise SystemExit(_run(fmt, "error", run_tests=False, **kwargs))


@cli.command()
@range_options
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="markdown",
              show_default=True, help="What goes to stdout.")
@click.option("--run-tests/--no-run-tests", default=True, show_default=True,
              help="Run guard.tests.command (else tools/ci/run-tests.sh) for Test results.")
@click.option("--run-lint/--no-run-lint", default=True, show_default=True,
              help="Run guard.lint.command (else tools/ci/lint-format.sh) for Test results.")
def report(fmt: str, fail_on, run_tests: bool, run_lint: bool, **kwargs) -> None:
    """Write the hand-off report in the role contract's "How You Report Back" format.

    Exits 0 once the report is written unless --fail-on is given (guard.fail_on in the
    configuration applies to `guard check` only).
    """
    raise SystemExit(_run(fmt, "never", fail_on=fail_on, run_tests=run_tests,
                          run_lint=run_lint, config_fail_on=False, **kwargs))


@cli.command("verify-report")
@click.argument("report_file", metavar="REPORT")
@range_options
@click.option("--report-format", type=click.Choice(["markdown", "json"]), default="markdown",
              show_default=True, help="How the agent's report is written.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="What goes to stdout.")
@click.option("--run-tests/--no-run-tests", default=True, show_default=True,
              help="Run guard.tests.command to check the report's Test results.")
def verify_report_cmd(report_file: str, fmt: str, report_format: str, outputs, only, skip,
                      **kwargs) -> None:
    """Check an agent's hand-off report (the role contract's five sections) against the facts."""
    from guard import verify_report
    text, code = verify_report.run(report_file, report_format=report_format, fmt=fmt,
                                   outputs=[tuple(v.split("=", 1)) for v in _outputs(outputs)],
                                   only=checkcmd.split(only), skip=checkcmd.split(skip),
                                   **kwargs)
    click.echo(text, nl=False)
    raise SystemExit(code)


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def rules(fmt: str) -> None:
    """List every rule guard can raise, with its stable id."""
    from guard.registry import RULES
    if fmt == "json":
        import json
        click.echo(json.dumps([{"id": r.id, "name": r.name, "check": r.check,
                                "severity": r.severity, "summary": r.summary}
                               for r in RULES], indent=2))
        return
    for r in RULES:
        click.echo(f"{r.id:<10} {r.check:<8} {r.severity:<8} {r.name}: {r.summary}")


@cli.command()
@click.argument("what")
@click.option("-C", "--repo", default=".", metavar="DIR", callback=_given)
@click.option("--role", metavar="NAME", callback=_given)
@click.option("--scope", "scope_file", metavar="FILE", callback=_given)
@click.option("--policy", type=click.Choice(["base", "worktree"]), default="base")
@click.option("--base", metavar="REF", callback=_given)
def explain(what: str, repo: str, role, scope_file, policy, base) -> None:
    """Explain a rule (SCOPE001) or which pattern decides a path."""
    from guard import explain as explain_mod
    click.echo(explain_mod.explain(what, repo=repo, role=role, scope=scope_file, policy=policy,
                                   base=base), nl=False)


@cli.group()
def hook() -> None:
    """Entry points for git and agent hooks."""


@hook.command("commit-msg")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("-C", "--repo", default=".", metavar="DIR")
def hook_commit_msg(file: str, repo: str) -> None:
    """git's commit-msg stage: check the message in FILE against the commit style (policy from
    HEAD). fixup!/squash!/amend! are allowed here; `guard check` rejects them at hand-off."""
    raise SystemExit(checkcmd.commit_msg(file, repo))


@hook.command("claude")
@click.option("--role", metavar="NAME", callback=_given,
              help="Role whose contract applies (else guard.role, the hook's agent_type, the "
                   "branch name).")
def hook_claude(role) -> None:
    """Answer one Claude Code hook event (JSON on stdin): exit 2 blocks, 0 allows."""
    from guard.agent import claude
    raise SystemExit(claude.main(role=role))


@cli.command()
@click.option("--keep", is_flag=True, help="Keep the demo repository and print its path.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text")
def demo(keep: bool, fmt: str) -> None:
    """Build a sample project with a backend agent branch and check it."""
    from guard import demo as demo_mod
    raise SystemExit(demo_mod.run(keep=keep, fmt=fmt, colour=_colour()))


@cli.command()
@click.option("-C", "--repo", default=".", metavar="DIR")
@click.option("--role", metavar="NAME", callback=_given,
              help="Pin this role in guard.role (by default the key is left commented out).")
@click.option("--print", "to_stdout", is_flag=True, help="Print the section instead of writing.")
@click.option("--claude", is_flag=True,
              help="Instead: write or merge guard's hooks into .claude/settings.json.")
@click.option("--tools", is_flag=True,
              help="Instead: write ./tools/db/migration-check.sh and ./tools/ci/"
                   "openapi-lint.sh calling guard (existing scripts are kept).")
def init(repo: str, role, to_stdout: bool, claude: bool, tools: bool) -> None:
    """Write a starter guard: section into company.config.yaml, every key explained."""
    if tools:
        if claude or to_stdout:
            from guard.errors import GuardError
            raise GuardError("guard init --tools writes scripts: it goes with neither "
                             "--claude nor --print", hint="run guard init --tools alone")
        from guard import tools as tools_mod
        click.echo(tools_mod.run(repo=repo), nl=False)
        return
    if claude:
        import json
        from guard.agent import settings
        click.echo(json.dumps(settings.block(), indent=2) + "\n" if to_stdout
                   else settings.run(repo), nl=False)
        return
    from guard import init as init_mod
    click.echo(init_mod.run(repo=repo, role=role, to_stdout=to_stdout), nl=False)


def main(argv: list[str] | None = None) -> int:
    # main is the program (the console script, `python -m guard`) when argv is None
    return checkcmd.program(lambda: _main(argv), ends=argv is None)


def _main(argv: list[str] | None) -> int:
    args = list(argv if argv is not None else sys.argv[1:])

    def body() -> int:
        try:
            cli.main(args=argv, prog_name="guard", standalone_mode=False)
            return 0
        except click.exceptions.Abort:
            click.echo("guard: aborted", err=True)
            return 2
        except click.ClickException as exc:
            # one line, like every other guard error (click's default adds a usage block)
            hint = ""
            if isinstance(exc, click.UsageError) and exc.ctx is not None:
                hint = f" — see `{exc.ctx.command_path} --help`"
            click.echo(f"guard: error: {exc.format_message()}{hint}".replace("\n", " "),
                       err=True)
            if [a for a in args if not a.startswith("-")][:2] == ["hook", "claude"]:
                # Claude Code reads exit 2 as "block the tool": a typo in the hook's own
                # command line (settings.json) must not block every tool call. Exit 1 is a
                # visible, non-blocking hook error.
                return 1
            return 2
    return checkcmd.guarded(body, debug="--debug" in args)
