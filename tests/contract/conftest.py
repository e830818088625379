"""One suite, two implementations: every contract test runs on the in-memory twin (`memory`) and on the DynamoDB
adapter on moto (`dynamodb`), through the parametrized `side` fixture.

The DynamoDB side is the moto setup of tests/integration/conftest.py (the same session, region, secrets and
`localcloud.provision.provision`), held for this package (tests/contract) instead of one test: provisioning a
fresh account for every test would cost most of the suite's time. Each test still starts from empty tables:
the `side` fixture deletes every item of every DynamoDB table of infra/template.json (a few milliseconds).
"""

from dataclasses import dataclass
from typing import Callable

import pytest
from moto import mock_aws

from chalicelib import resources
from chalicelib.adapters.dynamodb.items import plain
from chalicelib.adapters.memory import memory_ports
from chalicelib.bootstrap import Ports, bootstrap
from infra.package import infra_resources
from localcloud.cloud import clear_caches
from localcloud.moto_fidelity import serialize_moto_requests
from localcloud.provision import provision
from tests.integration.conftest import _SESSION, REGION, SOURCES, STAFF_KEY_ID, STAFF_SECRET

# Every table of infra/template.json, by name, with the names of its key.
TABLES = {
    resource["Properties"]["TableName"]: [key["AttributeName"] for key in resource["Properties"]["KeySchema"]]
    for resource in infra_resources().values() if resource.get("Type") == "AWS::DynamoDB::Table"
}


@dataclass
class Side:
    """The ports of one implementation, and what a test reads beside them (not part of any port)."""

    name: str
    ports: Ports
    audit_entries: Callable[[], list[dict]]  # every audit entry written, by (subject, entry)
    stored_event: Callable[[str], dict | None]  # the event log's item under an event id


class Cloud:
    """One moto account: the adapters wired by bootstrap() from its environment."""

    def __init__(self, session) -> None:
        self.session = session
        self.client = session.client("dynamodb")
        self.dynamodb = session.resource("dynamodb")
        self.ports = bootstrap()

    def empty_tables(self) -> None:
        """Delete every item of every table (through the API: a scan of the keys, then a delete per item)."""
        for table, keys in TABLES.items():
            names = {f"#k{i}": key for i, key in enumerate(keys)}
            scan = {"TableName": table, "ProjectionExpression": ", ".join(names), "ExpressionAttributeNames": names,
                    "ConsistentRead": True}
            while True:
                page = self.client.scan(**scan)
                for item in page["Items"]:
                    self.client.delete_item(TableName=table, Key=item)
                if "LastEvaluatedKey" not in page:
                    break
                scan["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def audit_entries(self) -> list[dict]:
        items = self.dynamodb.Table(resources.AUDIT_TABLE).scan(ConsistentRead=True)["Items"]
        return sorted((plain(item) for item in items), key=lambda item: (item["subject"], item["entry"]))

    def stored_event(self, event_id: str) -> dict | None:
        item = self.dynamodb.Table(resources.EVENT_LOG_TABLE).get_item(Key={"event_id": event_id}, ConsistentRead=True)
        return plain(item["Item"]) if "Item" in item else None


@pytest.fixture(scope="package")
def cloud():
    """The `aws` fixture of tests/integration/conftest.py, for this package: a moto account with every resource
    (torn down, with its environment, after the package's last test)."""
    with pytest.MonkeyPatch.context() as patch:
        for key, value in {
            "AWS_DEFAULT_REGION": REGION, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
        }.items():
            patch.setenv(key, value)
        serialize_moto_requests()
        with mock_aws():
            from app import app

            names = [function.name for function in app.pure_lambda_functions]
            env = provision(
                _SESSION, names, SOURCES, visibility_timeout=1, max_receive_count=2,
                staff_keys={STAFF_KEY_ID: (STAFF_SECRET, ["admin"])},
            )
            for key, value in env.items():
                patch.setenv(key, value)
            clear_caches()
            yield Cloud(_SESSION)
            clear_caches()


@pytest.fixture(params=["memory", "dynamodb"])
def side(request) -> Side:
    if request.param == "memory":
        ports = memory_ports()
        return Side(
            "memory", ports,
            audit_entries=lambda: sorted(
                (dict(entry) for entry in ports.returns.audit), key=lambda item: (item["subject"], item["entry"])
            ),
            stored_event=lambda event_id: ports.event_log.items.get(event_id),
        )
    cloud = request.getfixturevalue("cloud")
    cloud.empty_tables()
    return Side("dynamodb", cloud.ports, audit_entries=cloud.audit_entries, stored_event=cloud.stored_event)


@pytest.fixture
def returns(side):
    return side.ports.returns


@pytest.fixture
def ledger(side):
    return side.ports.ledger


@pytest.fixture
def orders(side):
    return side.ports.orders


@pytest.fixture
def customers(side):
    return side.ports.customers


@pytest.fixture
def shipments(side):
    return side.ports.shipments


@pytest.fixture
def event_log(side):
    return side.ports.event_log


@pytest.fixture
def shops(side):
    return side.ports.shops
