import boto3
import pytest
from moto import mock_aws

from chalicelib.domain.events import EVENT_TYPES
from localcloud.cloud import clear_caches
from localcloud.moto_fidelity import serialize_moto_requests
from localcloud.provision import provision

REGION = "us-east-1"
# One boto3 session for every test: it keeps the service models it has loaded, which is most of the time a
# fresh session spends creating its clients. Each test still gets a fresh moto account and fresh clients.
_SESSION = boto3.Session(region_name=REGION)
SECRET = b"generic-secret-01"
STAFF_KEY_ID, STAFF_SECRET = "ana", "ana-secret"
CARRIER_SECRETS = {"aftership": "aftership-key-0001", "17track": "17track-key-00001", "sf-express": "sf-checkword-0001"}
# The tenant registry: the generic shop may send every event type (it is its own warehouse and carrier relay);
# the carriers serve it.
SOURCES = {
    "generic": {"kind": "shop", "secrets": [SECRET.decode()], "event_types": list(EVENT_TYPES)},
    **{carrier: {"kind": "carrier", "secrets": [secret], "shops": ["generic"]} for carrier, secret in CARRIER_SECRETS.items()},
}
PAYMENT_KEY = "pay-key"
STAFF_HEADERS = {"X-Api-Key": f"{STAFF_KEY_ID}.{STAFF_SECRET}", "Content-Type": "application/json"}


@pytest.fixture
def aws(monkeypatch):
    """A fresh moto account with every resource of the system, as the local cloud provisions it.

    Step Functions here only records executions (it does not run them): the
    end-to-end tests run the real workflow. A visibility timeout of 1 s and two
    receives before the DLQ keep redelivery within the tests' deadlines.
    """
    for key, value in {
        "AWS_DEFAULT_REGION": REGION, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
    }.items():
        monkeypatch.setenv(key, value)
    serialize_moto_requests()
    with mock_aws():
        from app import app

        session = _SESSION
        names = [function.name for function in app.pure_lambda_functions]
        env = provision(
            session, names, SOURCES, visibility_timeout=1, max_receive_count=2,
            staff_keys={STAFF_KEY_ID: (STAFF_SECRET, ["admin"])},
        )
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        clear_caches(session)
        yield {
            "queue_url": env["AFTERSALES_INGEST_QUEUE_URL"], "dlq_url": env["AFTERSALES_INGEST_DLQ_URL"],
            "sqs": session.client("sqs"), "s3": session.client("s3"), "sfn": session.client("stepfunctions"),
            "workflow_arn": env["AFTERSALES_RETURN_WORKFLOW_ARN"], "dynamodb": session.resource("dynamodb"),
            "session": session,
        }
        clear_caches()


@pytest.fixture
def payment_service(aws, monkeypatch):
    """The simulated provider on loopback, reached through the real HTTP adapter (the client waits 0.3 s);
    its refunds are made at 2026-11-22T08:00:05Z."""
    from datetime import datetime, timezone

    from chalicelib.resources import PAYMENT_PROVIDER_KEY_PARAMETER
    from localcloud.payment_service import PaymentService

    made_at = datetime(2026, 11, 22, 8, 0, 5, tzinfo=timezone.utc)
    service = PaymentService(PAYMENT_KEY, late_answer_seconds=0.6, clock=lambda: made_at).start()
    aws["session"].client("ssm").put_parameter(Name=PAYMENT_PROVIDER_KEY_PARAMETER, Value=PAYMENT_KEY, Type="SecureString")
    monkeypatch.setenv("AFTERSALES_PAYMENT_PROVIDER_URL", service.url)
    monkeypatch.setenv("AFTERSALES_PAYMENT_TIMEOUT_SECONDS", "0.3")
    clear_caches(aws["session"])
    yield service
    service.stop()
