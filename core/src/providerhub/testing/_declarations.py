"""The declaration checks: what a provider class declares, checked without importing anything else."""

from __future__ import annotations

from .._declarations import ProviderInfo, describe_provider, shadowing_aliases, shadowing_message
from .._registry import Registry
from ..errors import ProviderHubError
from ..providers import BaseProvider
from ._base import Check, collect, describe_error, fail, one_line
from ._transport import CheckSkipped, Transport

CHECKS: list[Check] = []
check = collect(CHECKS)


def _record(cls: type[BaseProvider]) -> ProviderInfo:
    try:
        return describe_provider(cls, None)
    except ValueError as exc:
        raise CheckSkipped(
            f"its declarations are invalid (see check_declarations): {one_line(str(exc), 120)}"
        ) from None


@check
def check_declarations(cls: type[BaseProvider], transport: Transport) -> None:
    """Every rule the registry enforces on a provider class holds."""
    try:
        describe_provider(cls, None)
    except ValueError as exc:
        raise fail(str(exc)) from None


@check
def check_aliases_do_not_shadow_ids(cls: type[BaseProvider], transport: Transport) -> None:
    """No alias is also a model id (the registry would drop it: an exact id always means itself)."""
    record = _record(cls)
    shadowing = shadowing_aliases(record, frozenset(record.models))
    if shadowing:
        raise fail(shadowing_message(record, shadowing))


@check
def check_get_model_agrees(cls: type[BaseProvider], transport: Transport) -> None:
    """``get_model`` gives the model resolution gives, for every id, alias and ``<name>/...`` form."""
    from .._resolution import resolve_in

    get_model = getattr(cls, "get_model", None)
    if not callable(get_model):
        raise CheckSkipped(f"provider {cls.name} has no get_model (it does not use ProviderModelMixin)")
    record = _record(cls)._replace(working=True)
    registry = Registry([record], (), lambda _: cls)
    names = [*record.models, *(alias for alias, _ in record.aliases)]
    forms = [*names, record.name, *(f"{record.name}/{n}" for n in names), *(n.upper() for n in names)]
    wrong = []
    for form in dict.fromkeys(forms):
        try:
            expected = resolve_in(registry, form).model
        except ProviderHubError:
            continue  # resolution does not accept this form either
        try:
            got = get_model(form)
        except Exception as exc:
            wrong.append(
                f"get_model({form!r}) raised {one_line(describe_error(exc), 100)}, resolution gives {expected!r}"
            )
            continue
        if got != expected:
            wrong.append(f"get_model({form!r}) is {got!r}, resolution gives {expected!r}")
    if wrong:
        more = f" (and {len(wrong) - 1} more)" if len(wrong) > 1 else ""
        raise fail(wrong[0] + more)
