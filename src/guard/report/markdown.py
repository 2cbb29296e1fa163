"""The hand-off report in the seed's "How You Report Back" format, guard's findings first."""

from __future__ import annotations

import re

from guard.report.common import location, range_line, safe_path, short
from guard.report.grouping import Group, entries

# Text from the repository (paths, commit headers and bodies, messages that embed them) must
# render literally in GitHub-flavoured Markdown, in a table cell or a list item alike. Every
# such text goes through _cell (prose) or _code (a path standing alone); nothing else escapes.
# what _cell escapes, each where it can change the rendering (see there): ` * [ ] < | ~ $
# anywhere; a backslash before ASCII punctuation (CommonMark's escapable set) or at the end;
# _ unless between two letters or digits; & where it begins an entity; # or > at the start
_ESCAPE = re.compile(r"[`*\[\]<|~$]|\\(?=[!-/:-@\[-`{-~]|\Z)|(?<![^\W_])_|_(?![^\W_])"
                     r"|&(?=#[0-9]{1,7};|#[xX][0-9a-fA-F]{1,6};|[A-Za-z][A-Za-z0-9]{0,31};)"
                     r"|\A[#>]")


def _cell(text: str) -> str:
    """``text`` as Markdown that renders as exactly that text, on one line, in a table cell
    or after other text on a line. Only what can change the rendering where it stands is
    escaped, so ordinary prose stays readable as plain text: ` * [ ] < | ~ $ always (code,
    emphasis, links and images, HTML and autolinks, table cells, strikethrough, math); _
    unless it stands between two letters or digits (snake_case cannot open emphasis); a
    backslash before punctuation or at the end; & only where it begins an entity; # and >
    only at the start. Control characters (a newline) are shown as escapes by safe_path, so
    a cell never breaks its row."""
    return _ESCAPE.sub(r"\\\g<0>", safe_path(text))


def _code(text: str, *, table: bool = False) -> str:
    """``text`` (a path) as a code span: nothing inside is Markdown. The fence is one
    backtick longer than the longest run of backticks in the text, padded with a space when
    the text starts or ends with a backtick or a space (CommonMark strips one from each
    side). In a table cell (``table``) a ``|`` needs its backslash even inside a code span:
    GFM splits the row before it parses the cell."""
    text = safe_path(text)
    if not text:
        return "-"
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.strip() and (text[0] in "` " or text[-1] in "` ") else ""
    span = f"{fence}{pad}{text}{pad}{fence}"
    return span.replace("|", "\\|") if table else span


def _summary(report) -> list[str]:
    groups = {"added": "Files created", "modified": "Files modified", "deleted": "Files deleted",
              "renamed": "Files renamed", "copied": "Files copied",
              "type changed": "Type changed"}
    out = ["## 1. Summary of changes", ""]
    if not report.changes:
        out += ["No file changes in this range.", ""]
    for status, title in groups.items():
        items = [c for c in report.changes if c.status == status]
        if not items:
            continue
        out.append(f"**{title}** ({len(items)})")
        for c in items[:200]:
            kind = f" ({c.kind})" if c.kind != "file" else ""
            if c.old_path:
                out.append(f"- {_code(c.old_path)} → {_code(c.path)}{kind}")
            else:
                out.append(f"- {_code(c.path)}{kind}")
        if len(items) > 200:
            out.append(f"- … and {len(items) - 200} more")
        out.append("")
    decisions = [c for c in report.commits if c.body.strip()]
    out.append("**Key decisions** (from commit bodies)")
    if decisions:
        for c in decisions:
            first = c.body.strip().split("\n\n")[0].replace("\n", " ")
            out.append(f"- {short(c.sha)} {_cell(c.header)}: {_cell(first)}")
    else:
        out.append("- none recorded: no commit in the range has a body")
    out.append("")
    return out + _topology(report)


def _topology(report) -> list[str]:
    """The queue topology of the jobs the branch wrote (the conventions check's facts)."""
    out = ["**Queue topology** (background jobs this branch wrote or changed)"]
    facts = (report.facts or {}).get("conventions")
    if facts is None:
        status = {r.name: r for r in report.checks}.get("conventions")
        why = f" ({_cell(status.note)})" if status is not None and status.note else ""
        return out + [f"- not read: the conventions check did not run{why}", ""]
    jobs = facts.get("jobs") or []
    if not jobs:
        return out + ["- no background job changed on this branch", ""]
    out += ["", "| Queue | Job | Retry policy | Idempotency key | Dead letter | Where |",
            "|---|---|---|---|---|---|"]
    for j in jobs:
        out.append(f"| {_cell(j['queue'])} | {_cell(j['job'])} ({_cell(j['kind'])}) | "
                   f"{_cell(j['retry'] or 'none defined')} | "
                   f"{_cell(j['idempotency'] or 'none')} | "
                   f"{_cell(j['dead_letter'] or 'none')} | "
                   f"{_code(j['path'] + ':' + str(j['line']), table=True)} |")
    return out + [""]


def _tests(report) -> list[str]:
    out = ["## 2. Test results", ""]
    t = report.tests
    if t is None or t.status == "not run":
        detail = t.detail if t and t.detail else (
            "no test command is configured (guard.tests.command) and no JUnit file was given "
            "(--tests-junit)")
        out.append(f"**Not run** — {_cell(detail)}.")
    else:
        out.append(f"**{t.status.upper()}** — {t.tests} tests, {t.failures} failures, "
                   f"{t.errors} errors, {t.skipped} skipped (from {_cell(t.source)})"
                   + (f". {_cell(t.detail)}" if t.detail else ""))
    lint = getattr(report, "lint", None)
    if lint is not None:
        out.append("")
        if lint.status == "not run":
            out.append(f"**Lint and format: not run** — {_cell(lint.detail)}.")
        else:
            out.append(f"**Lint and format: {lint.status.upper()}** — {_cell(lint.source)}"
                       + (f" ({_cell(lint.detail)})" if lint.detail else "") + ".")
    return out + [""]


def _pending(report, check: str, title: str, what: str) -> list[str]:
    status = {r.name: r for r in report.checks}.get(check)
    findings = [f for f in report.findings if f.check == check]
    out = [title, ""]
    if status is None or status.note == "not available in this guard version":
        out.append(f"Not checked: this guard version has no {check} check yet, so {what} "
                   "are not verified here. List them by hand.")
    elif status.status == "skipped":
        if status.note and status.note != "not selected":
            out.append(f"Not checked: the {check} check was skipped ({_cell(status.note)}).")
        else:
            out.append(f"Not checked: the {check} check was not selected in this run.")
        out += [_finding_item(f) for f in findings]
    elif not findings:
        out.append(f"None found by the {check} check.")
    else:
        out += [_finding_item(f) for f in findings]
    return out + [""]


def _finding_item(f) -> str:
    return (f"- **{f.severity}** {f.rule} {_code(location(f) or '-')}: "
            f"{_cell(f.message)} — {_cell(f.hint)}")


def _api_deviations(report) -> list[str]:
    """Section 3 from the contract check: what was run (contract, target, seed, budget, so a
    failure can be replayed), then one line per deviation."""
    facts = (report.facts or {}).get("contract")
    if not facts:          # the check did not run, or found no contract
        return _pending(report, "contract", "## 3. API deviations", "API deviations")
    out = ["## 3. API deviations", ""]
    what = f"Contract {_code(facts.get('path') or '-')}"
    if facts.get("version"):
        what += (f" (OpenAPI {_cell(str(facts['version']))}, agreed version: "
                 f"{_cell(str(facts.get('agreed', '-')))})")
    if facts.get("target"):
        what += f" against {_code(facts['target'])}"
        if "tested" in facts:
            what += f": {_cell(str(facts['tested']))} operation(s) tested"
        what += (f", seed {_cell(str(facts.get('seed')))}, at most "
                 f"{_cell(str(facts.get('max_examples')))} examples "
                 "per operation and phase (the same seed replays the run)")
    out += [what + ".", ""]
    findings = [f for f in report.findings if f.check == "contract"]
    deviations = [f for f in findings if f.severity != "info"]
    for f in deviations:
        if f.rule == "CONTRACT007":
            out.append(f"- **{f.severity}** {f.rule} {_code(location(f) or '-')}: "
                       f"{_cell(f.message)}")
        else:
            out.append(_finding_item(f))
    if not deviations:
        out.append("None found by the contract check.")
    for f in findings:
        if f.severity == "info":
            out.append(f"- Not checked: {_cell(f.message)} ({f.rule})")
    return out + [""]


def _migration_notes(report) -> list[str]:
    """Section 4 from the migrations check's published facts: each new migration with its
    operations, rollback steps, destructive flags and verification result."""
    facts = (report.facts or {}).get("migrations")
    if facts is None:      # the check did not run
        return _pending(report, "migrations", "## 4. Migration notes",
                        "migrations and their rollback steps")
    out = ["## 4. Migration notes", ""]
    folders = ", ".join(f"{_code(s['folder'])} ({_cell(s['framework'])}, "
                        f"{_cell(s['dialect'])})" for s in facts.get("sets", [])) or \
        f"none found (searched {_cell(str(facts.get('searched', 'the repository')))})"
    out.append(f"Migration folders: {folders}.")
    out.append("")
    ver = facts.get("verification")
    if not facts.get("migrations"):
        out.append("No new migrations on this branch.")
    for note in facts.get("migrations", []):
        out.append(f"- **{_code(note['file'])}** ({_cell(note['framework'])}) — "
                   f"{_cell(note['summary'])}")
        rb = note.get("rollback") or {}
        out.append(f"  - Rollback: {_cell(rb.get('text') or 'none')}")
        flags = note.get("destructive") or []
        if flags:
            out.append("  - Destructive: " + "; ".join(
                f"{f['rule']} line {f['line']}: {_cell(f['message'])}"
                + (f" (ignored inline: {_cell(f['ignored'])})" if f.get("ignored") else "")
                for f in flags))
        else:
            out.append("  - Destructive: none")
        if note.get("verification"):
            out.append(f"  - Verification: {_cell(note['verification'])}")
        elif ver is None:
            out.append("  - Verification: not run (`guard check --verify-migrations`)")
    if ver is not None and ver.get("detail"):
        out.append(f"\nVerification {_cell(str(ver.get('status')))}: {_cell(ver['detail'])}")
    history = [f for f in report.findings if f.check == "migrations"
               and f.rule in ("MIG001", "MIG002", "MIG012", "MIG020")]
    if history:
        out += ["", "Applied history and models:"]
        out += [f"- **{f.severity}** {f.rule} {_code(location(f) or '-')}: {_cell(f.message)}"
                f" — {_cell(f.hint)}" for f in history]
    return out + [""]


def render(report) -> str:
    counts = report.counts
    lines = [f"# Hand-off report — {_cell(report.title)}", "",
             f"> guard {report.tool_version} · role {_code(report.role)} (from "
             f"{_cell(report.role_origin)}) · {_cell(range_line(report))} · "
             f"{report.commit_label()} · policy from {_cell(report.policy_source)}"
             + (f" · task scope {_code(report.task)}" if report.task else ""),
             "", "## guard findings", ""]
    if report.fail_on == "never":   # no gate: say what was found, not pass/fail
        verdict = ("ERRORS FOUND" if counts["error"] else
                   "WARNINGS FOUND" if counts["warning"] else "CLEAN")
    else:
        verdict = "FAILED" if report.failed else "PASSED"
    lines.append(f"**{verdict}** — {counts['error']} error(s), {counts['warning']} warning(s), "
                 f"{counts['info']} info (fail-on: {report.fail_on}).")
    lines.append("")
    if report.findings:
        lines += ["| Severity | Rule | Where | What | Next step |", "|---|---|---|---|---|"]
        for f in entries(report.findings, report):
            # a path as code: `__init__.py` is not bold, `<x>` is not HTML; a Group (many
            # findings of one rule under one folder) is one row at its folder
            if isinstance(f, Group):
                where = _code(f.folder, table=True) if f.folder else _cell(f.where)
            else:
                where = _code(location(f), table=True) if f.path else _cell(location(f) or "-")
            lines.append(f"| {f.severity} | {f.rule} | {where} | "
                         f"{_cell(f.message)} | {_cell(f.hint)} |")
        lines.append("")
    checks = ", ".join(f"{r.name}: {r.status}" for r in report.checks)
    lines += [f"Checks — {checks}.", ""]
    lines += _summary(report)
    lines += _tests(report)
    lines += _api_deviations(report)
    lines += _migration_notes(report)
    lines += ["## 5. Commit references", ""]
    if report.mode == "staged":
        lines.append("Staged change: not committed yet.")
    elif not report.commits:
        lines.append("No commits in the range.")
    else:
        lines += [f"{report.commit_label()} in {short(report.merge_base)}..{short(report.head)}:",
                  "", "| Commit | Header | Files | guard |", "|---|---|---|---|"]
        verdicts = _commit_verdicts(report)
        for c in report.commits:
            lines.append(f"| {short(c.sha)} | {_cell(c.header)} | {c.files} | "
                         f"{verdicts.get(c.sha, '')} |")
    lines += _worktree(report)
    return "\n".join(lines).rstrip("\n") + "\n"


def _commit_verdicts(report) -> dict[str, str]:
    """Per commit: the commits check's findings about it, or ok / not checked."""
    status = {r.name: r for r in report.checks}.get("commits")
    if status is None or status.status == "skipped":
        return {c.sha: "not checked" for c in report.commits}
    out: dict[str, list[str]] = {c.sha: [] for c in report.commits}
    for f in report.findings:
        sha = dict(f.data).get("commit") if f.data else None
        if sha in out:
            what = dict(f.data).get("what") or f.message
            out[sha].append(f"**{f.severity}** {f.rule}: {_cell(what)}")
    return {sha: "<br>".join(items) if items else "ok" for sha, items in out.items()}


def _worktree(report) -> list[str]:
    items = [f for f in report.findings if f.rule == "COMMIT012"]
    if not items:
        return []
    return ["", *(f"**{f.severity}** {f.rule}: {_cell(f.message)} — {_cell(f.hint)}"
                  for f in items)]
