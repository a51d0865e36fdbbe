"""The served OpenAPI document (generated from the views' declarations, app/api/openapi.py) is
valid, names exactly the app's routes, and describes what the service really answers."""

from __future__ import annotations

import re

import pytest
import requests
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from app.api.errors import STATUS
from app.config import Settings
from app.web import create_app
from tests.conftest import FACES
from tests.e2e.test_check_directory import url


@pytest.fixture(scope="module")
def doc(server) -> dict:
    return requests.get(f"{server.url}/openapi.json", timeout=30).json()


def routes(tmp_path) -> dict[tuple[str, str], set[str]]:
    """(OpenAPI path, method) -> path parameter names, from the Flask url_map."""
    app = create_app(Settings(state_dir=tmp_path, database_dir=tmp_path))
    found = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("ui."):
            continue  # the web UI's pages and files (app/ui): HTML for people, not the API
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        assert rule.methods is not None, f"{rule.rule}: Flask gives every rule its methods"
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            found[(path, method.lower())] = set(rule.arguments)
    return found


def schema_check(doc: dict, name: str, instance: object) -> None:
    schema = {"$ref": f"#/components/schemas/{name}", "components": doc["components"]}
    Draft202012Validator(schema).validate(instance)


def test_the_document_is_valid_openapi(doc):
    validate(doc)


def test_the_document_names_exactly_the_routes_and_their_parameters(doc, tmp_path):
    documented = {
        (path, method): {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
        for path, operations in doc["paths"].items()
        for method, op in operations.items()
    }
    assert documented == routes(tmp_path)


def test_real_answers_match_the_documented_schemas(server, doc):
    with open(FACES / "img5.jpg", "rb") as photo:
        ok = requests.post(url(server, "x.jpg"), files={"file": photo}, timeout=120)
    schema_check(doc, "Envelope", ok.json())
    bad = requests.post(url(server, "x.jpg", privacy=4), files={"file": b"x"}, timeout=30)
    schema_check(doc, "Error", bad.json())
    for route, name in [
        ("/health", "Health"),
        ("/welcome", "Welcome"),
        ("/residents?path=family", "ResidentList"),
        ("/resident-changes", "ResidentChanges"),
        ("/cameras", "CameraList"),
        ("/cameras/porch", "Camera"),
        ("/events?limit=5", "EventPage"),
    ]:
        answer = requests.get(f"{server.url}{route}", timeout=30)
        assert answer.status_code == 200, (route, answer.text)
        schema_check(doc, name, answer.json())


def test_every_described_status_names_its_error_codes_and_every_secured_route_its_401(doc):
    """The error replies are generated from app/api/errors.py's STATUS table."""
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            if op.get("security") != []:
                assert "401" in op["responses"], (path, method)
            for status, reply in op["responses"].items():
                schema = reply["content"].get("application/json", {}).get("schema")
                if schema == {"$ref": "#/components/schemas/Error"}:
                    codes = {c for c, s in STATUS.items() if s == int(status)}
                    assert codes and all(c in reply["description"] for c in codes), (path, status)
