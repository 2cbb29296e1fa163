"""JUnit XML via junit-xml: one suite per check, one test case per finding, each with a unique
classname + name so GitLab keeps them all; a clean check is one passing case. A case is named
by rule and location, so it keeps its name from run to run; only findings that would share a
name get a " #2", " #3" suffix."""

from __future__ import annotations

from junit_xml import TestCase, TestSuite, to_xml_report_string

from guard.finding import at_or_above
from guard.report.common import location, safe_path
from guard.report.model import CheckResult


def render(report) -> str:
    suites = []
    results = list(report.checks)
    # A finding is never dropped: a check skipped for a reason it reports as a finding (or the
    # policy check's unused-suppression warnings under --only) still gets its suite.
    named = {r.name for r in results}
    for check in dict.fromkeys(f.check for f in report.findings):
        if check not in named:
            results.append(CheckResult(check, "failed", 0.0))
    for result in results:
        findings = [f for f in report.findings if f.check == result.name]
        if result.status == "skipped" and not findings:
            continue
        cases = []
        used: set[tuple[str, str]] = set()
        for f in findings:
            where = safe_path(location(f)) or "(repository)"
            classname, name = f"guard.{f.check}.{f.rule}", f"{f.rule} {where}"
            n = 1
            while (classname, name) in used:
                n += 1
                name = f"{f.rule} {where} #{n}"
            used.add((classname, name))
            case = TestCase(name=name, classname=classname,
                            file=safe_path(f.path) if f.path else None, line=f.line,
                            elapsed_sec=0.0)
            text = f"{safe_path(f.message)}\nNext: {safe_path(f.hint)}"
            if report.fail_on != "never" and at_or_above(f.severity, report.fail_on):
                case.add_failure_info(message=f"{f.severity}: {safe_path(f.message)}",
                                      output=text, failure_type=f.severity)
            else:
                case.stdout = f"{f.severity}: {text}"
            cases.append(case)
        if not cases:
            cases.append(TestCase(name=f"{result.name}: no findings",
                                  classname=f"guard.{result.name}",
                                  elapsed_sec=result.duration))
        suites.append(TestSuite(f"guard.{result.name}", cases,
                                properties={"role": report.role, "head": report.head,
                                            "merge_base": report.merge_base or ""}))
    return to_xml_report_string(suites, prettyprint=True, encoding="utf-8")
