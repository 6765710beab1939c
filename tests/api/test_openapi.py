"""The OpenAPI document, the offline reference page, and auth on every route."""

import json
import re

import pytest

from .conftest import URL

ROUTES = {
    ("get", "/api/v1/mentions"),
    ("post", "/api/v1/mentions"),
    ("get", "/api/v1/mentions/{mention_id}"),
    ("get", "/api/v1/mentions/{mention_id}/replies"),
    ("post", "/api/v1/mentions/{mention_id}/replies"),
    ("get", "/api/v1/channels"),
    ("get", "/api/v1/topics"),
    ("post", "/api/v1/topics"),
    ("get", "/api/v1/topics/{topic_id}"),
    ("patch", "/api/v1/topics/{topic_id}"),
    ("delete", "/api/v1/topics/{topic_id}"),
    ("get", "/api/v1/topics/{topic_id}/queries"),
    ("post", "/api/v1/topics/{topic_id}/queries"),
    ("post", "/api/v1/queries/check"),
    ("get", "/api/v1/queries/{query_id}"),
    ("patch", "/api/v1/queries/{query_id}"),
    ("delete", "/api/v1/queries/{query_id}"),
    ("get", "/api/v1/queries/{query_id}/versions"),
    ("post", "/api/v1/queries/{query_id}/versions/{number}/restore"),
    ("post", "/api/v1/topics/{topic_id}/backfill"),
    ("get", "/api/v1/backfills/{backfill_id}"),
    ("get", "/api/v1/topics/{topic_id}/mentions"),
    ("get", "/api/v1/share-of-voice"),
    ("get", "/api/v1/cases"),
    ("get", "/api/v1/cases/{case_id}"),
    ("patch", "/api/v1/cases/{case_id}"),
    ("post", "/api/v1/cases/{case_id}/notes"),
    ("post", "/api/v1/cases/{case_id}/goodwill"),
    ("get", "/api/v1/approvals"),
    ("post", "/api/v1/approvals/{approval_id}/decision"),
    ("get", "/api/v1/ideas"),
    ("post", "/api/v1/ideas"),
    ("get", "/api/v1/ideas/{idea_id}"),
    ("patch", "/api/v1/ideas/{idea_id}"),
    ("post", "/api/v1/cases/{case_id}/ideas"),
    ("delete", "/api/v1/cases/{case_id}/ideas/{idea_id}"),
}
OPERATION_IDS = {
    "listMentions", "getMention", "ingestMentions",
    "listReplies", "sendReply", "listChannelAccounts",
    "listTopics", "createTopic", "getTopic", "updateTopic", "deleteTopic",
    "listQueries", "createQuery", "checkQuery", "getQuery", "updateQuery", "deleteQuery",
    "listQueryVersions", "restoreQueryVersion", "startBackfill", "getBackfill",
    "listTopicMentions", "shareOfVoice",
    "listCases", "getCase", "updateCase", "addCaseNote", "grantGoodwill", "listApprovals",
    "decideApproval", "listIdeas", "createIdea", "getIdea", "updateIdea", "linkCaseToIdea",
    "unlinkCaseFromIdea",
}  # fmt: skip


@pytest.fixture
def schema(client, db):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    return response.json()


def operations(schema):
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            yield method, path, op


def test_the_document_lists_the_routes(schema):
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Panal API"
    assert {(m, p) for m, p, _ in operations(schema)} == ROUTES
    ids = {op["operationId"] for _, _, op in operations(schema)}
    assert ids == OPERATION_IDS


def test_every_route_in_the_schema_requires_auth(schema):
    schemes = set(schema["components"]["securitySchemes"])
    assert schemes == {"TokenAuth", "SessionAuth"}
    for method, path, op in operations(schema):
        assert op.get("security"), f"{method} {path} declares no security"
        assert {name for req in op["security"] for name in req} <= schemes
        assert "401" in op["responses"], f"{method} {path} does not document 401"


def test_every_route_in_the_schema_answers_401_to_strangers(schema, client):
    for method, path, _ in operations(schema):
        url = re.sub(r"\{[^}]+\}", "1", path)
        response = getattr(client, method)(url, {}, content_type="application/json")
        assert response.status_code == 401, f"{method} {url}"
        assert response.json()["detail"]


def test_ids_are_documented_as_strings(schema):
    out = schema["components"]["schemas"]["MentionOut"]["properties"]
    assert out["id"]["type"] == "string"
    ingest = schema["components"]["schemas"]["IngestOut"]["properties"]
    assert ingest["ids"]["additionalProperties"]["type"] == "string"


def test_the_ingest_body_documents_the_item_and_the_limit(schema):
    mentions = schema["components"]["schemas"]["IngestIn"]["properties"]["mentions"]
    assert mentions["maxItems"] == 1000
    item = mentions["items"]
    assert item["required"] == ["external_id"]
    assert {"text", "author", "event", "created_at", "raw"} <= set(item["properties"])
    assert set(item["properties"]["event"]["enum"]) == {"created", "edited", "deleted"}


def test_every_reference_resolves(schema):
    text = json.dumps(schema)
    refs = set(re.findall(r'"\$ref": "([^"]+)"', text))
    assert refs
    for ref in refs:
        assert ref.startswith("#/components/schemas/"), ref
        assert ref.rsplit("/", 1)[1] in schema["components"]["schemas"], ref


def test_reference_page_loads_swagger_from_the_package_not_a_cdn(client, db):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.content.decode()
    assert "cdn" not in html.lower() and "https://" not in html
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert len(assets) == 4
    for asset in assets:
        assert asset.startswith("/api/v1/docs/assets/")
        response = client.get(asset)
        assert response.status_code == 200, asset
        assert b"".join(response.streaming_content)
    settings = json.loads(re.search(r'id="swagger-settings"[^>]*>(.*?)</script>', html, re.S)[1])
    assert settings["url"] == "/api/v1/openapi.json"


@pytest.mark.parametrize("name", ["../../../../etc/passwd", "swagger.html", "..%2F__init__.py"])
def test_only_the_listed_assets_are_served(client, db, name):
    assert client.get(f"/api/v1/docs/assets/{name}").status_code == 404


def test_errors_are_json_everywhere(api_for, client):
    for response in (
        client.get(URL),
        api_for("advocate").get(URL),
        api_for("agent").get(f"{URL}/1"),
        api_for("agent").get(URL, {"limit": 0}),
    ):
        assert response["Content-Type"].startswith("application/json")
        assert isinstance(response.json()["detail"], str | list)
