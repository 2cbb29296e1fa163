"""Breaking-change wording: a readOnly property is a response field, even when the shared
schema that declares it is also a request body."""

from guard.checks.contract import spec as specmod
from guard.checks.contract.diff import breaking_changes

BASE = """openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /items:
    post:
      requestBody:
        content:
          application/json:
            schema: {$ref: "#/components/schemas/Item"}
      responses:
        "201":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Item"}
components:
  schemas:
    Item:
      type: object
      required: [name]
      properties:
        id: {type: integer, readOnly: true}
        name: {type: string}
        note: {type: string}
"""
HEAD = BASE.replace("required: [name]", "required: [name, id, note]")


def load(text):
    return specmod.load(lambda path: text.encode() if path == "openapi.yaml" else None,
                        "openapi.yaml", "x")


def test_read_only_property_is_a_response_field():
    found = [c.what for c in breaking_changes(load(BASE), load(HEAD))]
    assert "response field `id` is newly required" in found, found
    assert "request field `note` is newly required" in found, found
    assert not [w for w in found if "request field `id`" in w]


MISSING_SCHEMA = """openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /items:
    get:
      parameters:
        - name: X-Token
          in: header
          required: true
      responses:
        "200": {description: ok}
"""


def test_parameter_without_schema_is_said_in_plain_words(tmp_path):
    problems = specmod.validate(load(MISSING_SCHEMA), str(tmp_path))
    [p] = problems
    assert p.line == 7
    assert p.message.startswith("parameter `X-Token` (in header) has neither `schema` nor "
                                "`content`"), p.message
    assert "oneOf" not in p.message
