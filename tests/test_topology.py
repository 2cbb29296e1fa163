"""Queue topology: read from the jobs a branch wrote (Celery, RQ, BullMQ), printed in the
hand-off report, and held against an agent's report by `guard verify-report` (REPORT020,
REPORT021). Real repositories, the real CLI."""

from __future__ import annotations

import json

from gitrepo import backend_project, run_guard

CELERY = """\
from src.jobs.app import app


def notify_failure(task_id, exc):
    pass


@app.task(queue="mail", max_retries=5, retry_backoff=True, on_failure=notify_failure)
def send_receipt(order_id, idempotency_key):
    return order_id


@app.task
def rebuild_index():
    return None
"""

BULL = """\
import { Worker } from 'bullmq';

export const worker = new Worker('emails', async (job) => send(job.data), {
  connection, settings: { attempts: 3 },
});
worker.on('failed', (job, err) => deadLetter.add('emails.dead', { job, err }));
"""


def _branch(tmp_path):
    repo = backend_project(str(tmp_path / "p"))
    repo.commit("feat(jobs): receipts and emails", {"src/jobs/receipts.py": CELERY,
                                                    "src/jobs/app.py": "app = None\n",
                                                    "src/workers/emails.ts": BULL})
    return repo


def _jobs(repo) -> dict:
    res = run_guard("check", "--only", "conventions", "--base", "main", "--format", "json",
                    cwd=repo.path)
    assert res.code in (0, 1), res.err
    return {j["job"]: j for j in json.loads(res.out)["facts"]["conventions"]["jobs"]}


def test_topology_is_read_from_the_code(tmp_path):
    jobs = _jobs(_branch(tmp_path))
    send = jobs["send_receipt"]
    assert send["queue"] == "mail" and send["path"] == "src/jobs/receipts.py"
    assert send["retry"] == "max_retries=5, retry_backoff=True"
    assert send["idempotency"] == "idempotency_key"
    assert send["dead_letter"] == "on_failure"
    rebuild = jobs["rebuild_index"]
    assert rebuild["queue"] == "celery (framework default)"
    assert rebuild["retry"] is None and rebuild["idempotency"] is None
    emails = jobs["emails"]
    assert emails["queue"] == "emails" and emails["retry"] == "attempts=3"
    assert emails["dead_letter"] is not None


def test_only_the_jobs_the_branch_changed(tmp_path):
    repo = backend_project(str(tmp_path / "p"), extra={"src/jobs/receipts.py": CELERY,
                                                       "src/jobs/app.py": "app = None\n"})
    repo.commit("fix(jobs): index", {"src/jobs/receipts.py": CELERY.replace(
        "def rebuild_index():\n    return None", "def rebuild_index():\n    return 1")})
    assert set(_jobs(repo)) == {"rebuild_index"}


def test_hand_off_report_prints_the_topology(tmp_path):
    repo = _branch(tmp_path)
    res = run_guard("report", "--base", "main", "--no-run-tests", cwd=repo.path)
    assert res.code == 0, res.err
    out = res.out
    summary = out[out.index("## 1. Summary of changes"):out.index("## 2. Test results")]
    assert "**Queue topology**" in summary
    assert ("| mail | send_receipt (Celery task) | max_retries=5, retry_backoff=True | "
            "idempotency_key | on_failure | `src/jobs/receipts.py:8` |") in summary
    assert "| celery (framework default) | rebuild_index (Celery task) | none defined | " \
           "none | none |" in summary


def test_report_without_jobs_says_so(tmp_path):
    repo = backend_project(str(tmp_path / "p"))
    repo.commit("feat(api): x", {"src/api/x.py": "x = 1\n"})
    res = run_guard("report", "--base", "main", "--no-run-tests", cwd=repo.path)
    assert "- no background job changed on this branch" in res.out


def _verify(repo, tmp_path, text: str) -> list[dict]:
    path = tmp_path / "report.md"
    path.write_text(text)
    res = run_guard("verify-report", str(path), "--base", "main", "--format", "json",
                    cwd=repo.path)
    assert res.code in (0, 1), res.err
    return [f for f in json.loads(res.out)["findings"] if f["rule"] in ("REPORT020",
                                                                         "REPORT021")]


REPORT = """# Backend report

1. **Summary of changes** — added `src/jobs/receipts.py`, `src/jobs/app.py`,
   `src/workers/emails.ts`

   Queue topology:
{topology}
2. **Test results** — not run
3. **API deviations** — None
4. **Migration notes** — None
5. **Commit references** — see git log
"""


def test_verify_report_holds_topology_claims_to_the_code(tmp_path):
    repo = _branch(tmp_path)
    honest = REPORT.format(topology=(
        "   | Queue | Job | Retry policy | Idempotency key | Dead letter |\n"
        "   |---|---|---|---|---|\n"
        "   | mail | send_receipt | max_retries=5 | idempotency_key | on_failure |\n"
        "   | celery | rebuild_index | none | none | none |\n"
        "   - emails: BullMQ worker emails, 3 attempts, failures go to emails.dead\n"))
    assert _verify(repo, tmp_path, honest) == []

    missing = REPORT.format(topology="   - send_receipt on queue mail\n")
    found = _verify(repo, tmp_path, missing)
    assert sorted(f["data"]["job"] for f in found if f["rule"] == "REPORT020") == \
        ["emails", "rebuild_index"]

    wrong = REPORT.format(topology=(
        "   - send_receipt: queue `emails`, retried with backoff\n"
        "   - rebuild_index: queue celery, idempotent through a dedup key, with a dead "
        "letter queue\n"
        "   - emails: worker emails\n"))
    found = _verify(repo, tmp_path, wrong)
    messages = sorted(f["message"] for f in found)
    assert [f["rule"] for f in found] == ["REPORT021"] * 3, messages
    assert any("puts 'send_receipt' on queue 'emails'; the code puts it on mail" in m
               for m in messages)
    assert any("claims an idempotency key for 'rebuild_index'" in m for m in messages)
    assert any("claims a dead letter for 'rebuild_index'" in m for m in messages)
