"""contract: company.config.yaml's api.* settings, followed "strictly" (CONTRACT020-024).

Real repositories: the Staff Engineer's branch edits the contract it owns, a backend branch
inherits a base contract; the validators run for real."""

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "fixtures", "contract"))

from contract_fixture import CONTRACT, check, rules  # noqa: E402
from gitrepo import Repo, run_guard  # noqa: E402

from guard.checks.contract.apistyle import convert, fits  # noqa: E402

API = """\
api:
  spec: artifacts/api/openapi.yaml
  base_path: /api/v1
  naming:
    paths: kebab-case
    parameters: snake_case
    fields: camelCase
  pagination: cursor
  errors: problem+json
guard:
  contract: {}
"""

BASE = """\
openapi: 3.0.3
info: {title: Shop, version: "1"}
servers: [{url: /api/v1}]
paths:
  /orders:
    get:
      parameters:
        - {name: cursor, in: query, schema: {type: string}}
        - {name: limit, in: query, schema: {type: integer}}
      responses:
        "200":
          description: a page of orders
          content:
            application/json:
              schema:
                type: object
                properties:
                  items: {type: array, items: {$ref: "#/components/schemas/Order"}}
                  nextCursor: {type: string}
        "404":
          description: not found
          content:
            application/problem+json:
              schema: {type: object, properties: {title: {type: string}}}
components:
  schemas:
    Order:
      type: object
      properties:
        orderId: {type: integer}
        legacy_total: {type: number}
"""

ADDED = """\
  /order_items/{itemId}:
    get:
      parameters:
        - {name: itemId, in: path, required: true, schema: {type: integer}}
      responses:
        "200":
          description: one item
          content:
            application/json:
              schema:
                type: object
                properties:
                  item_name: {type: string}
        "400":
          description: bad id
          content:
            application/json:
              schema: {type: object}
  /customers:
    get:
      responses:
        "200":
          description: all customers
          content:
            application/json:
              schema:
                type: array
                items: {type: object, properties: {customerId: {type: integer}}}
"""


def _project(tmp_path, role: str, config: str = API, base: str = BASE) -> Repo:
    repo = Repo.init(str(tmp_path / "p"))
    repo.commit("chore: base", {"company.config.yaml": config, CONTRACT: base,
                                "README.md": "# shop\n"})
    repo.branch(f"agent/{role}/api")
    return repo


def _with_added(base: str, added: str) -> str:
    return base.replace("components:\n", added + "components:\n", 1)


def _line(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_case_helpers():
    assert convert("order_id", "camelCase") == "orderId"
    assert convert("itemId", "snake_case") == "item_id"
    assert convert("OrderItems", "kebab-case") == "order-items"
    assert convert("HTTPStatus", "snake_case") == "http_status"
    assert fits("orderId", "camelCase") and not fits("order_id", "camelCase")
    assert fits("_links", "camelCase")      # a marker prefix is not a word
    assert fits("orders", "kebab-case") and not fits("order_items", "kebab-case")


def test_owner_branch_gets_each_departure_it_adds_with_its_line(tmp_path):
    repo = _project(tmp_path, "staff")
    head = _with_added(BASE, ADDED)
    repo.commit("feat(api): items and customers", {CONTRACT: head})
    data, res = check(repo)
    assert res.code == 1, res.out
    got = {(f["rule"], f["line"]): f["message"] for f in rules(data) if f["rule"] >= "CONTRACT02"}
    segment = _line(head, "/order_items/{itemId}:") + 1      # the `get:` line
    assert "path segment 'order_items' is not kebab-case" in got[("CONTRACT021", segment)]
    param = _line(head, "name: itemId")
    assert "path parameter 'itemId' is not snake_case" in got[("CONTRACT021", param)]
    field = _line(head, "item_name:")
    assert "JSON field 'item_name'" in got[("CONTRACT021", field)]
    error = _line(head, '"400":')
    assert "400 response is application/json, not application/problem+json" in \
        got[("CONTRACT023", error)]
    listing = _line(head, "/customers:") + 1
    message = got[("CONTRACT022", listing)]
    assert "takes no cursor or limit query parameter" in message
    assert "returns a bare array" in message
    # every message names the setting and where it is configured
    assert "(api.naming.fields, company.config.yaml:" in got[("CONTRACT021", field)]
    # the base's own departure (legacy_total) is not charged to the branch: one info, counted
    [info] = rules(data, "CONTRACT024")
    assert info["severity"] == "info" and "1 place(s)" in info["message"]
    [listed] = info["data"]["departures"]
    assert listed.startswith(f"{CONTRACT}:{_line(head, 'legacy_total:')}: CONTRACT021 ")
    hints = {f["hint"] for f in rules(data, "CONTRACT021")}
    assert "name it 'order-items' in the contract and the route" in hints
    assert "name it 'itemName' in the contract and the implementation" in hints


def test_branch_that_does_not_own_the_contract_inherits_the_base_departures(tmp_path):
    repo = _project(tmp_path, "backend")
    repo.commit("feat(api): handler", {"src/api/orders.py": "x = 1\n"})
    data, res = check(repo)
    assert res.code == 0, res.out
    assert not [f for f in rules(data) if f["severity"] == "error"]
    [info] = rules(data, "CONTRACT024")
    assert "CONTRACT021 ×1" in info["message"]


def test_compliant_additions_give_no_finding(tmp_path):
    repo = _project(tmp_path, "staff")
    good = """\
  /order-items/{item_id}:
    get:
      parameters:
        - {name: item_id, in: path, required: true, schema: {type: integer}}
      responses:
        "200":
          description: one item
          content:
            application/json:
              schema: {type: object, properties: {itemName: {type: string}}}
        "404":
          description: not found
          content:
            application/problem+json:
              schema: {type: object}
"""
    repo.commit("feat(api): items", {CONTRACT: _with_added(BASE, good)})
    data, res = check(repo)
    assert res.code == 0, res.out
    assert [f["rule"] for f in rules(data) if f["rule"] >= "CONTRACT020"] == ["CONTRACT024"]


def test_base_path_and_url_versioning(tmp_path):
    config = API.replace("  base_path: /api/v1\n", "  base_path: /api\n  versioning: url\n")
    repo = _project(tmp_path, "staff", config=config)
    moved = BASE.replace("servers: [{url: /api/v1}]", "servers: [{url: /internal}]")
    repo.commit("feat(api): move", {CONTRACT: moved})
    data, res = check(repo)
    assert res.code == 1
    messages = [f["message"] for f in rules(data, "CONTRACT020")]
    assert any("is not under api.base_path /api" in m for m in messages)
    assert any("has no version segment" in m for m in messages)


def test_error_schema_setting(tmp_path):
    config = API.replace("  errors: problem+json\n", "  errors: {schema: Problem}\n")
    base = BASE.replace('"404":', '"409":').replace(
        "schema: {type: object, properties: {title: {type: string}}}",
        'schema: {$ref: "#/components/schemas/Problem"}').replace(
        "    Order:\n", "    Problem: {type: object, properties: {title: {type: string}}}\n"
                       "    Order:\n")
    repo = _project(tmp_path, "staff", config=config, base=base)
    head = base.replace('      responses:\n        "200":\n          description: a page',
                        '      responses:\n        "404":\n          description: gone\n'
                        '          content:\n            application/problem+json:\n'
                        '              schema: {type: object}\n'
                        '        "200":\n          description: a page', 1)
    repo.commit("feat(api): 404", {CONTRACT: head})
    data, res = check(repo)
    assert res.code == 1
    [err] = rules(data, "CONTRACT023")
    assert "404 response does not use the schema Problem" in err["message"]
    assert err["line"] == _line(head, '"404":')


@pytest.mark.parametrize("snippet, message", [
    ("  naming: {fields: camel}\n", "api.naming.fields is 'camel'"),
    ("  naming: {feilds: camelCase}\n", "did you mean 'fields'"),
    ("  pagination: pages\n", "api.pagination is 'pages'"),
    ("  errors: json\n", "api.errors is 'json', which guard does not know"),
    ("  base_path: api/v1\n", "api.base_path 'api/v1' is not a URL path"),
    ("  versioning: path\n", "api.versioning is 'path'"),
])
def test_bad_api_settings_are_exit_2_with_their_line(tmp_path, snippet, message):
    config = "api:\n  spec: artifacts/api/openapi.yaml\n" + snippet + "guard:\n  contract: {}\n"
    repo = _project(tmp_path, "staff", config=config)
    repo.commit("feat(api): x", {"README.md": "# x\n"})
    res = run_guard("check", "--only", "contract", "--base", "main", cwd=repo.path)
    assert res.code == 2, res.err
    assert res.err.startswith("guard: error: company.config.yaml:3:"), res.err
    assert message in res.err and "Traceback" not in res.err
