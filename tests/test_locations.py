"""A finding about a configuration key points at that key's line (issue 16, item 6): every
rule that cites company.config.yaml is raised here, and the line it cites holds the key."""

import json

import pytest

from gitrepo import backend_project, run_guard

BASE = """\
personas:
  engineering_backend: Casey
conventions:
  commit_style: conventional
api:
  spec: artifacts/api/openapi.yaml
guard:
  role: backend
  unowned: warning
"""

SPEC = """\
openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /ping:
    get:
      responses:
        "200": {description: ok}
"""

APP = """\
def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]
"""

# (what, extra config under guard:, --only, rule, the key its line must hold)
CASES = [
    ("plain callable", "  contract:\n    max_examples: 1\n    app: \"src.api.http:app\"\n",
     "contract", "CONTRACT001", "app:"),
    ("url, no app", "  contract:\n    max_examples: 1\n    url: \"http://127.0.0.1:9\"\n",
     "contract", "CONTRACT001", "url:"),
    ("nothing to run", "  contract:\n    max_examples: 1\n",
     "contract", "CONTRACT001", "contract:"),
    ("no guard.contract: api.spec turned it on", "",
     "contract", "CONTRACT001", "spec:"),
    ("import error", "  contract:\n    max_examples: 1\n    app: \"src.api.nothere:app\"\n",
     "contract", "CONTRACT008", "app:"),
    ("stale suppression", "  ignore:\n    - rule: SCOPE002\n      paths: [src/types/]\n"
     "      reason: shared types are announced elsewhere\n",
     "policy,scope", "POLICY002", "rule:"),
    ("database url not set", "  migrations:\n    verify: true\n"
     "    database_url: ${GUARD_NO_SUCH_DB_URL}\n", "migrations", "MIG033", "database_url:"),
]


@pytest.mark.parametrize("what,extra,only,rule,key", CASES, ids=[c[0] for c in CASES])
def test_config_findings_point_at_their_key(tmp_path, what, extra, only, rule, key):
    config = BASE + extra
    repo = backend_project(str(tmp_path / "p"), config, extra={
        "artifacts/api/openapi.yaml": SPEC, "src/api/__init__.py": "",
        "src/api/http.py": APP,
        "db/migrations/0001_init.up.sql": "CREATE TABLE t (id integer);\n",
        "db/migrations/0001_init.down.sql": "DROP TABLE t;\n"})
    repo.commit("feat(db): add u", {
        "db/migrations/0002_u.up.sql": "CREATE TABLE u (id integer);\n",
        "db/migrations/0002_u.down.sql": "DROP TABLE u;\n"})
    res = run_guard("check", "--format", "json", "--base", "main", "--only", only,
                    cwd=repo.path, env={"GUARD_NO_SUCH_DB_URL": ""})
    assert res.code in (0, 1), res.err
    findings = json.loads(res.out)["findings"]
    cited = [f for f in findings if f["path"] == "company.config.yaml"]
    assert any(f["rule"] == rule for f in cited), findings
    lines = config.splitlines()
    for f in cited:
        assert f["line"], f
        assert lines[f["line"] - 1].strip().lstrip("- ").startswith(
            key if f["rule"] == rule else ""), (f, lines[f["line"] - 1])
