"""The registries in SSM on moto (adapters/aws/ssm_directory.py): read whole and cached, so unknown names never
reach SSM; the last good read served when SSM fails; a 503 only when there has never been one."""

import json
import time

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from chalicelib.adapters.aws.ssm_directory import SsmDirectory
from chalicelib.adapters.aws.ssm_secrets import SsmSecret
from chalicelib.domain.sources import SourceKind, source_of
from chalicelib.domain.staff_keys import Role, secret_hash, staff_key_of
from chalicelib.ports.errors import Unavailable

PREFIX = "/test/sources"


class CountingSsm:
    """The moto client, counting the calls made and failing them on demand as SSM does when throttled."""

    def __init__(self, ssm) -> None:
        self._ssm = ssm
        self.exceptions = ssm.exceptions
        self.calls = 0
        self.failure: Exception | None = None

    def __getattr__(self, name):
        call = getattr(self._ssm, name)

        def counted(**request):
            self.calls += 1
            if self.failure is not None:
                raise self.failure
            return call(**request)

        return counted


THROTTLED = ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "GetParametersByPath")


@pytest.fixture
def ssm(aws):
    client = aws["session"].client("ssm")
    for n in range(23):
        entry = {"kind": "shop", "secrets": [f"shop-{n:02}-secret-000"]}
        client.put_parameter(Name=f"{PREFIX}/shop-{n:02}", Value=json.dumps(entry), Type="SecureString")
    return CountingSsm(client)


def test_every_entry_is_read_in_one_paged_pass_and_unknown_names_never_reach_ssm(ssm):
    sources = SsmDirectory(ssm, PREFIX, source_of)

    assert sources.get("shop-00").kind is SourceKind.SHOP
    reads = ssm.calls
    assert reads == 3, "23 entries at 10 a page"
    for n in range(300):
        assert sources.get(f"no-such-source-{n}") is None
    assert sources.get("shop-22").secrets == (b"shop-22-secret-000",)
    assert ssm.calls == reads, "300 unknown names, no SSM call"


def test_after_its_lifetime_the_registry_is_read_again_and_sees_a_new_source(ssm):
    sources = SsmDirectory(ssm, PREFIX, source_of, ttl_seconds=0.05)
    assert sources.get("new-shop") is None
    ssm._ssm.put_parameter(Name=f"{PREFIX}/new-shop", Value=json.dumps({"kind": "shop", "secrets": ["n" * 16]}),
                           Type="SecureString")
    time.sleep(0.06)

    assert sources.get("new-shop") is not None


@pytest.mark.parametrize("failure", [THROTTLED, EndpointConnectionError(endpoint_url="https://ssm")])
def test_when_ssm_fails_the_last_good_read_is_served_and_ssm_is_not_hammered(ssm, failure):
    sources = SsmDirectory(ssm, PREFIX, source_of, ttl_seconds=0, retry_seconds=60)
    assert sources.get("shop-01") is not None
    ssm.failure = failure

    assert sources.get("shop-01") is not None
    calls = ssm.calls
    for _ in range(50):
        assert sources.get("shop-01") is not None
    assert ssm.calls == calls, "asked again only after the retry interval"


def test_with_no_good_read_yet_a_failing_ssm_is_unavailable_not_an_error(ssm):
    ssm.failure = THROTTLED
    sources = SsmDirectory(ssm, PREFIX, source_of)

    with pytest.raises(Unavailable) as raised:
        sources.get("shop-01")
    assert raised.value.code == "registry_unavailable"


def test_a_bad_entry_disables_only_itself(ssm):
    ssm._ssm.put_parameter(Name=f"{PREFIX}/broken", Value='{"kind": "shop", "secrets": ["short"]}', Type="SecureString")
    ssm._ssm.put_parameter(Name=f"{PREFIX}/not-json", Value="{", Type="SecureString")
    sources = SsmDirectory(ssm, PREFIX, source_of)

    assert sources.get("broken") is None and sources.get("not-json") is None
    assert sources.get("shop-05") is not None


def test_staff_keys_are_stored_as_hashes_with_roles(aws):
    client = aws["session"].client("ssm")
    client.put_parameter(Name="/test/staff/ana", Type="SecureString",
                         Value=json.dumps({"sha256": secret_hash("ana-secret"), "roles": ["finance"]}))
    keys = SsmDirectory(client, "/test/staff", staff_key_of)

    ana = keys.get("ana")
    assert ana.roles == {Role.FINANCE} and ana.sha256.hex() == secret_hash("ana-secret")
    assert "ana-secret" not in client.get_parameter(Name="/test/staff/ana", WithDecryption=True)["Parameter"]["Value"]


def test_the_payment_key_serves_its_last_good_value_and_is_unavailable_before_any(aws):
    client = CountingSsm(aws["session"].client("ssm"))
    client._ssm.put_parameter(Name="/test/key", Value="pay-key", Type="SecureString")
    key = SsmSecret(client, "/test/key", ttl_seconds=0)
    assert key() == b"pay-key"
    client.failure = THROTTLED
    assert key() == b"pay-key"

    with pytest.raises(Unavailable):
        SsmSecret(client, "/test/key")()
