"""contract: rules and the `guard.contract` section (standard library and guard's light
modules only — schemathesis and the validators load inside the check)."""

import re
from typing import Any, NamedTuple

from guard.errors import GuardError
from guard.lazyre import Pattern
from guard.rule import Rule
from guard.schema import check_keys, expect, expect_choice, str_list
from guard.yamlfile import line_of

R = "contract"

RULES: tuple[Rule, ...] = (
    Rule("CONTRACT001", "contract-not-checked", R, "info",
         "No API contract is configured, or the implementation cannot be listed, so part of "
         "the contract check did not run.",
         "A check that did not run must say so; silence would read as a pass.",
         "company.config.yaml has no guard.contract.path and no api.spec",
         "set guard.contract.path (or api.spec) and app:, url: or start:"),
    Rule("CONTRACT002", "invalid-contract", R, "error",
         "The OpenAPI contract is not valid (syntax, schema, or a $ref that resolves nowhere).",
         "The contract is the handshake with Frontend; an invalid one cannot be implemented "
         "exactly, and nothing after it can be checked.",
         "artifacts/api/openapi.yaml:3 'info' is a required property",
         "fix the contract at that line, or stop and report to the Staff Engineer"),
    Rule("CONTRACT003", "contract-changed", R, "error",
         "The branch changed the API contract and the role does not own it.",
         "\"If you discover the API contract is insufficient or incorrect, STOP and report "
         "back — do not improvise.\" An implementer that edits the contract moves the "
         "handshake without the other side.",
         "backend branch edits artifacts/api/openapi.yaml to match its implementation",
         "revert the contract edit; stop and report to the Staff Engineer; do not improvise"),
    Rule("CONTRACT004", "breaking-contract-change", R, "warning",
         "A change between the base and head contracts breaks existing clients (removed "
         "operation, removed or retyped response property, new required input, narrowed enum, "
         "changed status code).",
         "Reviewers need the breaking changes listed, whoever made them.",
         "the response property `total` changed from number to string",
         "keep the old shape, or version the endpoint and announce the change"),
    Rule("CONTRACT005", "missing-handler", R, "error",
         "An operation in the contract has no route in the implementation.",
         "The frontend will call it and get a 404 or 405.",
         "contract documents DELETE /orders/{id}; the app has no such route",
         "implement the operation, or list it under API deviations with the reason"),
    Rule("CONTRACT006", "undocumented-endpoint", R, "error",
         "The implementation serves a route the contract does not document.",
         "An undocumented endpoint is an improvised contract: nobody agreed to it and schema "
         "tests never exercise it.",
         "the app serves GET /debug/orders; the contract has no such operation",
         "remove the route, or stop and ask the Staff Engineer to add it to the contract"),
    Rule("CONTRACT007", "contract-violation", R, "error",
         "schemathesis found a response or behaviour that does not conform to the contract.",
         "Each failure is a real request the implementation answered differently from the "
         "contract (wrong type, missing property, undocumented status, server error, ...).",
         "GET /items/{id}: response_schema_conformance: \"id\" is not of type \"integer\"",
         "fix the handler it points at (run its reproduce command), or report the "
         "deviation"),
    Rule("CONTRACT008", "implementation-unavailable", R, "error",
         "The implementation could not be reached: the app failed to import, the server "
         "crashed or never answered, or schemathesis could not run an operation.",
         "Nothing was proven; this is neither a pass nor a contract violation.",
         "ModuleNotFoundError: No module named 'src.server.db' while importing the app",
         "fix the import or the start command; run it by hand to see the full output"),
    Rule("CONTRACT009", "inherited-contract-violation", R, "info",
         "Conformance failures the base commit already has, on operations whose handlers "
         "the branch did not change: counted once, as inherited, not as the branch's errors. "
         "Also the note saying why guard could not tell (the base's app did not run), in "
         "which case every failure is the branch's.",
         "A branch answers for what it changed; an old failure it did not touch is the "
         "project's debt, listed so it is not lost. A new failing check or status on that "
         "operation, or an edit of its handler, makes every failure there the branch's.",
         "GET /items/{id}: undocumented 404 at the base and on the branch, handler untouched",
         "nothing for this branch; fix them in a change of their own, or report them"),
    Rule("CONTRACT010", "inherited-route-gap", R, "info",
         "Route gaps the base commit already has: a contract operation with no route "
         "(CONTRACT005), or an undocumented route (CONTRACT006) whose handler the branch did "
         "not change, compared with the base's own routes and contract: counted once, as "
         "inherited, not as the branch's errors. Also the note saying why guard could not "
         "tell (the base's app did not import), in which case every gap is the branch's.",
         "A branch answers for what it changed; a route the project never implemented or "
         "never documented is its debt, listed so it is not lost. Removing a route, adding "
         "one, or editing an undocumented route's handler makes the gap the branch's.",
         "GET /health served but not in the contract, at the base and on the branch, its "
         "handler untouched",
         "nothing for this branch; fix them in a change of their own, or report them"),
    Rule("CONTRACT020", "api-base-path", R, "error",
         "An operation the branch added or changed is not under the base path (or version "
         "scheme) that company.config.yaml's api.base_path / api.versioning set.",
         "\"Follow api.* settings from company.config.yaml strictly\": the base path and the "
         "version scheme are what clients and gateways route on.",
         "api.base_path: /api/v1, and the contract adds GET /orders",
         "serve it as /api/v1/orders (path, or the contract's servers url)"),
    Rule("CONTRACT021", "api-naming", R, "error",
         "A path segment, parameter or JSON field that the branch added or changed is not in "
         "the case api.naming sets (kebab-case, snake_case, camelCase, PascalCase).",
         "One naming case across the API is part of the agreed style; a mixed API is a "
         "contract the frontend cannot guess.",
         "api.naming.fields: camelCase, and a response adds `order_id`",
         "rename it `orderId` in the contract and the implementation"),
    Rule("CONTRACT022", "api-pagination", R, "error",
         "A list operation (GET returning a collection) that the branch added or changed does "
         "not take the parameters of api.pagination's style, or returns a bare array where "
         "the style needs an envelope.",
         "A paginated API where one list is not paginated returns unbounded results and breaks "
         "the client's paging code.",
         "api.pagination: cursor, and GET /orders returns an array and takes no cursor",
         "take cursor and limit, and return {items: [...], next_cursor: ...}, the envelope's "
         "fields spelled in api.naming.fields' case when it is set (nextCursor in camelCase)"),
    Rule("CONTRACT023", "api-error-format", R, "error",
         "An error response (4xx, 5xx, default) that the branch added or changed does not use "
         "the error format api.errors sets (application/problem+json, or a named schema).",
         "Clients parse errors in one place; an error in another shape is shown as an "
         "unknown failure.",
         "api.errors: problem+json, and a 404 is documented as application/json {detail}",
         "document it as application/problem+json (RFC 9457) or with the configured schema"),
    Rule("CONTRACT024", "api-settings-inherited", R, "info",
         "The agreed contract already departs from company.config.yaml's api.* settings in "
         "places this branch did not add or change; counted, not charged to the branch.",
         "A branch is answerable for what it changes; the base's departures are the contract "
         "owner's to fix, and hiding them would read as a pass.",
         "3 fields of the base contract are snake_case where api.naming.fields is camelCase",
         "nothing on this branch; the contract's owner may fix them"),
)

DEFAULT_CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
                  "response_schema_conformance", "response_headers_conformance",
                  "negative_data_rejection", "positive_data_acceptance", "unsupported_method")
KNOWN_CHECKS = DEFAULT_CHECKS + ("missing_required_header", "use_after_free",
                                 "ensure_resource_availability", "ignored_auth",
                                 "max_response_time")
PHASES = ("examples", "coverage", "fuzzing", "stateful")
DEFAULT_PHASES = ("examples", "coverage", "fuzzing")
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# `api.*` keys of the agent framework that name the contract file, in order of preference
API_PATH_KEYS = ("contract", "spec", "openapi", "contract_path", "spec_path", "openapi_path")

KEYS = ("path", "app", "app_dir", "url",
        "start", "startup_timeout", "headers", "auth", "include",
        "exclude",
        "checks", "exclude_checks", "phases", "max_examples", "seed", "framework_routes",
        "ignore_routes")


# (before ContractSettings, which names it: a quoted forward reference would have typing
# compile it, ~10 M instructions on every run; the api.* keys are below, parse_api_style)
class ApiStyle(NamedTuple):
    file: str
    base_path: tuple[str, int | None] | None = None
    versioning: tuple[str, int | None] | None = None
    naming: tuple[tuple[str, str, int | None], ...] = ()     # (paths|parameters|fields, case)
    pagination: tuple[str, tuple[str, ...], int | None] | None = None
    errors: tuple[str, str | None, int | None] | None = None  # ("problem+json"|"schema", name)

    @property
    def any(self) -> bool:
        return bool(self.base_path or self.versioning or self.naming or self.pagination
                     or self.errors)


class ContractSettings(NamedTuple):
    path: str | None = None
    path_origin: str = ""
    path_line: int | None = None
    app: str | None = None
    app_dir: str = ""                     # the application folder, repository-relative
    url: str | None = None
    start: tuple[str, ...] = ()
    startup_timeout: float = 30.0
    headers: tuple[tuple[str, str], ...] = ()
    auth: tuple[str, ...] = ()            # ("bearer", VAR), ("basic", USER_VAR, PASSWORD_VAR)
    #                                       or ("scheme", "Token", VAR)
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    checks: tuple[str, ...] = DEFAULT_CHECKS
    phases: tuple[str, ...] = DEFAULT_PHASES
    max_examples: int = 25
    seed: int = 20240601
    framework_routes: bool = False
    ignore_routes: tuple[str, ...] = ()
    framework: str | None = None          # tech_stack.framework, for the default port
    api_style: ApiStyle | None = None     # api.* settings the contract must follow
    api_declared: bool = False            # the config has an `api:` or `guard.contract` section
    file: str = "company.config.yaml"
    line: int | None = None
    key_lines: tuple[tuple[str, int | None], ...] = ()   # guard.contract key -> its line

    @property
    def configured(self) -> bool:
        return self.path is not None

    def at(self, *keys: str) -> int | None:
        """The line of the first of ``keys`` that guard.contract sets: a finding about a
        setting points at that setting, else at the section."""
        lines = dict(self.key_lines)
        return next((lines[k] for k in keys if lines.get(k)), self.line)


_VAR = Pattern(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def env_vars(text: str) -> list[str]:
    return _VAR.findall(text)


def _op_pattern(value: str, *, file: str, line: int | None, what: str) -> str:
    parts = value.split()
    if len(parts) == 2 and parts[0].lower() in METHODS + ("*",) and parts[1].startswith("/"):
        return f"{parts[0].upper()} {parts[1]}"
    if len(parts) == 1 and parts[0].startswith("/"):
        return f"* {parts[0]}"
    raise GuardError(f"{what} entry {value!r} is not an operation", path=file, line=line,
                     hint="write `METHOD /path` (e.g. `GET /items/{id}`) or `/path`; "
                          "`*` wildcards are allowed in the path")


def parse_config(value: Any, *, file: str, line: int | None, data: Any) -> ContractSettings:
    api = data.get("api") if isinstance(data, dict) else None
    tech = data.get("tech_stack") if isinstance(data, dict) else None
    framework = tech.get("framework") if isinstance(tech, dict) else None
    kw: dict[str, Any] = {"file": file, "line": line,
                          "framework": framework if isinstance(framework, str) else None,
                          "api_declared": isinstance(api, dict) or value is not None}
    if isinstance(api, dict):
        kw["api_style"] = parse_api_style(api, file=file)
        for key in API_PATH_KEYS:
            if isinstance(api.get(key), str) and api[key].strip():
                kw.update(path=api[key].strip(), path_origin=f"api.{key}",
                          path_line=line_of(api, key))
                break
    if value is None and kw.get("path_line"):
        kw["line"] = kw["path_line"]       # no guard.contract: api.spec turned the check on
    if value is None or value is False:
        if value is False:
            kw.pop("path", None)
            kw["path_origin"] = "guard.contract: false"
        return ContractSettings(**kw)
    expect(value, dict, file=file, line=line, what="guard.contract")
    check_keys(value, KEYS, file=file, where="guard.contract")
    kw["key_lines"] = tuple((key, line_of(value, key)) for key in value)

    def ln(key: str) -> int | None:
        return line_of(value, key)

    def text(key: str) -> str:
        got = expect(value[key], str, file=file, line=ln(key), what=f"guard.contract.{key}")
        if not got.strip():
            raise GuardError(f"guard.contract.{key} is empty", path=file, line=ln(key))
        return got.strip()

    if "path" in value:
        kw.update(path=text("path"), path_origin="guard.contract.path", path_line=ln("path"))
    if "app" in value:
        app = text("app")
        if not re.fullmatch(r"[A-Za-z_][\w.]*:[A-Za-z_][\w.]*(\(\))?", app):
            raise GuardError(f"guard.contract.app {app!r} is not `package.module:attribute`",
                             path=file, line=ln("app"),
                             hint="e.g. app: \"src.server.main:app\" (as uvicorn takes it), "
                                  "or `module:create_app()` for a factory")
        kw["app"] = app
    if "app_dir" in value:
        import posixpath
        raw = text("app_dir")
        folder = posixpath.normpath(raw.replace("\\", "/"))
        if raw.startswith(("/", "\\")) or re.match(r"[A-Za-z]:", raw) or folder == ".." or \
                folder.startswith("../"):
            raise GuardError(f"guard.contract.app_dir {raw!r} is not a folder inside the "
                             "repository", path=file, line=ln("app_dir"),
                             hint="a repository-relative folder, e.g. app_dir: backend")
        kw["app_dir"] = "" if folder == "." else folder
    if "url" in value:
        url = text("url")
        if not re.match(r"https?://", url):
            raise GuardError(f"guard.contract.url {url!r} is not an http(s) URL", path=file,
                             line=ln("url"), hint="e.g. url: \"http://127.0.0.1:${API_PORT}\"")
        kw["url"] = url
    if "start" in value:
        raw = value["start"]
        if isinstance(raw, str):
            import shlex

            try:
                argv = tuple(shlex.split(raw))
            except ValueError as exc:
                raise GuardError(f"guard.contract.start cannot be split into words: {exc}",
                                 path=file, line=ln("start")) from None
        else:
            argv = tuple(c for c, _ in str_list(raw, file=file, line=ln("start"),
                                                what="guard.contract.start"))
        if not argv:
            raise GuardError("guard.contract.start is empty", path=file, line=ln("start"))
        kw["start"] = argv
    if "start" in kw and "url" not in kw:
        raise GuardError("guard.contract.start needs url: where the started server answers",
                         path=file, line=ln("start"),
                         hint="add url: \"http://127.0.0.1:${API_PORT}\" (the port comes from "
                              "API_PORT/PORT in .env, else .env.example, else the framework "
                              "default)")
    if "startup_timeout" in value:
        t = expect(value["startup_timeout"], (int, float), file=file, line=ln("startup_timeout"),
                   what="guard.contract.startup_timeout")
        if t <= 0:
            raise GuardError("guard.contract.startup_timeout must be positive", path=file,
                             line=ln("startup_timeout"))
        kw["startup_timeout"] = float(t)
    if "headers" in value:
        headers = expect(value["headers"], dict, file=file, line=ln("headers"),
                         what="guard.contract.headers")
        pairs = []
        for name, hv in headers.items():
            expect(hv, str, file=file, line=line_of(headers, name),
                   what=f"guard.contract.headers.{name}")
            if not env_vars(hv) and name.lower() in ("authorization", "cookie", "x-api-key"):
                raise GuardError(f"guard.contract.headers.{name} holds a literal secret",
                                 path=file, line=line_of(headers, name),
                                 hint="take it from an environment variable: "
                                      f"{name}: \"Bearer ${{API_TOKEN}}\"")
            pairs.append((str(name), hv))
        kw["headers"] = tuple(pairs)
    if "auth" in value:
        auth = expect(value["auth"], dict, file=file, line=ln("auth"), what="guard.contract.auth")
        check_keys(auth, ("bearer", "basic", "scheme", "token"), file=file,
                   where="guard.contract.auth")
        env_name = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

        def var(v, vline, what):
            expect(v, str, file=file, line=vline, what=what)
            if not env_name.fullmatch(v):
                raise GuardError(f"{what} must name an environment variable, got {v!r}",
                                 path=file, line=vline,
                                 hint="write the variable's name (API_TOKEN), never the secret")
            return v
        if set(auth) == {"scheme", "token"}:      # Authorization: <scheme> $TOKEN (DRF Token)
            scheme = expect(auth["scheme"], str, file=file, line=line_of(auth, "scheme"),
                            what="guard.contract.auth.scheme")
            if not re.fullmatch(r"[A-Za-z][A-Za-z0-9._~+-]*", scheme):
                raise GuardError(f"guard.contract.auth.scheme must be one word (Token, "
                                 f"Bearer, ApiKey), got {scheme!r}", path=file,
                                 line=line_of(auth, "scheme"))
            kw["auth"] = ("scheme", scheme, var(auth["token"], line_of(auth, "token"),
                                                "guard.contract.auth.token"))
        elif len(auth) != 1 or set(auth) & {"scheme", "token"}:
            raise GuardError("guard.contract.auth takes one of bearer:, basic:, or scheme: "
                             "with token:", path=file, line=ln("auth"))
        elif "bearer" in auth:
            kw["auth"] = ("bearer", var(auth["bearer"], line_of(auth, "bearer"),
                                        "guard.contract.auth.bearer"))
        else:
            basic = expect(auth["basic"], dict, file=file, line=line_of(auth, "basic"),
                           what="guard.contract.auth.basic")
            check_keys(basic, ("username", "password"), file=file,
                       where="guard.contract.auth.basic")
            kw["auth"] = ("basic",) + tuple(
                var(basic.get(k), line_of(basic, k, line_of(auth, "basic")),
                    f"guard.contract.auth.basic.{k}") for k in ("username", "password"))
    for key in ("include", "exclude"):
        if key in value:
            kw[key] = tuple(_op_pattern(v, file=file, line=vl, what=f"guard.contract.{key}")
                            for v, vl in str_list(value[key], file=file, line=ln(key),
                                                  what=f"guard.contract.{key}"))
    for key in ("checks", "exclude_checks"):
        if key in value:
            items = str_list(value[key], file=file, line=ln(key), what=f"guard.contract.{key}")
            for name, nl in items:
                if name != "all":
                    expect_choice(name, KNOWN_CHECKS, file=file, line=nl,
                                  what=f"a schemathesis check in guard.contract.{key}")
            kw[key] = tuple(n for n, _ in items)
    checks = list(kw.pop("checks", DEFAULT_CHECKS))
    if "all" in checks:
        checks = list(KNOWN_CHECKS)
    kw["checks"] = tuple(c for c in checks if c not in kw.pop("exclude_checks", ()))
    if "phases" in value:
        kw["phases"] = tuple(
            expect_choice(p, PHASES, file=file, line=pl, what="a phase in guard.contract.phases")
            for p, pl in str_list(value["phases"], file=file, line=ln("phases"),
                                  what="guard.contract.phases"))
    for key, low in (("max_examples", 1), ("seed", 0)):
        if key in value:
            n = expect(value[key], int, file=file, line=ln(key), what=f"guard.contract.{key}")
            if n < low:
                raise GuardError(f"guard.contract.{key} must be at least {low}", path=file,
                                 line=ln(key))
            kw[key] = n
    if "framework_routes" in value:
        kw["framework_routes"] = expect(value["framework_routes"], bool, file=file,
                                        line=ln("framework_routes"),
                                        what="guard.contract.framework_routes")
    if "ignore_routes" in value:
        kw["ignore_routes"] = tuple(
            _op_pattern(v, file=file, line=vl, what="guard.contract.ignore_routes")
            for v, vl in str_list(value["ignore_routes"], file=file, line=ln("ignore_routes"),
                                  what="guard.contract.ignore_routes"))
    return ContractSettings(**kw)


# -- api.* settings the contract follows "strictly" ---------------------------------------
# The `api:` section belongs to the agent framework: guard reads these keys, type-checks them
# and leaves the others alone.
CASES = ("kebab-case", "snake_case", "camelCase", "PascalCase", "lowercase")
NAMING_KEYS = ("paths", "parameters", "fields")
VERSIONING = ("url", "header", "none")
PAGINATION = {"cursor": ("cursor", "limit"), "offset": ("offset", "limit"),
              "page": ("page", "page_size"), "none": ()}
PROBLEM_JSON = ("problem+json", "problem-json", "rfc7807", "rfc9457", "problem-details")


def parse_api_style(api: dict, *, file: str) -> ApiStyle | None:
    kw: dict[str, Any] = {}

    def ln(node, key):
        return line_of(node, key)

    if api.get("base_path") is not None:
        bp = expect(api["base_path"], str, file=file, line=ln(api, "base_path"),
                    what="api.base_path")
        if not re.fullmatch(r"(/[A-Za-z0-9._~-]+)+/?|/", bp.strip()):
            raise GuardError(f"api.base_path {bp!r} is not a URL path", path=file,
                             line=ln(api, "base_path"), hint="e.g. base_path: /api/v1")
        kw["base_path"] = (bp.strip().rstrip("/") or "/", ln(api, "base_path"))
    if api.get("versioning") is not None:
        kw["versioning"] = (expect_choice(api["versioning"], VERSIONING, file=file,
                                          line=ln(api, "versioning"), what="api.versioning"),
                            ln(api, "versioning"))
    if api.get("naming") is not None:
        naming = expect(api["naming"], dict, file=file, line=ln(api, "naming"),
                        what="api.naming")
        check_keys(naming, NAMING_KEYS, file=file, where="api.naming")
        kw["naming"] = tuple(
            (key, expect_choice(naming[key], CASES, file=file, line=ln(naming, key),
                                what=f"api.naming.{key}"), ln(naming, key))
            for key in NAMING_KEYS if naming.get(key) is not None)
    if api.get("pagination") is not None:
        value, pline = api["pagination"], ln(api, "pagination")
        if isinstance(value, dict):
            check_keys(value, ("style", "params"), file=file, where="api.pagination")
            style = expect_choice(value.get("style"), tuple(PAGINATION), file=file,
                                  line=ln(value, "style"), what="api.pagination.style")
            params = tuple(p for p, _ in str_list(value.get("params", list(PAGINATION[style])),
                                                  file=file, line=ln(value, "params"),
                                                  what="api.pagination.params"))
        else:
            style = expect_choice(value, tuple(PAGINATION), file=file, line=pline,
                                  what="api.pagination")
            params = PAGINATION[style]
        if style != "none":
            kw["pagination"] = (style, params, pline)
    if api.get("errors") is not None:
        value, eline = api["errors"], ln(api, "errors")
        if isinstance(value, dict):
            check_keys(value, ("format", "schema"), file=file, where="api.errors")
            if "schema" in value:
                name = expect(value["schema"], str, file=file, line=ln(value, "schema"),
                              what="api.errors.schema")
                kw["errors"] = ("schema", name.rsplit("/", 1)[-1], ln(value, "schema"))
            elif "format" in value:
                value, eline = value["format"], ln(value, "format")
            else:
                raise GuardError("api.errors names neither format: nor schema:", path=file,
                                 line=eline, hint="e.g. errors: problem+json, or errors: "
                                                  "{schema: ErrorResponse}")
        if "errors" not in kw:
            expect(value, str, file=file, line=eline, what="api.errors")
            if value.lower() not in PROBLEM_JSON:
                raise GuardError(f"api.errors is {value!r}, which guard does not know",
                                 path=file, line=eline,
                                 hint="errors: problem+json (RFC 9457), or errors: "
                                      "{schema: ErrorResponse} for a schema of the contract")
            kw["errors"] = ("problem+json", None, eline)
    style = ApiStyle(file=file, **kw)
    return style if style.any else None
