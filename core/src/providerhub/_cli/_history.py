"""``history``: the stored conversations, listed or cleared."""

from __future__ import annotations

import datetime

from providerhub import _history as history

from ._output import PROG, Context, printable, write_json, write_table
from ._status import EXIT_OK


def cmd_history(ctx: Context) -> int:
    if ctx.args.clear:
        removed = history.clear()
        ctx.err.write(
            f"{PROG}: {'the stored conversations are removed' if removed else 'no conversations are stored'}\n"
        )
        return EXIT_OK
    conversations = history.load()
    if ctx.args.json:
        listing = [
            {"id": c.id, "model": c.model, "updated": _when(c.updated), "messages": list(c.messages)}
            for c in conversations
        ]
        write_json(listing, ctx.out)
    elif not conversations:
        ctx.err.write(f"{PROG}: no conversations are stored (in {history.path()})\n")
    else:
        rows = []
        for i, c in enumerate(conversations, 1):
            first = next((m["content"] for m in c.messages if m["role"] == "user"), "")
            excerpt = printable(" ".join(str(first).split()))
            rows.append(
                (i, _when(c.updated), c.model, len(c.messages), excerpt[:60] + ("..." if len(excerpt) > 60 else ""))
            )
        write_table(("#", "UPDATED", "MODEL", "MESSAGES", "FIRST PROMPT"), rows, ctx.out)
    return EXIT_OK


def _when(timestamp: float) -> str:
    """A time stamp as UTC ISO 8601 to the second."""
    return datetime.datetime.fromtimestamp(timestamp, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
