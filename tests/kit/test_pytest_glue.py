"""The kit as pytest users meet it: parametrize_provider_checks, ProviderContract, the ``standin`` fixture,
run in inner pytest sessions (pytester)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from providerhub.testing import CHECKS
from support.processes import TESTS, run_python

Run = Callable[..., pytest.RunResult]


@pytest.fixture
def run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Run:
    """``pytest ARGS`` in a fresh interpreter in the pytester folder, with this suite's support modules importable.

    Only the plugins the kit's parts name load (not every installed pytest plugin): the kit needs none."""
    monkeypatch.setenv("PYTHONPATH", str(TESTS))
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")

    def run(*args: str) -> pytest.RunResult:
        return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args, timeout=300)

    return run


PARAMETRIZED = """
from providerhub.testing import parametrize_provider_checks
from support.relay import Relay

@parametrize_provider_checks(Relay{extra})
def test_contract(provider, check):
    check(provider)
"""


def test_one_test_per_provider_and_check_with_ids_usable_with_k(pytester: pytest.Pytester, run: Run) -> None:
    pytester.makepyfile(test_relay=PARAMETRIZED.format(extra=""))
    collected = run("--collect-only", "-q")
    ids = [line for line in collected.outlines if "::" in line]
    assert ids == [f"test_relay.py::test_contract[Relay-{check.name}]" for check in CHECKS]
    chosen = run("-k", "Relay and (rate_limit or declarations)", "-q")
    chosen.assert_outcomes(passed=2)


def test_a_check_that_does_not_apply_is_a_skip_with_its_reason(pytester: pytest.Pytester, run: Run) -> None:
    pytester.makepyfile(test_relay=PARAMETRIZED.format(extra=""))
    result = run("-k", "check_import_is_light", "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*no installed plugin's entry point is in support.relay*"])


def test_a_failing_check_fails_its_test_with_the_reason(pytester: pytest.Pytester, run: Run) -> None:
    pytester.makepyfile(
        test_broken="""
        from providerhub.testing import parametrize_provider_checks
        from kit.test_checks import ErrorAsText

        @parametrize_provider_checks(ErrorAsText)
        def test_contract(provider, check):
            check(provider)
        """
    )
    result = run("-k", "error_is_not_an_answer")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*CheckFailed: ErrorAsText: check_error_is_not_an_answer: HTTP 400*yielded as answer*"]
    )


def test_expected_failures_are_strict(pytester: pytest.Pytester, run: Run) -> None:
    pytester.makepyfile(
        test_expected="""
        from providerhub.testing import parametrize_provider_checks
        from kit.test_checks import ErrorAsText
        from support.relay import Relay

        @parametrize_provider_checks(
            ErrorAsText,
            Relay,
            expected_failures=lambda cls: {"check_error_is_not_an_answer": "turns errors into text"},
        )
        def test_contract(provider, check):
            check(provider)
        """
    )
    result = run("-k", "error_is_not_an_answer", "-rxX")
    result.assert_outcomes(xfailed=1, failed=1)  # Relay passes a check listed as failing: the list must shrink
    result.stdout.fnmatch_lines(["*XPASS(strict)*turns errors into text*"])


def test_an_expected_failure_that_is_not_a_check_is_an_error(pytester: pytest.Pytester, run: Run) -> None:
    pytester.makepyfile(test_relay=PARAMETRIZED.format(extra=', expected_failures={"check_speed": "slow"}'))
    result = run()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*expected_failures names 'check_speed', not a check; the checks are: *"])


def test_provider_contract_gives_the_checks_as_test_methods(pytester: pytest.Pytester, run: Run) -> None:
    pytester.makepyfile(
        test_subclass="""
        import pytest
        from providerhub.testing import ProviderContract, Transport
        from support.relay import Relay

        class TestRelay(ProviderContract):
            @pytest.fixture
            def provider(self):
                return Relay

            @pytest.fixture
            def model(self):
                return "relay-vision"

        class TestWithoutProvider(ProviderContract):
            pass
        """
    )
    collected = run("--collect-only", "-q", "test_subclass.py::TestRelay")
    names = {line.rsplit("::", 1)[1] for line in collected.outlines if "::" in line}
    assert names == {"test_" + check.name.removeprefix("check_") for check in CHECKS}
    result = run("-k", "answer or media or declarations", "-q")
    result.assert_outcomes(passed=4, errors=4)  # TestRelay passes; TestWithoutProvider says what is missing
    result.stdout.fnmatch_lines(["*TestWithoutProvider: override the 'provider' fixture*"])


def test_pytest_plugins_enables_the_standin_fixture(pytester: pytest.Pytester, run: Run) -> None:
    pytester.makeconftest('pytest_plugins = ["providerhub.testing"]')
    pytester.makepyfile(
        test_fixture="""
        import urllib.request
        from providerhub.testing import Reply

        def test_standin(standin):
            standin.respond(Reply.json({"ok": True}, 201))
            with urllib.request.urlopen(standin.url + "/ping") as response:
                assert response.status == 201 and response.read() == b'{"ok": true}'
            assert standin.requests[0].path == "/ping"
        """
    )
    run().assert_outcomes(passed=1)


def test_without_pytest_the_checks_still_run_and_the_pytest_parts_say_what_they_need() -> None:
    code = (
        "import sys\n"
        "sys.modules['pytest'] = None  # as if pytest were not installed\n"
        "from providerhub.testing import check_provider\n"
        "from support.relay import Relay\n"
        "print(sorted({r.outcome for r in check_provider(Relay)}))\n"
        "try:\n"
        "    from providerhub.testing import ProviderContract\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    out = run_python(code, support=True, timeout=120)
    assert out.returncode == 0, out.stderr
    outcomes, error = out.stdout.splitlines()
    assert "passed" in outcomes
    assert error == "providerhub.testing.ProviderContract needs pytest: pip install 'providerhub[testing]'"
