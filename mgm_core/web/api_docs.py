"""A browsable API page in development: Swagger UI at ``/api/docs``, reading ``/openapi.json``.

The Swagger UI files come from the ``openapi-ui-bundles`` package (Swagger UI
5, which reads OpenAPI 3.1), served from this process: the page works offline,
with no CDN. Outside development the routes do not exist (404).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from aiohttp import web
from openapi_ui_bundles import swagger_ui

from mgm_core.config import Config
from mgm_core.web.access import Access, access

DOCS_PATH = "/api/docs"

# The files of the bundle the page loads, with their media types (nothing else is served).
ASSETS: dict[str, str] = {
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui-standalone-preset.js": "text/javascript",
    "favicon-32x32.png": "image/png",
    "favicon-16x16.png": "image/png",
}

PAGE = f"""<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="UTF-8">
    <title>Mimiron's Gold-o-Matic EBS API</title>
    <link rel="stylesheet" type="text/css" href="{DOCS_PATH}/swagger-ui.css">
    <link rel="icon" type="image/png" href="{DOCS_PATH}/favicon-32x32.png" sizes="32x32">
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="{DOCS_PATH}/swagger-ui-bundle.js" charset="UTF-8"></script>
    <script src="{DOCS_PATH}/swagger-ui-standalone-preset.js" charset="UTF-8"></script>
    <script src="{DOCS_PATH}/init.js" charset="UTF-8"></script>
  </body>
</html>
"""

# validatorUrl null: Swagger UI would otherwise send the document to an online validator.
INIT = """window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: "StandaloneLayout"
  });
};
"""


@cache
def _asset(name: str) -> bytes:
    return (Path(swagger_ui.static_path) / name).read_bytes()


@access(Access.PUBLIC)
async def page(request: web.Request) -> web.Response:
    return web.Response(text=PAGE, content_type="text/html", charset="utf-8")


@access(Access.PUBLIC)
async def asset(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name == "init.js":
        return web.Response(text=INIT, content_type="text/javascript", charset="utf-8")
    media_type = ASSETS.get(name)
    if media_type is None:
        raise web.HTTPNotFound()
    return web.Response(body=_asset(name), content_type=media_type)


def add_docs_routes(app: web.Application, config: Config) -> None:
    """Serve the page and its files, in development only."""
    if not config.is_development:
        return
    app.router.add_get(DOCS_PATH, page)
    app.router.add_get(DOCS_PATH + "/{name}", asset)
