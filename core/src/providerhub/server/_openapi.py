"""The API's OpenAPI 3.0 description, served at ``/openapi.json``."""

from __future__ import annotations

import functools
from typing import Any

_ERROR_CODES = {
    "400": "The request is invalid (the parameter at fault is named in `param`).",
    "401": "The gateway key is missing or wrong.",
    "404": "No installed provider serves the model.",
    "408": "The request body did not arrive in time.",
    "413": "The request body is larger than the server's limit.",
    "429": "The provider is rate limited; see `Retry-After`.",
    "502": "The provider failed to answer (including refusing the server's own credentials for it).",
    "504": "The provider did not answer in time.",
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _errors(*codes: str) -> dict[str, Any]:
    return {
        code: {"description": _ERROR_CODES[code], "content": {"application/json": {"schema": _ref("Error")}}}
        for code in codes
    }


def _number(low: float, high: float) -> dict[str, Any]:
    return {"type": "number", "minimum": low, "maximum": high, "nullable": True}


SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["message", "type", "param", "code"],
                "properties": {
                    "message": {"type": "string"},
                    "type": {"type": "string"},
                    "param": {"type": "string", "nullable": True},
                    "code": {"type": "string", "nullable": True},
                    "metadata": {"type": "object"},
                },
            }
        },
    },
    "Model": {
        "type": "object",
        "required": ["id", "object", "created", "owned_by"],
        "properties": {
            "id": {"type": "string"},
            "object": {"type": "string", "enum": ["model"]},
            "created": {"type": "integer"},
            "owned_by": {"type": "string", "description": "The name of the provider that serves it."},
        },
    },
    "ModelList": {
        "type": "object",
        "required": ["object", "data"],
        "properties": {
            "object": {"type": "string", "enum": ["list"]},
            "data": {"type": "array", "items": _ref("Model")},
        },
    },
    "TextPart": {
        "type": "object",
        "required": ["type", "text"],
        "properties": {"type": {"type": "string", "enum": ["text"]}, "text": {"type": "string"}},
    },
    "ImagePart": {
        "type": "object",
        "required": ["type", "image_url"],
        "properties": {
            "type": {"type": "string", "enum": ["image_url"]},
            "image_url": {
                "type": "object",
                "required": ["url"],
                "properties": {
                    "url": {"type": "string", "description": "A data: URI (http(s) with --allow-remote-images)."},
                    "detail": {"type": "string"},
                },
            },
        },
    },
    "Message": {
        "type": "object",
        "required": ["role", "content"],
        "additionalProperties": False,
        "properties": {
            "role": {"type": "string", "enum": ["system", "developer", "user", "assistant"]},
            "content": {
                "oneOf": [
                    {"type": "string"},
                    {"type": "array", "items": {"oneOf": [_ref("TextPart"), _ref("ImagePart")]}},
                ],
            },
            "name": {"type": "string"},
        },
    },
    "ChatRequest": {
        "type": "object",
        "required": ["model", "messages"],
        "description": "Other fields are accepted only when the provider declares them as options.",
        "properties": {
            "model": {"type": "string", "minLength": 1, "maxLength": 256},
            "messages": {"type": "array", "minItems": 1, "items": _ref("Message")},
            "stream": {"type": "boolean", "nullable": True},
            "stream_options": {
                "type": "object",
                "nullable": True,
                "properties": {"include_usage": {"type": "boolean"}},
            },
            "n": {"type": "integer", "minimum": 1, "maximum": 1, "nullable": True},
            "temperature": _number(0, 2),
            "top_p": _number(0, 1),
            "max_tokens": {"type": "integer", "minimum": 1, "nullable": True},
            "max_completion_tokens": {"type": "integer", "minimum": 1, "nullable": True},
            "stop": {
                "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}, "maxItems": 4}],
                "nullable": True,
            },
            "seed": {"type": "integer", "nullable": True},
            "presence_penalty": _number(-2, 2),
            "frequency_penalty": _number(-2, 2),
            "user": {"type": "string"},
        },
    },
    "Usage": {
        "type": "object",
        "required": ["prompt_tokens", "completion_tokens", "total_tokens"],
        "properties": {
            "prompt_tokens": {"type": "integer"},
            "completion_tokens": {"type": "integer"},
            "total_tokens": {"type": "integer"},
        },
    },
    "ChatCompletion": {
        "type": "object",
        "required": ["id", "object", "created", "model", "choices", "usage"],
        "properties": {
            "id": {"type": "string"},
            "object": {"type": "string", "enum": ["chat.completion"]},
            "created": {"type": "integer"},
            "model": {"type": "string"},
            "choices": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["index", "message", "finish_reason"],
                    "properties": {
                        "index": {"type": "integer"},
                        "message": {
                            "type": "object",
                            "required": ["role", "content"],
                            "properties": {"role": {"type": "string"}, "content": {"type": "string"}},
                        },
                        "finish_reason": {"type": "string"},
                    },
                },
            },
            "usage": {"allOf": [_ref("Usage")], "nullable": True},
        },
    },
}

_WHO = {
    "x-providerhub-provider": {"description": "The provider that answered.", "schema": {"type": "string"}},
    "x-providerhub-model": {"description": "The model id it was asked for.", "schema": {"type": "string"}},
    "x-providerhub-ignored-params": {
        "description": "Standard parameters the provider does not support, which were ignored.",
        "schema": {"type": "string"},
    },
}


def _get(
    summary: str, schema: str | None, *errors: str, parameters: list[Any] | None = None, open: bool = False
) -> dict[str, Any]:
    content = {"application/json": {"schema": _ref(schema) if schema else {"type": "object"}}}
    operation: dict[str, Any] = {
        "summary": summary,
        "responses": {"200": {"description": "OK", "content": content}, **_errors(*errors)},
    }
    if parameters:
        operation["parameters"] = parameters
    if open:
        operation["security"] = []  # no key needed
    return {"get": operation}


@functools.lru_cache(maxsize=1)
def document() -> dict[str, Any]:
    from .. import __version__

    chat = {
        "post": {
            "summary": "Answer a conversation (streamed as server-sent events with stream: true).",
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("ChatRequest")}}},
            "responses": {
                "200": {
                    "description": "The answer: a chat.completion, or chat.completion.chunk events ending in [DONE].",
                    "headers": _WHO,
                    "content": {
                        "application/json": {"schema": _ref("ChatCompletion")},
                        "text/event-stream": {"schema": {"type": "string"}},
                    },
                },
                **_errors("400", "401", "404", "408", "413", "429", "502", "504"),
            },
        }
    }
    model_id = {"name": "model", "in": "path", "required": True, "schema": {"type": "string"}}
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "providerhub",
            "version": __version__,
            "description": "An OpenAI-compatible gateway to every installed providerhub provider.",
        },
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "paths": {
            "/v1/models": _get("Every model id that resolves.", "ModelList", "401"),
            "/v1/models/{model}": _get("One model.", "Model", "401", "404", parameters=[model_id]),
            "/v1/chat/completions": chat,
            "/health": _get("Alive.", None, open=True),
            "/health/ready": _get("The registry is loaded; plugins with their errors.", None, open=True),
            "/openapi.json": _get("This description.", None, open=True),
        },
        "security": [{"bearer": []}],
    }
