"""Without the ``[server]`` extra (no aiohttp), ``providerhub serve`` says how to get it."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.processes import clean_environ, run_python, run_script


@pytest.mark.core_only
def test_serve_without_the_extra_says_how_to_install_it(tmp_path: Path) -> None:
    env = clean_environ(tmp_path)
    assert run_python("from aiohttp import web", env=env).returncode != 0, "aiohttp must not be installed here"
    result = run_script("serve", "--port", "0", env=env)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == "providerhub: error: the server needs aiohttp: pip install 'providerhub[server]'\n"
    help_text = run_script("serve", "--help", env=env)
    assert help_text.returncode == 0
    assert "--allow-remote-images" in help_text.stdout
