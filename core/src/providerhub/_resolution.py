"""Model resolution: the rules that map a requested name to ordered (provider, model) candidates."""

from collections.abc import Iterable, Mapping, Sequence

from ._declarations import ProviderInfo
from ._records import NamedTuple
from ._registry import Registry
from .errors import ModelNotFoundError, ModelNotSupportedError, ProviderNotWorkingError, name_list, quoted
from .providers import BaseProvider

Pair = tuple[ProviderInfo, str]


class Candidate(NamedTuple):
    """One provider able to answer a request, with the model id to ask it for."""

    provider: str
    model: str
    plugin: str | None


class Resolution(NamedTuple):
    """The outcome of resolving a name: who answers it, and everyone else who could, in order."""

    requested: str | None
    provider: type[BaseProvider]
    model: str
    plugin: str | None
    match: str
    """How the name matched: ``id``, ``prefix``, ``provider``, ``alias``, ``case-insensitive``,
    or ``default`` when no name was given."""
    candidates: tuple[Candidate, ...]
    """Every working candidate in preference order; the first is ``provider``/``model``."""


def close_matches(name: str, known: Iterable[str]) -> list[str]:
    """Up to three of ``known`` that look like ``name`` (ignoring case), best first: for "did you mean"."""
    import difflib

    folded: dict[str, str] = {}
    for item in known:
        folded.setdefault(item.casefold(), item)
    return [folded[m] for m in difflib.get_close_matches(name.casefold(), list(folded), n=3, cutoff=0.6)]


def _not_found(registry: Registry, name: str, detail: str = "") -> ModelNotFoundError:
    close = close_matches(name, registry.names())
    message = f"no installed provider serves model {quoted(name)}"
    if detail:
        message += f" ({detail})"
    if close:
        message += f"; did you mean {', '.join(map(repr, close))}?"
    elif not registry.providers:
        message += "; no provider plugins are installed (for example: pip install providerhub-dynaspark)"
    return ModelNotFoundError(message, requested=name, suggestions=close)


def model_in(
    name: str,
    *,
    provider: str,
    models: Sequence[str],
    aliases: Mapping[str, str],
    default: str,
    any_model: bool = False,
) -> str | None:
    """The model id one provider serves for ``name``, or ``None``: the per-provider half of the rules.

    Resolution uses it for the provider a name matched, and ``ProviderModelMixin.get_model`` for its
    own class, so a provider accepts every form that resolves to it: an exact id, ``<provider>/<model>``,
    the provider's own name, an alias, a unique case-insensitive match, and with ``any_model`` any
    other id passed through as it is.
    """
    if not name:
        return default
    if name in models:
        return name
    prefix, slash, rest = name.partition("/")
    if slash and prefix.lower() == provider.lower():
        return _within(rest, models, aliases, default, any_model)
    if name.lower() == provider.lower():
        return default
    return _within(name, models, aliases, default, any_model)


def _within(name: str, models: Sequence[str], aliases: Mapping[str, str], default: str, any_model: bool) -> str | None:
    """A model name after the provider is known: default, id, alias, unique case-insensitive, pass-through."""
    if not name:
        return default
    if name in models:
        return name
    if name in aliases:
        return aliases[name]
    folded = {key for key in (*models, *aliases) if key.casefold() == name.casefold()}
    if len(folded) == 1:
        key = folded.pop()
        return aliases.get(key, key)
    return name if any_model else None


def _model_of(record: ProviderInfo, name: str) -> str:
    """Resolve ``name`` within one provider (after a ``provider/`` prefix)."""
    found = _within(name, record.models, dict(record.aliases), record.default_model, record.any_model)
    if found is None:
        raise ModelNotSupportedError(
            f"provider {record.name} has no model {quoted(name)}; its models are: {name_list(record.models)}",
            requested=name,
            suggestions=record.models,
        )
    return found


def match(registry: Registry, name: str) -> tuple[str, list[Pair]]:
    """Apply the rules in order: exact id, ``provider/model``, provider name, alias, unique case-insensitive."""
    served = registry.serving(name)  # from the model index alone on a warm start
    if served:
        return "id", [(record, name) for record in served]
    prefix, slash, rest = name.partition("/")
    if slash and prefix.lower() in registry.by_name:
        owner = registry.by_name[prefix.lower()]
        return "prefix", [(owner, _model_of(owner, rest))]
    named = registry.by_name.get(name.lower())
    if named is not None:
        return "provider", [(named, named.default_model)]
    if name in registry.by_alias:
        return "alias", list(registry.by_alias[name])
    keys = registry.by_folded.get(name.casefold())
    if keys and len(keys) == 1:
        (key,) = keys
        pairs = [(r, key) for r in registry.by_model.get(key, ())] or list(registry.by_alias[key])
        return "case-insensitive", pairs
    if keys:
        raise _not_found(registry, name, f"it matches {name_list(map(repr, sorted(keys)))} ignoring case")
    raise _not_found(registry, name)


def preference(records: list[ProviderInfo], prefer: Sequence[str] = ()) -> list[ProviderInfo]:
    """Order providers: those in ``prefer`` first (in its order), then higher ``priority``, then name."""
    rank = {name.lower(): i for i, name in reversed(list(enumerate(prefer)))}
    return sorted(records, key=lambda r: (rank.get(r.name.lower(), len(rank)), -r.priority, r.name.lower(), r.name))


def _ordered(registry: Registry, pairs: list[Pair]) -> list[Pair]:
    if len(pairs) < 2:
        return pairs  # the common case, asked at every call: nothing to order
    models = {record.name: model for record, model in pairs}
    return [(record, models[record.name]) for record in preference([record for record, _ in pairs], registry.prefer)]


def _vision_default(record: ProviderInfo) -> str | None:
    if record.default_model in record.vision_models:
        return record.default_model
    if record.default_vision_model in record.vision_models:
        return record.default_vision_model
    return record.vision_models[0] if record.vision_models else None


def _default_name(registry: Registry, media: bool) -> str:
    """The model to use when none is named."""
    if registry.default_model:
        return registry.default_model
    for record in preference([r for r in registry.providers if r.working], registry.prefer):
        model = _vision_default(record) if media else record.default_model
        if model:
            return model
    if not registry.providers:
        raise _not_found(registry, "", "no model was named and no provider is registered")
    raise ProviderNotWorkingError("no model was named and no working provider has a default model")


def candidates(registry: Registry, name: str | None, media: bool = False) -> tuple[str, list[Pair]]:
    """How ``name`` matched, and its working candidates in preference order (vision-capable with ``media``)."""
    if name is not None and not isinstance(name, str):
        raise TypeError(f"a model name must be a string or None, not {type(name).__name__}")
    requested = name or _default_name(registry, media)
    try:
        how, pairs = match(registry, requested)
    except ModelNotFoundError as exc:
        if name or not registry.default_model:
            raise
        raise type(exc)(
            f"{registry.default_source}={quoted(requested)}: {exc}", requested=requested, suggestions=exc.suggestions
        ) from None
    how = how if name else "default"
    if media:
        if how == "provider":
            pairs = [(r, _vision_default(r) or m) for r, m in pairs]
        # an id passed through to an ``any_model`` provider is its own to judge
        vision = [(r, m) for r, m in pairs if m in r.vision_models or (r.any_model and m not in r.models)]
        if not vision:
            served = name_list(f"{r.name} ({m})" for r, m in _ordered(registry, pairs))
            raise ModelNotSupportedError(
                f"no provider serves {quoted(requested)} with image input; "
                f"{served} serve{'s' if len(pairs) == 1 else ''} it without vision",
                requested=requested,
            )
        pairs = vision
    working = [(r, m) for r, m in pairs if r.working]
    if not working:
        names = name_list(r.name for r, _ in _ordered(registry, pairs))
        raise ProviderNotWorkingError(f"{quoted(requested)} is served only by providers marked not working: {names}")
    return how, _ordered(registry, working)


def resolve_in(registry: Registry, name: str | None, media: bool = False) -> Resolution:
    """Resolve ``name`` against one registry snapshot."""
    how, pairs = candidates(registry, name, media)
    record, model = pairs[0]
    return Resolution(
        requested=name,
        provider=registry.provider_class(record),
        model=model,
        plugin=record.plugin,
        match=how,
        candidates=tuple(Candidate(r.name, m, r.plugin) for r, m in pairs),
    )
