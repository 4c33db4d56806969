"""Plumbing shared by the dynamic providers: deployer credentials from stack config, stores, errors.

Providers are pickled by reference (``components.providers.*``) and rebuilt in the provider host,
so they hold no clients and no secrets; everything is built inside each method, and the AWS and
Salesforce clients are imported there too: the Pulumi program and a no-op ``diff`` never load them.
"""

from __future__ import annotations

import functools
import sys
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from pulumi.dynamic import ConfigureRequest, ResourceProvider

from components.providers.engine_watch import in_provider_host, watch_engine
from components.resource_props import AppSettings, Store
from components.rollout import AppRequest, app_spec, consumer_key_for, deployer_session, session_credentials
from components.settings import KNOWN_KEYS, load_deployer

if TYPE_CHECKING:  # the clients are imported by the methods that call out (not by check, diff or the program)
    from components.credentials import CredentialStore
    from components.salesforce.session import SalesforceSession


ENGINE_CALLS = ("create", "diff", "update", "read", "delete")
TRACE_FRAMES = 30  # frames shown for an unexpected error (a bug of ours: the trace is for the report)


def reported(method: Callable[..., Any]) -> Callable[..., Any]:
    """Let a provider call fail the way ``pulumi up`` should show it.

    The SDK's host sends the engine ``traceback.format_exc()`` of any exception. Our own errors
    (``components.*``) already say what failed and what to do, so in a provider host they go out as
    the message alone (``sys.tracebacklimit = 0`` drops the frames); anything else is a bug and keeps
    its trace, in the message itself."""

    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except Exception as error:
            if not in_provider_host():
                raise
            sys.tracebacklimit = 0
            if type(error).__module__.startswith("components."):
                raise
            trace = "".join(traceback.format_exception(error, limit=TRACE_FRAMES))
            raise RuntimeError(f"unexpected error in the provider (please report it):\n{trace}") from None

    return call


class ReportingProvider(ResourceProvider):
    """A dynamic provider whose engine calls fail with our messages, not with the host's traceback."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in ENGINE_CALLS:
            if name in cls.__dict__:
                setattr(cls, name, reported(cls.__dict__[name]))


class StackConfigProvider(ReportingProvider):
    """A provider that reads the deployer credentials from the stack config (or the environment)
    at configure time, so that no secret ever travels as a resource input or output."""

    def configure(self, req: ConfigureRequest) -> None:
        watch_engine()
        self._config = {
            key: req.config.get(key)
            for key in KNOWN_KEYS
            if key.startswith("deployer") and req.config.get(key) is not None
        }

    def session(self, props: AppSettings) -> SalesforceSession:
        """An authenticated deployer session for the org named in ``props``."""
        deployer = load_deployer(getattr(self, "_config", {}), login_url=props["login_url"], stack=props["stack"])
        credentials = session_credentials(
            deployer, props["login_url"], props.get("aws_region"), props.get("aws_endpoint_url")
        )
        return deployer_session(credentials, ca_bundle=props.get("ca_bundle"), api_version=props["api_version"])


def engine_store(props: dict[str, Any]) -> CredentialStore:
    """The credential store named by the properties the engine passed (read as :class:`Store`)."""
    return store_for(cast(Store, props))


def store_for(props: Store) -> CredentialStore:
    """The credential store named by a resource's properties."""
    from components.credentials import CredentialStore

    return CredentialStore(props["secret_name"], props["aws_region"], props.get("aws_endpoint_url"))


def changed(olds: dict[str, Any], news: dict[str, Any], keys: tuple[str, ...]) -> list[str]:
    """The keys whose values differ (missing counts as None)."""
    return [key for key in keys if olds.get(key) != news.get(key)]


def app_request(
    props: AppSettings, certificate_pem: str, session: SalesforceSession, known_consumer_key: str | None
) -> AppRequest:
    """The app deployment described by a resource's properties, in the deployer's org: a new app is
    created with this stack's key for that org; an existing one keeps its key (``known_consumer_key``
    when Salesforce does not show it, else the one given in ``existingConsumerKeys``)."""
    consumer_key = consumer_key_for(props["stack"], props["app_name"], session.org_id)
    spec = app_spec(
        kind=props["app_kind"],
        name=props["app_name"],
        label=props["app_label"],
        contact_email=props["contact_email"],
        description=props.get("description") or "",
        certificate_pem=certificate_pem,
        scopes=tuple(props["scopes"]),
        permission_set_name=props["permission_set_name"],
        extra_permission_sets=tuple(p for p in props["permission_sets"] if p != props["permission_set_name"]),
        profiles=tuple(props["profiles"]),
        consumer_key=consumer_key,
        api_version=props["api_version"],
    )
    return AppRequest(
        spec,
        props["integration_username"],
        float(props["deploy_timeout_seconds"]),
        known_consumer_key or props.get("existing_consumer_key"),
        props.get("test_level"),
        progress=log_progress,
    )


def log_progress(line: str) -> None:
    """A progress line in `pulumi up` (the provider host has no engine log: SDK's log goes to stderr,
    which the engine shows)."""
    import pulumi

    pulumi.log.info(line)
