"""`guard demo`: a sample project in a temp folder, a backend agent branch with one clean
change and a few violations, checked the way CI would check it. Needs only guard and git."""

from __future__ import annotations

import os
import shutil
import tempfile

import click

from guard.git import run_git

CONFIG = """\
# company.config.yaml — the agent framework's project settings (demo)
company:
  name: Demo Shop
personas:
  engineering_backend: Casey
  engineering_frontend: Riley
  engineering_devops: Morgan
tech_stack:
  language: python
  framework: fastapi
api:
  style: rest
  spec: artifacts/api/openapi.yaml
conventions:
  commit_style: conventional
guard:
  # role comes from the branch name (agent/backend/...) in this demo
  unowned: error
  contract:                # the API contract check: the app in src/api/http.py vs api.spec
    app: "src.api.http:app"
    max_examples: 10
"""

# The agreed API contract (Staff Engineer's, on the base) and the agent's implementation: a
# plain WSGI callable, so the demo needs nothing but guard and git. One deviation: `total`
# is sent as a string where the contract says number.
DEMO_CONTRACT = """\
openapi: 3.0.3
info: {title: Demo Shop API, version: "1.0"}
paths:
  /orders/{order_id}:
    get:
      operationId: getOrder
      parameters:
        - {name: order_id, in: path, required: true,
           schema: {type: integer, minimum: 1, maximum: 1000000}}
      responses:
        "200":
          description: the order
          content:
            application/json:
              schema:
                type: object
                required: [id, total, status]
                properties:
                  id: {type: integer}
                  total: {type: number}
                  status: {type: string, enum: [open, paid]}
        "404": {description: no such order}
"""

DEMO_API = """\
import json
import re


def app(environ, start_response):
    match = re.fullmatch(r"/orders/([0-9]+)", environ.get("PATH_INFO", ""))
    if not match or not 1 <= int(match.group(1)) <= 1000000:
        start_response("404 Not Found", [("Content-Type", "application/json")])
        return [b'{"error": "not found"}']
    if environ["REQUEST_METHOD"] != "GET":
        start_response("405 Method Not Allowed", [("Allow", "GET")])
        return [b""]
    order = {"id": int(match.group(1)), "total": "12.50", "status": "paid"}
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps(order).encode()]
"""

BASE_FILES = {
    "company.config.yaml": CONFIG,
    "README.md": "# Demo Shop\n",
    "src/server/app.py": "import os\n\nPORT = int(os.environ.get('API_PORT', '8000'))\n",
    "src/components/Button.tsx": "export const Button = () => <button>Buy</button>;\n",
    "src/types/order.ts": "export type Order = { id: string; total: number };\n",
    ".github/workflows/ci.yml": "name: ci\non: [push]\njobs: {}\n",
    "deploy/nginx.conf": "server { listen 80; }\n",
    "tests/api/__init__.py": "",
    # the applied migration history on main (the migrations check)
    "db/migrations/0001_create_orders.up.sql":
        "CREATE TABLE orders (id integer PRIMARY KEY, total integer NOT NULL);\n"
        "CREATE TABLE carts (id integer PRIMARY KEY, items text);\n",
    "db/migrations/0001_create_orders.down.sql": "DROP TABLE carts;\nDROP TABLE orders;\n",
    "artifacts/api/openapi.yaml": DEMO_CONTRACT,
}

BRANCH_COMMITS = [
    ("feat(api): add orders endpoint\n\nOrders are paged with a cursor rather than an offset, "
     "so the list stays stable while new orders arrive.",
     {"src/api/orders.py": "def list_orders(cursor=None):\n    return []\n",
      "tests/api/test_orders.py": "from src.api.orders import list_orders\n\n\n"
                                  "def test_empty():\n    assert list_orders() == []\n",
      # a conventions finding: the port is hard-coded although API_PORT is read above it
      "src/server/app.py": "import os\n\nimport uvicorn\n\n"
                           "PORT = int(os.environ.get('API_PORT', '8000'))\n\n\n"
                           "def main():\n"
                           "    uvicorn.run('src.api.http:app', interface='wsgi', "
                           "host='0.0.0.0', port=8000)\n"},
     []),
    ("feat(api): serve GET /orders/{order_id}", {"src/api/http.py": DEMO_API}, []),
    ("fix(ui): align the buy button while I was there",
     {"src/components/Button.tsx": "export const Button = () => <button className='buy'>Buy"
                                   "</button>;\n"}, []),
    ("ci: skip the slow job",
     {".github/workflows/ci.yml": "name: ci\non: [push]\njobs: {}  # slow job removed\n"}, []),
    ("refactor(server): keep the nginx config next to the server", {},
     [("deploy/nginx.conf", "src/server/nginx.conf")]),
    ("feat(types): add order status",
     {"src/types/order.ts": "export type Order = { id: string; total: number; "
                            "status: string };\n"}, []),
    ("WIP orders paging",
     {"src/api/orders.py": "def list_orders(cursor=None, limit=50):\n    return []\n"}, []),
    # the migrations check: an edited applied migration, and a new one with a DROP TABLE
    ("feat(db): order status, and drop the unused carts table",
     {"db/migrations/0001_create_orders.up.sql":
          "CREATE TABLE orders (id integer PRIMARY KEY, total integer NOT NULL, "
          "status text);\n"
          "CREATE TABLE carts (id integer PRIMARY KEY, items text);\n",
      "db/migrations/0002_paid_at.up.sql":
          "ALTER TABLE orders ADD COLUMN paid_at timestamp;\nDROP TABLE carts;\n",
      "db/migrations/0002_paid_at.down.sql":
          "CREATE TABLE carts (id integer PRIMARY KEY, items text);\n"
          "ALTER TABLE orders DROP COLUMN paid_at;\n"}, []),
]

EXPECTED = {"SCOPE001", "SCOPE002", "COMMIT008", "CONV001"}
EXPECTED = EXPECTED | {"MIG001", "MIG101"}   # edited applied migration, DROP TABLE
EXPECTED = EXPECTED | {"CONTRACT007"}   # the demo API's one deviation (total as a string)
# findings that would mean the demo itself is broken: its server's app must exist
UNEXPECTED = {"CONV012"}


def _git(root: str, *args: str) -> None:
    run_git(["-c", "user.name=Demo Agent", "-c", "user.email=agent@example.invalid",
             "-c", "commit.gpgsign=false", "-c", "core.hooksPath=/dev/null", *args],
            cwd=root, foreign=True)


def _write(root: str, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)


def build(root: str) -> None:
    _git(root, "init", "-q", "-b", "main")
    _write(root, BASE_FILES)
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "chore: start the demo shop")
    _git(root, "checkout", "-q", "-b", "agent/backend/orders-api")
    for message, files, moves in BRANCH_COMMITS:
        _write(root, files)
        for old, new in moves:
            os.makedirs(os.path.dirname(os.path.join(root, new)), exist_ok=True)
            _git(root, "mv", old, new)
        _git(root, "add", "-A")
        _git(root, "commit", "-q", "-m", message)


def run(*, keep: bool, fmt: str, colour: bool) -> int:
    from guard import context, engine, registry
    from guard.report import render

    root = tempfile.mkdtemp(prefix="guard-demo-")
    try:
        build(root)
        click.echo(f"guard demo: sample project in {root if keep else 'a temp folder'}; "
                   "branch agent/backend/orders-api checked against main "
                   "(as `guard check --base main`)\n", err=True)
        ctx = context.build(context.Options(repo=root, base="main"), env={})
        report = engine.run(ctx, list(registry.CHECKS), fail_on="error")
        click.echo(render(fmt, report, **({"colour": colour} if fmt == "text" else {})), nl=False)
        if fmt == "text":
            click.echo("\n--- hand-off report (`guard report`) ---\n")
            click.echo(render("markdown", report), nl=False)
        found = {f.rule for f in report.findings}
        missing = EXPECTED - found
        broken = UNEXPECTED & found
        if broken:
            click.echo(f"guard demo: the demo project itself is broken: "
                       f"{', '.join(sorted(broken))}", err=True)
            return 1
        if missing:
            click.echo(f"guard demo: expected findings missing: {', '.join(sorted(missing))}",
                       err=True)
            return 1
        click.echo(f"\nguard demo: found {report.counts['error']} error(s) and "
                   f"{report.counts['warning']} warning(s) on the agent branch, as expected. "
                   "In a real project `guard check` would exit 1 here.", err=True)
        return 0
    finally:
        if keep:
            click.echo(f"guard demo: kept {root}", err=True)
        else:
            shutil.rmtree(root, ignore_errors=True)
