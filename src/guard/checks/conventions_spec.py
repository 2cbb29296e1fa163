"""conventions: rule documentation and the `guard.conventions` settings (standard library and
guard's light modules only)."""

import re
from typing import NamedTuple

from guard.errors import GuardError
from guard.lazyre import Pattern
from guard.patterns import Source, validate_pattern
from guard.rule import Rule
from guard.schema import check_keys, expect, expect_choice, str_list
from guard.yamlfile import line_of

FAMILY = "CONV"

RULES: tuple[Rule, ...] = (
    Rule("CONV001", "hard-coded-port", "conventions", "error",
         "Server code or a server start script listens on a literal port number (a "
         "development tool's own preview server, such as `storybook dev -p 6006` or "
         "`prisma studio --port 5555`, is not the application's server and is left out).",
         "The role contract: expose the port as an environment variable (`PORT` or `API_PORT`) in "
         "application code — never hardcode port numbers. A literal port collides with "
         "other services and cannot be changed per environment by DevOps.",
         'uvicorn.run(app, host="0.0.0.0", port=8000)\napp.listen(3000);',
         'uvicorn.run(app, host="0.0.0.0", port=int(os.environ.get("API_PORT", "8000")))\n'
         "app.listen(Number(process.env.API_PORT ?? 3000));"),
    Rule("CONV002", "port-not-documented", "conventions", "warning",
         "A server port variable is not documented in .env.example as `API_PORT=NNNN  # comment`.",
         "The role contract: document the chosen port in `.env.example` with a comment, so the next "
         "person (or agent) knows which port the service takes and why.",
         "# .env.example\nAPI_PORT=8000",
         "# .env.example\nAPI_PORT=8000  # FastAPI default — change if port conflicts"),
    Rule("CONV003", "port-variable-name", "conventions", "warning",
         "The variable a server reads its listen port from breaks the SERVICE_PORT convention.",
         "The role contract: use the SERVICE_PORT naming convention (`API_PORT`, `WEB_PORT`, "
         "`EXPO_PORT`, `WORKER_PORT`, or `PORT` for fullstack frameworks), so DevOps "
         "configures every service the same way.",
         'port = int(os.environ["SERVER_PORT_NUMBER"])\nuvicorn.run(app, port=port)',
         'port = int(os.environ.get("API_PORT", "8000"))\nuvicorn.run(app, port=port)'),
    Rule("CONV004", "env-var-not-documented", "conventions", "warning",
         "Server code reads an environment variable that .env.example does not list.",
         "The role contract: you define server variables, DevOps configures them per environment. A "
         "variable missing from .env.example is one DevOps cannot know to set.",
         'STRIPE_KEY = os.environ["STRIPE_KEY"]      # .env.example has no STRIPE_KEY',
         "# .env.example\nSTRIPE_KEY=  # Stripe secret key, from the Stripe dashboard"),
    Rule("CONV005", "job-without-retry", "conventions", "warning",
         "A background job defines no retry policy (on the task, its base class or its app).",
         "The role contract: define retry strategies for background jobs. Without one a transient "
         "failure loses the job, or the framework's silent default decides.",
         "@app.task\ndef send_receipt(order_id): ...",
         "@app.task(autoretry_for=(SMTPError,), max_retries=5, retry_backoff=True)\n"
         "def send_receipt(order_id, idempotency_key): ..."),
    Rule("CONV006", "job-without-idempotency-key", "conventions", "warning",
         "A background job has no idempotency key.",
         "The role contract: define idempotency keys. Retried or duplicated deliveries must not charge, "
         "email or write twice.",
         "@app.task(max_retries=5)\ndef charge(order_id): ...",
         "@app.task(max_retries=5)\ndef charge(order_id, idempotency_key):\n"
         "    if already_done(idempotency_key): return"),
    Rule("CONV007", "job-without-failure-handling", "conventions", "warning",
         "A background job has no dead-letter or failure handling.",
         "The role contract: define dead-letter handling. A job that exhausts its retries must land "
         "somewhere a person sees it, not vanish.",
         "const worker = new Worker('emails', send);",
         "const worker = new Worker('emails', send);\n"
         "worker.on('failed', (job, err) => deadLetter.add('emails', { job, err }));"),
    Rule("CONV008", "no-tests-alongside", "conventions", "warning",
         "Server source changed on the branch with no change under the test paths.",
         "The role contract: run tests after every significant change. A server change with no test "
         "change is usually untested.",
         "branch changes src/api/orders.py only",
         "branch changes src/api/orders.py and tests/api/test_orders.py"),
    Rule("CONV009", "secret-in-diff", "conventions", "error",
         "A line added on the branch contains a credential: a private key, a known token "
         "format, or a literal password/secret/token value in configuration.",
         "A committed secret is leaked for good: it stays in history after the line is "
         "removed. Secrets come from the environment or a secret store.",
         'STRIPE_KEY = "sk_live_..."\ndatabase:\n  password: hunter2hunter2',
         'STRIPE_KEY = os.environ["STRIPE_KEY"]\ndatabase:\n  password: ${DB_PASSWORD}'),
    Rule("CONV010", "env-file-committed", "conventions", "error",
         "A `.env` file (real environment values) is committed on the branch.",
         "`.env` holds the real values of one environment, secrets included; only the "
         "`.env.example` template belongs in git.",
         "git add .env",
         "git rm --cached .env; echo .env >> .gitignore; document the variables in .env.example"),
    Rule("CONV011", "source-not-parsed", "conventions", "warning",
         "A changed server source file could not be parsed, so the conventions rules did not "
         "check it. A file over the 2 MB guard parses is reported as an error, not a warning.",
         "guard fails closed: a file it cannot read is reported, not silently passed; padding a "
         "file past the size limit must not turn a hard-coded port into a warning.",
         "src/api/orders.py with a syntax error",
         "fix the syntax error (the project's own tests would fail on it too)"),
    Rule("CONV012", "server-entrypoint-missing", "conventions", "error",
         "A start command names an app that is not on the branch: `uvicorn.run(\"mod:app\")`, "
         "a uvicorn/gunicorn/hypercorn/daphne command line in a script, Procfile, Dockerfile "
         "or compose file, or `manage.py runserver` whose manage.py or settings module is "
         "missing. Checked statically: the module file exists at the head revision and "
         "defines (or imports) the attribute at top level.",
         "A server that cannot import its app does not start; nothing else notices until "
         "deploy. Agents rename and move modules and leave the start command behind.",
         'uvicorn.run("src.server.app:app")   # src/server/app.py defines no `app`',
         'uvicorn.run("src.api.http:app")     # src/api/http.py: app = ...'),
    Rule("TENANT001", "tenant-column-missing", "conventions", "error",
         "Multi-tenancy is configured (architecture.multi_tenancy) and a table or model the "
         "branch adds has no tenant column.",
         "The role contract: if multi-tenancy is configured, apply it to all data access. A "
         "tenant-scoped table without the tenant column cannot be filtered per tenant: every "
         "tenant sees every row.",
         "CREATE TABLE invoices (id bigserial PRIMARY KEY, total numeric)",
         "CREATE TABLE invoices (id bigserial PRIMARY KEY, tenant_id bigint NOT NULL "
         "REFERENCES tenants(id), total numeric)  -- or list a global table under "
         "architecture.multi_tenancy.exempt"),
    Rule("TENANT002", "tenant-table-without-rls", "conventions", "error",
         "The project uses PostgreSQL row-level security for tenants (architecture."
         "multi_tenancy.rls: true) and a tenant table the branch adds does not enable it.",
         "With RLS the database is what keeps tenants apart; a table created without `ENABLE "
         "ROW LEVEL SECURITY` and a policy is open to every tenant's session.",
         "CREATE TABLE invoices (..., tenant_id bigint NOT NULL)",
         "ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;\nCREATE POLICY tenant_isolation ON "
         "invoices USING (tenant_id = current_setting('app.tenant_id')::bigint);"),
    Rule("TENANT003", "query-without-tenant-filter", "conventions", "warning",
         "A query the branch writes on a tenant-scoped model (SQLAlchemy select/query, a "
         "Django manager, Prisma findMany/findFirst/...) does not filter by the tenant.",
         "An unfiltered query on a tenant table returns or changes other tenants' rows. Read "
         "statically: a filter applied elsewhere (a scoped manager, a helper) is named under "
         "architecture.multi_tenancy.scoped_by.",
         "Invoice.objects.filter(status=\"open\")\nprisma.invoice.findMany({ where: { status: "
         "'open' } })",
         "Invoice.objects.filter(tenant=request.tenant, status=\"open\")\nprisma.invoice."
         "findMany({ where: { tenantId, status: 'open' } })"),
    Rule("TENANT004", "raw-sql-without-tenant-filter", "conventions", "warning",
         "Raw SQL the branch writes reads or changes a tenant-scoped table without the tenant "
         "column in its WHERE clause.",
         "Raw SQL bypasses the ORM's scoping; the tenant condition must be in the statement.",
         "cursor.execute(\"SELECT * FROM invoices WHERE status = %s\", [s])",
         "cursor.execute(\"SELECT * FROM invoices WHERE tenant_id = %s AND status = %s\", "
         "[tenant, s])"),
)

KEYS = ("server_paths", "job_paths", "test_paths", "port_vars", "env_example", "env_ignore",
        "env_files")

DEFAULT_SERVER_PATHS = ("src/server/", "src/api/", "src/services/", "src/lib/server/",
                        "src/models/", "src/entities/", "src/schemas/", "src/jobs/",
                        "src/workers/", "src/queues/")
DEFAULT_JOB_PATHS = ("src/jobs/", "src/workers/", "src/queues/")
DEFAULT_TEST_PATHS = ("tests/server/", "tests/api/", "tests/integration/")
DEFAULT_PORT_VARS = ("API_PORT", "PORT", "WEB_PORT", "EXPO_PORT", "WORKER_PORT")
DEFAULT_ENV_IGNORE = ("NODE_ENV", "PATH", "HOME", "PWD", "CI", "TZ", "LANG")
DEFAULT_ENV_FILES = (".env", ".env.local", ".env.*.local", ".env.production", ".env.prod")
_VAR = Pattern(r"[A-Za-z_][A-Za-z0-9_]*\Z")


# -- architecture.multi_tenancy -------------------------------------------------------------
# The `architecture:` section is the agent framework's; guard reads this one key of it.
TENANCY_KEYS = ("enabled", "strategy", "tenant_column", "tables", "exempt", "models", "rls",
                "scoped_by")
STRATEGIES = ("column", "schema", "database")
DEFAULT_EXEMPT = ("tenants", "tenant", "alembic_version", "django_migrations",
                  "schema_migrations", "_prisma_migrations", "goose_db_version",
                  "flyway_schema_history")


class Tenancy(NamedTuple):
    file: str
    line: int | None
    column: str = "tenant_id"
    tables: tuple[str, ...] | None = None     # None: every table but the exempt ones
    exempt: tuple[str, ...] = DEFAULT_EXEMPT
    models: tuple[str, ...] = ()
    rls: bool = False
    scoped_by: tuple[str, ...] = ()
    strategy: str = "column"


class Settings(NamedTuple):
    server_paths: tuple[Source, ...]
    job_paths: tuple[Source, ...]
    test_paths: tuple[Source, ...]
    port_vars: tuple[str, ...] = DEFAULT_PORT_VARS
    env_example: str = ".env.example"
    env_ignore: tuple[str, ...] = DEFAULT_ENV_IGNORE
    env_files: tuple[Source, ...] = ()
    tenancy: Tenancy | None = None        # architecture.multi_tenancy, when configured


def _patterns(value, default, *, file: str, line: int | None, what: str, kind: str):
    if value is None:
        return tuple(Source(p, "guard defaults", None, kind) for p in default)
    return tuple(Source(validate_pattern(p, file=file, line=pl), file, pl, kind)
                 for p, pl in str_list(value, file=file, line=line, what=what))


def _names(value, default, *, file: str, line: int | None, what: str) -> tuple[str, ...]:
    if value is None:
        return tuple(default)
    out = []
    for name, nline in str_list(value, file=file, line=line, what=what):
        if not _VAR.match(name):
            raise GuardError(f"{what}: {name!r} is not an environment variable name",
                             path=file, line=nline, hint="use letters, digits and _, e.g. API_PORT")
        out.append(name)
    return tuple(out)


def parse_config(value, *, file: str, line: int | None, data=None) -> Settings:
    if value is None:
        value = {}
    expect(value, dict, file=file, line=line, what="guard.conventions")
    check_keys(value, KEYS, file=file, where="guard.conventions")

    def kline(key: str) -> int | None:
        return line_of(value, key, line)

    env_example = value.get("env_example", ".env.example")
    expect(env_example, str, file=file, line=kline("env_example"),
           what="guard.conventions.env_example")
    env_example = validate_pattern(env_example, file=file, line=kline("env_example"),
                                   trusted="env_example" not in value)   # the default
    if any(ch in env_example for ch in "*?[!") or env_example.endswith("/"):
        raise GuardError(f"guard.conventions.env_example must be one file path, got "
                         f"{env_example!r}", path=file, line=kline("env_example"),
                         hint="e.g. env_example: .env.example")
    return Settings(
        tenancy=parse_tenancy(data, file=file),
        server_paths=_patterns(value.get("server_paths"), DEFAULT_SERVER_PATHS, file=file,
                               line=kline("server_paths"),
                               what="guard.conventions.server_paths", kind="server"),
        job_paths=_patterns(value.get("job_paths"), DEFAULT_JOB_PATHS, file=file,
                            line=kline("job_paths"), what="guard.conventions.job_paths",
                            kind="jobs"),
        test_paths=_patterns(value.get("test_paths"), DEFAULT_TEST_PATHS, file=file,
                             line=kline("test_paths"), what="guard.conventions.test_paths",
                             kind="tests"),
        port_vars=_names(value.get("port_vars"), DEFAULT_PORT_VARS, file=file,
                         line=kline("port_vars"), what="guard.conventions.port_vars"),
        env_example=env_example,
        env_ignore=_names(value.get("env_ignore"), DEFAULT_ENV_IGNORE, file=file,
                          line=kline("env_ignore"), what="guard.conventions.env_ignore"),
        env_files=_patterns(value.get("env_files"), DEFAULT_ENV_FILES, file=file,
                            line=kline("env_files"), what="guard.conventions.env_files",
                            kind="env-file"),
    )


def parse_tenancy(data, *, file: str) -> Tenancy | None:
    arch = data.get("architecture") if isinstance(data, dict) else None
    # `is`, not `in`: 0 == False, and a malformed `multi_tenancy: 0` must not turn it off
    if not isinstance(arch, dict) or arch.get("multi_tenancy") is None \
            or arch["multi_tenancy"] is False:
        return None
    value, vline = arch["multi_tenancy"], line_of(arch, "multi_tenancy")
    kw: dict = {"file": file, "line": vline}
    if value is True:
        value = {}
    expect(value, dict, file=file, line=vline, what="architecture.multi_tenancy")
    check_keys(value, TENANCY_KEYS, file=file, where="architecture.multi_tenancy")

    def ln(key):
        return line_of(value, key, vline)
    if "enabled" in value and not expect(value["enabled"], bool, file=file, line=ln("enabled"),
                                         what="architecture.multi_tenancy.enabled"):
        return None
    if "strategy" in value:
        kw["strategy"] = expect_choice(value["strategy"], STRATEGIES, file=file,
                                       line=ln("strategy"),
                                       what="architecture.multi_tenancy.strategy")
    if "tenant_column" in value:
        column = expect(value["tenant_column"], str, file=file, line=ln("tenant_column"),
                        what="architecture.multi_tenancy.tenant_column")
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", column):
            raise GuardError(f"architecture.multi_tenancy.tenant_column {column!r} is not a "
                             "column name", path=file, line=ln("tenant_column"),
                             hint="e.g. tenant_column: tenant_id")
        kw["column"] = column
    for key in ("tables", "exempt", "models", "scoped_by"):
        if key in value:
            if key == "tables" and value[key] == "all":
                continue
            names = tuple(n for n, _ in str_list(value[key], file=file, line=ln(key),
                                                 what=f"architecture.multi_tenancy.{key}"))
            kw[key] = names if key != "exempt" else DEFAULT_EXEMPT + names
    if "rls" in value:
        kw["rls"] = expect(value["rls"], bool, file=file, line=ln("rls"),
                           what="architecture.multi_tenancy.rls")
    return Tenancy(**kw)
