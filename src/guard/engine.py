"""collect → decide → report. Checks yield findings; the engine applies the trusted policy's
severity changes and suppressions, reports stale suppressions, and sorts. Reporters only
format the result."""

from __future__ import annotations

import time
from operator import itemgetter
from typing import Iterable

from guard import __version__
from guard.errors import GuardError
from guard.finding import Finding, at_or_above
from guard.registry import CHECKS, PLANNED_CHECKS, load_check

TYPE_CHECKING = False
if TYPE_CHECKING:
    from guard.report.model import Report, TestsResult

KIND_WORDS = {"A": "added", "M": "modified", "D": "deleted", "R": "renamed", "C": "copied",
              "T": "type changed"}


def select_checks(only: Iterable[str], skip: Iterable[str]) -> list[str]:
    only, skip = list(only), list(skip)
    known = list(CHECKS) + list(PLANNED_CHECKS)
    for name in only + skip:
        if name not in known:
            from guard.schema import did_you_mean
            raise GuardError(f"unknown check {name!r}",
                             hint=did_you_mean(name, known) or f"checks: {', '.join(CHECKS)}")
    for name in only:
        if name not in CHECKS:
            raise GuardError(f"the {name} check is not available in guard {__version__}",
                             hint=f"available checks: {', '.join(CHECKS)}")
    chosen = [c for c in CHECKS if (not only or c in only) and c not in skip]
    if not chosen:
        raise GuardError("--only/--skip leave no check to run",
                         hint=f"available checks: {', '.join(CHECKS)}")
    return chosen


def decide(findings: list[Finding], policy, ctx=None) -> list[Finding]:
    """Severity changes and suppressions from the trusted policy, stale suppressions, then
    the findings related to each other (guard.relate: next steps held to the role, scope
    and commit findings about the same change agreeing on one step); sorted."""
    from guard.patterns import PatternSet
    from guard.relate import relate

    cfg = policy.config
    levels = {change.rule: change.level for change in cfg.severity}
    sups = [(s, PatternSet(s.paths)) for s in cfg.ignores]
    used = [False] * len(sups)
    out: list[Finding] = []
    for finding in findings:
        level = levels.get(finding.rule)
        if level == "off":
            continue
        if level:
            finding = finding.with_severity(level)
        suppressed = False
        for i, (sup, paths) in enumerate(sups):
            if sup.rule != finding.rule:
                continue
            if sup.paths and not (finding.path and paths.decide(finding.path)):
                continue
            used[i] = suppressed = True
        if not suppressed:
            out.append(finding)
    for (sup, _paths), was_used in zip(sups, used):
        level = levels.get("POLICY002")
        if not was_used and level != "off":
            out.append(Finding(
                "POLICY002", "policy", "warning",
                f"suppression of {sup.rule} at {sup.where} matched nothing in this run",
                "remove it from guard.ignore, or narrow it to what it is meant for",
                cfg.file, int(sup.where.rsplit(":", 1)[1]),
                data=(("fix_paths", (cfg.file,)),)).with_severity(level or "warning"))
    return sorted(relate(out, policy, ctx), key=Finding.sort_key)


# What stays of a finding through the decide step (its severity may change, its hint and
# data are related to other findings'): which finding it is. (rule, check, path, line,
# message), taken by operator.itemgetter: ~30,000 calls on a 20,000-file change.
_same = itemgetter(*(Finding._fields.index(name)
                     for name in ("rule", "check", "path", "line", "message")))


def _status(found: list[Finding], kept: dict[tuple, Finding], fail_on: str) -> str:
    """"failed" only when a kept finding is at or above --fail-on (what the exit code says);
    "warnings" when it kept warnings (or, under --fail-on never, errors) that do not fail the
    run; else "passed". Judged by the kept (decided) severity."""
    mine = [f for f in map(kept.get, map(_same, found)) if f is not None]
    if fail_on != "never" and any(at_or_above(f.severity, fail_on) for f in mine):
        return "failed"
    if any(f.severity in ("error", "warning") for f in mine):
        return "warnings"
    return "passed"


def run(ctx, checks: list[str], *, fail_on: str, tests: TestsResult | None = None,
        lint: TestsResult | None = None,
        with_commits: bool = True) -> Report:
    from guard.report.model import CheckResult, CommitInfo, FileChange, Report
    collected: list[Finding] = []
    raw_status: list[tuple[str, float, list[Finding]]] = []
    for name in checks:
        start = time.perf_counter()
        found = list(load_check(name)(ctx))
        raw_status.append((name, time.perf_counter() - start, found))
        collected += found
    final = decide(collected, ctx.policy, ctx)
    kept = {_same(f): f for f in final}
    results = []
    for name, duration, found in raw_status:
        status, note = ctx.statuses.get(name, (_status(found, kept, fail_on), ""))
        results.append(CheckResult(name, status, round(duration, 4), note))
    for name in list(CHECKS) + list(PLANNED_CHECKS):
        if name not in checks:
            note = "not selected" if name in CHECKS else "not available in this guard version"
            results.append(CheckResult(name, "skipped", 0.0, note))
    commits: tuple[CommitInfo, ...] = ()
    if with_commits and ctx.range_spec:
        listed = ctx.commits()
        if (len(listed) == 1 and listed[0].parents == (ctx.merge_base,)
                and ctx.mode == "range"):
            # one commit on top of the merge base: its files are the range's diff (a rename
            # is two paths, as `git log --name-only --no-renames` counts it); no second diff
            statuses = [c.status for c in ctx.changes]
            counts = {listed[0].sha: len(statuses) + statuses.count("R")}
        else:
            counts = ctx.git.files_per_commit(ctx.range_spec)
        commits = tuple(CommitInfo(c.sha, c.header, c.body, counts.get(c.sha, 0), c.author)
                        for c in ctx.commits())
    policy = ctx.policy
    # (Change.kind spelt out for the common case: 20,000 property calls on a big change)
    from guard.git import MODE_SUBMODULE, MODE_SYMLINK
    entry_modes = (MODE_SYMLINK, MODE_SUBMODULE)
    changes = tuple([FileChange(KIND_WORDS.get(c.status, c.status), c.path, c.old_path,
                                "file" if c.old_mode not in entry_modes
                                and c.new_mode not in entry_modes else c.kind)
                     for c in ctx.changes])
    return Report(
        tool_version=__version__, root=ctx.root, mode=ctx.mode, role=policy.role.name,
        role_title=policy.role.title, role_origin=policy.role_origin, persona=policy.persona,
        base_ref=ctx.base_ref, base=ctx.base, merge_base=ctx.merge_base, head_ref=ctx.head_ref,
        head=ctx.head, branch=ctx.branch, policy_source=policy.source_label,
        task=(policy.task.name or policy.task.file) if policy.task else None, fail_on=fail_on,
        findings=tuple(final), checks=tuple(results), changes=changes, commits=commits,
        tests=tests, lint=lint, facts=dict(ctx.facts))
