"""Metrics hooks of the runtime client (:mod:`components.client`): logins, refusals, failures, token age.

A client calls its observer for every successful login (with the staging label whose key worked),
every token request the endpoint refused, and every login that failed for good. Two observers ship:
:class:`LoginCounters` (in memory, thread-safe) and :class:`PrometheusMetrics` (prometheus-client;
one instance serves many clients, labelled by secret). No key, token or assertion ever reaches them.
"""

from __future__ import annotations

import math
import threading
from collections import Counter as Tally
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from components.credentials.stages import BLUE_GREEN_STAGES

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

PREFIX = "salesforce_jwt_client"


class Watched(Protocol):
    """What an observer may read from a client at any time."""

    secret_id: str

    def token_age(self) -> float | None: ...


class LoginObserver(Protocol):
    """Hooks a client calls; implementations must be thread-safe and must not raise."""

    def watch(self, client: Watched) -> None: ...

    def login_succeeded(self, secret: str, stage: str, seconds: float) -> None: ...

    def login_refused(self, secret: str, stage: str, error: str) -> None: ...

    def login_failed(self, secret: str, reason: str) -> None: ...


class NoMetrics:
    """The default observer: records nothing."""

    def watch(self, client: Watched) -> None:
        return None

    def login_succeeded(self, secret: str, stage: str, seconds: float) -> None:
        return None

    def login_refused(self, secret: str, stage: str, error: str) -> None:
        return None

    def login_failed(self, secret: str, reason: str) -> None:
        return None


class LoginCounters:
    """In-memory counts (for tests, benchmarks and services without Prometheus)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.logins: Tally[str] = Tally()  # stage -> successful logins
        self.refusals: Tally[tuple[str, str]] = Tally()  # (stage, OAuth error) -> refused token requests
        self.failures: Tally[str] = Tally()  # reason -> failed logins
        self.last_stage: str | None = None
        self.slowest_login = 0.0  # seconds, waits through a rotation window included
        self._age: Callable[[], float | None] = lambda: None

    def watch(self, client: Watched) -> None:
        self._age = client.token_age

    def token_age(self) -> float | None:
        return self._age()

    def login_succeeded(self, secret: str, stage: str, seconds: float) -> None:
        with self._lock:
            self.logins[stage] += 1
            self.last_stage = stage
            self.slowest_login = max(self.slowest_login, seconds)

    def login_refused(self, secret: str, stage: str, error: str) -> None:
        with self._lock:
            self.refusals[(stage, error)] += 1

    def login_failed(self, secret: str, reason: str) -> None:
        with self._lock:
            self.failures[reason] += 1


_DEFAULT_REGISTRY: Any = object()  # stands for prometheus-client's REGISTRY without importing it


class PrometheusMetrics:
    """prometheus-client collectors for any number of clients (label ``secret``)."""

    def __init__(self, registry: CollectorRegistry | None = _DEFAULT_REGISTRY, prefix: str = PREFIX) -> None:
        """``registry``: prometheus-client's global one unless given (None: register nowhere)."""
        from prometheus_client import REGISTRY, Counter, Gauge, Histogram  # only for callers who export metrics

        registry = REGISTRY if registry is _DEFAULT_REGISTRY else registry
        labels = ["secret"]
        self.logins = Counter(
            f"{prefix}_logins",
            "Successful JWT bearer logins, by the staging label whose key worked",
            [*labels, "stage"],
            registry=registry,
        )
        self.refusals = Counter(
            f"{prefix}_login_refusals",
            "Token requests the endpoint refused, by staging "
            "label and OAuth error (also those another stage then made good)",
            [*labels, "stage", "error"],
            registry=registry,
        )
        self.failures = Counter(
            f"{prefix}_login_failures",
            "Logins that failed after every fallback and retry, by reason",
            [*labels, "reason"],
            registry=registry,
        )
        self.duration = Histogram(
            f"{prefix}_login_duration_seconds",
            "Time a successful login took, waits through a rotation included",
            labels,
            registry=registry,
        )
        self.stage = Gauge(
            f"{prefix}_stage",
            "1 for the staging label whose key the token in use came from, 0 for the others",
            [*labels, "stage"],
            registry=registry,
        )
        self.token_age = Gauge(
            f"{prefix}_token_age_seconds", "Age of the cached access token (NaN: none)", labels, registry=registry
        )

    def watch(self, client: Watched) -> None:
        def age() -> float:
            value = client.token_age()
            return math.nan if value is None else value

        self.token_age.labels(secret=client.secret_id).set_function(age)

    def login_succeeded(self, secret: str, stage: str, seconds: float) -> None:
        self.logins.labels(secret=secret, stage=stage).inc()
        self.duration.labels(secret=secret).observe(seconds)
        for known in dict.fromkeys((*BLUE_GREEN_STAGES, stage)):
            self.stage.labels(secret=secret, stage=known).set(1 if known == stage else 0)

    def login_refused(self, secret: str, stage: str, error: str) -> None:
        self.refusals.labels(secret=secret, stage=stage, error=error).inc()

    def login_failed(self, secret: str, reason: str) -> None:
        self.failures.labels(secret=secret, reason=reason).inc()
