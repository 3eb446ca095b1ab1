"""Fuzzing the API from its own OpenAPI description: no 5xx for any request, every error in OpenAI's shape.

Schemathesis generates valid and invalid requests for every operation (a few dozen each, so the
run stays well under a minute).
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.generation.modes import GenerationMode

from support.gateway import Gateway
from support.rawhttp import request

EXAMPLES = 30
MODELS = ["echo-1", "echo-vision", "plain-1", "nope"]


def openai_error(response: Any) -> bool:
    """Whether a response body is ``{"error": {"message", "type", "param", "code"}}``."""
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return False
    return (
        isinstance(error.get("message"), str)
        and bool(error["message"])
        and isinstance(error.get("type"), str)
        and all(error.get(key) is None or isinstance(error[key], str) for key in ("param", "code"))
        and {"param", "code"} <= set(error)
    )


def check(response: Any) -> None:
    assert response.status_code < 500, (response.status_code, response.text[:500])
    assert response.status_code < 400 or openai_error(response), (response.status_code, response.text[:500])


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_server_error_and_errors_in_openai_shape(gateway: Gateway, mode: GenerationMode) -> None:
    document = request(gateway.url, "GET", "/openapi.json").json()
    # steer valid requests to models that answer at once, so they reach the providers
    chat = document["components"]["schemas"]["ChatRequest"]
    chat["properties"]["model"] = {"type": "string", "enum": MODELS}
    chat["additionalProperties"] = False
    schema = schemathesis.openapi.from_dict(document)
    schema.config.update(base_url=gateway.url)
    operations = [result.ok() for result in schema.get_all_operations()]
    labels = {operation.label for operation in operations}
    assert {"POST /v1/chat/completions", "GET /v1/models", "GET /v1/models/{model}", "GET /health"} <= labels
    if mode is GenerationMode.NEGATIVE:  # only the chat route takes input that can be invalid
        operations = [operation for operation in operations if operation.label == "POST /v1/chat/completions"]
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case: Any) -> None:
            check(case.call(base_url=gateway.url, timeout=10))

        run()
