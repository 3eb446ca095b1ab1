"""Reading an OpenAI chat request: checking every field, and choosing what reaches the provider.

A standard OpenAI parameter that the provider does not declare as an option is ignored (and
named in a header); a field OpenAI does not define is an error unless the provider declares it.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from ._errors import ApiError, bad_request
from ._settings import Settings


class ImageRef(NamedTuple):
    """An image part of a message: its URL and where it was in the request (for errors)."""

    url: str
    param: str


class ChatRequest(NamedTuple):
    """A checked chat request: text-only messages, the images in order, and the parameters given."""

    model: str
    messages: list[dict[str, str]]
    images: list[ImageRef]
    stream: bool
    include_usage: bool
    params: dict[str, Any]
    """Standard generation parameters that were given (not null), already checked."""
    extra: dict[str, Any]
    """Fields OpenAI does not define: accepted only if the provider declares them as options."""


def _number(low: float, high: float) -> Callable[[str, Any], Any]:
    def check(name: str, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise bad_request(f"{name} must be a number, not {_shown(value)}", name, "invalid_type")
        if not low <= value <= high:
            raise bad_request(f"{name} must be between {low:g} and {high:g}, not {value!r}", name)
        return float(value)

    return check


def _integer(low: int | None = None, high: int | None = None) -> Callable[[str, Any], Any]:
    def check(name: str, value: Any) -> Any:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad_request(f"{name} must be an integer, not {_shown(value)}", name, "invalid_type")
        if (low is not None and value < low) or (high is not None and value > high):
            bounds = f"at least {low}" if high is None else f"between {low} and {high}"
            raise bad_request(f"{name} must be {bounds}, not {value!r}", name)
        return value

    return check


def _stop(name: str, value: Any) -> Any:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and len(value) <= 4 and all(isinstance(s, str) for s in value):
        return value
    raise bad_request(f"{name} must be a string or a list of up to 4 strings", name, "invalid_type")


def _of(kind: type, what: str) -> Callable[[str, Any], Any]:
    def check(name: str, value: Any) -> Any:
        if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
            return value
        raise bad_request(f"{name} must be {what}, not {_shown(value)}", name, "invalid_type")

    return check


def _any(name: str, value: Any) -> Any:
    return value


STANDARD: dict[str, Callable[[str, Any], Any]] = {
    "temperature": _number(0, 2),
    "top_p": _number(0, 1),
    "max_tokens": _integer(1),
    "max_completion_tokens": _integer(1),
    "stop": _stop,
    "seed": _integer(),
    "presence_penalty": _number(-2, 2),
    "frequency_penalty": _number(-2, 2),
    "logit_bias": _of(dict, "an object"),
    "logprobs": _of(bool, "a boolean"),
    "top_logprobs": _integer(0, 20),
    "response_format": _of(dict, "an object"),
    "user": _of(str, "a string"),
    "metadata": _of(dict, "an object"),
    "store": _of(bool, "a boolean"),
    "service_tier": _of(str, "a string"),
    "reasoning_effort": _of(str, "a string"),
    "verbosity": _of(str, "a string"),
    "modalities": _of(list, "a list"),
    "parallel_tool_calls": _of(bool, "a boolean"),
    "prompt_cache_key": _of(str, "a string"),
    "safety_identifier": _of(str, "a string"),
    "prediction": _any,
    "audio": _any,
    "web_search_options": _any,
}
"""The standard OpenAI parameters passed on as options when a provider declares them."""

SAME = {"max_tokens": "max_completion_tokens", "max_completion_tokens": "max_tokens"}
"""Parameters that mean the same thing: either reaches a provider that declares the other."""

UNSUPPORTED = ("tools", "tool_choice", "functions", "function_call")
RESERVED = frozenset({"proxy", "media", "timeout", "api_key", "api_base", "api_endpoint", "base_url", "session"})
"""Keywords that say where and how a provider connects: never taken from a request, whatever it declares."""
HANDLED = ("model", "messages", "stream", "stream_options", "n")
ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant"}
MESSAGE_KEYS = ("role", "content", "name", "refusal")


def _shown(value: Any) -> str:
    kind = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}
    return kind.get(type(value), f"{type(value).__name__} {value!r:.40}")


_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")


def depth(value: Any) -> int:
    """The deepest nesting of objects and arrays in a parsed JSON value."""
    deepest, level = 0, [(value, 1)]
    while level:
        item, d = level.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, d)
            level.extend((child, d + 1) for child in item if isinstance(child, (dict, list)))
    return deepest


def parse_json(body: bytes, settings: Settings) -> Any:
    """The request body as JSON, nested at most ``max_depth`` deep."""
    if not body.strip():
        raise bad_request("the request body is empty; send a JSON object", None, "invalid_json")
    try:
        value = json.loads(body)
    except RecursionError:
        raise _too_deep(settings) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise bad_request(f"the request body is not valid JSON: {exc}", None, "invalid_json") from None
    if _SURROGATE.search(body):  # an escaped surrogate: valid JSON, but only as half of a pair
        try:
            json.dumps(value, ensure_ascii=False).encode()
        except UnicodeEncodeError:
            raise bad_request(
                "the request body holds a lone UTF-16 surrogate (\\ud800-\\udfff), which is not text",
                None,
                "invalid_json",
            ) from None
    # fewer brackets than the limit cannot nest deeper than it: skip the walk for most bodies
    if body.count(b"[") + body.count(b"{") > settings.max_depth and depth(value) > settings.max_depth:
        raise _too_deep(settings)
    return value


def _too_deep(settings: Settings) -> ApiError:
    return bad_request(f"the request body is nested more than {settings.max_depth} levels deep", None, "invalid_json")


def _content(content: Any, where: str, images: list[ImageRef], settings: Settings) -> str:
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        raise bad_request(f"{where} must be a string or a list of content parts, not {_shown(content)}", where)
    texts = []
    for j, part in enumerate(content):
        at = f"{where}[{j}]"
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text" and isinstance(part.get("text"), str):
            texts.append(part["text"])
        elif kind == "image_url":
            image = part.get("image_url")
            url = image.get("url") if isinstance(image, dict) else image
            if not isinstance(url, str) or not url:
                raise bad_request(f"{at}.image_url.url must be a non-empty string", f"{at}.image_url.url")
            if len(images) >= settings.max_images:
                raise bad_request(f"a request may hold at most {settings.max_images} images", at)
            images.append(ImageRef(url, f"{at}.image_url.url"))
        elif isinstance(kind, str) and kind not in ("text", "image_url"):
            raise bad_request(
                f"{at}.type {kind!r:.40} is not supported: use 'text' or 'image_url'", f"{at}.type", "unsupported_value"
            )
        else:
            raise bad_request(
                f"{at} must be {{'type': 'text', 'text': ...}} or {{'type': 'image_url', 'image_url': {{'url': ...}}}}",
                at,
            )
    return "\n".join(texts)


def _messages(value: Any, settings: Settings) -> tuple[list[dict[str, str]], list[ImageRef]]:
    if not isinstance(value, list):
        raise bad_request(f"messages must be a list of messages, not {_shown(value)}", "messages", "invalid_type")
    if not value:
        raise bad_request("messages is empty: give at least one message", "messages")
    if len(value) > settings.max_messages:
        raise bad_request(f"messages holds {len(value)} messages; at most {settings.max_messages}", "messages")
    messages: list[dict[str, str]] = []
    images: list[ImageRef] = []
    for i, message in enumerate(value):
        where = f"messages[{i}]"
        if not isinstance(message, dict):
            raise bad_request(f"{where} must be an object with 'role' and 'content'", where, "invalid_type")
        role = message.get("role")
        if role in ("tool", "function"):
            raise bad_request(f"{where}.role {role!r}: tools are not supported", f"{where}.role", "unsupported_value")
        if not isinstance(role, str) or role not in ROLES:
            raise bad_request(
                f"{where}.role must be 'system', 'developer', 'user' or 'assistant', not {role!r:.40}", f"{where}.role"
            )
        for key, item in message.items():
            if key in ("tool_calls", "function_call", "tool_call_id") and item is not None:
                raise bad_request(f"{where}.{key}: tools are not supported", f"{where}.{key}", "unsupported_parameter")
            if key not in MESSAGE_KEYS and item is not None:
                raise bad_request(
                    f"{where}.{key:.40} is not a message field", f"{where}.{key:.40}", "unknown_parameter"
                )
        if "content" not in message:
            raise bad_request(f"{where} has no 'content'", f"{where}.content", "missing_required_parameter")
        content = message["content"]
        if content is None and role == "assistant":
            content = ""
        text = _content(content, f"{where}.content", images, settings)
        messages.append({"role": ROLES[role], "content": text})
    return messages, images


def parse_chat(body: Any, settings: Settings) -> ChatRequest:
    """Check a ``/v1/chat/completions`` body; any fault is a 400 naming the parameter."""
    if not isinstance(body, dict):
        raise bad_request(f"the request body must be a JSON object, not {_shown(body)}", None, "invalid_type")
    fields = {key: value for key, value in body.items() if value is not None}
    model = fields.get("model")
    if model is None:
        raise bad_request("model is required", "model", "missing_required_parameter")
    if not isinstance(model, str) or not model.strip() or len(model) > 256:
        raise bad_request("model must be a non-empty string of at most 256 characters", "model", "invalid_type")
    if "messages" not in fields:
        raise bad_request("messages is required", "messages", "missing_required_parameter")
    messages, images = _messages(fields["messages"], settings)
    stream = fields.get("stream", False)
    if not isinstance(stream, bool):
        raise bad_request(f"stream must be a boolean, not {_shown(stream)}", "stream", "invalid_type")
    include_usage = False
    if "stream_options" in fields:
        options = fields["stream_options"]
        if not stream:
            raise bad_request("stream_options is only allowed when stream is true", "stream_options")
        if not isinstance(options, dict):
            raise bad_request("stream_options must be an object", "stream_options", "invalid_type")
        usage = options.get("include_usage", False)
        if not isinstance(usage, bool):
            raise bad_request("stream_options.include_usage must be a boolean", "stream_options.include_usage")
        include_usage = usage
    if "n" in fields and _integer(1)("n", fields["n"]) != 1:
        raise bad_request("n greater than 1 is not supported: ask once per answer", "n", "unsupported_value")
    for name in UNSUPPORTED:
        value = fields.get(name)
        if value not in (None, [], "none"):
            raise bad_request(f"{name}: tools are not supported by this server", name, "unsupported_parameter")
    params: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for name, value in fields.items():
        if name in HANDLED or name in UNSUPPORTED:
            continue
        check = STANDARD.get(name)
        if check is not None:
            params[name] = check(name, value)
        else:
            extra[name] = value
    return ChatRequest(model, messages, images, stream, include_usage, params, extra)


_KINDS: dict[Any, str] = {int: "an integer", float: "a number", str: "a string", bool: "a boolean"}


def _convert(name: str, value: Any, kind: Any) -> Any:
    """A parameter's value in the type the provider declares it with, or a 400 naming it."""
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if kind is str and isinstance(value, list) and len(value) == 1:
        value = value[0]
    if kind == list[str] and isinstance(value, str):
        return [value]
    if kind == list[str]:
        ok = isinstance(value, list) and all(isinstance(item, str) for item in value)
    elif kind in _KINDS:
        ok = isinstance(value, kind) and (kind is bool or not isinstance(value, bool))
    else:
        ok = True  # a type the server does not know: the call API checks it
    if not ok:
        what = "a list of strings" if kind == list[str] else _KINDS[kind]
        raise bad_request(f"{name} must be {what} for this model's provider, not {_shown(value)}", name, "invalid_type")
    return value


def provider_options(chat: ChatRequest, declared: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The options to pass to a provider declaring ``declared``, and the standard parameters it ignores."""
    options: dict[str, Any] = {}
    ignored: list[str] = []
    for name, value in chat.params.items():
        if name in declared:
            options[name] = _convert(name, value, declared[name])
    for name, value in chat.params.items():
        twin = SAME.get(name)
        if name in declared:
            continue
        if twin is not None and twin in declared and twin not in options:
            options[twin] = _convert(name, value, declared[twin])
        else:
            ignored.append(name)
    for name, value in chat.extra.items():
        if name in RESERVED:
            raise bad_request(f"{name} cannot be set in a request", name, "unsupported_parameter")
        if name not in declared:
            raise bad_request(f"unknown parameter: {name:.60}", name[:60], "unknown_parameter")
        options[name] = _convert(name, value, declared[name])
    return options, ignored
