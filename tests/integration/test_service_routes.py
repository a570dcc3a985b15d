"""Service info, probes, OpenAPI coverage and the wire rules shared by every route."""

import pytest

from mgm_core import SERVICE_NAME
from mgm_core.web import patterns


def test_root_names_the_service(ebs):
    answer = ebs.http.get("/")
    assert answer.status_code == 200
    assert answer.json()["service"] == SERVICE_NAME
    assert answer.json()["version"]


def test_health_and_readiness(ebs):
    assert ebs.http.get("/health").json()["status"] == "healthy"
    ready = ebs.http.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json()["database"] == "ok"


def test_version_echoes_configuration(make_ebs):
    ebs = make_ebs(
        version="1.2.3", minimum_desktop_version="1.0.0", release_notes_url="https://example.test/n"
    )
    body = ebs.http.get("/api/version").json()
    assert body == {
        "version": "1.2.3",
        "releaseNotesUrl": "https://example.test/n",
        "minimumDesktopVersion": "1.0.0",
        "minimumAddonVersion": None,
        "minimumExtensionVersion": None,
    }


def test_every_route_is_in_openapi(ebs):
    document = ebs.http.get("/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    served = {
        (route.method.lower(), route.resource.canonical)
        for route in ebs.app.router.routes()
        if route.method != "HEAD" and not route.resource.canonical.startswith("/api/docs")  # the page
    }
    described = {(method, path) for path, ops in document["paths"].items() for method in ops}
    assert served == described
    schemas = document["components"]["schemas"]
    for path, ops in document["paths"].items():
        for method, op in ops.items():
            assert op["summary"], (method, path)
            for answer in op["responses"].values():
                for media in answer.get("content", {}).values():
                    ref = media["schema"]["$ref"].rsplit("/", 1)[-1]
                    assert ref in schemas, (method, path, ref)


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/nope"), ("POST", "/api/nothing/here"), ("GET", "/api/payouts/not-a-uuid/events")],
)
def test_unknown_routes_are_json_404(ebs, method, path):
    answer = ebs.http.request(method, path, headers=ebs.desktop())
    assert answer.status_code == 404
    assert answer.json()["code"] == "not_found"


def test_wrong_method_is_json_405(ebs):
    answer = ebs.http.delete("/api/pool/me")
    assert answer.status_code == 405
    assert answer.json()["code"] == "method_not_allowed"
    assert "GET" in answer.headers["Allow"]


def test_oversized_body_is_json_413_and_changes_nothing(ebs):
    big = "x" * (ebs.config.max_body_bytes + 1)
    answer = ebs.http.post(
        "/api/payouts/claim",
        content=f'{{"characterName":"Norinn","enrollmentRequestId":"{big}"}}',
        headers={**ebs.bearer("42"), "Content-Type": "application/json"},
    )
    assert answer.status_code == 413
    assert answer.json()["code"] == "payload_too_large"
    assert ebs.pool_me("42") == {"isEnrolled": False, "characterName": None}


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"]
)
def test_wrong_content_type_is_json_415(ebs, content_type):
    answer = ebs.http.post(
        "/api/payouts/claim",
        content=b'{"characterName":"Norinn","enrollmentRequestId":"r1"}',
        headers={**ebs.bearer("42"), "Content-Type": content_type},
    )
    assert answer.status_code == 415
    assert answer.json()["code"] == "unsupported_media_type"
    assert ebs.pool_me("42")["isEnrolled"] is False


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"", None),
        (b"not json", None),
        (b"[1,2]", None),
        (b'{"characterName":"Norinn"}', "enrollmentRequestId"),
        (b'{"characterName":"Norinn","enrollmentRequestId":"  "}', "enrollmentRequestId"),
        (b'{"characterName":"Norinn","enrollmentRequestId":7}', "enrollmentRequestId"),
        (b'{"enrollmentRequestId":"r1"}', "characterName"),
        (b'{"characterName":5,"enrollmentRequestId":"r1"}', "characterName"),
        (b"\xff\xfe{", None),
    ],
)
def test_malformed_bodies_are_invalid_payload_naming_the_field(ebs, body, field):
    answer = ebs.http.post(
        "/api/payouts/claim", content=body, headers={**ebs.bearer("42"), "Content-Type": "application/json"}
    )
    assert answer.status_code == 400
    error = answer.json()
    assert error["code"] == "invalid_payload"
    assert set(error) == {"code", "message", "details"}
    if field:
        assert error["details"]["field"] == field
    assert ebs.pool_me("42")["isEnrolled"] is False


def test_readiness_is_503_json_when_the_database_is_gone(ebs, database_url, pg_test_databases):
    from mgm_core.testing.postgres import database_of

    assert ebs.http.get("/health/ready").status_code == 200
    pg_test_databases.drop(database_of(database_url))
    answer = ebs.http.get("/health/ready")
    assert answer.status_code == 503
    assert answer.json()["code"] == "service_unavailable"
    assert ebs.http.get("/health").status_code == 200  # liveness does not depend on the database


def test_allow_names_only_the_methods_of_the_path_itself(ebs):
    answer = ebs.http.request("OPTIONS", "/api/payouts/claim")
    assert answer.status_code == 405
    assert answer.headers["Allow"] == "POST"  # not GET/HEAD of the /api/payouts/{id} template
    payout = "/api/payouts/8d0e8c6e-1111-4222-8333-944445555666"
    assert ebs.http.request("DELETE", payout).headers["Allow"] == "GET,HEAD"


def test_openapi_states_the_constraints_handlers_enforce(ebs):
    document = ebs.http.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    name = schemas["ClaimRequest"]["properties"]["characterName"]
    assert (name["maxLength"], name["pattern"]) == (256, patterns.character_name())
    assert schemas["VerifyCandidateRequest"]["properties"]["characterName"] == name
    assert schemas["AcceptanceRequest"]["properties"]["characterName"] == name
    for schema, field in (("ClaimRequest", "enrollmentRequestId"), ("HarnessRequest", "twitchUserId")):
        identifier = schemas[schema]["properties"][field]
        assert (identifier["maxLength"], identifier["pattern"]) == (128, patterns.NOT_BLANK)
    assert schemas["ClockMove"]["oneOf"] == [{"required": ["advanceSeconds"]}, {"required": ["setUtc"]}]
    pending = document["paths"]["/api/payouts/pending"]["get"]["responses"]
    assert "Retry-After" in pending["503"]["headers"]
    assert "503" not in document["paths"]["/health"]["get"]["responses"]
