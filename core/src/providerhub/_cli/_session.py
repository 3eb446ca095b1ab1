"""The interactive chat on a terminal: turn by turn, each turn sending the whole conversation."""

from __future__ import annotations

import contextlib
import sys

import providerhub
from providerhub import _history as history
from providerhub.errors import ProviderHubError

from ._answer import Request, Stream, ask
from ._chat import first_messages, store
from ._output import PROG, Context, isatty, not_utf8
from ._status import EXIT_OK, describe

EXIT_WORDS = ("!exit", "!quit")


def _read_turn(ctx: Context) -> str | None:
    """The next line typed, ``None`` at the end (Ctrl-D or ``!exit``); Ctrl-C at the prompt starts a new line."""
    while True:
        try:
            if isatty(sys.stdout):
                with contextlib.suppress(ImportError):
                    import readline  # noqa: F401 - line editing and recall for input()
                line = input("> ")
            else:
                ctx.err.write("> ")
                ctx.err.flush()
                line = sys.stdin.readline()
                if not line:
                    raise EOFError
        except EOFError:
            ctx.err.write("\n")
            return None
        except KeyboardInterrupt:
            ctx.err.write("\n(type !exit or press Ctrl-D to leave)\n")
            continue
        except UnicodeDecodeError:
            line = "\udcff"
        if not_utf8(line):
            ctx.err.write(f"{PROG}: error: that line is not valid UTF-8 text\n")
            continue
        line = line.rstrip("\r\n")
        if line.strip() in EXIT_WORDS:
            return None
        if line.strip():
            return line


def session(ctx: Context, request: Request, conversation: history.Conversation | None) -> int:
    """Chat turn by turn, each turn sending the whole conversation; stored after every answer."""
    messages = first_messages(conversation, ctx.args.system)
    found = request.found
    stored = conversation or history.new(f"{found.provider.name}/{found.model}")
    continued = f", continuing a conversation of {len(messages)} messages" if conversation else ""
    ctx.err.write(
        f"Chatting with {found.provider.name}/{found.model}{continued}. "
        "Type !exit or press Ctrl-D to leave; Ctrl-C cancels an answer.\n"
    )
    while (line := _read_turn(ctx)) is not None:
        turn: providerhub.Messages = [*messages, {"role": "user", "content": line}]
        stream = Stream(ctx.out, ctx.err)
        try:
            reply = ask(request, turn, stream)
        except KeyboardInterrupt:
            ctx.err.write("(answer cancelled)\n")
            continue
        except ProviderHubError as exc:  # the turn is dropped; the conversation goes on
            ctx.err.write(f"{PROG}: error: {describe(exc)}\n")
            continue
        request = request._replace(media=None)  # images go with the first turn only
        messages = [*turn, {"role": "assistant", "content": reply.text}]
        stored = stored._replace(messages=()).add(*messages, model=reply.label)
        store(ctx, stored)
    return EXIT_OK
