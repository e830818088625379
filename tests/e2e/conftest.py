"""One local cloud for the end-to-end package: moto running the real ASL, the API on 127.0.0.1."""

import json

import pytest

from chalicelib.domain.execution_names import execution_name
from chalicelib.domain.tenancy import qualified
from localcloud.cloud import DEFAULT_SECRETS, DEFAULT_SOURCES, DEFAULT_STAFF_KEYS, LocalCloud
from localcloud.webhook_client import call_staff_api, post_carrier_push, post_webhook
from tests.e2e import commands
from tests.webhook_events import encode

SECRET = b"e2e-generic-secret"
# The Shopify shops of the end-to-end cloud (domain -> shop name): one live, one in dry run.
SHOPIFY_SHOPS = {"acme.myshopify.com": "shopify-acme", "trial.myshopify.com": "shopify-trial"}


class Deliveries:
    """Signed webhooks over real HTTP, and what the tests read back from the cloud. Return ids are the `generic`
    shop's own."""

    def __init__(self, cloud: LocalCloud) -> None:
        self.cloud = cloud

    def post(self, payload: dict, source: str = "generic") -> tuple[int, dict]:
        return post_webhook(self.cloud.api_url, SECRET.decode(), encode(payload), source)

    def deliver(self, *payloads: dict) -> None:
        for payload in payloads:
            status, body = self.post(payload)
            assert status == 202, body

    def carrier_push(self, carrier: str, payload: dict) -> None:
        body = json.dumps(payload).encode()
        status, answer = post_carrier_push(self.cloud.api_url, carrier, DEFAULT_SECRETS[carrier], body)
        assert status == 202, answer

    def staff(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        secret, _ = DEFAULT_STAFF_KEYS["local-staff"]
        return call_staff_api(self.cloud.api_url, f"local-staff.{secret}", method, path, body)

    def execution(self, return_id: str) -> dict | None:
        arn = self.cloud.env["AFTERSALES_RETURN_WORKFLOW_ARN"].replace(":stateMachine:", ":execution:") + f":{execution_name(qualified('generic', return_id))}"
        try:
            return self.cloud.sfn.describe_execution(executionArn=arn)
        except self.cloud.sfn.exceptions.ExecutionDoesNotExist:
            return None

    def record(self, return_id: str) -> dict | None:
        key = {"return_id": qualified("generic", return_id)}
        return self.cloud.dynamodb.Table("aftersales-returns").get_item(Key=key).get("Item")

    def refunds(self, return_id: str) -> list[dict]:
        items = self.cloud.dynamodb.Table("aftersales-refund-ledger").scan()["Items"]
        return [item for item in items if item.get("return_id") == qualified("generic", return_id)]

    def wait_for_status(self, return_id: str, *statuses: str, timeout: float = 30) -> dict:
        self.cloud.wait_until(lambda: (self.record(return_id) or {}).get("status") in statuses, timeout)
        return self.record(return_id)

    def wait_for_end(self, return_id: str, timeout: float = 30) -> dict:
        def ended() -> bool:
            execution = self.execution(return_id)
            return execution is not None and execution["status"] != "RUNNING"

        self.cloud.wait_until(ended, timeout)
        return self.execution(return_id)

    def states_entered(self, return_id: str) -> list[str]:
        events = self.cloud.sfn.get_execution_history(executionArn=self.execution(return_id)["executionArn"])["events"]
        return [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]


@pytest.fixture(scope="package")
def cloud():
    sources = {**DEFAULT_SOURCES, "generic": {**DEFAULT_SOURCES["generic"], "secrets": [SECRET.decode()]},
               "warehouse": {**DEFAULT_SOURCES["warehouse"], "secrets": [SECRET.decode()], "shops": ["generic"]},
               "shopify-warehouse": {"kind": "warehouse", "secrets": [SECRET.decode()], "shops": [*SHOPIFY_SHOPS.values(), "tmall-acme", "jd-acme"]}}
    shopify = {domain: mode for domain, mode in zip(SHOPIFY_SHOPS, ("live", "dry_run"))}
    with LocalCloud(sources=sources, visibility_timeout=2, schedule_interval=None, shopify_shops=shopify) as running:
        yield Deliveries(running)


def pytest_collection_modifyitems(items) -> None:
    """The end-to-end tests run in one worker (they share one local cloud), the ones waiting for a command last."""
    e2e = [item for item in items if item.get_closest_marker("e2e")]
    for item in e2e:
        item.add_marker(pytest.mark.xdist_group("e2e"))
    last = [item for item in e2e if item.name in commands.COMMANDS]
    items[:] = [item for item in items if item not in last] + last


@pytest.fixture(scope="session", autouse=True)
def commands_started(request) -> None:
    """The worker that runs the end-to-end tests starts their commands at once (see tests/e2e/commands.py)."""
    for item in request.session.items:
        commands.start(item.name)
