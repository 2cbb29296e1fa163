"""contract: a conformance failure is located where its fix goes (the handler the route
inventory maps), with the contract's line beside it in every format; and its reproduce step
works after guard has exited. Real repositories, real in-process apps."""

import json
import os
import shlex
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "fixtures", "contract"))

from contract_fixture import (CONTRACT, check, fixture_text, leftovers,  # noqa: E402
                              project, rules)

pytestmark = pytest.mark.slow

ONLY_ITEM = "    max_examples: 6\n    include: [\"GET /items/*\"]\n"


def handler_line(repo, name: str) -> int:
    with open(os.path.join(repo.path, "src", "api", "app.py"), encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    at = next(i for i, ln in enumerate(lines) if ln.startswith(f"def {name}("))
    while at > 0 and lines[at - 1].startswith("@"):
        at -= 1
    return at + 1


def test_failure_is_at_the_handler_with_the_contract_line_in_each_format(tmp_path):
    repo = project(tmp_path, "fastapi_bad", extra=ONLY_ITEM)
    sarif_file, text_file = tmp_path / "r.sarif", tmp_path / "r.txt"
    data, res = check(repo, "--output", f"sarif={sarif_file}", "--output", f"text={text_file}")
    assert res.code == 1
    [f] = rules(data, "CONTRACT007")
    line = handler_line(repo, "get_item")
    # JSON: the handler is the location; the contract's line is in data
    assert (f["path"], f["line"]) == ("src/api/app.py", line)
    contract_line = f["data"]["contract_line"]
    assert f["data"]["contract_path"] == CONTRACT and contract_line == 40
    assert f["data"]["related"] == [[CONTRACT, 40, "the contract's operation"]]
    assert f"(contract: {CONTRACT}:40)" in f["message"]
    assert f"contract at {CONTRACT}:40" in f["hint"]
    # text: the handler's file:line and the contract's line
    text = text_file.read_text()
    assert f"src/api/app.py:{line}" in text and f"{CONTRACT}:40" in text
    # SARIF: the handler is the location, the contract a related location
    [result] = [r for r in json.loads(sarif_file.read_text())["runs"][0]["results"]
                if r["ruleId"] == "CONTRACT007"]
    physical = result["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == "src/api/app.py"
    assert physical["region"]["startLine"] == line
    [related] = result["relatedLocations"]
    assert related["physicalLocation"]["artifactLocation"]["uri"] == CONTRACT
    assert related["physicalLocation"]["region"]["startLine"] == 40
    assert related["message"]["text"] == "the contract's operation"


def test_failure_on_an_unmapped_operation_stays_at_the_contract(tmp_path):
    # a plain ASGI callable: guard cannot list its routes, so there is no handler to point at
    app = ("async def app(scope, receive, send):\n"
           "    if scope['type'] == 'lifespan':\n"
           "        while True:\n"
           "            kind = (await receive())['type'].rpartition('.')[2]\n"
           "            await send({'type': f'lifespan.{kind}.complete'})\n"
           "            if kind == 'shutdown':\n"
           "                return\n"
           "    await send({'type': 'http.response.start', 'status': 200,\n"
           "                'headers': [(b'content-type', b'application/json')]})\n"
           "    await send({'type': 'http.response.body', 'body': b'{\"id\": \"x\"}'})\n")
    repo = project(tmp_path, None, extra=ONLY_ITEM, extra_files={"src/api/app.py": app})
    data, res = check(repo)
    assert res.code == 1
    found = rules(data, "CONTRACT007")
    assert found, [g["message"] for g in data["findings"]]
    assert all(f["path"] == CONTRACT for f in found)
    assert all("contract_path" not in f["data"] for f in found)


def test_reproduce_step_works_after_guard_exited(tmp_path):
    repo = project(tmp_path, "fastapi_bad", extra=ONLY_ITEM)
    data, res = check(repo)
    assert res.code == 1
    [f] = rules(data, "CONTRACT007")
    replay = f["data"]["replay"]
    assert f"reproduce: {replay}" in f["message"]
    # guard has exited: nothing listens anywhere; the command imports the app itself
    argv = shlex.split(replay)
    again = subprocess.run(argv, cwd=repo.path, capture_output=True, text=True, timeout=120)
    assert again.returncode == 1, again.stderr
    assert again.stdout.startswith("GET /items/{item_id}: response_schema_conformance: ")
    assert "is not of type \"integer\"" in again.stdout and "(status 200)" in again.stdout
    assert "Traceback" not in again.stderr
    # after the fix the same command says so
    app = os.path.join(repo.path, "src", "api", "app.py")
    with open(app, encoding="utf-8") as fh:
        text = fh.read()
    with open(app, "w", encoding="utf-8") as fh:
        fh.write(text.replace('{"id": str(item_id),', '{"id": item_id,'))
    fixed = subprocess.run(argv, cwd=repo.path, capture_output=True, text=True, timeout=120)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "conforms now (status 200)" in fixed.stdout
    assert leftovers(repo.path) == []


def test_replay_of_an_unknown_operation_is_exit_2(tmp_path):
    repo = project(tmp_path, "fastapi_good", extra=ONLY_ITEM)
    argv = [sys.executable, "-m", "guard.checks.contract.replay", "--app", "src.api.app:app",
            "--contract", CONTRACT, "--check", "not_a_server_error", "GET /nowhere"]
    res = subprocess.run(argv, cwd=repo.path, capture_output=True, text=True, timeout=120)
    assert res.returncode == 2
    assert res.stderr.startswith("guard replay: error: ") and "GET /nowhere" in res.stderr
    assert "Traceback" not in res.stderr


def test_replay_sends_the_configured_token_from_the_users_environment(tmp_path):
    repo = project(tmp_path, "fastapi_auth",
                   extra="    max_examples: 5\n    include: [\"GET /items/{item_id}\"]\n"
                         "    auth: {bearer: SHOP_TOKEN}\n",
                   extra_files={"src/api/deviating.py": fixture_text("fastapi_bad", "app.py")})
    data, res = check(repo, env={"SHOP_TOKEN": "s3cret-token"})
    [f] = rules(data, "CONTRACT007")
    replay = f["data"]["replay"]
    assert '--header "authorization: Bearer ${SHOP_TOKEN}"' in replay
    assert "s3cret-token" not in res.out
    # the agent pastes the line into its shell, which fills in ${SHOP_TOKEN}
    env = dict(os.environ, SHOP_TOKEN="s3cret-token")
    again = subprocess.run(["bash", "-c", replay], cwd=repo.path, env=env,
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 1, again.stdout + again.stderr
    assert "is not of type \"integer\"" in again.stdout
