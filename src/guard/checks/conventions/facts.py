"""What one source file says, in a form the rule families share (Python and JS/TS alike)."""

from typing import NamedTuple


class EnvRead(NamedTuple):
    var: str
    line: int
    how: str                      # os.environ.get, process.env, settings field Settings.api_port


class PortSite(NamedTuple):
    """A listen/run call (or start-script flag) and where its port comes from."""

    line: int
    call: str                     # uvicorn.run, app.listen, --port in a start script
    source: str                   # literal | env | import | unknown
    value: str = ""               # the literal (source == literal)
    via: str = ""                 # "PORT = 8000 at line 3" when the literal came via a name
    vars: tuple[str, ...] = ()    # env variables the port is read from (source == env)
    # source == import: the port is the constant `name` of another module, (module, name):
    # a Python module name (`.settings`, `api.settings`) or a JS import specifier
    # (`./config`); the check reads that module and classifies the constant there
    ref: tuple[str, str] = ()
    defined_at: str = ""          # path:line of that constant, once resolved


class Job(NamedTuple):
    name: str
    kind: str                     # Celery task, Dramatiq actor, BullMQ worker, ...
    line: int
    end_line: int
    evidence: frozenset[str]      # normalised words found in the job's own definition


class FileFacts:
    """What the rules read of one file; the parsers fill it in."""

    __slots__ = ("path", "env_reads", "ports", "jobs", "file_evidence", "app_modules",
                 "parse_error", "too_big")

    def __init__(self, path: str, *, too_big: bool = False) -> None:
        self.path = path
        self.env_reads: list[EnvRead] = []
        self.ports: list[PortSite] = []
        self.jobs: list[Job] = []
        self.file_evidence: set[str] = set()    # module level, outside jobs
        self.app_modules: set[str] = set()      # modules the jobs' app/base come from
        self.parse_error: tuple[int, str] | None = None
        self.too_big = too_big      # not parsed for its size: an error, padding is no way out

    def __repr__(self) -> str:
        return f"FileFacts({self.path!r}, ports={self.ports!r}, jobs={self.jobs!r})"


RETRY_WORDS = ("retry", "retries", "attempts", "backoff", "max_tries", "maxtries")
IDEMPOTENCY_WORDS = ("idempot", "dedup", "jobid", "job_id", "unique", "queueonce")
FAILURE_WORDS = ("on_failure", "onfailure", "on_failed", "onfailed", "dead_letter", "deadletter",
                 "dlq", "link_error", "task_failure", "failed_queue", "failedqueue",
                 "failure_handler", "on_error_callback")

FACETS = (("CONV005", "retry policy", RETRY_WORDS),
          ("CONV006", "idempotency key", IDEMPOTENCY_WORDS),
          ("CONV007", "dead-letter or failure handling", FAILURE_WORDS))


def has_facet(words, needles) -> bool:
    return any(needle in word for word in words for needle in needles)


def norm(word: str) -> str:
    return word.lower().replace("-", "_")
