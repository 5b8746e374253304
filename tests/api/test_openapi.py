"""The OpenAPI document: every route DESIGN lists, request examples, problem+json errors, both auth schemes."""

from __future__ import annotations

from typing import Any

from tradedock.api.app import create_app

DESIGN_ROUTES = {
    ("get", "/exchanges"),
    ("post", "/connections"),
    ("get", "/connections"),
    ("get", "/connections/{connection_id}"),
    ("post", "/connections/{connection_id}/check"),
    ("put", "/connections/{connection_id}/credentials"),
    ("delete", "/connections/{connection_id}"),
    ("get", "/connections/{connection_id}/balances"),
    ("get", "/connections/{connection_id}/history"),
    ("get", "/connections/{connection_id}/fixes"),
    ("post", "/connections/{connection_id}/fixes/{fix_id}"),
    ("get", "/events"),
    ("get", "/audit"),
    ("post", "/webhooks"),
    ("get", "/webhooks"),
    ("delete", "/webhooks/{webhook_id}"),
    ("get", "/health"),
    ("post", "/auth/login"),
    ("post", "/auth/logout"),
    ("get", "/me"),
    ("post", "/tokens"),
    ("get", "/tokens"),
    ("delete", "/tokens/{token_id}"),
}


def _resolve(schema: dict[str, Any], ref: str) -> dict[str, Any]:
    node: Any = schema
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    result: dict[str, Any] = node
    return result


def test_the_document_lists_every_route_with_examples_and_problem_errors() -> None:
    schema = create_app().openapi()  # building the document opens nothing
    operations = {(m, p.removeprefix("/api/v1")) for p, item in schema["paths"].items() for m in item}
    assert DESIGN_ROUTES <= operations
    assert {"HTTPBearer", "APIKeyCookie"} <= set(schema["components"]["securitySchemes"])
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            body = operation.get("requestBody")
            if body is not None:
                described = body["content"]["application/json"]["schema"]
                if "$ref" in described:  # a model; the signal webhook documents its body inline (it reads it itself)
                    described = _resolve(schema, described["$ref"])
                assert "example" in described, (method, path)
            errors = {code: r for code, r in operation["responses"].items() if int(code) >= 400}
            if path.endswith("openapi.json") or path.endswith("/docs"):
                continue
            assert "401" in errors and "422" in errors, (method, path)
            for code, response in errors.items():
                assert list(response["content"]) == ["application/problem+json"], (method, path, code)
                assert response["content"]["application/problem+json"]["schema"]["$ref"].endswith("/Problem")
    assert "example" in schema["components"]["schemas"]["Problem"]
