"""``chat``: one question from the arguments and stdin, its answer streamed (on a terminal with
no prompt, the interactive session instead)."""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Sequence
from typing import Any

import providerhub
from providerhub import _history as history
from providerhub.errors import ProviderHubError
from providerhub.options import convert_options

from ._answer import Request, Stream, ask
from ._listing import provider_named
from ._output import PROG, Context, isatty, not_utf8, write_json
from ._status import EXIT_OK, UsageError, describe

MAX_PROMPT_BYTES = 16 * 1024 * 1024
"""The most stdin may hold as a prompt (a document to summarize, not a data set)."""


def _stdin_text(what: str) -> str:
    """All of stdin as text, within ``MAX_PROMPT_BYTES``; not UTF-8 is a ``UsageError``."""
    if sys.stdin is None:
        raise UsageError(f"no {what} given and stdin is closed")
    try:
        text = sys.stdin.read(MAX_PROMPT_BYTES + 1)
    except UnicodeDecodeError:
        text = "\udcff"  # reported below, as undecodable bytes kept by surrogateescape are
    if not_utf8(text):
        raise UsageError("stdin is not valid UTF-8 text")
    if len(text) > MAX_PROMPT_BYTES:
        raise UsageError(f"stdin holds more than {MAX_PROMPT_BYTES:,} characters")
    return text


def _piped() -> bool:
    """Whether stdin is a pipe or a file (something is being sent), not a terminal or /dev/null."""
    try:
        mode = os.fstat(sys.stdin.fileno()).st_mode
    except (AttributeError, OSError, ValueError):
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISREG(mode)


def _read_prompt(ctx: Context) -> str:
    """The prompt: piped text then the prompt argument, or stdin alone for none or ``-``."""
    prompt: str | None = ctx.args.prompt
    if prompt is None or prompt == "-":
        if sys.stdin is not None and isatty(sys.stdin):
            ctx.err.write(f"{PROG}: reading the prompt from stdin; end it with Ctrl-D\n")
        prompt = _stdin_text("prompt")
    elif _piped():
        piped = _stdin_text("prompt").strip("\r\n")
        if piped.strip():
            prompt = f"{piped}\n\n{prompt}"
    prompt = prompt.strip("\r\n")  # the newline that ends piped text is not part of the prompt
    if not prompt.strip():
        raise UsageError("the prompt is empty")
    return prompt


def _options(pairs: Sequence[Sequence[str]] | None) -> dict[str, Any]:
    """``-o NAME VALUE`` pairs as options; a name given twice collects a list (for ``list[str]`` options)."""
    options: dict[str, Any] = {}
    for name, value in pairs or ():
        if name in options:
            previous = options[name]
            options[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            options[name] = value
    return options


def _request(ctx: Context, conversation: history.Conversation | None) -> Request:
    """Resolve the model and check everything sent with it, before any prompt is read."""
    args = ctx.args
    images: list[str] = args.image or []
    for image in images:
        providerhub.to_image(image)  # fail on an unreadable image before reaching any service
    media: providerhub.MediaListType | None = [(image, None) for image in images] or None
    model: str | None = args.model
    if model is None and conversation is not None:
        model = conversation.model if args.provider is None else conversation.model.partition("/")[2]
    if args.provider is not None:
        model = f"{provider_named(args.provider).name}/{model or ''}"
    found = providerhub.resolve(model, media=media)
    options = _options(args.options)
    for name, value in (("proxy", args.proxy), ("api_key", args.key)):
        if value is not None:
            options[name] = value
    convert_options(found.provider, options)  # an unknown or ill-typed option fails here, naming it
    _check_images(found, len(images))
    return Request(found, options, media, args.timeout)


def _takes(provider: type[providerhub.BaseProvider], images: int) -> bool:
    return provider.max_images is None or images <= provider.max_images


def _check_images(found: providerhub.Resolution, images: int) -> None:
    """Refuse more images than the provider takes, unless the router may fall back to one that takes them."""
    if _takes(found.provider, images):
        return
    hub = providerhub.default_hub()
    from providerhub._router import PINNED

    if hub.router.settings.fallback and found.match not in PINNED:
        for candidate in found.candidates[1:]:
            if _takes(hub.resolve(f"{candidate.provider}/{candidate.model}").provider, images):
                return
    limit = found.provider.max_images
    raise UsageError(
        f"provider {found.provider.name} takes at most {limit} image{'s' if limit != 1 else ''} "
        f"per request; got {images}"
    )


def first_messages(conversation: history.Conversation | None, system: str | None) -> providerhub.Messages:
    """The messages before the first new turn: the continued conversation's, with ``system`` first if given."""
    messages: providerhub.Messages = list(conversation.messages) if conversation is not None else []
    if system:
        if messages and messages[0]["role"] == "system":
            messages = messages[1:]
        messages.insert(0, {"role": "system", "content": system})
    return messages


def store(ctx: Context, conversation: history.Conversation) -> None:
    """Keep the conversation for ``chat -c``; a failure is a warning, as the answer was given."""
    if ctx.args.no_history:
        return
    try:
        history.save(conversation)
    except ProviderHubError as exc:
        ctx.err.write(f"{PROG}: warning: the conversation is not stored: {describe(exc)}\n")


def cmd_chat(ctx: Context) -> int:
    args = ctx.args
    conversation: history.Conversation | None = None
    if args.cont:
        conversation = history.last()
        if conversation is None:
            raise UsageError(f"there is no conversation to continue ({history.path()} holds none)")
    request = _request(ctx, conversation)
    if args.prompt is None and not args.json and sys.stdin is not None and isatty(sys.stdin):
        from ._session import session

        return session(ctx, request, conversation)
    prompt = _read_prompt(ctx)
    question: providerhub.Message = {"role": "user", "content": prompt}
    messages = [*first_messages(conversation, args.system), question]
    reply = ask(request, messages, Stream(ctx.out, ctx.err, quiet=args.json))
    answered: providerhub.Message = {"role": "assistant", "content": reply.text}
    stored = (conversation or history.new(reply.label))._replace(messages=())
    store(ctx, stored.add(*messages, answered, model=reply.label))
    if args.json:
        write_json(reply.as_json(), ctx.out)
    return EXIT_OK
