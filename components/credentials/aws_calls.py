"""One AWS call, retried by botocore (standard mode), with errors mapped to the store's exception classes."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import botocore.loaders
import botocore.session
from botocore import xform_name
from botocore.config import Config
from botocore.exceptions import (
    ClientError,
    HTTPClientError,
    NoCredentialsError,
    ParamValidationError,
    PartialCredentialsError,
)
from botocore.exceptions import (
    ConnectionError as BotoConnectionError,
)

from components.credentials.errors import (
    AccessDeniedError,
    InvalidRequestError,
    ServiceUnavailableError,
    StoreConfigError,
    classify_aws_error,
)
from components.credentials.redaction import install_log_redaction


@dataclass(frozen=True)
class AwsRetryPolicy:
    """How many times a call is tried in all. botocore's standard retry mode does the retrying
    (throttling, 5xx and connection failures, exponential backoff with full jitter, a retry quota)."""

    attempts: int = 5

    def __post_init__(self) -> None:
        if isinstance(self.attempts, bool) or not isinstance(self.attempts, int) or self.attempts < 1:
            raise StoreConfigError(f"retry.attempts must be an integer >= 1, got {self.attempts!r}.")


@functools.lru_cache(maxsize=1)
def _shared_loader() -> botocore.loaders.Loader:
    return botocore.loaders.create_loader()


def new_session() -> botocore.session.Session:
    """A fresh session (credentials resolved anew) sharing one loader of AWS's service models.

    Loading the models is most of a client's creation time; sharing the loader makes clients cheap.
    """
    session = botocore.session.get_session()
    session.register_component("data_loader", _shared_loader())
    return session


def make_client(region: str, endpoint_url: str | None = None, retry: AwsRetryPolicy | None = None) -> Any:
    """A Secrets Manager client that retries in botocore's standard mode, ``retry.attempts`` tries in all."""
    config = Config(
        retries={"total_max_attempts": (retry or AwsRetryPolicy()).attempts, "mode": "standard"},
        connect_timeout=5,
        read_timeout=30,
        user_agent_extra="salesforce-jwt-pulumi",
    )
    return new_session().create_client("secretsmanager", region_name=region, endpoint_url=endpoint_url, config=config)


class AwsCaller:
    """Calls one client's operations for one secret label, with retries and error mapping."""

    def __init__(self, client: Any, retry: AwsRetryPolicy, secret: str, endpoint: str) -> None:
        install_log_redaction()
        self.client, self.retry, self.secret, self.endpoint = client, retry, secret, endpoint

    def __call__(self, operation: str, *, stage: str = "", version: str = "", **params: Any) -> dict[str, Any]:
        return self._retried(operation, getattr(self.client, xform_name(operation)), params, stage, version)

    def all_pages(self, operation: str, **params: Any) -> dict[str, Any]:
        """Every page of a listing merged by botocore's paginator (result keys joined); a retry lists again."""
        paginator = self.client.get_paginator(xform_name(operation))
        return self._retried(operation, lambda **p: paginator.paginate(**p).build_full_result(), params, "", "")

    def _retried(
        self, operation: str, method: Callable[..., dict[str, Any]], params: dict[str, Any], stage: str, version: str
    ) -> dict[str, Any]:
        """The call (botocore retries it); what still fails becomes one of the store's errors."""
        try:
            return method(**params)
        except ClientError as err:
            raise classify_aws_error(
                err, operation=operation, secret=self.secret, stage=stage, version=version
            ) from err
        except (BotoConnectionError, HTTPClientError) as err:
            raise ServiceUnavailableError(
                f"Could not reach AWS Secrets Manager at {self.endpoint} for {operation} on secret "
                f"'{self.secret}' after {self.retry.attempts} attempt(s) ({type(err).__name__}). Check the "
                "network, the awsEndpoint/awsRegion settings, and that the endpoint is running.",
                code=type(err).__name__,
                operation=operation,
                secret=self.secret,
            ) from None
        except (NoCredentialsError, PartialCredentialsError):
            raise AccessDeniedError(
                f"No usable AWS credentials for {operation} on secret '{self.secret}'. Set AWS_PROFILE, or "
                "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run where an IAM role is available.",
                code="NoCredentials",
                operation=operation,
                secret=self.secret,
            ) from None
        except ParamValidationError:
            # botocore's message can quote parameter values (the secret itself): never pass it on.
            raise InvalidRequestError(
                f"Invalid parameters for {operation} on secret '{self.secret}' (rejected before sending).",
                code="ParamValidation",
                operation=operation,
                secret=self.secret,
            ) from None
