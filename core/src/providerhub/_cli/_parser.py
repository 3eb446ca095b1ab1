"""The arguments: argparse, building in full only the subcommand named (a start costs one verb's
parser, not every one, and ``serve``'s flags are imported only for ``serve``)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from providerhub.errors import OptionsError
from providerhub.http import proxy_url, timeout_seconds

from ._help import EPILOG
from ._output import PROG
from ._status import EXIT_USAGE


class Parser(argparse.ArgumentParser):
    """argparse, but its errors are one ``providerhub: error:`` line with the usual exit code 2,
    and its formatter is ``Formatter`` unless another is given."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        hint = f" (see '{self.prog} --help')"
        self.exit(EXIT_USAGE, f"{PROG}: error: {message}{hint}\n")


class Formatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the epilog's layout, and a help column wide enough for every command name."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=28, width=_columns() - 2)
        self._action_max_length = 16  # argparse undercounts the indented command names


def _columns() -> int:
    """The terminal's width as ``shutil.get_terminal_size`` gives it, without importing shutil (argparse
    makes a formatter for every argument added: importing shutil there costs every command its start)."""
    try:
        columns = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns if sys.__stdout__ else 0
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


def _seconds(text: str) -> float:
    try:
        return timeout_seconds(float(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite, positive number of seconds") from None


def _proxy(text: str) -> str:
    try:
        return proxy_url(text)
    except OptionsError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _add(commands: Any, name: str, *, as_json: bool = False, **kwargs: Any) -> Parser:
    """A subcommand's parser with the options every one takes: ``--debug``, and ``--json`` for the
    listing ones (added here rather than by parent parsers, each of which costs a start its making)."""
    command: Parser = commands.add_parser(name, **kwargs)
    # SUPPRESS keeps a subcommand's absent --debug from overriding one given before it
    command.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks")
    if as_json:
        command.add_argument("--json", action="store_true", help="print JSON (keys: see 'providerhub --help')")
    return command


def _plugins(commands: Any) -> None:
    plugins = _add(commands, "plugins", as_json=True, help=HELP["plugins"])
    plugins.set_defaults(run="_listing:cmd_plugins")


def _providers(commands: Any) -> None:
    providers = _add(commands, "providers", as_json=True, help=HELP["providers"])
    providers.set_defaults(run="_listing:cmd_providers")


def _models(commands: Any) -> None:
    models = _add(commands, "models", as_json=True, help=HELP["models"])
    models.add_argument("--provider", metavar="NAME", help="only this provider's models")
    models.add_argument("--vision", action="store_true", help="only models that take images")
    models.add_argument("--options", action="store_true", help="show the options each model's provider takes")
    models.set_defaults(run="_listing:cmd_models")


def _resolve(commands: Any) -> None:
    resolve = _add(commands, "resolve", as_json=True, help=HELP["resolve"])
    resolve.add_argument("model", metavar="MODEL", help="a model id, alias, provider name or PROVIDER/MODEL")
    resolve.add_argument("--image", metavar="PATH", help="resolve as for a request with an image (vision)")
    resolve.set_defaults(run="_listing:cmd_resolve")


def _chat(commands: Any) -> None:
    chat = _add(
        commands,
        "chat",
        help=HELP["chat"],
        description=(
            "Ask a model and stream its answer to stdout. Piped text is sent first, then the prompt; "
            "with no prompt (or '-') stdin alone is the prompt. On a terminal with no prompt and "
            "nothing piped, an interactive session starts."
        ),
        epilog=EPILOG.split("\n\n", 1)[1],
        formatter_class=Formatter,
    )
    chat.add_argument(
        "-m",
        "--model",
        metavar="MODEL",
        help="model id, alias or provider name (default: the default model)",
    )
    chat.add_argument("prompt", nargs="?", metavar="PROMPT", help="the prompt; '-' or omitted: read stdin")
    chat.add_argument("--system", metavar="TEXT", help="a system message sent before the prompt")
    chat.add_argument(
        "-o",
        "--option",
        nargs=2,
        action="append",
        dest="options",
        metavar=("NAME", "VALUE"),
        help="an option for the provider, repeatable (see 'providerhub models --options')",
    )
    chat.add_argument("--image", action="append", metavar="PATH", help="an image to send, repeatable")
    chat.add_argument("--provider", metavar="NAME", help="use this provider (resolves NAME/MODEL)")
    chat.add_argument("--key", metavar="KEY", help="the provider's key (default: the stored key, then its variable)")
    chat.add_argument(
        "--proxy", metavar="URL", type=_proxy, help="proxy for the provider's requests (default: $HTTPS_PROXY ...)"
    )
    chat.add_argument(
        "--timeout", metavar="SECONDS", type=_seconds, help="seconds the provider may take (passed to it as timeout=)"
    )
    chat.add_argument("-c", "--continue", dest="cont", action="store_true", help="continue the last conversation")
    chat.add_argument("--no-history", action="store_true", help="do not store this conversation")
    chat.add_argument("--json", action="store_true", help="print one JSON object at the end instead of streaming")
    chat.set_defaults(run="_chat:cmd_chat")


def _keys(commands: Any) -> None:
    keys = _add(
        commands,
        "keys",
        help=HELP["keys"],
        description=(
            "Store providers' keys in a private file (mode 0600). A provider's key is the one given "
            "(--key), else the stored one, else its environment variable."
        ),
    )
    key_actions = keys.add_subparsers(dest="action", metavar="ACTION", parser_class=Parser, required=True)
    key_set = _add(key_actions, "set", help="store a key, read without echo (or from stdin)")
    key_set.add_argument("name", metavar="NAME", help="the provider's name")
    key_set.set_defaults(run="_keys:cmd_keys_set")
    key_list = _add(key_actions, "list", as_json=True, help="the providers keys are stored for")
    key_list.set_defaults(run="_keys:cmd_keys_list")
    key_path = _add(key_actions, "path", help="where the key file is")
    key_path.set_defaults(run="_keys:cmd_keys_path")
    key_remove = _add(key_actions, "remove", help="remove a provider's stored key")
    key_remove.add_argument("name", metavar="NAME", help="the provider's name")
    key_remove.set_defaults(run="_keys:cmd_keys_remove")


def _config(commands: Any) -> None:
    config = _add(commands, "config", as_json=True, help=HELP["config"])
    config.set_defaults(run="_config:cmd_config")


def _history(commands: Any) -> None:
    conversations = _add(commands, "history", as_json=True, help=HELP["history"])
    conversations.add_argument("--clear", action="store_true", help="remove every stored conversation")
    conversations.set_defaults(run="_history:cmd_history")


def _serve(commands: Any) -> None:
    """``serve``: its flags live with the server (a standard-library module; aiohttp is imported to run it)."""
    from providerhub.server._settings import add_arguments

    serve = _add(
        commands,
        "serve",
        help=HELP["serve"],
        description="Serve every installed provider over OpenAI's chat API, at http://HOST:PORT/v1 "
        "(needs the server extra: pip install 'providerhub[server]'). SIGTERM or Ctrl-C stops it gracefully.",
    )
    add_arguments(serve)
    serve.set_defaults(run="_serve:cmd_serve")


def _check(commands: Any) -> None:
    check = _add(
        commands,
        "check",
        as_json=True,
        help=HELP["check"],
        description="Run the providerhub.testing checks on installed plugins, offline (calls go to a loopback "
        "stand-in server). Exit 0 only when no check failed.",
    )
    check.add_argument("targets", nargs="*", metavar="PLUGIN_OR_PROVIDER", help="what to check (default: everything)")
    check.set_defaults(run="_check:cmd_check")


HELP = {
    "plugins": "installed plugins and their errors",
    "providers": "registered providers",
    "models": "models, by id then preference",
    "resolve": "which provider answers a model name",
    "chat": "ask a model and stream its answer",
    "keys": "store providers' keys",
    "config": "the effective configuration: files, variables, state",
    "history": "stored conversations ('chat -c' continues the last)",
    "serve": "serve the OpenAI-compatible HTTP API (needs providerhub[server])",
    "check": "run the provider checks on installed plugins",
}
"""Each subcommand's line in ``providerhub --help``, in its order there."""

VERBS: dict[str, Callable[[Any], None]] = {
    "plugins": _plugins,
    "providers": _providers,
    "models": _models,
    "resolve": _resolve,
    "chat": _chat,
    "keys": _keys,
    "config": _config,
    "history": _history,
    "serve": _serve,
    "check": _check,
}


def _named_verb(argv: Sequence[str]) -> str | None:
    """The subcommand ``argv`` names: its first argument that is not an option (the top level takes
    only flags), ``None`` when there is none."""
    return next((arg for arg in argv if not arg.startswith("-")), None)


def _lists_verbs(argv: Sequence[str], named: str | None) -> bool:
    """Whether parsing ``argv`` may show every subcommand: the top level's help (``-h``, ``--he``...)
    or an error naming the choices; not when only the top level's own flags precede a known verb."""
    if named not in VERBS:
        return True
    return any(arg not in ("--debug", "--version") for arg in argv[: list(argv).index(named)])


def parser(argv: Sequence[str]) -> Parser:
    """The parser for ``argv``: only the named subcommand built with its arguments, the others
    listed (by name and help line) only where ``argv`` may show them."""
    top = Parser(
        prog=PROG,
        description="List the installed AI providers, show how a model name resolves, and chat with a model.",
        epilog=EPILOG,
        formatter_class=Formatter,
    )
    top.add_argument("--version", action="store_true", help="print the core's and each plugin's version")
    top.add_argument("--debug", action="store_true", help="show tracebacks")
    commands = top.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    named = _named_verb(argv)
    listed = _lists_verbs(argv, named)
    for verb, build in VERBS.items():
        if verb == named:
            build(commands)
        elif listed:
            commands.add_parser(verb, help=HELP[verb])
    return top
