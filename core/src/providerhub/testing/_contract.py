"""The pytest side of the kit: ``parametrize_provider_checks``, ``ProviderContract`` and the ``standin`` fixture."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Union

import pytest

from ..providers import BaseProvider
from ._checks import CHECKS, Check
from ._standin import StandIn
from ._transport import Transport

Subject = Union[type[BaseProvider], tuple[type[BaseProvider], Transport]]
"""A provider class, or a provider class with the ``Transport`` its calls go through."""

ExpectedFailures = Union[Mapping[str, str], Callable[[type[BaseProvider]], Mapping[str, str]]]
"""``{check_name: reason}``, or a function of the provider class giving one."""


def _subject(item: Subject) -> tuple[type[BaseProvider], Transport]:
    if isinstance(item, tuple):
        cls, transport = item
        return cls, transport
    return item, Transport()


def parametrize_provider_checks(
    *providers: Subject, expected_failures: ExpectedFailures | None = None
) -> pytest.MarkDecorator:
    """Parametrize a test over ``(provider, check)``: one test per provider and check, with ids like
    ``Dynaspark-check_answer`` (usable with ``-k``). The test body is ``check(provider)``.

    ``expected_failures`` marks known failures as strict ``xfail``: a listed check that starts
    passing fails the run, so the list only shrinks. A name that is not a check is an error.
    """
    known = {check.name for check in CHECKS}
    params = []
    for item in providers:
        cls, transport = _subject(item)
        expected = (expected_failures(cls) if callable(expected_failures) else expected_failures) or {}
        unknown = sorted(set(expected) - known)
        if unknown:
            raise ValueError(
                f"expected_failures names {', '.join(map(repr, unknown))}, not a check; the checks are: "
                + ", ".join(sorted(known))
            )
        for check in CHECKS:
            reason = expected.get(check.name)
            marks = [pytest.mark.xfail(reason=reason, strict=True, raises=AssertionError)] if reason else []
            params.append(pytest.param(cls, check.bind(transport), id=f"{cls.name}-{check.name}", marks=marks))
    return pytest.mark.parametrize(("provider", "check"), params)


@pytest.fixture
def standin() -> Iterator[StandIn]:
    """A running StandIn (loopback HTTP server), closed after the test."""
    with StandIn() as server:
        yield server


def _contract_test(check: Check) -> Callable[..., None]:
    def test(self: Any, provider: type[BaseProvider], model: str | None, transport: Transport) -> None:
        if model is not None and transport.model is None:
            transport = dataclasses.replace(transport, model=model)
        check.bind(transport)(provider)

    test.__name__ = "test_" + check.name.removeprefix("check_")
    test.__doc__ = check.function.__doc__
    return test


class ProviderContract:
    """The checks as test methods, for authors who prefer subclassing (as with fsspec's abstract tests).

    Subclass it as ``class TestMyProvider(ProviderContract)`` and override the ``provider``
    fixture; ``model`` (the model the calls ask for) and ``transport`` (a ``Transport``: the
    answer in your wire format, the endpoint setting) are optional.
    """

    @pytest.fixture
    def provider(self) -> type[BaseProvider]:
        """The provider class under check: override this fixture."""
        pytest.fail(f"{type(self).__name__}: override the 'provider' fixture to return your provider class")

    @pytest.fixture
    def model(self, provider: type[BaseProvider]) -> str | None:
        """The model the calls ask for (``None``: the provider's default model)."""
        return None

    @pytest.fixture
    def transport(self) -> Transport:
        """How the calls reach the provider; override to give an answer factory or an endpoint setting."""
        return Transport()


for _check in CHECKS:
    setattr(ProviderContract, "test_" + _check.name.removeprefix("check_"), _contract_test(_check))
del _check
