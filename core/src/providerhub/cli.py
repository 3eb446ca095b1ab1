"""The providerhub command line: list what is installed, show how a model name resolves, and chat.

Only the console script (and ``python -m providerhub``) imports this module, so ``import
providerhub`` stays free of it. It uses the standard library alone.

``--json`` output is stable: the keys of each command's objects are listed in ``JSON_KEYS``
(also shown by ``providerhub --help``). Exit codes: 0 success, 1 unexpected error, 2 usage or
bad input (a configuration file that is not valid TOML too), 3 model or provider not found,
4 provider or network failure, 74 stdout closed or full, 130 interrupted (Ctrl-C), 141 the reader
of stdout went away (``| head``), 143 terminated.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import sys
import warnings
from collections.abc import Coroutine, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, NoReturn, TextIO

import providerhub
from providerhub.errors import (
    AllProvidersFailedError,
    ConfigError,
    ModelNotFoundError,
    PluginLoadWarning,
    ProviderHubError,
    ProviderNotFoundError,
    RequestError,
    name_list,
)
from providerhub.http import redact, timeout_seconds
from providerhub.resolution import close_matches

if TYPE_CHECKING:
    import asyncio

PROG = "providerhub"
EXIT_OK, EXIT_UNEXPECTED, EXIT_USAGE, EXIT_NOT_FOUND, EXIT_PROVIDER, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130
EXIT_OUTPUT, EXIT_PIPE, EXIT_TERMINATED = 74, 141, 143  # sysexits EX_IOERR; 128 + SIGPIPE; 128 + SIGTERM
SPINNER = "|/-\\"

JSON_KEYS = """\
--json prints stable JSON (null where a value is unknown):
  plugins    a list of {name, distribution, version, value, providers, error};
             providers is a list of provider names, error a string or null
  providers  a list of {name, label, plugin, url, working, needs_auth, supports_stream,
             priority, default_model, default_vision_model, models, vision_models, aliases,
             any_model, api_key_env, key_found, options}; models and vision_models are lists
             of ids, aliases maps alias to model id, options maps option name to type name,
             key_found says whether $api_key_env holds a key (null without api_key_env)
  models     a list of {id, provider, plugin, aliases, vision}, one per (model, provider)
  resolve    one object {requested, provider, model, plugin, match, candidates}; match is
             id, prefix, provider, alias or case-insensitive; candidates is a list of
             {provider, model, plugin, priority} in preference order
  check      a list of {plugin, provider, check, outcome, reason}; outcome is passed,
             failed or skipped; provider is null for a fault of the plugin itself"""

EPILOG = f"""\
{JSON_KEYS}

exit codes: 0 ok, 1 unexpected error (check: a check failed), 2 usage or bad input, 3 model or
provider not found, 4 provider or network failure, 74 stdout closed or full, 130 interrupted,
141 stdout's reader went away (| head), 143 terminated (SIGTERM).
environment: PROVIDERHUB_CONFIG (the configuration file), PROVIDERHUB_PLUGINS,
PROVIDERHUB_DISABLE_PLUGINS, PROVIDERHUB_PREFER, PROVIDERHUB_DEFAULT_MODEL,
PROVIDERHUB_DEBUG=1 (tracebacks, like --debug), PROVIDERHUB_MAX_RESPONSE_BYTES,
PROVIDERHUB_MAX_IMAGE_BYTES (limits, see the README)."""


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
    models.set_defaults(run=_cmd_models)

    resolve = commands.add_parser("resolve", parents=[common, as_json], help="which provider answers a model name")
    resolve.add_argument("model", metavar="MODEL", help="a model id, alias, provider name or PROVIDER/MODEL")
    resolve.add_argument("--image", metavar="PATH", help="resolve as for a request with an image (vision)")
    resolve.set_defaults(run=_cmd_resolve)

    chat = commands.add_parser(
        "chat",
        parents=[common],
        help="ask a model and stream its answer",
        description="Ask a model and stream its answer to stdout. The prompt is read from stdin when omitted or '-'.",
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
    chat.add_argument("--image", metavar="PATH", help="an image to send with the prompt")
    chat.add_argument("--provider", metavar="NAME", help="use this provider (resolves NAME/MODEL)")
    chat.add_argument("--proxy", metavar="URL", help="proxy for the provider's requests")
    chat.add_argument(
        "--timeout", metavar="SECONDS", type=_seconds, help="seconds the provider may take (passed to it as timeout=)"
    )
    chat.set_defaults(run=_cmd_chat)
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
    from providerhub.server.settings import add_arguments

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
    if ctx.args.json:
        _json([_provider_json(p) for p in providers], ctx.out)
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
                _key_state(p),
                _yes(p.supports_stream),
                p.url,
            )
            for p in providers
        ]
        _table(("PROVIDER", "MODELS", "PRIORITY", "WORKING", "AUTH", "KEY", "STREAM", "URL"), rows, ctx.out)
    return EXIT_OK


def _key_found(p: providerhub.ProviderInfo) -> bool | None:
    """Whether the provider's key variable holds a key; ``None`` when it names none."""
    return bool(os.environ.get(p.api_key_env, "").strip()) if p.api_key_env else None


def _key_state(p: providerhub.ProviderInfo) -> str:
    """The KEY column: ``set``, ``missing`` (a key is needed and its variable is empty) or ``-``."""
    found = _key_found(p)
    if found:
        return "set"
    return "missing" if p.needs_auth else "-"


def _provider_json(p: providerhub.ProviderInfo) -> dict[str, Any]:
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
        "key_found": _key_found(p),
        "options": dict(p.options),
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
    if ctx.args.json:
        listing = [
            {"id": m.id, "provider": m.provider, "plugin": m.plugin, "aliases": list(m.aliases), "vision": m.vision}
            for m in models
        ]
        _json(listing, ctx.out)
    elif not models:
        ctx.err.write(f"{PROG}: no models match\n")
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


def _read_prompt(ctx: _Context) -> str:
    """The prompt argument, or stdin for none or ``-``."""
    prompt: str | None = ctx.args.prompt
    if prompt is None or prompt == "-":
        if sys.stdin is None:
            raise UsageError("no prompt given and stdin is closed")
        if sys.stdin.isatty():
            ctx.err.write(f"{PROG}: reading the prompt from stdin; end it with Ctrl-D\n")
        try:
            prompt = sys.stdin.read()
        except UnicodeDecodeError:
            prompt = "\udcff"  # reported below, as undecodable bytes kept by surrogateescape are
        if _SURROGATE.search(prompt):
            raise UsageError("stdin is not valid UTF-8 text")
    prompt = prompt.strip("\r\n")  # the newline that ends piped text is not part of the prompt
    if not prompt.strip():
        raise UsageError("the prompt is empty")
    return prompt


class _Stream:
    """The answer's way to stdout: a spinner on a terminal's stderr until the first chunk, then the chunks."""

    def __init__(self, out: TextIO, err: TextIO):
        self.out, self.err = out, err
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
        if _isatty(self.err):
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
        if chunk:
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


async def _answer(answer: providerhub.AsyncResult, stream: _Stream) -> None:
    """Print one answer's text (events are not shown); the answer is closed however this ends."""
    stream.start()
    try:
        async for chunk in answer:
            if isinstance(chunk, str):
                stream.write(chunk)
    finally:
        stream.stop()
        aclose = getattr(answer, "aclose", None)
        if aclose is not None:
            await aclose()


def _cmd_chat(ctx: _Context) -> int:
    args = ctx.args
    media: providerhub.MediaListType | None = None
    if args.image:
        providerhub.to_image(args.image)  # fail on an unreadable image before reaching any service
        media = [(args.image, None)]
    model: str | None = args.model
    if args.provider is not None:
        model = f"{_provider_named(args.provider).name}/{model or ''}"
    providerhub.resolve(model, media=media)  # an unknown model fails before the prompt is read
    prompt = _read_prompt(ctx)
    messages: providerhub.Messages = [{"role": "user", "content": prompt}]
    if args.system:
        messages.insert(0, {"role": "system", "content": args.system})
    stream = _Stream(ctx.out, ctx.err)
    try:
        answer = providerhub.stream(model, messages, media=media, timeout=args.timeout, proxy=args.proxy)
        import asyncio  # only chat needs it: listing and resolving start faster without it

        asyncio.run(_until_terminated(_answer(answer, stream)))
    finally:
        stream.end_line()
    return EXIT_OK


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
    from providerhub.server.settings import from_args

    if ctx.args.state_url:  # read by each worker's default hub, as if set by the user
        os.environ["PROVIDERHUB_STATE_URL"] = ctx.args.state_url
    return serve(from_args(ctx.args))


# -- check --------------------------------------------------------------------------------------


def _cmd_check(ctx: _Context) -> int:
    """The contract kit's checks; ``providerhub.testing`` is imported only by this command."""
    from providerhub.testing.installed import check_installed

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
    """The exit status for an error: 2 bad input, 3 not found, 4 provider or network, 1 anything else."""
    if isinstance(exc, (UsageError, RequestError, ConfigError)):
        return EXIT_USAGE
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
