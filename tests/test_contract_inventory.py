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


DRF_PROBE = """
import json, sys
sys.path.insert(0, sys.argv[1])
import drf_urls
from django.core.handlers.wsgi import WSGIHandler
from guard.checks.contract import inventory
print(json.dumps([(r.path, r.methods, r.framework, r.file and r.file.rsplit('/', 1)[-1],
                   r.line) for r in inventory.routes(WSGIHandler())]))
"""


def test_drf_router_viewset_action_format_suffix_and_docs_views():
    pytest.importorskip("rest_framework")
    pytest.importorskip("drf_spectacular")
    import json
    # Django's settings are per process: the site is listed in a fresh interpreter
    out = subprocess.run([sys.executable, "-c", DRF_PROBE,
                          os.path.join(HERE, "fixtures", "contract", "drf_site")],
                         capture_output=True, text=True, check=True).stdout
    found = [(p, tuple(m), fw, f, ln) for p, m, fw, f, ln in json.loads(out)]
    own = sorted((p, m) for p, m, fw, _, _ in found if not fw)
    assert own == [("/api/items/", ("GET", "POST")),
                   ("/api/items/{pk}/", ("GET",)),
                   ("/api/items/{pk}/publish/", ("POST",)),
                   ("/api/tags/", ("GET",)),
                   ("/health/", ("GET",))], found
    assert not [p for p, *_ in found if "format" in p or "(?P" in p or "\\" in p]
    assert {p for p, _, fw, _, _ in found if fw} == {
        "/api/", "/api/schema/", "/api/docs/", "/api/redoc/"}
    # each route with the method that answers it
    src = open(os.path.join(HERE, "fixtures", "contract", "drf_site", "drf_urls.py")).read()
    lines = src.splitlines()
    for p, _, fw, file, line in found:
        if not fw:
            assert file == "drf_urls.py" and line, (p, file, line)
    publish = [ln for p, _, _, _, ln in found if p.endswith("publish/")][0]
    assert "def publish" in lines[publish - 1] or "@action" in lines[publish - 1]
    tags = [ln for p, _, _, _, ln in found if p == "/api/tags/"][0]
    assert lines[tags - 1].startswith("class TagViewSet("), lines[tags - 1]
    assert inventory.shape("/api/items/{}/") == inventory.shape("/api/items/{id}")


def test_flask_blueprint_and_smorest_docs_routes():
    pytest.importorskip("flask_smorest")
    from flask import Blueprint as FlaskBlueprint, Flask
    from flask.views import MethodView
    from flask_smorest import Api, Blueprint

    app = Flask(__name__)
    app.config.update(API_TITLE="t", API_VERSION="1", OPENAPI_VERSION="3.0.3",
                      OPENAPI_URL_PREFIX="/", OPENAPI_JSON_PATH="openapi.json",
                      OPENAPI_REDOC_PATH="/redoc", OPENAPI_REDOC_URL="https://x/r.js",
                      OPENAPI_SWAGGER_UI_PATH="/swagger-ui",
                      OPENAPI_SWAGGER_UI_URL="https://x/s/",
                      OPENAPI_RAPIDOC_PATH="/rapidoc", OPENAPI_RAPIDOC_URL="https://x/rd.js")
    api = Api(app)
    blp = Blueprint("pets", __name__, url_prefix="/pets")

    @blp.route("/<int:pet_id>")
    class Pet(MethodView):
        def get(self, pet_id):
            return {}

        def delete(self, pet_id):
            return ""

    api.register_blueprint(blp)
    plain = FlaskBlueprint("plain", __name__, url_prefix="/v1")

    @plain.post("/orders")
    def create_order():
        return {}

    app.register_blueprint(plain)
    found = inventory.routes(app)
    assert table(found) == [("/pets/<int:pet_id>", ("DELETE", "GET")),
                            ("/v1/orders", ("POST",))]
    assert {"/openapi.json", "/redoc", "/swagger-ui", "/rapidoc"} <= {
        p for p, _ in table(found, True)}
    assert all(r.file == os.path.abspath(__file__) and r.line for r in found
               if not r.framework)
