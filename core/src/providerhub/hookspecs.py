"""The hooks a providerhub plugin implements.

The markers set the very attributes pluggy's ``HookspecMarker``/``HookimplMarker`` set (pluggy
reads them when a plugin is registered), without importing pluggy: a start served by the model
index calls a plugin's hook directly and never needs it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TypeVar, overload

    from .providers import BaseProvider

    F = TypeVar("F", bound=Callable[..., Any])

__all__ = ["HookimplMarker", "HookspecMarker", "hookimpl", "hookspec", "register_providers"]

PROJECT = "providerhub"
"""The pluggy project name, which is also the entry-point group plugins declare."""
IMPL_ATTR = PROJECT + "_impl"
SPEC_ATTR = PROJECT + "_spec"


class HookimplMarker:
    """``pluggy.HookimplMarker("providerhub")``, attribute for attribute."""

    if TYPE_CHECKING:  # typing's overload: only a type checker reads the overloads

        @overload
        def __call__(
            self,
            function: F,
            hookwrapper: bool = ...,
            optionalhook: bool = ...,
            tryfirst: bool = ...,
            trylast: bool = ...,
            specname: str | None = ...,
            wrapper: bool = ...,
        ) -> F: ...

        @overload
        def __call__(
            self,
            function: None = ...,
            hookwrapper: bool = ...,
            optionalhook: bool = ...,
            tryfirst: bool = ...,
            trylast: bool = ...,
            specname: str | None = ...,
            wrapper: bool = ...,
        ) -> Callable[[F], F]: ...

    def __call__(
        self,
        function: F | None = None,
        hookwrapper: bool = False,
        optionalhook: bool = False,
        tryfirst: bool = False,
        trylast: bool = False,
        specname: str | None = None,
        wrapper: bool = False,
    ) -> F | Callable[[F], F]:
        """Mark ``function`` as a hook implementation (or return a decorator that does)."""
        opts = {
            "wrapper": wrapper,
            "hookwrapper": hookwrapper,
            "optionalhook": optionalhook,
            "tryfirst": tryfirst,
            "trylast": trylast,
            "specname": specname,
        }

        def mark(func: F) -> F:
            setattr(func, IMPL_ATTR, opts)
            return func

        return mark(function) if function is not None else mark


class HookspecMarker:
    """``pluggy.HookspecMarker("providerhub")``, attribute for attribute."""

    def __call__(self, function: F) -> F:
        setattr(function, SPEC_ATTR, {"firstresult": False, "historic": False, "warn_on_impl": None})
        return function


hookspec = HookspecMarker()
hookimpl = HookimplMarker()


@hookspec
def register_providers() -> Iterable[type[BaseProvider]]:
    """Return the provider classes this plugin adds. Called once per discovery; do no I/O here.

    The result must depend only on the installed code, never on environment variables or files:
    the model index records it and reuses it until the plugin is reinstalled. User settings reach
    a provider through the configuration file (``[providers.NAME]`` tables) and ``configure()``.
    """
    raise NotImplementedError  # pragma: no cover - a spec, never called
