"""End to end, as a user installs: the core alone finds nothing; with the plugin beside it, Dynaspark answers.

The tox ``core-only`` env runs the ``core_only`` tests with only ./core installed, then installs
./plugins/dynaspark non-editable and runs the ``installed`` tests, sharing one model-index folder
across both steps, so the index written before the install must not hide the new plugin.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from support.processes import run_python, run_script


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    cache = os.environ.get("PROVIDERHUB_E2E_CACHE_DIR") or str(tmp_path / "cache")
    return {**os.environ, "PROVIDERHUB_CACHE_DIR": cache}


@pytest.mark.core_only
def test_core_alone_cannot_resolve_with_a_clear_error(env: dict[str, str]) -> None:
    assert run_python("import providerhub_dynaspark", env=env).returncode != 0, "the plugin must not be installed here"
    out = run_python("from providerhub import get_provider; get_provider('gemini-1.5-flash')", env=env)
    assert out.returncode == 1
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith(
        "providerhub.errors.ModelNotFoundError: no installed provider serves model 'gemini-1.5-flash'"
    )
    assert "pip install providerhub-dynaspark" in last


@pytest.mark.core_only
def test_core_alone_cli_says_not_found(env: dict[str, str]) -> None:
    out = run_script("resolve", "gemini-1.5-flash", env=env)
    assert out.returncode == 3
    assert out.stdout == ""
    (line,) = out.stderr.strip().splitlines()
    assert "gemini-1.5-flash" in line and "Traceback" not in out.stderr


@pytest.mark.core_only
def test_core_alone_imports_no_aiohttp(env: dict[str, str]) -> None:
    code = "import sys, providerhub; providerhub.list_models(); print(sorted(m for m in sys.modules if 'aiohttp' in m))"
    assert run_python(code, env=env).stdout.strip() == "[]"


@pytest.mark.installed
def test_installed_plugin_is_found_and_answers(env: dict[str, str]) -> None:
    from support.dynaspark_standin import serve_in_thread

    code = """
import providerhub, providerhub_dynaspark
provider = providerhub.get_provider("gemini-1.5-flash")
assert provider is providerhub_dynaspark.Dynaspark, provider
print("".join(provider.create_completion("gemini-flash", [{"role": "user", "content": "ping"}])))
"""
    with serve_in_thread() as server:
        run_env = {**env, "DYNASPARK_API_ENDPOINT": server.url}
        out = run_python(code, env=run_env)
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip() == "echo[gemini-1.5-flash]: ping"
        cli = run_script("chat", "-m", "gemini-2-flash", "hello there", env=run_env)
        assert cli.returncode == 0, cli.stderr
        assert cli.stdout.strip() == "echo[gemini-2.0-flash]: hello there"
    assert [(r.ai_model, r.user_input) for r in server.requests] == [
        ("gemini-1.5-flash", "ping"),
        ("gemini-2.0-flash", "hello there"),
    ]


@pytest.mark.installed
def test_installed_plugin_is_listed(env: dict[str, str]) -> None:
    code = (
        "import providerhub\n"
        "print([(p.name, p.distribution, p.providers, p.error) for p in providerhub.list_plugins()])"
    )
    out = run_python(code, env=env)
    assert "('dynaspark', 'providerhub-dynaspark', ('Dynaspark',), None)" in out.stdout, out.stderr


@pytest.mark.installed
def test_installed_openai_plugin_is_found_and_answers(env: dict[str, str]) -> None:
    from support.openai_standin import serve_in_thread

    with serve_in_thread() as server:
        code = f"""
import providerhub, providerhub_openai
assert providerhub.get_provider("ollama/llama3.2").name == "ollama"
here = providerhub_openai.OpenAI.configure("here", api_base={server.base!r}, needs_auth=False, models=["m1"])
chunks = here.create_completion("m1", [{{"role": "user", "content": "ping"}}])
print("".join(c for c in chunks if isinstance(c, str)))
"""
        out = run_python(code, env=env)
        assert out.returncode == 0, out.stderr
        assert out.stdout == "echo: ping\n"
    listing = run_script("providers", env=env)
    assert listing.returncode == 0, listing.stderr
    rows = {line.split()[0]: line.split() for line in listing.stdout.splitlines()[1:]}
    assert rows["groq"][4:6] == ["yes", "missing"] and rows["ollama"][4:6] == ["no", "-"]  # AUTH and KEY


def test_the_contract_kit_ships_in_the_core_wheel_and_stays_opt_in(env: dict[str, str]) -> None:
    import importlib_metadata

    dist = importlib_metadata.distribution("providerhub")
    files = {str(f) for f in dist.files or ()}
    modules = ("_base", "_calls", "_checks", "_contract", "_declarations", "_importing", "_installed")
    for module in ("__init__", *modules, "_registration", "_standin", "_transport"):
        assert f"providerhub/testing/{module}.py" in files
    assert "site-packages" in str(dist.locate_file("providerhub/testing/_checks.py"))  # installed, not the source tree
    assert [ep for ep in dist.entry_points if ep.group == "pytest11"] == []  # never autoloaded into test runs
    assert any(req.startswith("pytest") and 'extra == "testing"' in req for req in dist.requires or ())
    code = (
        "import sys, providerhub; providerhub.list_models(); "
        "print(sorted(m for m in sys.modules if 'testing' in m or m.startswith('pytest')))"
    )
    out = run_python(code, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
