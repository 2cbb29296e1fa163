"""report: `guard verify-report` holds an agent's hand-off report (the role contract's "How You Report
Back": Summary of changes, Test results, API deviations, Migration notes, Commit references)
to the facts guard computes for the same range. Pure data; the logic is guard.verify_report.
"""

from __future__ import annotations

from guard.rule import Rule

CHECK = "report"

RULES = (
    Rule("REPORT001", "missing-section", CHECK, "error",
         "The hand-off report lacks one of the five sections the contract asks for, or "
         "leaves one empty (null in a JSON report).",
         "The Staff Engineer reads the report in a fixed shape; a missing section hides either "
         "work or its absence.",
         "a report with Summary of changes, Test results and Commit references only; "
         "`## API deviations` with nothing under it",
         "write all five: Summary of changes, Test results, API deviations, Migration notes, "
         "Commit references (\"None\" is an answer)"),
    Rule("REPORT002", "claimed-file-untouched", CHECK, "error",
         "The report lists a file as created, modified or deleted that the range does not "
         "change.",
         "A claim of work that is not in the commits is either uncommitted or not done.",
         "Summary lists `src/api/orders.py` as created; the branch never adds it",
         "commit the work, or remove the file from the summary"),
    Rule("REPORT003", "changed-file-not-claimed", CHECK, "warning",
         "The range changes a file the report's summary does not mention.",
         "Unreported changes are unreviewed changes.",
         "the branch edits src/types/order.ts; the summary lists only src/api/",
         "list every file created, modified or deleted (a folder entry such as `src/api/orders/` "
         "covers the files under it)"),
    Rule("REPORT004", "file-change-kind-mismatch", CHECK, "warning",
         "The report says a file was created where the range modifies it, or the like.",
         "The kind of change matters to the reviewer (a new file versus an edit of shared "
         "code).",
         "Files created: src/server/app.py (it existed on the base)",
         "list it under the kind of change git shows (guard report writes the lists for you)"),
    Rule("REPORT005", "unknown-commit", CHECK, "error",
         "The report names a commit that is not in the checked range.",
         "A commit reference the reviewer cannot find in the branch is a false trail.",
         "Commit references: 1a2b3c4 (no such commit on the branch)",
         "copy the references from `git log --oneline <base>..HEAD`"),
    Rule("REPORT006", "commit-not-listed", CHECK, "warning",
         "A commit of the range is missing from the report's Commit references.",
         "The contract asks for the list of commits made.",
         "three commits on the branch, two listed",
         "list every commit of the range (short sha and header)"),
    Rule("REPORT007", "tests-claim-unverified", CHECK, "warning",
         "The report's Test results cannot be checked: no JUnit file and no configured test "
         "run, or the section states no result.",
         "\"Tests pass\" without evidence is not a pass.",
         "Test results: all green (no --tests-junit, no guard.tests)",
         "pass --tests-junit FILE or configure guard.tests, and state pass/fail with counts"),
    Rule("REPORT008", "tests-claim-contradicted", CHECK, "error",
         "The report says the tests pass; the test results say otherwise.",
         "The Staff Engineer relies on the report to decide whether to merge.",
         "Test results: all pass — JUnit: 3 failures",
         "fix the failing tests, or report them as failing"),
    Rule("REPORT009", "api-deviation-undisclosed", CHECK, "error",
         "The report claims no API deviations; the contract check found some.",
         "The contract is the handshake with the frontend; an undisclosed deviation breaks it "
         "silently.",
         "API deviations: none — CONTRACT003 on GET /orders/{id}",
         "fix the implementation, or list each deviation with its reason"),
    Rule("REPORT010", "claim-not-verifiable", CHECK, "warning",
         "A claim of the report cannot be checked because the check that would verify it did "
         "not run (not available, not configured, not selected, or it failed to run).",
         "An unverified claim must not read as a verified one.",
         "API deviations: none — no contract is configured",
         "configure the check (e.g. guard.contract) so the claim can be verified"),
    Rule("REPORT011", "migration-not-listed", CHECK, "error",
         "The range adds a migration the report's Migration notes do not list.",
         "Each migration needs its rollback steps in the hand-off.",
         "migrations/0042_orders.sql added; Migration notes: none",
         "list the migration with what it does and how to roll it back"),
    Rule("REPORT012", "migration-claimed-missing", CHECK, "error",
         "The Migration notes list a migration the range does not add.",
         "A claimed migration that is not in the commits will not run on deploy.",
         "Migration notes: migrations/0042_orders.sql — not in the branch",
         "commit the migration, or remove it from the notes"),
    Rule("REPORT013", "rollback-steps-missing", CHECK, "warning",
         "The range adds migrations, and the Migration notes give no rollback steps.",
         "The contract asks for rollback steps with each migration.",
         "Migration notes: added migrations/0042_orders.sql",
         "add the rollback: the down migration to run, or the manual steps"),
    Rule("REPORT014", "persona-title-mismatch", CHECK, "warning",
         "The report does not introduce its author as the configured persona with the role "
         "title.",
         "The role contract asks the agent to introduce itself as \"[Persona] (Backend Engineer)\" when "
         "personas.* is set.",
         "# Backend report (personas.engineering_backend is Casey)",
         "title the report \"Casey (Backend Engineer)\""),
    Rule("REPORT020", "queue-topology-missing", CHECK, "warning",
         "The branch wrote or changed background jobs, and the report does not document "
         "their queue topology (the job, its queue, retry policy, idempotency key, dead "
         "letter).",
         "The role contract: \"Document queue topology in the implementation output.\" The "
         "Staff Engineer and DevOps size and monitor queues from it.",
         "Summary of changes: added src/jobs/receipts.py (send_receipt is not named)",
         "Queue topology: send_receipt on queue `mail`, max_retries=5 with backoff, "
         "idempotency key `idempotency_key`, failures to `mail.dead`"),
    Rule("REPORT021", "queue-topology-contradicted", CHECK, "error",
         "The report's queue topology says something the code does not: another queue, or a "
         "retry policy, idempotency key or dead letter the job does not define.",
         "A topology that does not match the code sends operators to the wrong queue and "
         "promises a safety the job does not have.",
         "send_receipt — queue `emails`, with a dead-letter queue (code: queue `mail`, no "
         "failure handling)",
         "write what the code does (guard report prints it), or make the code do what the "
         "report says"),
)


def parse_config(value, *, file, line, data):
    """The report check has no `guard.report` section."""
    return None
