"""The queue topology of the background jobs a branch wrote or changed — "Document queue
topology in the implementation output" — read from the code the conventions check already
parsed: per job, its queue, retry policy, idempotency key and dead-letter handling, each as
the code spells it (or the framework's default, marked as such).

Published as the conventions check's facts (`jobs`); the hand-off report prints it under
Summary of changes, and `guard verify-report` holds an agent's topology claims to it.
"""

import re
from typing import NamedTuple

from guard.lazyre import Pattern

_STR = r"""['"]([^'"\n]{1,200})['"]"""
PY_QUEUE = Pattern(r"\b(?:queue|queue_name)\s*=\s*" + _STR)
JS_QUEUE = Pattern(r"\bqueue(?:Name)?\s*:\s*" + _STR)
RETRY = Pattern(r"\b(max_retries|autoretry_for|retry_backoff|retry_backoff_max|retry_jitter|"
                   r"max_tries|min_backoff|max_backoff|retry_when|retries|default_retry_delay|"
                   r"attempts|backoff)\s*[=:]\s*(\([^)\n]{0,120}\)|\{[^}\n]{0,120}\}|"
                   r"[^,)\n}]{1,60})")
RQ_RETRY = Pattern(r"\bRetry\s*\(([^)\n]{0,120})\)")
IDEMPOTENCY = Pattern(r"\b(\w*(?:idempot|dedup)\w*|job_?[iI]d|unique\w*|queue_once\w*|"
                         r"QueueOnce)\b")
DEAD_LETTER = Pattern(r"\b(on_failure|link_error|task_failure|failure_callback|"
                         r"on_failure_callback|dead_?letter\w*|deadLetter\w*|dlq\w*|"
                         r"failed_queue|failedQueue)\b|\.on\(\s*['\"](failed)['\"]", re.I)
ARQ_QUEUE = Pattern(r"^\s+queue_name\s*=\s*" + _STR, re.M)
RQ_JOB = Pattern(r"@(?:\w+\.)?job\(\s*" + _STR)
# failure handling that applies to every job of a file: a worker's 'failed' listener, a
# Celery task_failure signal handler, an app-wide dead-letter queue
FILE_DEAD_LETTER = Pattern(r"\.on\(\s*['\"](failed)['\"]|\b(task_failure)\.connect|"
                              r"\b(dead_?letter_?queue\w*)\s*[=:]", re.I)
DEFAULT_QUEUE = {"Celery task": "celery", "Celery task class": "celery", "Dramatiq actor": "default", "arq function": "arq:queue",
                 "RQ job": "default", "Huey task": "default"}


class Row(NamedTuple):
    job: str
    kind: str
    path: str
    line: int
    queue: str
    retry: str | None
    idempotency: str | None
    dead_letter: str | None

    def as_dict(self) -> dict:
        return self._asdict()


def _routes(text: str, name: str) -> str | None:
    """Celery `task_routes = {"app.tasks.send": {"queue": "mail"}}` for the task ``name``."""
    m = re.search(r"""['"](?:[\w.]*\.)?""" + re.escape(name) + r"""['"]\s*:\s*\{\s*['"]queue"""
                  r"""['"]\s*:\s*""" + _STR, text)
    return m.group(1) if m else None


def rows(analysed) -> list[Row]:
    out = []
    for src, facts in analysed:
        if not facts.jobs:
            continue
        js = not src.path.endswith(".py")
        lines = src.text.split("\n")
        for job in facts.jobs:
            if not src.changed(job.line, job.end_line):
                continue
            span = "\n".join(lines[job.line - 1:job.end_line])
            queue = None
            if job.kind == "arq function":
                # arq configures a job where the worker lists it, func(name, max_tries=...),
                # and names the queue once for the worker (WorkerSettings.queue_name)
                listed = re.search(r"\bfunc\(\s*" + re.escape(job.name) + r"\b([^)\n]*)\)",
                                   src.text)
                span += "\n" + (listed.group(1) if listed else "")
                worker = ARQ_QUEUE.search(src.text)
                queue = worker.group(1) if worker else None
            if job.kind.startswith("BullMQ"):
                queue = job.name            # BullMQ: the first argument is the queue's name
            m = (JS_QUEUE if js else PY_QUEUE).search(span) or (
                RQ_JOB.search(span) if job.kind == "RQ job" else None)
            queue = queue or (m.group(1) if m else None) or _routes(src.text, job.name)
            if queue is None:
                default = DEFAULT_QUEUE.get(job.kind)
                queue = f"{default} (framework default)" if default else "not named in code"
            retry = [f"{k}={' '.join(v.split())}" for k, v in RETRY.findall(span)]
            retry += [f"Retry({' '.join(v.split())})" for v in RQ_RETRY.findall(span)]
            if not retry and re.search(r"\bself\.retry\s*\(", span):
                retry = ["self.retry() in the body"]
            idem = IDEMPOTENCY.search(span)
            dead = DEAD_LETTER.search(span)
            dead_text = (dead.group(1) or "on('failed')") if dead else None
            if dead_text is None:
                shared = FILE_DEAD_LETTER.search(src.text)
                if shared:
                    dead_text = "on('failed')" if shared.group(1) else (shared.group(2) or
                                                                         shared.group(3))
            out.append(Row(job.name, job.kind, src.path, job.line, queue,
                           ", ".join(dict.fromkeys(retry)) or None,
                           idem.group(1) if idem else None, dead_text))
    return out
