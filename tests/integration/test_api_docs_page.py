"""The browsable API page (Swagger UI) in development, and what /openapi.json lists per mode."""

import re

import pytest

PRODUCTION = {
    "env": "production",
    "extension_secret": "eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHg=",
    "clock": "system",
}
ASSETS = {
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui-standalone-preset.js": "text/javascript",
    "favicon-32x32.png": "image/png",
    "init.js": "text/javascript",
}


def test_the_page_and_every_file_it_loads_are_served_in_development(ebs):
    page = ebs.http.get("/api/docs")
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    loaded = set(re.findall(r'(?:src|href)="/api/docs/([^"]+)"', page.text))
    assert loaded == set(ASSETS)
    assert "https://" not in page.text and "http://" not in page.text  # no CDN: works offline
    for name, media_type in ASSETS.items():
        answer = ebs.http.get(f"/api/docs/{name}")
        assert answer.status_code == 200, name
        assert answer.headers["Content-Type"].split(";")[0] == media_type, name
        assert answer.content, name
    assert "SwaggerUIBundle" in ebs.http.get("/api/docs/swagger-ui-bundle.js").text
    init = ebs.http.get("/api/docs/init.js").text
    assert 'url: "/openapi.json"' in init
    assert "validatorUrl: null" in init


@pytest.mark.parametrize("name", ["index.html", "..%2Fswagger_ui%2F__init__.py", "nope.js"])
def test_nothing_else_of_the_bundle_is_served(ebs, name):
    answer = ebs.http.get(f"/api/docs/{name}")
    assert answer.status_code == 404
    assert answer.json()["code"] == "not_found"


def test_no_page_in_production(make_ebs):
    ebs = make_ebs(**PRODUCTION)
    for path in ("/api/docs", "/api/docs/swagger-ui-bundle.js", "/api/docs/init.js"):
        answer = ebs.http.get(path)
        assert answer.status_code == 404, path
        assert answer.json()["code"] == "not_found"


def test_openapi_lists_development_routes_only_where_they_are_enabled(make_ebs):
    development = make_ebs().http.get("/openapi.json").json()["paths"]
    assert {"/api/e2e/prepare-pending-payout", "/api/e2e/clock"} <= set(development)
    production = make_ebs(**PRODUCTION).http.get("/openapi.json").json()["paths"]
    assert not [path for path in production if path.startswith("/api/e2e/")]
    assert set(development) - set(production) == {
        "/api/e2e/prepare-pending-payout",
        "/api/e2e/clock",
        "/api/e2e/reset",
        "/api/e2e/config",
    }
    no_harness = make_ebs(enable_e2e_harness=False).http.get("/openapi.json").json()["paths"]
    assert "/api/e2e/prepare-pending-payout" not in no_harness
    assert "/api/e2e/reset" not in no_harness
    assert "/api/e2e/config" not in no_harness
    assert "/api/e2e/clock" in no_harness  # the virtual clock is on
