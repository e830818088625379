"""The policy document from an SSM parameter, cached per warm Lambda; an invalid one never takes effect.

Operators change the parameter (scripts/publish_policy.py validates first).
When the newest version is invalid anyway, it is logged and the newest valid
version from the parameter's history stays in force, also after a cold start.
"""

import time

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.policy import DEFAULT_POLICY, PolicyDocument, parse_policy
from chalicelib.observability import logger


class SsmPolicyStore:
    def __init__(self, ssm_client, parameter: str, ttl_seconds: float = 60.0) -> None:
        self._ssm = ssm_client
        self._parameter = parameter
        self._ttl = ttl_seconds
        self._expires = 0.0
        self._policy: PolicyDocument | None = None

    def current(self) -> PolicyDocument:
        if self._policy is None or time.monotonic() >= self._expires:
            self._policy = self._load()
            self._expires = time.monotonic() + self._ttl
        return self._policy

    def _load(self) -> PolicyDocument:
        try:
            parameter = self._ssm.get_parameter(Name=self._parameter)["Parameter"]
        except self._ssm.exceptions.ParameterNotFound:
            return DEFAULT_POLICY
        try:
            return parse_policy(parameter["Value"])
        except InvalidInput as error:
            logger.error(
                "policy refused, the last valid version stays in force",
                extra={"parameter": self._parameter, "version": parameter.get("Version"), "field": error.field,
                       "error": error.message},
            )
        if self._policy is not None:
            return self._policy
        return self._newest_valid_in_history()

    def _newest_valid_in_history(self) -> PolicyDocument:
        versions = []
        for page in self._ssm.get_paginator("get_parameter_history").paginate(Name=self._parameter):
            versions += page["Parameters"]
        for version in sorted(versions, key=lambda item: item["Version"], reverse=True):
            try:
                return parse_policy(version["Value"])
            except InvalidInput:
                continue
        return DEFAULT_POLICY
