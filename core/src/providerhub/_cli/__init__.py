"""The providerhub command line: list what is installed, show how a model name resolves, chat,
keep keys and conversations.

Only the console script (and ``python -m providerhub``) imports this package, so ``import
providerhub`` stays free of it. It uses the standard library alone, and a command imports only its
own module: listing and resolving start without what chatting or serving needs.

Here: ``main`` and the dispatch. ``_quick`` parses the plainest invocations without argparse,
``_parser`` the rest; ``_output`` writes, ``_status`` maps errors to exit codes, ``_help`` holds the
help's texts; then one module per command or group: ``_listing``, ``_chat`` (its answer in
``_answer``, the interactive session in ``_session``), ``_keys``, ``_history``, ``_config``,
``_serve``, ``_check``.

``--json`` output is stable: the keys of each command's objects are listed in ``_help.JSON_KEYS``
(also shown by ``providerhub --help``). Exit codes are in ``_help.EXIT_CODES`` (and ``--help``).
"""

from __future__ import annotations

import io
import os
import sys
import warnings

from providerhub.errors import PluginLoadWarning

from ._output import (
    CONTROL_IN_ANSWER,
    PROG,
    Context,
    Output,
    OutputError,
    Warnings,
    not_utf8,
    printable,
    quiet_stdout,
)
from ._quick import quick
from ._status import (
    EXIT_INTERRUPTED,
    EXIT_OUTPUT,
    EXIT_PIPE,
    EXIT_TERMINATED,
    EXIT_UNEXPECTED,
    EXIT_USAGE,
    Terminated,
    describe,
    exit_code,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any, TextIO

__all__ = ["main"]


def _not_utf8(values: dict[str, object]) -> str | None:
    """The first argument that was not valid UTF-8 (Python keeps its bytes as lone surrogates), shown safely."""
    for value in values.values():
        if isinstance(value, str) and not value.isascii() and not_utf8(value):
            return ascii(value.encode("utf-8", "surrogateescape"))[2:-1][:80]
    return None


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _command(ctx: Context) -> Callable[[Context], int]:
    """The function that runs the command: ``--version``, or the subcommand's, from its own module."""
    if ctx.args.version:
        from ._listing import cmd_version

        return cmd_version
    module, _, name = str(ctx.args.run).partition(":")
    # __import__, not importlib.import_module: importing importlib would cost every command its start
    command: Callable[[Context], int] = getattr(__import__(f"{__name__}.{module}", fromlist=[name]), name)
    return command


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    err: TextIO = sys.stderr if sys.stderr is not None else open(os.devnull, "w")  # noqa: SIM115
    if sys.stderr is None:
        sys.stderr = err  # argparse writes there
    arguments = sys.argv[1:] if argv is None else list(argv)
    args: Any = quick(arguments)
    if args is None:
        from ._parser import parser

        top = parser(arguments)
        try:
            args = top.parse_args(arguments)
        except SystemExit as exc:  # --help printed, or a usage error (one line on stderr)
            return exc.code if isinstance(exc.code, int) else EXIT_USAGE
        if not args.version and args.command is None:
            top.print_help(err)
            return EXIT_USAGE
    stdout = sys.stdout
    bad = _not_utf8(vars(args))
    if bad is not None:
        err.write(f"{PROG}: error: an argument is not valid UTF-8: {bad}\n")
        return EXIT_USAGE
    if stdout is None:
        err.write(f"{PROG}: error: cannot write the output: stdout is closed\n")
        return EXIT_OUTPUT
    if isinstance(stdout, io.TextIOWrapper):
        stdout.reconfigure(errors="replace")  # an answer the terminal cannot encode is still shown
    out: TextIO = Output(stdout)  # type: ignore[assignment]
    debug = bool(getattr(args, "debug", False)) or _env_flag("PROVIDERHUB_DEBUG")
    ctx = Context(args, out, err, Warnings(err))
    with warnings.catch_warnings():
        if not debug:
            warnings.simplefilter("ignore")
            warnings.simplefilter("always", PluginLoadWarning)
            warnings.showwarning = ctx.warnings.show
        try:
            code = int(_command(ctx)(ctx))
            out.flush()  # a full stdout fails here, not in the interpreter's last flush
            return code
        except KeyboardInterrupt:
            return EXIT_INTERRUPTED
        except Terminated:
            return EXIT_TERMINATED
        except OutputError as exc:
            quiet_stdout(stdout)
            if isinstance(exc.error, BrokenPipeError):
                return EXIT_PIPE  # the reader went away (``| head``): nothing to say, nobody to say it to
            reason = getattr(exc.error, "strerror", None) or str(exc.error) or type(exc.error).__name__
            err.write(f"{PROG}: error: cannot write the output: {printable(reason)}\n")
            return EXIT_OUTPUT
        except Exception as exc:
            if debug:
                import traceback

                from providerhub.http import redact

                err.write(printable(redact("".join(traceback.format_exception(exc))), CONTROL_IN_ANSWER))
            code = exit_code(exc)
            hint = " (run with --debug for the traceback)" if code == EXIT_UNEXPECTED and not debug else ""
            err.write(f"{PROG}: error: {describe(exc)}{hint}\n")
            err.flush()
            return code
