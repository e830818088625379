"""One secret in SSM Parameter Store (the payment provider's API key, a shop's access token), cached per warm
Lambda; `modified_at` says when it was last written (a reinstalled app's new token is newer than the uninstall).

When SSM fails (throttled, unreachable) the last good value is served; with none yet, Unavailable (a 503 or a
retried task), never an error that looks like a missing key.
"""

import time

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.domain.clock import iso_utc
from chalicelib.ports.errors import Unavailable


class SsmSecret:
    def __init__(self, ssm_client, name: str, ttl_seconds: float = 300.0, retry_seconds: float = 30.0) -> None:
        self._ssm = ssm_client
        self._name = name
        self._ttl = ttl_seconds
        self._retry = retry_seconds
        self._value: bytes | None = None
        self._read = False
        self._fresh_until = 0.0
        self.modified_at: str | None = None

    def __call__(self) -> bytes | None:
        if time.monotonic() < self._fresh_until:
            return self._value
        try:
            parameter = self._ssm.get_parameter(Name=self._name, WithDecryption=True)["Parameter"]
            value = parameter["Value"].encode()
            modified = parameter.get("LastModifiedDate")
        except self._ssm.exceptions.ParameterNotFound:
            value, modified = None, None
        except (ClientError, BotoCoreError):
            self._fresh_until = time.monotonic() + self._retry
            if not self._read:
                raise Unavailable(f"{self._name} could not be read; try again", "secret_unavailable") from None
            return self._value
        self._value, self._read = value, True
        self.modified_at = iso_utc(modified) if modified else None
        self._fresh_until = time.monotonic() + self._ttl
        return value
