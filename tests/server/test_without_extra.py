"""Without the ``[server]`` extra (no aiohttp), ``providerhub serve`` says how to get it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from support.gateway import clean_environ, script


@pytest.mark.core_only
def test_serve_without_the_extra_says_how_to_install_it(tmp_path: Path) -> None:
    env = clean_environ(tmp_path)
    probe = subprocess.run([sys.executable, "-c", "from aiohttp import web"], env=env, capture_output=True, timeout=60)
    assert probe.returncode != 0, "aiohttp must not be installed here"
    result = subprocess.run([script(), "serve", "--port", "0"], env=env, capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == "providerhub: error: the server needs aiohttp: pip install 'providerhub[server]'\n"
    help_text = subprocess.run([script(), "serve", "--help"], env=env, capture_output=True, text=True, timeout=60)
    assert help_text.returncode == 0
    assert "--allow-remote-images" in help_text.stdout
