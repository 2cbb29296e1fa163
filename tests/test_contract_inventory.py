"""The route inventory on real in-process apps of each framework as pip installs them today
(versions in docs/contract.md): included routers, mounts, sub-apps, blueprints,
flask-smorest, Django URLconf with DRF routers, ViewSets, @action and format suffixes."""

import os
import subprocess
import sys
import textwrap

import pytest

from guard.checks.contract import inventory

HERE = os.path.dirname(os.path.abspath(__file__))


def table(routes, framework=False):
    return sorted((r.path, r.methods) for r in routes if r.framework == framework)


def test_fastapi_nested_include_router_mount_and_subapp():
    pytest.importorskip("fastapi")
    from fastapi import APIRouter, FastAPI
    from fastapi.routing import APIRoute
    from starlette.routing import Mount, Route

    class TimedRoute(APIRoute):
        pass

    app = FastAPI()
    inner = APIRouter(prefix="/inner", route_class=TimedRoute)

    @inner.get("/x/{x_id}")
    def get_x(x_id: int):
        return {}

    api = APIRouter(prefix="/api")

    @api.post("/items")
    def create_item():
        return {}

    api.include_router(inner)
    app.include_router(api, prefix="/v1")
    sub = FastAPI()

    @sub.get("/ping")
    def ping():
        return "pong"

    app.mount("/sub", sub)

    def legacy(request):
        return None
    app.router.routes.append(Mount("/old", routes=[Route("/thing", legacy)]))
    found = inventory.routes(app)
    assert table(found) == [("/old/thing", ("GET",)), ("/sub/ping", ("GET",)),
                            ("/v1/api/inner/x/{x_id}", ("GET",)),
                            ("/v1/api/items", ("POST",))]
    assert {"/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect",
            "/sub/docs", "/sub/openapi.json"} <= {p for p, _ in table(found, True)}
    by_path = {r.path: r for r in found}
    route = by_path["/v1/api/inner/x/{x_id}"]
    assert route.file == os.path.abspath(__file__)
    assert route.line == get_x.__code__.co_firstlineno
