"""JUnit XML via junit-xml: one suite per check, one test case per finding, each with a unique
classname + name so GitLab keeps them all; a clean check is one passing case."""

from __future__ import annotations

from junit_xml import TestCase, TestSuite, to_xml_report_string

from guard.finding import at_or_above
from guard.report.common import location, safe_path


def render(report) -> str:
    suites = []
    for result in report.checks:
        if result.status == "skipped":
            continue
        findings = [f for f in report.findings if f.check == result.name]
        cases = []
        for i, f in enumerate(findings, 1):
            where = safe_path(location(f)) or "(repository)"
            case = TestCase(name=f"{f.rule} {where} #{i}", classname=f"guard.{f.check}.{f.rule}",
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
