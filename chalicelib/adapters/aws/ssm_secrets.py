"""Secrets under an SSM Parameter Store path (webhook signing secrets, staff API keys), cached per warm Lambda."""

import time


class SsmSecretStore:
    def __init__(self, ssm_client, prefix: str, ttl_seconds: float = 300.0) -> None:
        self._ssm = ssm_client
        self._prefix = prefix.rstrip("/")
        self._ttl = ttl_seconds
        self._cache: dict[str, tuple[float, bytes | None]] = {}

    def secret(self, name: str) -> bytes | None:
        cached = self._cache.get(name)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        try:
            value = self._ssm.get_parameter(Name=f"{self._prefix}/{name}", WithDecryption=True)["Parameter"]["Value"]
        except self._ssm.exceptions.ParameterNotFound:
            secret = None
        else:
            secret = value.encode()
        self._cache[name] = (time.monotonic() + self._ttl, secret)
        return secret
