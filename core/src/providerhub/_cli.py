"""The providerhub command line: list what is installed, show how a model name resolves, chat,
keep keys and conversations.

Only the console script (and ``python -m providerhub``) imports this module, so ``import
providerhub`` stays free of it. It uses the standard library alone.

``--json`` output is stable: the keys of each command's objects are listed in ``JSON_KEYS``
(also shown by ``providerhub --help``). Exit codes are in ``EXIT_CODES`` (and ``--help``).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import stat
import sys
import time
import warnings
from collections.abc import AsyncIterator, Coroutine, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, NoReturn, TextIO

import providerhub
from providerhub import _history as history
from providerhub import _keys as keys
from providerhub._config import default_path
from providerhub._resolution import close_matches
from providerhub.errors import (
    AllProvidersFailedError,
    ConfigError,
    ModelNotFoundError,
    OptionsError,
    PluginLoadError,
    PluginLoadWarning,
    ProviderHubError,
    ProviderNotFoundError,
    RequestError,
    UserFileError,
    name_list,
)
from providerhub.http import proxy_url, redact, timeout_seconds
from providerhub.options import convert_options

if TYPE_CHECKING:
    import asyncio

PROG = "providerhub"
EXIT_OK, EXIT_UNEXPECTED, EXIT_USAGE, EXIT_NOT_FOUND, EXIT_PROVIDER, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130
EXIT_PLUGIN = 5
EXIT_OUTPUT, EXIT_PIPE, EXIT_TERMINATED = 74, 141, 143  # sysexits EX_IOERR; 128 + SIGPIPE; 128 + SIGTERM
SPINNER = "|/-\\"

JSON_KEYS = """\
--json prints stable JSON (null where a value is unknown):
  plugins    a list of {name, distribution, version, value, providers, error};
             providers is a list of provider names, error a string or null
  providers  a list of {name, label, plugin, url, working, needs_auth, supports_stream,
             priority, default_model, default_vision_model, models, vision_models, aliases,
             any_model, api_key_env, options, key_found, key_source}; models and vision_models
             are lists of ids, aliases maps alias to model id, options maps option name to type
             name, key_source is "file", the variable's name or null (never the key)
  models     a list of {id, provider, plugin, aliases, vision}, one per (model, provider);
             with --options also options, mapping option name to type name
  resolve    one object {requested, provider, model, plugin, match, candidates}; match is
             id, prefix, provider, alias or case-insensitive; candidates is a list of
             {provider, model, plugin, priority} in preference order
  chat       one object {text, provider, model, usage, finish_reason, attempts} once the answer
             is complete; provider and model say who answered, usage is {prompt_tokens,
             completion_tokens, total_tokens} or null, attempts is a list of {provider, model,
             error, seconds}, one per try of a candidate (error null for the one that answered)
  keys list  a list of provider names (never the keys)
  history    a list of {id, model, updated, messages}, newest first; messages are {role, content}
  config     one object {file, file_found, default_model, prefer, plugins, disable_plugins, strict,
             providers, environment, state_backend, cache_dir, keys_file, history_file};
             providers is a list of {name, from, status, settings}
  check      a list of {plugin, provider, check, outcome, reason}; outcome is passed,
             failed or skipped; provider is null for a fault of the plugin itself"""

EXIT_CODES = """\
exit codes: 0 ok, 1 unexpected error (check: a check failed), 2 usage or bad input (an option, an image, a proxy URL, a
damaged key or conversation file), 3 model, provider or stored key not found, 4 provider or network
failure, 5 a plugin failed to load under PROVIDERHUB_STRICT_PLUGINS=1, 74 stdout closed or full,
130 interrupted, 141 stdout's reader went away (| head), 143 terminated (SIGTERM)."""

ENVIRONMENT = """\
environment:
  PROVIDERHUB_CONFIG            the configuration file (where it is: 'providerhub config')
  PROVIDERHUB_PLUGINS           plugins to load (comma-separated names; default: all installed)
  PROVIDERHUB_DISABLE_PLUGINS   plugins to leave out
  PROVIDERHUB_PREFER            providers to prefer when several serve a model, in order
  PROVIDERHUB_DEFAULT_MODEL     the model used when none is named
  PROVIDERHUB_STRICT_PLUGINS=1  a plugin that fails to load is an error (exit 5), not a warning
  PROVIDERHUB_PLUGIN_TIMEOUT    seconds a plugin may take to import
  PROVIDERHUB_CACHE_DIR         where the model index is kept (default: the user cache directory)
  PROVIDERHUB_NO_CACHE=1        do not use the model index
  PROVIDERHUB_MAX_RESPONSE_BYTES, PROVIDERHUB_MAX_IMAGE_BYTES   limits (see the README)
  PROVIDERHUB_FALLBACK, PROVIDERHUB_RETRIES, PROVIDERHUB_ALLOWED_FAILS, PROVIDERHUB_WINDOW,
  PROVIDERHUB_COOLDOWN, PROVIDERHUB_FIRST_CHUNK_TIMEOUT, PROVIDERHUB_TIMEOUT,
  PROVIDERHUB_STATE_URL         routing (see the README's "Routing")
  PROVIDERHUB_DEBUG=1           tracebacks, like --debug
  PROVIDERHUB_API_KEY           the key clients must send to 'providerhub serve' (see 'serve --help')
  XDG_CONFIG_HOME, XDG_DATA_HOME  where the key file and conversations are kept
  HTTP_PROXY, HTTPS_PROXY, NO_PROXY  proxies for providers' requests (--proxy overrides)
  each provider's api_key_env (see 'providerhub providers --json') holds its key"""

EPILOG = f"""\
{JSON_KEYS}

{EXIT_CODES}

{ENVIRONMENT}"""


class UsageError(ProviderHubError):
    """Input the command cannot use (an empty prompt, a bad option value)."""


class _Parser(argparse.ArgumentParser):
    """argparse, but its errors are one ``providerhub: error:`` line with the usual exit code 2,
    and its formatter is ``_Formatter`` unless another is given."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        hint = f" (see '{self.prog} --help')"
        self.exit(EXIT_USAGE, f"{PROG}: error: {message}{hint}\n")


class _Formatter(argparse.RawDescriptionHelpFormatter):
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


def _parser() -> _Parser:
    common = _Parser(add_help=False)
    # SUPPRESS keeps a subcommand's absent --debug from overriding one given before it
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks")
    as_json = _Parser(add_help=False)
    as_json.add_argument("--json", action="store_true", help="print JSON (keys: see 'providerhub --help')")

    parser = _Parser(
        prog=PROG,
        description="List the installed AI providers, show how a model name resolves, and chat with a model.",
        epilog=EPILOG,
        formatter_class=_Formatter,
    )
    parser.add_argument("--version", action="store_true", help="print the core's and each plugin's version")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    plugins = commands.add_parser("plugins", parents=[common, as_json], help="installed plugins and their errors")
    plugins.set_defaults(run=_cmd_plugins)

    providers = commands.add_parser("providers", parents=[common, as_json], help="registered providers")
    providers.set_defaults(run=_cmd_providers)

    models = commands.add_parser("models", parents=[common, as_json], help="models, by id then preference")
    models.add_argument("--provider", metavar="NAME", help="only this provider's models")
    models.add_argument("--vision", action="store_true", help="only models that take images")
    models.add_argument("--options", action="store_true", help="show the options each model's provider takes")
    models.set_defaults(run=_cmd_models)

    resolve = commands.add_parser("resolve", parents=[common, as_json], help="which provider answers a model name")
    resolve.add_argument("model", metavar="MODEL", help="a model id, alias, provider name or PROVIDER/MODEL")
    resolve.add_argument("--image", metavar="PATH", help="resolve as for a request with an image (vision)")
    resolve.set_defaults(run=_cmd_resolve)

    chat = commands.add_parser(
        "chat",
        parents=[common],
        help="ask a model and stream its answer",
        description=(
            "Ask a model and stream its answer to stdout. Piped text is sent first, then the prompt; "
            "with no prompt (or '-') stdin alone is the prompt. On a terminal with no prompt and "
            "nothing piped, an interactive session starts."
        ),
        epilog=EPILOG.split("\n\n", 1)[1],
        formatter_class=_Formatter,
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
    chat.set_defaults(run=_cmd_chat)

    keys = commands.add_parser(
        "keys",
        parents=[common],
        help="store providers' keys",
        description=(
            "Store providers' keys in a private file (mode 0600). A provider's key is the one given "
            "(--key), else the stored one, else its environment variable."
        ),
    )
    key_actions = keys.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser, required=True)
    key_set = key_actions.add_parser("set", parents=[common], help="store a key, read without echo (or from stdin)")
    key_set.add_argument("name", metavar="NAME", help="the provider's name")
    key_set.set_defaults(run=_cmd_keys_set)
    key_list = key_actions.add_parser("list", parents=[common, as_json], help="the providers keys are stored for")
    key_list.set_defaults(run=_cmd_keys_list)
    key_path = key_actions.add_parser("path", parents=[common], help="where the key file is")
    key_path.set_defaults(run=_cmd_keys_path)
    key_remove = key_actions.add_parser("remove", parents=[common], help="remove a provider's stored key")
    key_remove.add_argument("name", metavar="NAME", help="the provider's name")
    key_remove.set_defaults(run=_cmd_keys_remove)

    config = commands.add_parser(
        "config", parents=[common, as_json], help="the effective configuration: files, variables, state"
    )
    config.set_defaults(run=_cmd_config)

    conversations = commands.add_parser(
        "history", parents=[common, as_json], help="stored conversations ('chat -c' continues the last)"
    )
    conversations.add_argument("--clear", action="store_true", help="remove every stored conversation")
    conversations.set_defaults(run=_cmd_history)

    _add_serve(commands, common)

    check = commands.add_parser(
        "check",
        parents=[common, as_json],
        help="run the provider checks on installed plugins",
        description="Run the providerhub.testing checks on installed plugins, offline (calls go to a loopback "
        "stand-in server). Exit 0 only when no check failed.",
    )
    check.add_argument("targets", nargs="*", metavar="PLUGIN_OR_PROVIDER", help="what to check (default: everything)")
    check.set_defaults(run=_cmd_check)
    return parser


def _add_serve(commands: Any, common: _Parser) -> None:
    """``serve``: its flags live with the server (a standard-library module; aiohttp is imported to run it)."""
    from providerhub.server._settings import add_arguments

    serve = commands.add_parser(
        "serve",
        parents=[common],
        help="serve the OpenAI-compatible HTTP API (needs providerhub[server])",
        description="Serve every installed provider over OpenAI's chat API, at http://HOST:PORT/v1 "
        "(needs the server extra: pip install 'providerhub[server]'). SIGTERM or Ctrl-C stops it gracefully.",
    )
    add_arguments(serve)
    serve.set_defaults(run=_cmd_serve)


# -- output -------------------------------------------------------------------------------------


_SURROGATE = re.compile("[\ud800-\udfff]")  # bytes that were not UTF-8, as Python keeps them
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_IN_ANSWER = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # newlines and tabs are kept


def _printable(text: str, pattern: re.Pattern[str] = _CONTROL) -> str:
    """``text`` with control characters shown as ``\\xNN``: no escape sequence from upstream reaches a terminal."""
    return pattern.sub(lambda m: f"\\x{ord(m.group(0)):02x}", text)


class OutputError(Exception):
    """Writing to stdout failed: it is closed or full, or its reader went away."""

    def __init__(self, error: BaseException):
        super().__init__(str(error))
        self.error = error


class _Output(io.TextIOBase):
    """stdout, whose write failures are an ``OutputError`` (told apart from a provider's ``OSError``)."""

    def __init__(self, stream: TextIO):
        super().__init__()
        self.stream = stream

    def write(self, text: str) -> int:
        try:
            return self.stream.write(text)
        except (OSError, ValueError) as exc:
            raise OutputError(exc) from None

    def flush(self) -> None:
        try:
            self.stream.flush()
        except (OSError, ValueError) as exc:
            raise OutputError(exc) from None

    def isatty(self) -> bool:
        return _isatty(self.stream)

    def close(self) -> None:
        """Nothing to close: stdout stays the interpreter's (and its failures were reported)."""


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]], out: TextIO) -> None:
    """Aligned plain-text columns; the last column is not padded."""
    cells = [[str(c) if c not in (None, "") else "-" for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    for row in [list(headers), *cells]:
        padded = [cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])]
        out.write("  ".join([*padded, row[-1]]) + "\n")


def _one_line(text: str | None) -> str | None:
    """A plugin's error as one table row, whatever line breaks its exception held."""
    return None if text is None else " ".join(text.split())


def _json(data: object, out: TextIO) -> None:
    out.write(json.dumps(data, indent=2) + "\n")


class _Warnings:
    """Plugin warnings as one ``providerhub: warning:`` line each (once), or held for a listing."""

    def __init__(self, err: TextIO):
        self.err = err
        self.shown: set[str] = set()
        self.held: list[str] | None = None

    def show(self, message: Warning | str, *_: object, **__: object) -> None:
        text = _printable(redact(" ".join(str(message).split())))
        if self.held is not None:
            self.held.append(text)
        elif text not in self.shown:
            self.shown.add(text)
            self.err.write(f"{PROG}: warning: {text}\n")

    def hold(self) -> None:
        self.held = []

    def release(self, listed: Sequence[str | None]) -> None:
        """Show the held warnings that a listing did not already show."""
        held, self.held = self.held or [], None
        for text in held:
            if text not in {" ".join(e.split()) for e in listed if e}:
                self.show(text)


# -- commands -----------------------------------------------------------------------------------


class _Context(NamedTuple):
    """One invocation: its arguments and where it writes."""

    args: argparse.Namespace
    out: TextIO
    err: TextIO
    warnings: _Warnings


def _plugins(ctx: _Context) -> list[providerhub.PluginInfo]:
    """Every plugin; their load warnings are held, as the listing shows them in its error column."""
    plugins: list[providerhub.PluginInfo] = []
    ctx.warnings.hold()
    try:
        plugins = providerhub.list_plugins()
    finally:
        ctx.warnings.release([p.error for p in plugins])
    return plugins


def _cmd_plugins(ctx: _Context) -> int:
    plugins = _plugins(ctx)
    if ctx.args.json:
        listing = [
            {
                "name": p.name,
                "distribution": p.distribution,
                "version": p.version,
                "value": p.value,
                "providers": list(p.providers),
                "error": p.error,
            }
            for p in plugins
        ]
        _json(listing, ctx.out)
    elif not plugins:
        ctx.err.write(f"{PROG}: no plugins are installed (for example: pip install providerhub-dynaspark)\n")
    else:
        rows = [(p.name, p.distribution, p.version, ", ".join(p.providers), _one_line(p.error)) for p in plugins]
        _table(("PLUGIN", "DISTRIBUTION", "VERSION", "PROVIDERS", "ERROR"), rows, ctx.out)
    return EXIT_OK


def _cmd_providers(ctx: _Context) -> int:
    providers = providerhub.list_providers()
    found = {p.name: keys.lookup(p.name, p.api_key_env) for p in providers}
    if ctx.args.json:
        _json([_provider_json(p, found[p.name]) for p in providers], ctx.out)
    elif not providers:
        ctx.err.write(f"{PROG}: no providers are registered (for example: pip install providerhub-dynaspark)\n")
    else:
        rows = [
            (
                p.name,
                len(p.models),
                p.priority,
                _yes(p.working),
                _yes(p.needs_auth),
                _key_column(p, found[p.name]),
                _yes(p.supports_stream),
                p.url,
            )
            for p in providers
        ]
        _table(("PROVIDER", "MODELS", "PRIORITY", "WORKING", "AUTH", "KEY", "STREAM", "URL"), rows, ctx.out)
    return EXIT_OK


def _key_column(p: providerhub.ProviderInfo, found: tuple[str, str] | None) -> str:
    """Where the key comes from (``stored``, ``$VARIABLE``), ``missing`` when one is needed and none is found."""
    if found is not None:
        return "stored" if found[1] == "file" else f"${found[1]}"
    return "missing" if p.needs_auth else "-"


def _provider_json(p: providerhub.ProviderInfo, found: tuple[str, str] | None) -> dict[str, Any]:
    return {
        "name": p.name,
        "label": p.label,
        "plugin": p.plugin,
        "url": p.url,
        "working": p.working,
        "needs_auth": p.needs_auth,
        "supports_stream": p.supports_stream,
        "priority": p.priority,
        "default_model": p.default_model,
        "default_vision_model": p.default_vision_model,
        "models": list(p.models),
        "vision_models": list(p.vision_models),
        "aliases": dict(p.aliases),
        "any_model": p.any_model,
        "api_key_env": p.api_key_env,
        "options": dict(p.options),
        "key_found": found is not None,
        "key_source": None if found is None else found[1],
    }


def _provider_named(name: str) -> providerhub.ProviderInfo:
    """The registered provider called ``name`` (any case), or a ``ProviderNotFoundError`` with suggestions."""
    providers = providerhub.list_providers()
    for provider in providers:
        if provider.name.lower() == name.lower():
            return provider
    close = close_matches(name, (p.name for p in providers))
    message = f"no provider named {name!r}"
    if close:
        message += f"; did you mean {', '.join(map(repr, close))}?"
    elif providers:
        message += f"; the providers are: {name_list(p.name for p in providers)}"
    else:
        message += "; no provider plugins are installed (for example: pip install providerhub-dynaspark)"
    raise ProviderNotFoundError(message)


def _cmd_models(ctx: _Context) -> int:
    models = providerhub.list_models()
    if ctx.args.provider is not None:
        name = _provider_named(ctx.args.provider).name
        models = [m for m in models if m.provider == name]
    if ctx.args.vision:
        models = [m for m in models if m.vision]
    options = (
        {p.name: dict(getattr(p, "options", ())) for p in providerhub.list_providers()} if ctx.args.options else {}
    )
    if ctx.args.json:
        listing = []
        for m in models:
            row: dict[str, Any] = {
                "id": m.id,
                "provider": m.provider,
                "plugin": m.plugin,
                "aliases": list(m.aliases),
                "vision": m.vision,
            }
            if ctx.args.options:
                row["options"] = options.get(m.provider, {})
            listing.append(row)
        _json(listing, ctx.out)
    elif not models:
        ctx.err.write(f"{PROG}: no models match\n")
    elif ctx.args.options:
        listed = [
            (m.id, m.provider, ", ".join(f"{k} ({t})" for k, t in options.get(m.provider, {}).items())) for m in models
        ]
        _table(("MODEL", "PROVIDER", "OPTIONS"), listed, ctx.out)
    else:
        rows = [(m.id, m.provider, ", ".join(m.aliases), _yes(m.vision)) for m in models]
        _table(("MODEL", "PROVIDER", "ALIASES", "VISION"), rows, ctx.out)
    return EXIT_OK


def _cmd_resolve(ctx: _Context) -> int:
    media: providerhub.MediaListType | None = [(ctx.args.image, None)] if ctx.args.image else None
    found = providerhub.resolve(ctx.args.model, media=media)
    priority = {p.name: p.priority for p in providerhub.list_providers()}
    candidates = [
        {"provider": c.provider, "model": c.model, "plugin": c.plugin, "priority": priority.get(c.provider)}
        for c in found.candidates
    ]
    if ctx.args.json:
        summary = {
            "requested": found.requested,
            "provider": found.provider.name,
            "model": found.model,
            "plugin": found.plugin,
            "match": found.match,
            "candidates": candidates,
        }
        _json(summary, ctx.out)
        return EXIT_OK
    lines = [
        ("requested", found.requested),
        ("provider", found.provider.name),
        ("model", found.model),
        ("plugin", found.plugin or "(registered in code)"),
        ("match", found.match),
    ]
    for key, value in lines:
        ctx.out.write(f"{key:<10} {value}\n")
    ctx.out.write("\n")
    rows = [(i, c["provider"], c["model"], c["priority"], c["plugin"]) for i, c in enumerate(candidates, 1)]
    _table(("#", "PROVIDER", "MODEL", "PRIORITY", "PLUGIN"), rows, ctx.out)
    return EXIT_OK


def _version(ctx: _Context) -> int:
    ctx.out.write(f"{PROG} {providerhub.__version__}\n")
    for p in _plugins(ctx):
        state = ", failed to load" if p.error else ""
        ctx.out.write(f"{p.distribution or '(unknown distribution)'} {p.version or '?'} (plugin {p.name}{state})\n")
    return EXIT_OK


# -- chat ---------------------------------------------------------------------------------------

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
    if _SURROGATE.search(text):
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


def _read_prompt(ctx: _Context) -> str:
    """The prompt: piped text then the prompt argument, or stdin alone for none or ``-``."""
    prompt: str | None = ctx.args.prompt
    if prompt is None or prompt == "-":
        if sys.stdin is not None and _isatty(sys.stdin):
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


class _Stream:
    """The answer's way to stdout: a spinner on a terminal's stderr until the first chunk, then the chunks.

    ``quiet``: nothing is shown (``--json`` prints the whole answer at the end).
    """

    def __init__(self, out: TextIO, err: TextIO, *, quiet: bool = False):
        self.out, self.err, self.quiet = out, err, quiet
        self.spinner: asyncio.Task[None] | None = None
        self.ended_line = True
        self.terminal = _isatty(out)  # on a terminal, control characters in the answer are neutralised

    async def _spin(self) -> None:
        import asyncio

        frame = 0
        while True:
            self.err.write(f"\r{SPINNER[frame % len(SPINNER)]}")
            self.err.flush()
            frame += 1
            await asyncio.sleep(0.1)

    def start(self) -> None:
        if _isatty(self.err) and not self.quiet:
            import asyncio

            self.spinner = asyncio.get_running_loop().create_task(self._spin())

    def stop(self) -> None:
        """Cancel and erase the spinner (safe to call more than once)."""
        if self.spinner is not None:
            self.spinner.cancel()
            self.spinner = None
            self.err.write("\r \r")
            self.err.flush()

    def write(self, chunk: str) -> None:
        self.stop()
        if chunk and not self.quiet:
            self.ended_line = chunk.endswith("\n")  # first: Ctrl-C can land right after the write
            self.out.write(_printable(chunk, _CONTROL_IN_ANSWER) if self.terminal else chunk)
            self.out.flush()

    def end_line(self) -> None:
        """Leave the cursor at the start of a line, so the shell prompt (or an error) starts clean."""
        if not self.ended_line:
            self.ended_line = True
            try:
                self.out.write("\n")
                self.out.flush()
            except (OSError, ValueError, OutputError):  # stdout is gone; nothing to tidy
                pass


class _Request(NamedTuple):
    """What every turn of a chat sends besides its messages."""

    found: providerhub.Resolution
    options: dict[str, Any]
    media: providerhub.MediaListType | None
    timeout: float | None


class _Attempt:
    """One try of one candidate, as the router made it."""

    def __init__(self, provider: str, model: str):
        self.provider, self.model = provider, model
        self.error: BaseException | None = None
        self.started = time.monotonic()
        self.seconds: float | None = None

    def as_json(self) -> dict[str, Any]:
        error = None if self.error is None else _describe(self.error)
        return {"provider": self.provider, "model": self.model, "error": error, "seconds": self.seconds}


class _Reply:
    """One answer as it arrives: its text, its events, and the attempts the router made for it."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.usage: providerhub.Usage | None = None
        self.finish_reason: str | None = None
        self.attempts: list[_Attempt] = []

    @property
    def text(self) -> str:
        return "".join(self.parts)

    @property
    def label(self) -> str:
        """``provider/model`` of the candidate that answered: how a stored conversation names it."""
        answered = self.attempts[-1]
        return f"{answered.provider}/{answered.model}"

    def as_json(self) -> dict[str, Any]:
        answered = self.attempts[-1]
        return {
            "text": self.text,
            "provider": answered.provider,
            "model": answered.model,
            "usage": self.usage._asdict() if self.usage is not None else None,
            "finish_reason": self.finish_reason,
            "attempts": [attempt.as_json() for attempt in self.attempts],
        }


def _routed(
    request: _Request, messages: providerhub.Messages, media: providerhub.MediaListType | None, reply: _Reply
) -> AsyncIterator[providerhub.Chunk]:
    """The answer as ``providerhub.stream`` gives it (routed by the default hub), each attempt recorded in ``reply``."""
    from providerhub.call import call_provider
    from providerhub.media import off_loop

    hub = providerhub.default_hub()
    first = request.found.candidates[0]

    async def attempt(candidate: providerhub.Candidate, remaining: float | None) -> AsyncIterator[providerhub.Chunk]:
        tried = _Attempt(candidate.provider, candidate.model)
        reply.attempts.append(tried)
        chunks: AsyncIterator[providerhub.Chunk] | None = None
        try:
            if candidate is first:
                provider = request.found.provider
            else:  # loading a further candidate's plugin may import it: off the loop
                provider = (await off_loop(hub.resolve, f"{candidate.provider}/{candidate.model}")).provider
            chunks = call_provider(
                provider, candidate.model, messages, media=media, timeout=remaining, options=request.options
            )
            async for chunk in chunks:
                yield chunk
        except Exception as exc:
            tried.error = exc
            raise
        finally:
            tried.seconds = round(time.monotonic() - tried.started, 3)
            aclose = getattr(chunks, "aclose", None)
            if aclose is not None:
                await aclose()

    return hub.router.stream(request.found, attempt, timeout=request.timeout)


async def _answer(chunks: AsyncIterator[providerhub.Chunk], stream: _Stream, reply: _Reply) -> None:
    """Show one answer's text as it arrives and keep it with its events; closed however this ends."""
    stream.start()
    try:
        async for chunk in chunks:
            if isinstance(chunk, str):
                reply.parts.append(chunk)
                stream.write(chunk)
            elif isinstance(chunk, providerhub.Usage):
                reply.usage = chunk
            elif isinstance(chunk, providerhub.FinishReason):
                reply.finish_reason = chunk.reason
    finally:
        stream.stop()
        aclose = getattr(chunks, "aclose", None)
        if aclose is not None:
            await aclose()


def _ask(request: _Request, messages: providerhub.Messages, stream: _Stream) -> _Reply:
    import asyncio  # only chat needs it: listing and resolving start faster without it

    from providerhub.call import prepare

    reply = _Reply()
    messages, media = prepare(messages, request.media)
    try:
        asyncio.run(_until_terminated(_answer(_routed(request, messages, media, reply), stream, reply)))
    finally:
        stream.end_line()
    return reply


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


def _request(ctx: _Context, conversation: history.Conversation | None) -> _Request:
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
        model = f"{_provider_named(args.provider).name}/{model or ''}"
    found = providerhub.resolve(model, media=media)
    options = _options(args.options)
    for name, value in (("proxy", args.proxy), ("api_key", args.key)):
        if value is not None:
            options[name] = value
    convert_options(found.provider, options)  # an unknown or ill-typed option fails here, naming it
    _check_images(found, len(images))
    return _Request(found, options, media, args.timeout)


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


def _first_messages(conversation: history.Conversation | None, system: str | None) -> providerhub.Messages:
    """The messages before the first new turn: the continued conversation's, with ``system`` first if given."""
    messages: providerhub.Messages = list(conversation.messages) if conversation is not None else []
    if system:
        if messages and messages[0]["role"] == "system":
            messages = messages[1:]
        messages.insert(0, {"role": "system", "content": system})
    return messages


def _store(ctx: _Context, conversation: history.Conversation) -> None:
    """Keep the conversation for ``chat -c``; a failure is a warning, as the answer was given."""
    if ctx.args.no_history:
        return
    try:
        history.save(conversation)
    except ProviderHubError as exc:
        ctx.err.write(f"{PROG}: warning: the conversation is not stored: {_describe(exc)}\n")


def _cmd_chat(ctx: _Context) -> int:
    args = ctx.args
    conversation: history.Conversation | None = None
    if args.cont:
        conversation = history.last()
        if conversation is None:
            raise UsageError(f"there is no conversation to continue ({history.path()} holds none)")
    request = _request(ctx, conversation)
    if args.prompt is None and not args.json and sys.stdin is not None and _isatty(sys.stdin):
        return _session(ctx, request, conversation)
    prompt = _read_prompt(ctx)
    question: providerhub.Message = {"role": "user", "content": prompt}
    messages = [*_first_messages(conversation, args.system), question]
    reply = _ask(request, messages, _Stream(ctx.out, ctx.err, quiet=args.json))
    answered: providerhub.Message = {"role": "assistant", "content": reply.text}
    stored = (conversation or history.new(reply.label))._replace(messages=())
    _store(ctx, stored.add(*messages, answered, model=reply.label))
    if args.json:
        _json(reply.as_json(), ctx.out)
    return EXIT_OK


# -- the interactive session --------------------------------------------------------------------

EXIT_WORDS = ("!exit", "!quit")


def _read_turn(ctx: _Context) -> str | None:
    """The next line typed, ``None`` at the end (Ctrl-D or ``!exit``); Ctrl-C at the prompt starts a new line."""
    while True:
        try:
            if _isatty(sys.stdout):
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
        if _SURROGATE.search(line):
            ctx.err.write(f"{PROG}: error: that line is not valid UTF-8 text\n")
            continue
        line = line.rstrip("\r\n")
        if line.strip() in EXIT_WORDS:
            return None
        if line.strip():
            return line


def _session(ctx: _Context, request: _Request, conversation: history.Conversation | None) -> int:
    """Chat turn by turn, each turn sending the whole conversation; stored after every answer."""
    messages = _first_messages(conversation, ctx.args.system)
    found = request.found
    stored = conversation or history.new(f"{found.provider.name}/{found.model}")
    continued = f", continuing a conversation of {len(messages)} messages" if conversation else ""
    ctx.err.write(
        f"Chatting with {found.provider.name}/{found.model}{continued}. "
        "Type !exit or press Ctrl-D to leave; Ctrl-C cancels an answer.\n"
    )
    while (line := _read_turn(ctx)) is not None:
        turn: providerhub.Messages = [*messages, {"role": "user", "content": line}]
        stream = _Stream(ctx.out, ctx.err)
        try:
            reply = _ask(request, turn, stream)
        except KeyboardInterrupt:
            ctx.err.write("(answer cancelled)\n")
            continue
        except ProviderHubError as exc:  # the turn is dropped; the conversation goes on
            ctx.err.write(f"{PROG}: error: {_describe(exc)}\n")
            continue
        request = request._replace(media=None)  # images go with the first turn only
        messages = [*turn, {"role": "assistant", "content": reply.text}]
        stored = stored._replace(messages=()).add(*messages, model=reply.label)
        _store(ctx, stored)
    return EXIT_OK


# -- keys and history ---------------------------------------------------------------------------


def _provider_name_for_key(ctx: _Context, name: str) -> str:
    """The registered provider's own spelling of ``name``; an unknown name is kept, with a warning."""
    try:
        keys.check_name(name)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    try:
        return _provider_named(name).name
    except ProviderNotFoundError as exc:
        ctx.err.write(f"{PROG}: warning: the key is stored under {name!r}, but there is {_describe(exc)}\n")
        return name


MAX_KEY_INPUT = 64 * 1024


def _cmd_keys_set(ctx: _Context) -> int:
    name = _provider_name_for_key(ctx, ctx.args.name)
    stored = keys.load()  # a damaged file is reported before a key is asked for
    if sys.stdin is not None and _isatty(sys.stdin):
        import getpass

        try:
            key = getpass.getpass(f"Key for {name}: ", stream=ctx.err)
        except EOFError:
            key = ""
    else:
        if sys.stdin is None:
            raise UsageError("no key given and stdin is closed")
        try:
            key = sys.stdin.read(MAX_KEY_INPUT + 1)
        except UnicodeDecodeError:
            raise UsageError("stdin is not valid UTF-8 text") from None
    try:
        key = keys.check_key(key, name)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    existing = keys.find(stored, name)
    if existing is not None:
        del stored[existing]
    stored[name] = key
    keys.save(stored)
    ctx.err.write(f"{PROG}: the key for {name} is stored in {keys.path()}\n")
    return EXIT_OK


def _cmd_keys_list(ctx: _Context) -> int:
    names = sorted(keys.load(), key=str.casefold)
    if ctx.args.json:
        _json(names, ctx.out)
    elif not names:
        ctx.err.write(f"{PROG}: no keys are stored (in {keys.path()})\n")
    for name in names if not ctx.args.json else ():
        ctx.out.write(f"{_printable(name)}\n")
    return EXIT_OK


def _cmd_keys_path(ctx: _Context) -> int:
    ctx.out.write(f"{keys.path()}\n")
    return EXIT_OK


def _cmd_keys_remove(ctx: _Context) -> int:
    stored = keys.load()
    name = keys.find(stored, ctx.args.name)
    if name is None:
        listed = f"; keys are stored for: {name_list(sorted(stored))}" if stored else ""
        raise ProviderNotFoundError(f"no key is stored for {ctx.args.name!r}{listed}")
    del stored[name]
    keys.save(stored)
    ctx.err.write(f"{PROG}: the key for {name} is removed\n")
    return EXIT_OK


def _cmd_history(ctx: _Context) -> int:
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
        _json(listing, ctx.out)
    elif not conversations:
        ctx.err.write(f"{PROG}: no conversations are stored (in {history.path()})\n")
    else:
        rows = []
        for i, c in enumerate(conversations, 1):
            first = next((m["content"] for m in c.messages if m["role"] == "user"), "")
            excerpt = _printable(" ".join(str(first).split()))
            rows.append(
                (i, _when(c.updated), c.model, len(c.messages), excerpt[:60] + ("..." if len(excerpt) > 60 else ""))
            )
        _table(("#", "UPDATED", "MODEL", "MESSAGES", "FIRST PROMPT"), rows, ctx.out)
    return EXIT_OK


# -- config -------------------------------------------------------------------------------------

_SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD", re.IGNORECASE)


def _shown_setting(name: str, value: object) -> object:
    """A setting fit to print: secrets masked by name, URLs without user-info or query values."""
    if _SECRET_NAME.search(name):
        return "***"
    return redact(value) if isinstance(value, str) else value


def _effective_config() -> dict[str, Any]:
    """What this process runs with: the configuration file and what it changed, the hub's settings,
    the ``PROVIDERHUB_*`` variables set, the state backend and the user's files."""
    hub = providerhub.default_hub()
    path = hub.config.path or default_path()
    present = {p.name.lower() for p in hub.list_providers()}
    tables = [
        {
            "name": table.name,
            "from": table.base,
            "status": ("added" if table.base else "adjusted") if table.name.lower() in present else "left out",
            "settings": {key: _shown_setting(key, value) for key, value in table.settings.items()},
        }
        for table in hub.config.providers
    ]
    environment = {
        name: _shown_setting(name, value)
        for name, value in sorted(os.environ.items())
        if name.startswith("PROVIDERHUB_")
    }
    return {
        "file": path,
        "file_found": os.path.isfile(path),
        "default_model": hub.default_model,
        "prefer": list(hub.prefer),
        "plugins": None if hub.plugins is None else list(hub.plugins),
        "disable_plugins": list(hub.disable_plugins),
        "strict": hub.strict,
        "providers": tables,
        "environment": environment,
        "state_backend": redact(hub.router.settings.state_url or "memory"),
        "cache_dir": _index_folder(hub),
        "keys_file": keys.path(),
        "history_file": history.path(),
    }


def _index_folder(hub: providerhub.Hub) -> str | None:
    """Where the hub keeps its model index; ``None`` when it keeps none."""
    from providerhub import _index as index

    if not hub.use_index:
        return None
    try:
        return hub.cache_dir or index.cache_dir()
    except ValueError:  # a relative PROVIDERHUB_CACHE_DIR: the commands that use the index warn about it
        return None


def _cmd_config(ctx: _Context) -> int:
    settings = _effective_config()
    if ctx.args.json:
        _json(settings, ctx.out)
        return EXIT_OK
    found = "" if settings["file_found"] else " (none there)"
    plugins = settings["plugins"]
    rows = [
        ("file", f"{settings['file']}{found}"),
        ("default model", settings["default_model"] or "- (the preferred provider's default)"),
        ("prefer", ", ".join(settings["prefer"]) or "-"),
        ("plugins", "all installed" if plugins is None else ", ".join(plugins) or "none"),
        ("disabled", ", ".join(settings["disable_plugins"]) or "-"),
        ("strict", _yes(settings["strict"])),
        ("state backend", settings["state_backend"]),
        ("model index", settings["cache_dir"] or "off"),
        ("keys", settings["keys_file"]),
        ("conversations", settings["history_file"]),
    ]
    for key, value in rows:
        ctx.out.write(f"{key:<15} {_printable(str(value))}\n")
    if settings["providers"]:
        ctx.out.write("\nproviders in the file:\n")
        table = [
            (p["name"], p["from"], p["status"], ", ".join(f"{k}={v!r}" for k, v in p["settings"].items()))
            for p in settings["providers"]
        ]
        _table(
            ("PROVIDER", "FROM", "STATUS", "SETTINGS"), [[_printable(str(c)) for c in row] for row in table], ctx.out
        )
    if settings["environment"]:
        ctx.out.write("\nenvironment:\n")
        for name, value in settings["environment"].items():
            ctx.out.write(f"  {name}={_printable(str(value))}\n")
    else:
        ctx.out.write("\nenvironment: no PROVIDERHUB_* variable is set\n")
    return EXIT_OK


def _when(timestamp: float) -> str:
    """A time stamp as UTC ISO 8601 to the second."""
    import datetime

    return datetime.datetime.fromtimestamp(timestamp, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Terminated(Exception):
    """SIGTERM arrived; the answer was cancelled and closed as for Ctrl-C."""


async def _until_terminated(work: Coroutine[Any, Any, None]) -> None:
    """Run ``work``, cancelling it (so its ``finally`` blocks run) if SIGTERM arrives."""
    import asyncio
    import signal

    task = asyncio.ensure_future(work)
    loop = asyncio.get_running_loop()
    terminated = False

    def terminate() -> None:
        nonlocal terminated
        terminated = True
        task.cancel()

    try:
        loop.add_signal_handler(signal.SIGTERM, terminate)
    except (NotImplementedError, RuntimeError, ValueError):  # no signal handlers here (Windows, not the main thread)
        return await task
    try:
        await task
    except asyncio.CancelledError:
        if terminated:
            raise Terminated() from None
        raise
    finally:
        loop.remove_signal_handler(signal.SIGTERM)


# -- serve --------------------------------------------------------------------------------------


def _cmd_serve(ctx: _Context) -> int:
    try:
        from aiohttp import web  # noqa: F401
    except ImportError:
        raise UsageError("the server needs aiohttp: pip install 'providerhub[server]'") from None
    from providerhub.server import serve
    from providerhub.server._settings import from_args

    if ctx.args.state_url:  # read by each worker's default hub, as if set by the user
        os.environ["PROVIDERHUB_STATE_URL"] = ctx.args.state_url
    return serve(from_args(ctx.args))


# -- check --------------------------------------------------------------------------------------


def _cmd_check(ctx: _Context) -> int:
    """The contract kit's checks; ``providerhub.testing`` is imported only by this command."""
    from providerhub.testing._installed import check_installed

    rows = check_installed(ctx.args.targets)
    if ctx.args.json:
        _json([row._asdict() for row in rows], ctx.out)
    elif rows:
        _table(("PLUGIN", "PROVIDER", "CHECK", "RESULT", "REASON"), rows, ctx.out)
    counts = {outcome: sum(row.outcome == outcome for row in rows) for outcome in ("passed", "failed", "skipped")}
    if not rows:
        ctx.err.write(f"{PROG}: no plugins are installed, nothing to check\n")
    elif not ctx.args.json:
        ctx.err.write(f"{PROG}: {len(rows)} checks: " + ", ".join(f"{n} {k}" for k, n in counts.items()) + "\n")
    return EXIT_UNEXPECTED if counts["failed"] else EXIT_OK


# -- entry point --------------------------------------------------------------------------------


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def exit_code(exc: BaseException) -> int:
    """The exit status for an error: 2 bad input, 3 not found, 4 provider or network, 5 a plugin
    that failed to load (strict mode), 1 anything else."""
    if isinstance(exc, (UsageError, RequestError, ConfigError, UserFileError)):
        return EXIT_USAGE
    if isinstance(exc, PluginLoadError):
        return EXIT_PLUGIN
    if isinstance(exc, (ModelNotFoundError, ProviderNotFoundError)):
        return EXIT_NOT_FOUND
    if isinstance(exc, (ProviderHubError, TimeoutError, ConnectionError)):
        return EXIT_PROVIDER
    return EXIT_UNEXPECTED


def _describe(exc: BaseException) -> str:
    """One line for an error: whitespace collapsed, URLs without secrets, control characters shown."""
    text = " ".join((exc.summary if isinstance(exc, AllProvidersFailedError) else str(exc)).split())
    if isinstance(exc, TimeoutError) and not text:
        text = "the provider did not answer in time"
    if exit_code(exc) == EXIT_UNEXPECTED or not text:
        text = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return _printable(redact(text))


def _not_utf8(args: argparse.Namespace) -> str | None:
    """The first argument that was not valid UTF-8 (Python keeps its bytes as lone surrogates), shown safely."""
    for value in vars(args).values():
        if isinstance(value, str) and _SURROGATE.search(value):
            return ascii(value.encode("utf-8", "surrogateescape"))[2:-1][:80]
    return None


def _quiet_stdout(out: TextIO | None) -> None:
    """Point fd 1 at /dev/null, so the interpreter's last flush of a failed stdout stays silent."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), out.fileno() if out is not None else 1)


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    err: TextIO = sys.stderr if sys.stderr is not None else open(os.devnull, "w")  # noqa: SIM115
    if sys.stderr is None:
        sys.stderr = err  # argparse writes there
    parser = _parser()
    args = parser.parse_args(argv)
    stdout = sys.stdout
    if not args.version and args.command is None:
        parser.print_help(err)
        return EXIT_USAGE
    bad = _not_utf8(args)
    if bad is not None:
        err.write(f"{PROG}: error: an argument is not valid UTF-8: {bad}\n")
        return EXIT_USAGE
    if stdout is None:
        err.write(f"{PROG}: error: cannot write the output: stdout is closed\n")
        return EXIT_OUTPUT
    if isinstance(stdout, io.TextIOWrapper):
        stdout.reconfigure(errors="replace")  # an answer the terminal cannot encode is still shown
    out: TextIO = _Output(stdout)  # type: ignore[assignment]
    debug = bool(getattr(args, "debug", False)) or _env_flag("PROVIDERHUB_DEBUG")
    ctx = _Context(args, out, err, _Warnings(err))
    with warnings.catch_warnings():
        if not debug:
            warnings.simplefilter("ignore")
            warnings.simplefilter("always", PluginLoadWarning)
            warnings.showwarning = ctx.warnings.show
        try:
            code = _version(ctx) if args.version else int(args.run(ctx))
            out.flush()  # a full stdout fails here, not in the interpreter's last flush
            return code
        except KeyboardInterrupt:
            return EXIT_INTERRUPTED
        except Terminated:
            return EXIT_TERMINATED
        except OutputError as exc:
            _quiet_stdout(stdout)
            if isinstance(exc.error, BrokenPipeError):
                return EXIT_PIPE  # the reader went away (``| head``): nothing to say, nobody to say it to
            reason = getattr(exc.error, "strerror", None) or str(exc.error) or type(exc.error).__name__
            err.write(f"{PROG}: error: cannot write the output: {_printable(reason)}\n")
            return EXIT_OUTPUT
        except Exception as exc:
            if debug:
                import traceback

                err.write(_printable(redact("".join(traceback.format_exception(exc))), _CONTROL_IN_ANSWER))
            code = exit_code(exc)
            hint = " (run with --debug for the traceback)" if code == EXIT_UNEXPECTED and not debug else ""
            err.write(f"{PROG}: error: {_describe(exc)}{hint}\n")
            err.flush()
            return code
