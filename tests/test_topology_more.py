"""Queue topology for the Python job libraries test_topology.py does not cover: Dramatiq
actors, RQ jobs and arq functions, read from the code a branch wrote. Real repositories,
the real CLI."""

from __future__ import annotations

import json

from gitrepo import backend_project, run_guard

DRAMATIQ = """\
import dramatiq


@dramatiq.actor(queue_name="billing", max_retries=3, min_backoff=1000)
def charge(invoice_id, idempotency_key):
    return invoice_id


@dramatiq.actor
def cleanup():
    return None
"""

RQ = """\
from rq import Retry
from rq.decorators import job


@job("reports", retry=Retry(max=3, interval=[10, 30]), on_failure=report_failed)
def build_report(report_id):
    return report_id
"""

ARQ = """\
from arq import func


async def sync_crm(ctx, account_id, job_id):
    return account_id


class WorkerSettings:
    functions = [func(sync_crm, max_tries=4)]
    queue_name = "crm"
"""


def _jobs(tmp_path) -> dict:
    repo = backend_project(str(tmp_path / "p"))
    repo.commit("feat(jobs): three libraries", {"src/jobs/billing.py": DRAMATIQ,
                                                "src/jobs/reports.py": RQ,
                                                "src/workers/crm.py": ARQ})
    res = run_guard("check", "--only", "conventions", "--base", "main", "--format", "json",
                    cwd=repo.path)
    assert res.code in (0, 1), res.err
    return {j["job"]: j for j in json.loads(res.out)["facts"]["conventions"]["jobs"]}


def test_dramatiq_rq_and_arq_topology(tmp_path):
    jobs = _jobs(tmp_path)
    charge = jobs["charge"]
    assert (charge["kind"], charge["queue"]) == ("Dramatiq actor", "billing")
    assert charge["retry"] == "max_retries=3, min_backoff=1000"
    assert charge["idempotency"] == "idempotency_key" and charge["dead_letter"] is None
    assert jobs["cleanup"]["queue"] == "default (framework default)"
    report = jobs["build_report"]
    assert (report["kind"], report["queue"]) == ("RQ job", "reports")
    assert report["retry"] == "Retry(max=3, interval=[10, 30])"
    assert report["dead_letter"] == "on_failure"
    # arq: the retry policy is where the worker lists the function, the queue the worker's
    crm = jobs["sync_crm"]
    assert (crm["kind"], crm["queue"]) == ("arq function", "crm")
    assert crm["retry"] == "max_tries=4" and crm["idempotency"] == "job_id"
