"""``check``: the contract kit's checks on the installed plugins."""

from __future__ import annotations

from ._output import PROG, Context, write_json, write_table
from ._status import EXIT_OK, EXIT_UNEXPECTED


def cmd_check(ctx: Context) -> int:
    """The contract kit's checks; ``providerhub.testing`` is imported only by this command."""
    from providerhub.testing._installed import check_installed

    rows = check_installed(ctx.args.targets)
    if ctx.args.json:
        write_json([row._asdict() for row in rows], ctx.out)
    elif rows:
        write_table(("PLUGIN", "PROVIDER", "CHECK", "RESULT", "REASON"), rows, ctx.out)
    counts = {outcome: sum(row.outcome == outcome for row in rows) for outcome in ("passed", "failed", "skipped")}
    if not rows:
        ctx.err.write(f"{PROG}: no plugins are installed, nothing to check\n")
    elif not ctx.args.json:
        ctx.err.write(f"{PROG}: {len(rows)} checks: " + ", ".join(f"{n} {k}" for k, n in counts.items()) + "\n")
    return EXIT_UNEXPECTED if counts["failed"] else EXIT_OK
