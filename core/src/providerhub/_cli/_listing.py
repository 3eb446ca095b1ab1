"""The listing commands: plugins, providers, models, resolve and ``--version``."""

from __future__ import annotations

import providerhub
from providerhub import _default
from providerhub._resolution import close_matches
from providerhub.errors import ProviderNotFoundError, name_list, quoted

from ._output import PROG, Context, one_line, write_json, write_table, yes
from ._status import EXIT_OK

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def _plugins(ctx: Context) -> list[providerhub.PluginInfo]:
    """Every plugin; their load warnings are held, as the listing shows them in its error column."""
    plugins: list[providerhub.PluginInfo] = []
    ctx.warnings.hold()
    try:
        plugins = providerhub.list_plugins()
    finally:
        ctx.warnings.release([p.error for p in plugins])
    return plugins


def cmd_plugins(ctx: Context) -> int:
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
        write_json(listing, ctx.out)
    elif not plugins:
        ctx.err.write(f"{PROG}: no plugins are installed (for example: pip install providerhub-dynaspark)\n")
    else:
        rows = [(p.name, p.distribution, p.version, ", ".join(p.providers), one_line(p.error)) for p in plugins]
        write_table(("PLUGIN", "DISTRIBUTION", "VERSION", "PROVIDERS", "ERROR"), rows, ctx.out)
    return EXIT_OK


def cmd_providers(ctx: Context) -> int:
    from providerhub import _keys as keys

    providers = providerhub.list_providers()
    found = {p.name: keys.lookup(p.name, p.api_key_env) for p in providers}
    if ctx.args.json:
        write_json([_provider_json(p, found[p.name]) for p in providers], ctx.out)
    elif not providers:
        ctx.err.write(f"{PROG}: no providers are registered (for example: pip install providerhub-dynaspark)\n")
    else:
        rows = [
            (
                p.name,
                len(p.models),
                p.priority,
                yes(p.working),
                yes(p.needs_auth),
                _key_column(p, found[p.name]),
                yes(p.supports_stream),
                p.url,
            )
            for p in providers
        ]
        write_table(("PROVIDER", "MODELS", "PRIORITY", "WORKING", "AUTH", "KEY", "STREAM", "URL"), rows, ctx.out)
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


def provider_named(name: str) -> providerhub.ProviderInfo:
    """The registered provider called ``name`` (any case), or a ``ProviderNotFoundError`` with suggestions."""
    providers = providerhub.list_providers()
    for provider in providers:
        if provider.name.lower() == name.lower():
            return provider
    close = close_matches(name, (p.name for p in providers))
    message = f"no provider named {quoted(name)}"
    if close:
        message += f"; did you mean {', '.join(map(repr, close))}?"
    elif providers:
        message += f"; the providers are: {name_list(p.name for p in providers)}"
    else:
        message += "; no provider plugins are installed (for example: pip install providerhub-dynaspark)"
    raise ProviderNotFoundError(message)


def cmd_models(ctx: Context) -> int:
    models = providerhub.list_models()
    if ctx.args.provider is not None:
        name = provider_named(ctx.args.provider).name
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
        write_json(listing, ctx.out)
    elif not models:
        ctx.err.write(f"{PROG}: no models match\n")
    elif ctx.args.options:
        listed = [
            (m.id, m.provider, ", ".join(f"{k} ({t})" for k, t in options.get(m.provider, {}).items())) for m in models
        ]
        write_table(("MODEL", "PROVIDER", "OPTIONS"), listed, ctx.out)
    else:
        rows = [(m.id, m.provider, ", ".join(m.aliases), yes(m.vision)) for m in models]
        write_table(("MODEL", "PROVIDER", "ALIASES", "VISION"), rows, ctx.out)
    return EXIT_OK


def _priority(candidate: providerhub.Candidate) -> int | None:
    """A candidate's priority, from the records serving its model: with the model index warm, no others are read."""
    registry = _default.registry()
    for record in registry.serving(candidate.model) or ():
        if record.name == candidate.provider:
            return record.priority
    found = registry.by_name.get(candidate.provider.lower())  # a model id passed through to an any_model provider
    return found.priority if found is not None else None


def cmd_resolve(ctx: Context) -> int:
    media: providerhub.MediaListType | None = [(ctx.args.image, None)] if ctx.args.image else None
    found = providerhub.resolve(ctx.args.model, media=media)
    candidates = [
        {"provider": c.provider, "model": c.model, "plugin": c.plugin, "priority": _priority(c)}
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
        write_json(summary, ctx.out)
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
    write_table(("#", "PROVIDER", "MODEL", "PRIORITY", "PLUGIN"), rows, ctx.out)
    return EXIT_OK


def cmd_version(ctx: Context) -> int:
    ctx.out.write(f"{PROG} {providerhub.__version__}\n")
    for p in _plugins(ctx):
        state = ", failed to load" if p.error else ""
        ctx.out.write(f"{p.distribution or '(unknown distribution)'} {p.version or '?'} (plugin {p.name}{state})\n")
    return EXIT_OK
