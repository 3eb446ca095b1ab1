"""Fixtures for the routing tests: fault providers installed as real plugins."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from support.faults import Step, install_faults
from support.plugins import PluginSite

from .helpers import MODEL, Install


@pytest.fixture
def faults(plugin_site: PluginSite) -> Install:
    """Install fault providers serving ``fault-1``, preferred in the order given: ``faults(A=[...], B=[...])``."""

    def install(**scripts: Sequence[Step]) -> None:
        install_faults(plugin_site, MODEL, scripts)

    return install
