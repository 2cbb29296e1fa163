"""contract: in guard's process the app gets what `schemathesis run` sends a server. schemathesis
probes a server before the tests and, when a probe fails, stops generating the input it sent
(control characters and backslashes in paths, a NUL byte in headers). In-process there is no
server to probe: the probes failed on the schema's file:// base URL, and every such character
in a path arrived as `_` (the FastAPI template's password-recovery 500 went unseen)."""

import pytest

SPEC = """openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /names/{name}:
    get:
      parameters:
        - {name: name, in: path, required: true, schema: {type: string}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {type: object, required: [name], properties: {name: {type: string}}}
"""


def test_in_process_paths_keep_control_characters(tmp_path):
    fastapi = pytest.importorskip("fastapi")
    from schemathesis.engine.run import probes

    from guard.checks.contract import runner

    app = fastapi.FastAPI()
    received: list[str] = []

    @app.get("/names/{name}")
    def name(name: str):
        received.append(name)
        return {"name": name}

    spec = tmp_path / "openapi.yaml"
    spec.write_text(SPEC)
    before = probes.PROBES
    result = runner.run(str(spec), app=app, max_examples=25, seed=1,
                        checks=("not_a_server_error",),
                        phases=("examples", "coverage", "fuzzing"))
    assert result.cases and received, result
    odd = [n for n in received if "\\" in n or any(ord(c) < 32 for c in n)]
    assert odd, received            # before: none, each such character arrived as `_`
    assert probes.PROBES is before  # the probes are back for the next run (url: keeps them)
