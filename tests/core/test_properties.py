"""Invariants of resolution over generated registries."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from providerhub import ModelNotFoundError, ProviderHubError
from providerhub._declarations import ProviderInfo
from providerhub._registry import Registry
from providerhub._resolution import candidates, match, model_in

names = st.sampled_from(["gem", "Gem", "gpt", "GPT-4", "gpt-4", "llama/3", "mix", "a/b", "Alpha", "beta", "x"])
provider_names = st.sampled_from(["Alpha", "Beta", "Gamma", "Delta", "alpha2", "Zed"])


@st.composite
def records(draw: st.DrawFn) -> list[ProviderInfo]:
    chosen = draw(st.lists(provider_names, min_size=1, max_size=5, unique_by=str.lower))
    out = []
    for provider in chosen:
        models = tuple(draw(st.lists(names, min_size=1, max_size=4, unique=True)))
        alias_keys = draw(st.lists(names, max_size=3, unique=True))
        aliases = tuple(sorted((a, draw(st.sampled_from(models))) for a in alias_keys))
        vision = tuple(m for m in models if draw(st.booleans()))
        out.append(
            ProviderInfo(
                name=provider,
                plugin=provider.lower(),
                models=models,
                default_model=models[0],
                default_vision_model=None,
                vision_models=vision,
                aliases=aliases,
                priority=draw(st.integers(-3, 3)),
                working=draw(st.booleans()),
                label=None,
                url=None,
                needs_auth=False,
                supports_stream=True,
                any_model=draw(st.booleans()),
            )
        )
    return out


def build(recs: list[ProviderInfo], prefer: Sequence[str] = ()) -> Registry:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Registry(recs, (), lambda r: type(r.name, (), {}), prefer=prefer)


def outcome(reg: Registry, name: str, media: bool = False) -> object:
    try:
        how, pairs = candidates(reg, name, media)
    except ProviderHubError as exc:
        return type(exc).__name__
    return how, [(r.name, m) for r, m in pairs]


@given(records())
def test_an_exact_id_always_means_itself(recs: list[ProviderInfo]) -> None:
    reg = build(recs)
    for model in reg.by_model:
        how, pairs = match(reg, model)
        assert how == "id"
        assert {r.name for r, _ in pairs} == {r.name for r in recs if model in r.models}
        assert all(m == model for _, m in pairs)


@given(records())
def test_no_alias_survives_that_equals_a_model_id(recs: list[ProviderInfo]) -> None:
    reg = build(recs)
    ids = {m for r in recs for m in r.models}
    assert not ids & set(reg.by_alias)
    kept = {(r.name, a) for r in recs for a, _ in r.aliases if a not in ids}
    assert kept == {(r.name, a) for a, pairs in reg.by_alias.items() for r, _ in pairs}


@given(records(), st.randoms(use_true_random=False), names)
def test_resolution_ignores_registration_order(recs: list[ProviderInfo], rnd, name: str) -> None:  # type: ignore[no-untyped-def]
    shuffled = list(recs)
    rnd.shuffle(shuffled)
    assert outcome(build(recs), name) == outcome(build(shuffled), name)


@given(records(), names, st.booleans(), st.lists(provider_names, max_size=3))
def test_candidates_follow_prefer_then_priority_then_name(
    recs: list[ProviderInfo], name: str, media: bool, preferred: list[str]
) -> None:
    reg = build(recs, preferred)
    result = outcome(reg, name, media)
    if isinstance(result, str):
        return
    _, pairs = result
    by_name = {r.name: r for r in recs}
    rank = {}
    for i, p in enumerate(preferred):
        rank.setdefault(p.lower(), i)
    keys = [(rank.get(n.lower(), len(rank)), -by_name[n].priority, n.lower()) for n, _ in pairs]
    assert keys == sorted(keys)
    for provider, model in pairs:
        record = by_name[provider]
        assert record.working
        assert model in (record.vision_models if media else record.models)  # vision models are among the models


@given(records(), st.data())
def test_a_name_known_only_ignoring_case_matches_when_that_is_unique(
    recs: list[ProviderInfo], data: st.DataObject
) -> None:
    reg = build(recs)
    known = data.draw(st.sampled_from(sorted({*reg.by_model, *reg.by_alias})))
    name = data.draw(st.sampled_from([known.upper(), known.lower(), known.swapcase()]))
    # no earlier rule applies: not an id or alias as written, not a provider name or prefix
    assume(name not in reg.by_model and name not in reg.by_alias)
    assume(name.partition("/")[0].lower() not in reg.by_name)
    keys = reg.by_folded[name.casefold()]
    try:
        how, _ = match(reg, name)
        said = ""
    except ModelNotFoundError as exc:
        how, said = "not found", str(exc)
    assert how == ("case-insensitive" if len(keys) == 1 else "not found")
    assert len(keys) == 1 or all(repr(key) in said for key in keys)  # an ambiguous name lists what it could be


@settings(max_examples=50)
@given(records())
def test_default_model_is_served_by_the_first_working_provider(recs: list[ProviderInfo]) -> None:
    reg = build(recs)
    result = outcome(reg, "")
    working = [r for r in recs if r.working]
    if not working:
        assert result == "ProviderNotWorkingError"
        return
    first = sorted(working, key=lambda r: (-r.priority, r.name.lower()))[0]
    assert result != "ModelNotFoundError"
    how, pairs = result  # type: ignore[misc]
    assert how == "default"
    assert pairs[0] == (first.name, first.default_model)


@given(records(), st.data())
def test_each_candidate_accepts_the_name_that_reached_it(recs: list[ProviderInfo], data: st.DataObject) -> None:
    """What ``get_model`` does for a provider class: the per-provider rule gives the model resolution chose."""
    reg = build(recs)
    known = [*reg.names(), *(f"{r.name}/{n}" for r in recs for n in ("", *r.models, "elsewhere"))]
    base = data.draw(st.sampled_from(known))
    name = data.draw(st.sampled_from([base, base.upper(), base.lower()]))
    for media in (False, True):
        result = outcome(reg, name, media)
        if isinstance(result, str):
            continue
        how, pairs = result
        for provider, model in pairs:
            record = reg.by_name[provider.lower()]
            own = model_in(
                name,
                provider=record.name,
                models=record.models,
                aliases=dict(record.aliases),
                default=record.default_model,
                any_model=record.any_model,
            )
            if how == "provider" and media:
                assert own == record.default_model  # the vision default is resolution's choice, not the name's
            else:
                assert own == model, (how, name)
