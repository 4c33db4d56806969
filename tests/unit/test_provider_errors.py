"""Provider calls fail with our message in a provider host, not with the host's traceback."""

from __future__ import annotations

import sys
import traceback

import pytest

from components.providers.common import ReportingProvider
from components.rollout import RolloutFailed

HOST_ARGV = ["python", "-m", "pulumi.dynamic", "127.0.0.1:50051"]


class Failing(ReportingProvider):
    def __init__(self, error: Exception) -> None:
        self.error = error

    def create(self, props):  # type: ignore[no-untyped-def, override]
        raise self.error


@pytest.fixture
def in_host(monkeypatch):
    monkeypatch.setattr(sys, "argv", HOST_ARGV)
    yield
    if hasattr(sys, "tracebacklimit"):
        del sys.tracebacklimit


def formatted(provider: Failing) -> str:
    """What the SDK's host sends the engine: ``traceback.format_exc()``."""
    try:
        provider.create({})
    except Exception:
        return traceback.format_exc()
    raise AssertionError("the call did not fail")


def test_our_errors_go_out_as_the_message_alone(in_host) -> None:
    text = formatted(Failing(RolloutFailed("verification of the new credential failed: x")))
    assert text.strip() == "components.rollout.RolloutFailed: verification of the new credential failed: x"


def test_an_unexpected_error_keeps_its_trace_in_the_message(in_host) -> None:
    text = formatted(Failing(KeyError("certificate_pem")))
    assert text.startswith("RuntimeError: unexpected error in the provider (please report it)")
    assert "Traceback (most recent call last)" in text and "in create" in text and "KeyError" in text


def test_outside_a_provider_host_errors_are_untouched() -> None:
    with pytest.raises(KeyError):
        Failing(KeyError("x")).create({})
    assert getattr(sys, "tracebacklimit", None) is None
