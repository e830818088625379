"""Least privilege in the packaged template: each function has a role of its own with exactly what its code paths
call, on named resources; the data is under a key of our own; the archive, the API and the consumer are bounded.

NEEDS below is the table of what each function's code does (read from chalicelib/services and the adapters behind
the ports it uses; bootstrap builds only the ports a handler touches). A role granting less breaks the function on
AWS, one granting more fails here: change the code, then this table, then infra/template.json.
"""

import fnmatch
import inspect
import json

import pytest

from chalicelib import resources
from chalicelib.adapters.aws.eventbridge import SOURCE as BUS_SOURCE
from chalicelib.domain.lake import TABLES as LAKE_TABLES
from tests.integration.packaged import built_package, functions

pytestmark = pytest.mark.xdist_group("package")

SSM = "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter"
STATES = "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}"
WORKFLOW = f"{STATES}:stateMachine:{resources.RETURN_WORKFLOW}"
# Where a connected shop's Admin API access token is kept (domain/connections.py: access_token_parameter).
SHOPIFY_TOKENS_PREFIX = "/aftersales/shopify"
# Where a Taobao shop's app secret and session key, and a JD shop's app secret and access token, are kept
# (domain/connections.py: TaobaoConnection, JdConnection).
TAOBAO_SECRETS_PREFIX = "/aftersales/taobao"
JD_SECRETS_PREFIX = "/aftersales/jd"
EXECUTIONS = f"{STATES}:execution:{resources.RETURN_WORKFLOW}:*"
GLUE = "arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}"
# The roles no function uses: AWS services' own, for the analytics lake (tests/integration/test_analytics_template.py).
SERVICE_ROLES = {"LakeDeliveryRole", "LakeRowsRuleRole"}

# Every resource a role may name, by a short key: (service, the ARN as the template writes it, canonically).
RESOURCES = {
    **{
        key: ("dynamodb", "${%s.Arn}" % table)
        for key, table in {
            "returns": "ReturnsTable", "orders": "OrdersTable", "customers": "CustomersTable",
            "shipments": "ShipmentsTable", "ledger": "RefundLedgerTable", "audit": "AuditTable",
            "event-log": "EventLogTable", "shops": "ShopsTable",
        }.items()
    },
    "returns/by-customer": ("dynamodb", "${ReturnsTable.Arn}/index/by-customer"),
    "returns/by-review-queue": ("dynamodb", "${ReturnsTable.Arn}/index/by-review-queue"),
    "returns/by-parcel-watch": ("dynamodb", "${ReturnsTable.Arn}/index/by-parcel-watch"),
    "orders/by-customer": ("dynamodb", "${OrdersTable.Arn}/index/by-customer"),
    "shipments/by-next-poll": ("dynamodb", "${ShipmentsTable.Arn}/index/by-next-poll"),
    "returns/by-reference": ("dynamodb", "${ReturnsTable.Arn}/index/by-reference"),
    "orders/by-reference": ("dynamodb", "${OrdersTable.Arn}/index/by-reference"),
    "shipments/by-tracking-number": ("dynamodb", "${ShipmentsTable.Arn}/index/by-tracking-number"),
    "ledger/by-day": ("dynamodb", "${RefundLedgerTable.Arn}/index/by-day"),
    "sources": ("ssm", SSM + resources.SOURCES_PREFIX),
    "sources/*": ("ssm", SSM + resources.SOURCES_PREFIX + "/*"),
    "connections": ("ssm", SSM + resources.CONNECTIONS_PREFIX),
    "connections/*": ("ssm", SSM + resources.CONNECTIONS_PREFIX + "/*"),
    "staff-keys": ("ssm", SSM + resources.STAFF_KEYS_PREFIX),
    "staff-keys/*": ("ssm", SSM + resources.STAFF_KEYS_PREFIX + "/*"),
    "policy": ("ssm", SSM + resources.POLICY_PARAMETER),
    "payment-key": ("ssm", SSM + resources.PAYMENT_PROVIDER_KEY_PARAMETER),
    "shopify-tokens/*": ("ssm", SSM + SHOPIFY_TOKENS_PREFIX + "/*"),
    "taobao-secrets/*": ("ssm", SSM + TAOBAO_SECRETS_PREFIX + "/*"),
    "jd-secrets/*": ("ssm", SSM + JD_SECRETS_PREFIX + "/*"),
    "archive/webhooks/*": ("s3", "${ArchiveBucket.Arn}/webhooks/*"),
    "archive/finance-exports/*": ("s3", "${ArchiveBucket.Arn}/finance-exports/*"),
    "ingest-queue": ("sqs", "${IngestQueue.Arn}"),
    "bus": ("events", "${EventBus.Arn}"),
    "workflow": ("states", WORKFLOW),
    "workflow-executions": ("states", EXECUTIONS),
    # SendTaskSuccess/Failure: the Service Authorization Reference lists no resource type (so "*"), yet IAM is seen
    # to evaluate them against the state machine (AccessDenied names it; CDK's grantTaskResponse grants on it);
    # the grant names the state machine and its executions, never "*".
    "workflow-tasks": ("states", [WORKFLOW, EXECUTIONS]),
    # The analytics lake's reports on Athena: the workgroup, the catalog of the lake's tables, the lake's objects and
    # Athena's results (in the same bucket, listed only under those prefixes: test_analytics_template.py).
    "workgroup": (
        "athena", "arn:${AWS::Partition}:athena:${AWS::Region}:${AWS::AccountId}:workgroup/${AnalyticsWorkgroup}"),
    "lake-catalog": ("glue", [f"{GLUE}:catalog", f"{GLUE}:database/${{AnalyticsDatabase}}"]
                     + [f"{GLUE}:table/${{AnalyticsDatabase}}/{table}" for table in LAKE_TABLES]),
    "analytics-bucket": ("s3", "${AnalyticsBucket.Arn}"),
    "analytics/lake/*": ("s3", "${AnalyticsBucket.Arn}/analytics/*"),
    "analytics/athena-results/*": ("s3", "${AnalyticsBucket.Arn}/athena-results/*"),
}
# The parameters that are SecureStrings: decrypting them with the stack's key is allowed by their own ARNs.
SECURE_PARAMETERS = {
    "sources/*": SSM + resources.SOURCES_PREFIX + "/*",
    "connections/*": SSM + resources.CONNECTIONS_PREFIX + "/*",
    "staff-keys/*": SSM + resources.STAFF_KEYS_PREFIX + "/*",
    "payment-key": SSM + resources.PAYMENT_PROVIDER_KEY_PARAMETER,
    "shopify-tokens/*": SSM + SHOPIFY_TOKENS_PREFIX + "/*",
    "taobao-secrets/*": SSM + TAOBAO_SECRETS_PREFIX + "/*",
    "jd-secrets/*": SSM + JD_SECRETS_PREFIX + "/*",
}

# A registry is read whole, by path; GetParameter on its entries shows nothing the path does not.
STAFF_READS_KEYS = {"staff-keys": "GetParametersByPath", "staff-keys/*": "GetParametersByPath GetParameter"}
POLICY = {"policy": "GetParameter GetParameterHistory"}  # the history: the newest valid version after a bad edit
# The connections, read by path (never the sources' webhook secrets): every shop's connection.
CONNECTIONS = {"connections": "GetParametersByPath", "connections/*": "GetParametersByPath"}
# What reaching a shop's marketplace takes (connectors/registry.py): the shop's connection, the secrets it names, each
# read by its name (Shopify's access token; Taobao's app secret and session key; JD's app secret and access token),
# and the shop's item of the shops table (a Shopify app the merchant uninstalled is called no more).
MARKETPLACE = {
    **CONNECTIONS, "shopify-tokens/*": "GetParameter", "taobao-secrets/*": "GetParameter",
    "jd-secrets/*": "GetParameter", "shops": "GetItem",
}

NEEDS = {
    # Staff and finance routes: verification previews, review queues and decisions (a decision is one transaction:
    # the return's Update and the audit entry's conditional Put), tracking links, the ledger, its export and its
    # reconciliation against the provider's settlement report. The SMS code Taobao asks for a large refund is given
    # here (POST /v1/refunds/{shop}/{return_id}/sms-code): the refund agreed in Taobao with the shop's connection and
    # its Taobao secrets (only Shopify's shops are checked for an uninstall: no shops table), the ledger record
    # confirmed and the workflow resumed (its DispatchRefund publishes RefundIssued: the staff API publishes nothing).
    "APIHandler": {
        **STAFF_READS_KEYS, **POLICY, "payment-key": "GetParameter", **CONNECTIONS, "taobao-secrets/*": "GetParameter",
        "returns": "GetItem UpdateItem", "returns/by-customer": "Query", "returns/by-review-queue": "Query",
        "audit": "PutItem", "ledger": "GetItem UpdateItem", "ledger/by-day": "Query", "orders": "GetItem",
        "customers": "GetItem", "shipments": "GetItem UpdateItem", "workflow-tasks": "SendTaskSuccess",
        # The console's search (a return by its own id, its order's, its parcel's tracking number: the indexes
        # by reference) and a case view's workflow steps (the execution's history).
        "returns/by-reference": "Query", "orders/by-reference": "Query", "shipments/by-tracking-number": "Query",
        "workflow-executions": "GetExecutionHistory",
        # The reports (GET /v1/reports/{name}): Athena queries in the workgroup, which reads the catalog and the lake
        # with the caller's rights and writes its results to the workgroup's location.
        "workgroup": "StartQueryExecution GetQueryExecution GetQueryResults StopQueryExecution",
        "lake-catalog": "GetDatabase GetTable GetTables GetPartitions",
        "analytics-bucket": "GetBucketLocation ListBucket", "analytics/lake/*": "GetObject",
        "analytics/athena-results/*": "GetObject PutObject AbortMultipartUpload",
    },
    # Webhooks and carrier pushes: the source registry, the raw body to the archive, the event to the queue; the
    # warehouse's second inspection is refused by the return's state.
    # A Shopify delivery's shop must be connected to its domain: the connections, read by path.
    "WebhooksAPIHandler": {
        "sources": "GetParametersByPath", "sources/*": "GetParametersByPath GetParameter",
        "connections": "GetParametersByPath", "connections/*": "GetParametersByPath",
        "archive/webhooks/*": "PutObject", "ingest-queue": "SendMessage", "returns": "GetItem",
    },
    # The refund calculator is a pure function of the request.
    "QuotesAPIHandler": {},
    # The consumer also hydrates a marketplace's notifications (reads what they name from the marketplace) and keeps
    # a refund made there in the ledger: the record's conditional Put and the order's refund account Update are one
    # transaction, as DispatchRefund's; then RefundIssued. Shopify's app/uninstalled notification is kept in the shop's
    # item of the shops table (an Update over MARKETPLACE's GetItem: the item also keeps the pollers' cursors).
    "IngestEvents": {
        **MARKETPLACE, "shops": "GetItem UpdateItem", "ledger": "GetItem PutItem UpdateItem", "bus": "PutEvents",
        "ingest-queue": "ReceiveMessage DeleteMessage GetQueueAttributes",
        "event-log": "GetItem PutItem UpdateItem", "orders": "GetItem UpdateItem", "orders/by-customer": "Query",
        "customers": "UpdateItem", "returns": "GetItem UpdateItem", "shipments": "GetItem UpdateItem", **POLICY,
        # StartExecution named by the return; DescribeExecution when that name exists (a bad end is restarted).
        "workflow": "StartExecution", "workflow-executions": "DescribeExecution", "workflow-tasks": "SendTaskSuccess",
        # A replacement's waybill told to a shop that runs dry: the would-be call appended to the audit trail.
        "audit": "PutItem",
    },
    "VerifyReturn": {
        "returns": "GetItem UpdateItem", "returns/by-customer": "Query", "ledger": "GetItem", "orders": "GetItem",
        "customers": "GetItem", "shipments": "GetItem", **POLICY,
    },
    # A marketplace order is held in its marketplace (dry run: the would-be call appended to the audit trail).
    "HoldShipment": {"returns": "GetItem UpdateItem", "bus": "PutEvents", **MARKETPLACE, "audit": "PutItem"},
    "WaitForEvent": {"returns": "GetItem UpdateItem", **POLICY, "workflow-tasks": "SendTaskSuccess"},
    # The decision told to the return's marketplace; in dry run the would-be call is appended to the audit trail.
    "AnswerMarketplace": {"returns": "GetItem UpdateItem", **MARKETPLACE, "audit": "PutItem"},
    "CalculateRefund": {"returns": "GetItem UpdateItem", "ledger": "GetItem", "orders": "GetItem"},
    # The ledger record's conditional Put and the order's refund account Update are one transaction. A marketplace
    # order is paid by its marketplace (dry run: the would-be call appended to the audit trail), others by the provider.
    "DispatchRefund": {
        "returns": "GetItem UpdateItem", "ledger": "GetItem PutItem UpdateItem", "orders": "GetItem UpdateItem",
        "payment-key": "GetParameter", "bus": "PutEvents", **MARKETPLACE, "audit": "PutItem",
    },
    # A marketplace's exchange is processed there (dry run: the would-be call appended to the audit trail). The
    # closed return's lake rows read its order, its parcel and its refund.
    "NotifyOutcome": {"returns": "GetItem UpdateItem", "ledger": "GetItem UpdateItem", "bus": "PutEvents", **MARKETPLACE,
                      "audit": "PutItem", "orders": "GetItem", "shipments": "GetItem"},
    "RecordFailure": {"returns": "GetItem UpdateItem", **POLICY},  # POLICY: how long the failures queue waits
    "RefundFailed": {"returns": "GetItem UpdateItem", "ledger": "GetItem UpdateItem", "bus": "PutEvents"},
    "SweepSla": {"returns": "UpdateItem", "returns/by-review-queue": "Query", "bus": "PutEvents"},
    "WatchParcels": {
        "returns": "GetItem UpdateItem", "returns/by-parcel-watch": "Query", "workflow-tasks": "SendTaskFailure",
    },
    "PollCarriers": {
        "shipments": "UpdateItem", "shipments/by-next-poll": "Query", "returns": "GetItem UpdateItem", **POLICY,
        "ingest-queue": "SendMessage",
    },
    # The marketplaces that push nothing over HTTP (Taobao, soon JD), read on a schedule: every shop of the platform
    # from the connections, its secrets by name, and its notifications to the ingest queue (the consumer hydrates
    # them); the backfill's cursor is the shop's item of the shops table (GetItem; moved by two UpdateItems). Never a
    # Shopify token, a source's secret, a return or the ledger.
    "PollMarketplaces": {
        **CONNECTIONS, "taobao-secrets/*": "GetParameter", "jd-secrets/*": "GetParameter",
        "shops": "GetItem UpdateItem", "ingest-queue": "SendMessage",
    },
    "ExportRefunds": {"ledger/by-day": "Query", "archive/finance-exports/*": "PutObject"},
}

# Actions AWS allows only on "*" (no resource-level permissions) that a role may have; none is used today.
STAR_ONLY_ACTIONS = {"xray:PutTraceSegments", "xray:PutTelemetryRecords", "cloudwatch:PutMetricData"}
WRITES = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem",
          "dynamodb:PartiQLInsert", "dynamodb:PartiQLUpdate", "dynamodb:PartiQLDelete"}


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return built_package(tmp_path_factory)["template"]


def canonical(value) -> str:
    """A resource (or condition value) of the template as one string: `${Logical.Attribute}` for a GetAtt."""
    if isinstance(value, str):
        return value
    if set(value) == {"Fn::GetAtt"}:
        return "${%s.%s}" % tuple(value["Fn::GetAtt"])
    if set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str):
        return value["Fn::Sub"]
    raise AssertionError(f"not a resource this test reads: {value}")


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def role_of(template: dict, function: str) -> tuple[str, list[dict]]:
    role = functions(template)[function]["Role"]["Fn::GetAtt"][0]
    policies = template["Resources"][role]["Properties"]["Policies"]
    return role, [statement for policy in policies for statement in policy["PolicyDocument"]["Statement"]]


def grants(statements: list[dict], service: str | None = None) -> set[tuple[str, str]]:
    """(action, resource) of every Allow, of one service's actions or of all but logs and kms."""
    found = set()
    for statement in statements:
        assert statement["Effect"] == "Allow"
        for action in as_list(statement["Action"]):
            prefix = action.split(":")[0]
            if (prefix == service) if service else prefix not in ("logs", "kms"):
                found |= {(action, canonical(resource)) for resource in as_list(statement["Resource"])}
    return found


def needed(function: str) -> set[tuple[str, str]]:
    pairs = set()
    for key, actions in NEEDS[function].items():
        service, arns = RESOURCES[key]
        pairs |= {(f"{service}:{action}", arn) for action in actions.split() for arn in as_list(arns)}
    return pairs


def key_uses(statements: list[dict]) -> dict[tuple[str, str], set[str]]:
    """(kms action, the service it goes through) -> the parameter ARNs it is limited to (empty: not limited)."""
    uses = {}
    for statement in statements:
        if not any(action.startswith("kms:") for action in as_list(statement["Action"])):
            continue
        assert as_list(statement["Resource"]) == [{"Fn::GetAtt": ["DataKey", "Arn"]}], statement
        via = canonical(statement["Condition"]["StringEquals"]["kms:ViaService"])
        assert via.endswith(".${AWS::Region}.amazonaws.com"), via
        contexts = statement["Condition"].get("StringLike", {}).get("kms:EncryptionContext:PARAMETER_ARN", [])
        for action in as_list(statement["Action"]):
            uses.setdefault((action, via.split(".")[0]), set()).update(canonical(c) for c in as_list(contexts))
    return uses


def key_needed(function: str) -> dict[tuple[str, str], set[str]]:
    needs = NEEDS[function]
    uses: dict[tuple[str, str], set[str]] = {}
    if any(RESOURCES[key][0] == "dynamodb" for key in needs):
        uses[("kms:Decrypt", "dynamodb")] = set()  # the table key, when the table is read or written
    if any(RESOURCES[key][0] == "s3" for key in needs):
        uses[("kms:GenerateDataKey", "s3")] = set()
    if any(RESOURCES[key][0] == "s3" and "GetObject" in actions.split() for key, actions in needs.items()):
        uses[("kms:Decrypt", "s3")] = set()  # an object read back (the lake, Athena's results)
    if "SendMessage" in needs.get("ingest-queue", ""):
        uses[("kms:GenerateDataKey", "sqs")] = uses[("kms:Decrypt", "sqs")] = set()
    if "ReceiveMessage" in needs.get("ingest-queue", ""):
        # Decrypt the messages; GenerateDataKey for SQS to re-encrypt a message it moves to the encrypted DLQ.
        uses[("kms:Decrypt", "sqs")] = uses[("kms:GenerateDataKey", "sqs")] = set()
    secrets = {SECURE_PARAMETERS[key] for key in needs if key in SECURE_PARAMETERS}
    if secrets:
        uses[("kms:Decrypt", "ssm")] = secrets
    return uses


def test_every_function_has_a_role_of_its_own(template):
    roles = {name: properties["Role"]["Fn::GetAtt"][0] for name, properties in functions(template).items()}
    assert set(roles) == set(NEEDS)
    assert len(set(roles.values())) == len(roles)
    declared = {name for name, resource in template["Resources"].items() if resource["Type"] == "AWS::IAM::Role"}
    assert declared - SERVICE_ROLES == set(roles.values()), (
        "a role no function uses, or Chalice's shared DefaultRole, is left")
    assert SERVICE_ROLES <= declared
    for role in roles.values():
        trust = template["Resources"][role]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        assert trust == [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ]
        assert set(template["Resources"][role]["Properties"]) == {"AssumeRolePolicyDocument", "Policies"}


@pytest.mark.parametrize("function", sorted(NEEDS))
def test_each_role_grants_exactly_what_its_function_calls(template, function):
    _, statements = role_of(template, function)
    assert grants(statements) == needed(function)


@pytest.mark.parametrize("function", sorted(NEEDS))
def test_each_role_uses_the_key_only_through_the_services_it_calls(template, function):
    _, statements = role_of(template, function)
    assert key_uses(statements) == key_needed(function)


def test_each_function_writes_only_its_own_log_group_and_keeps_logs_for_the_set_days(template):
    for function, properties in functions(template).items():
        _, statements = role_of(template, function)
        group = f"{function}LogGroup"
        assert grants(statements, "logs") == {
            ("logs:CreateLogStream", "${%s.Arn}" % group), ("logs:PutLogEvents", "${%s.Arn}" % group),
        }
        log_group = template["Resources"][group]["Properties"]
        assert log_group == {"LogGroupName": f"/aws/lambda/{properties['FunctionName']}",
                             "RetentionInDays": {"Ref": "LogRetentionDays"}}
    assert template["Parameters"]["LogRetentionDays"]["Default"] == 90


def test_every_statement_names_its_resources(template):
    """No "*" resource, no wildcard action; a wildcard only where a path or the executions are meant."""
    allowed_wildcards = {
        arn for key, (_, arns) in RESOURCES.items() for arn in as_list(arns) if "*" in arn
    }
    assert allowed_wildcards == {
        SSM + resources.SOURCES_PREFIX + "/*", SSM + resources.CONNECTIONS_PREFIX + "/*",
        SSM + resources.STAFF_KEYS_PREFIX + "/*", SSM + SHOPIFY_TOKENS_PREFIX + "/*", SSM + TAOBAO_SECRETS_PREFIX + "/*",
        SSM + JD_SECRETS_PREFIX + "/*", "${ArchiveBucket.Arn}/webhooks/*", "${ArchiveBucket.Arn}/finance-exports/*",
        EXECUTIONS, "${AnalyticsBucket.Arn}/analytics/*", "${AnalyticsBucket.Arn}/athena-results/*",
    }
    for function in functions(template):
        role, statements = role_of(template, function)
        for statement in statements:
            actions = as_list(statement["Action"])
            assert not any("*" in action for action in actions), (role, statement)
            for resource in map(canonical, as_list(statement["Resource"])):
                if resource == "*":
                    assert set(actions) <= STAR_ONLY_ACTIONS, (role, statement)
                elif "*" in resource:
                    assert resource in allowed_wildcards, (role, resource)


def test_events_are_published_only_under_the_apps_own_source(template):
    for function in functions(template):
        _, statements = role_of(template, function)
        for statement in statements:
            if "events:PutEvents" in as_list(statement["Action"]):
                assert statement["Condition"] == {"StringEquals": {"events:source": BUS_SOURCE}}


def test_the_webhook_function_cannot_read_staff_or_payment_secrets_nor_touch_money_or_the_audit_trail(template):
    _, statements = role_of(template, "WebhooksAPIHandler")
    text = json.dumps(statements)
    # Shopify's deliveries are checked with the registry's secrets: the edge never calls a marketplace.
    for forbidden in (resources.STAFF_KEYS_PREFIX, resources.PAYMENT_PROVIDER_KEY_PARAMETER, resources.POLICY_PARAMETER,
                      SHOPIFY_TOKENS_PREFIX, TAOBAO_SECRETS_PREFIX, JD_SECRETS_PREFIX, "RefundLedgerTable", "AuditTable", "EventLogTable", "OrdersTable",
                      "CustomersTable", "ShopsTable", "states:", "events:"):
        assert forbidden not in text
    assert not {action for action, _ in grants(statements)} & WRITES
    # The registry and the connections are the only SecureStrings it may decrypt.
    assert key_uses(statements)[("kms:Decrypt", "ssm")] == {
        SSM + resources.SOURCES_PREFIX + "/*", SSM + resources.CONNECTIONS_PREFIX + "/*"}


def test_the_marketplace_answerer_touches_no_money_and_only_appends_to_the_audit_trail(template):
    _, statements = role_of(template, "AnswerMarketplace")
    text = json.dumps(statements)
    for forbidden in (resources.STAFF_KEYS_PREFIX, resources.PAYMENT_PROVIDER_KEY_PARAMETER, resources.POLICY_PARAMETER,
                      "RefundLedgerTable", "OrdersTable", "CustomersTable", "ShipmentsTable", "EventLogTable",
                      "IngestQueue", "ArchiveBucket", "EventBus", "states:"):
        assert forbidden not in text
    assert {(action, resource) for action, resource in grants(statements) if action in WRITES} == {
        ("dynamodb:UpdateItem", "${ReturnsTable.Arn}"), ("dynamodb:PutItem", "${AuditTable.Arn}"),
    }
    # The SecureStrings it may decrypt: the shop's connection and the secrets it names, never a source's secrets.
    assert key_uses(statements)[("kms:Decrypt", "ssm")] == {
        SSM + resources.CONNECTIONS_PREFIX + "/*", SSM + SHOPIFY_TOKENS_PREFIX + "/*",
        SSM + TAOBAO_SECRETS_PREFIX + "/*", SSM + JD_SECRETS_PREFIX + "/*"}


def test_what_calls_a_marketplace_never_reads_the_sources_webhook_secrets(template):
    for function in ("AnswerMarketplace", "DispatchRefund", "HoldShipment", "NotifyOutcome", "IngestEvents",
                     "PollMarketplaces", "APIHandler"):
        _, statements = role_of(template, function)
        assert resources.SOURCES_PREFIX not in json.dumps(statements), function


# The functions that act for a shop in its marketplace, whatever the platform.
ACTS_IN_MARKETPLACES = {"AnswerMarketplace", "DispatchRefund", "HoldShipment", "IngestEvents", "NotifyOutcome"}


@pytest.mark.parametrize("secrets, expected", [
    ("shopify-tokens/*", ACTS_IN_MARKETPLACES),
    # The poller reads the shops of the platforms that push nothing; a staff member gives Taobao's SMS code.
    ("taobao-secrets/*", ACTS_IN_MARKETPLACES | {"PollMarketplaces", "APIHandler"}),
    ("jd-secrets/*", ACTS_IN_MARKETPLACES | {"PollMarketplaces"}),
])
def test_only_the_functions_that_call_a_marketplace_read_its_access_tokens(template, secrets, expected):
    arn = RESOURCES[secrets][1]
    readers = {
        function for function in functions(template)
        if any(resource == arn for _, resource in grants(role_of(template, function)[1]))
    }
    assert readers == expected
    # Read by name, never listed by path: a function reads the secrets of the shop it acts for, which the registry
    # names.
    for function in readers:
        assert {action for action, resource in grants(role_of(template, function)[1]) if resource == arn} == {
            "ssm:GetParameter"}


def test_the_marketplace_poller_reads_only_the_pushless_marketplaces_and_writes_only_its_cursors(template):
    _, statements = role_of(template, "PollMarketplaces")
    text = json.dumps(statements)
    # No Shopify token (Shopify pushes its webhooks), no source's secret, no staff or payment secret, no return, no
    # money, no workflow: it only queues notifications the consumer hydrates.
    for forbidden in (resources.SOURCES_PREFIX, SHOPIFY_TOKENS_PREFIX, resources.STAFF_KEYS_PREFIX,
                      resources.PAYMENT_PROVIDER_KEY_PARAMETER, resources.POLICY_PARAMETER, "ReturnsTable",
                      "RefundLedgerTable", "OrdersTable", "CustomersTable", "ShipmentsTable", "EventLogTable",
                      "AuditTable", "ArchiveBucket", "EventBus", "states:", "events:", "s3:"):
        assert forbidden not in text, forbidden
    assert {(action, resource) for action, resource in grants(statements) if action in WRITES} == {
        ("dynamodb:UpdateItem", "${ShopsTable.Arn}")}
    assert {(action, resource) for action, resource in grants(statements, "sqs")} == {
        ("sqs:SendMessage", "${IngestQueue.Arn}")}
    assert key_uses(statements)[("kms:Decrypt", "ssm")] == {
        SSM + resources.CONNECTIONS_PREFIX + "/*", SSM + TAOBAO_SECRETS_PREFIX + "/*", SSM + JD_SECRETS_PREFIX + "/*"}


def test_the_staff_function_reads_only_taobaos_marketplace_secrets(template):
    """The SMS code route calls Taobao alone: no Shopify or JD secret, no source's secret."""
    _, statements = role_of(template, "APIHandler")
    text = json.dumps(statements)
    for forbidden in (resources.SOURCES_PREFIX, SHOPIFY_TOKENS_PREFIX, JD_SECRETS_PREFIX):
        assert forbidden not in text, forbidden
    assert key_uses(statements)[("kms:Decrypt", "ssm")] == {
        SSM + resources.STAFF_KEYS_PREFIX + "/*", SSM + resources.PAYMENT_PROVIDER_KEY_PARAMETER,
        SSM + resources.CONNECTIONS_PREFIX + "/*", SSM + TAOBAO_SECRETS_PREFIX + "/*"}


def test_only_the_functions_that_call_a_marketplace_read_the_shops_and_only_the_consumer_and_poller_write_them(
        template):
    shops = RESOURCES["shops"][1]
    on_shops = {
        function: {action for action, resource in grants(role_of(template, function)[1]) if resource == shops}
        for function in functions(template)
    }
    assert {function: actions for function, actions in on_shops.items() if actions} == {
        "AnswerMarketplace": {"dynamodb:GetItem"}, "DispatchRefund": {"dynamodb:GetItem"},
        "HoldShipment": {"dynamodb:GetItem"}, "IngestEvents": {"dynamodb:GetItem", "dynamodb:UpdateItem"},
        "NotifyOutcome": {"dynamodb:GetItem"}, "PollMarketplaces": {"dynamodb:GetItem", "dynamodb:UpdateItem"},
    }
    # An item is updated, never put whole: the uninstall and the pollers' cursors are attributes of the same item.
    assert not any("dynamodb:PutItem" in actions for actions in on_shops.values())


def test_the_token_parameters_granted_are_the_ones_a_connection_may_name():
    from pydantic import ValidationError

    from chalicelib.domain.connections import ShopifyConnection

    def connection(parameter: str) -> ShopifyConnection:
        return ShopifyConnection(platform="shopify", domain="acme.myshopify.com", mode="live",
                                 access_token_parameter=parameter)

    assert fnmatch.fnmatch(SSM + connection("/aftersales/shopify/acme/access-token").access_token_parameter,
                           RESOURCES["shopify-tokens/*"][1])
    for outside in ("/aftersales/sources/acme", "/aftersales/payment-provider/api-key", "/aftersales/shopifyx/acme",
                    "/other/shopify/acme"):
        with pytest.raises(ValidationError):
            connection(outside)


@pytest.mark.parametrize("platform", ["taobao", "jd"])
def test_the_secret_parameters_granted_are_the_ones_a_taobao_or_jd_connection_may_name(platform):
    from pydantic import ValidationError

    from chalicelib.domain.connections import JdConnection, TaobaoConnection

    if platform == "taobao":
        granted, fields = RESOURCES["taobao-secrets/*"][1], ("app_secret_parameter", "session_parameter")

        def connection(**parameters) -> TaobaoConnection:
            return TaobaoConnection(**{
                "platform": "taobao", "store": "tmall", "seller_id": "2206512345678", "seller_nick": "acme",
                "mode": "live", "app_key": "12345678", "app_secret_parameter": "/aftersales/taobao/app-secret",
                "session_parameter": "/aftersales/taobao/acme/session", "seller_address_id": "1001", **parameters})
    else:
        granted, fields = RESOURCES["jd-secrets/*"][1], ("app_secret_parameter", "access_token_parameter")

        def connection(**parameters) -> JdConnection:
            return JdConnection(**{
                "platform": "jd", "vender_id": "10086", "mode": "live", "app_key": "abc",
                "app_secret_parameter": "/aftersales/jd/app-secret", "access_token_parameter": "/aftersales/jd/acme/token",
                "operator": {"bu_id": "10086", "pin": "acme_pop", "nick": "aftersales"},
                "return_address": {"contact_name": "A", "contact_phone": "010-12345678", "province": "北京",
                                   "city": "北京", "county": "朝阳", "address": "1 Road"}, **parameters})

    made = connection()
    for field in fields:
        assert fnmatch.fnmatch(SSM + getattr(made, field), granted), field
        for outside in ("/aftersales/sources/acme", "/aftersales/payment-provider/api-key", "/aftersales/shopify/acme",
                        f"/aftersales/{platform}x/acme", f"/other/{platform}/acme",
                        "/aftersales/jd/acme" if platform == "taobao" else "/aftersales/taobao/acme"):
            with pytest.raises(ValidationError):
                connection(**{field: outside})


def test_the_audit_table_is_append_only_for_everyone(template):
    audit = "${AuditTable.Arn}"
    for function in functions(template):
        _, statements = role_of(template, function)
        on_audit = {action for action, resource in grants(statements) if resource == audit}
        assert on_audit <= {"dynamodb:PutItem", "dynamodb:ConditionCheckItem", "dynamodb:GetItem", "dynamodb:Query"}
    table = template["Resources"]["AuditTable"]["Properties"]
    [deny] = table["ResourcePolicy"]["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny" and deny["Principal"] == "*"
    assert {"dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"} <= set(deny["Action"])
    assert canonical(deny["Resource"]).endswith(f":table/{resources.AUDIT_TABLE}")


def test_the_api_is_three_functions_of_the_same_code(template):
    every = functions(template)
    served = {
        path: canonical(operation["x-amazon-apigateway-integration"]["uri"]).split("${")[-1].split(".")[0]
        for path, operations in template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]["paths"].items()
        for operation in operations.values()
    }
    for path, function in served.items():
        if path.startswith("/v1/webhooks/"):
            assert function == "WebhooksAPIHandler", path
        elif path == "/v1/refund-quotes":
            assert function == "QuotesAPIHandler", path
        else:
            assert path.startswith(
                ("/v1/verification-previews", "/v1/reviews", "/v1/returns", "/v1/refunds", "/v1/reports",
                 "/console")), path
            assert function == "APIHandler", path
    assert {
        "/v1/webhooks/{source}", "/v1/webhooks/shopify", "/v1/webhooks/carriers/{carrier}", "/v1/refund-quotes",
    } <= set(served)
    staff = every["APIHandler"]
    for name in ("WebhooksAPIHandler", "QuotesAPIHandler"):
        assert {key: value for key, value in every[name].items() if key not in ("Role", "FunctionName")} == {
            key: value for key, value in staff.items() if key not in ("Role", "FunctionName")
        }
    permissions = {
        resource["Properties"]["FunctionName"]["Ref"]: resource["Properties"]
        for resource in template["Resources"].values() if resource["Type"] == "AWS::Lambda::Permission"
    }
    assert set(permissions) == {"APIHandler", "WebhooksAPIHandler", "QuotesAPIHandler"}
    for permission in permissions.values():
        assert (permission["Action"], permission["Principal"]) == ("lambda:InvokeFunction", "apigateway.amazonaws.com")
    # Chalice's permission (any route of the API) stays with the staff function; the others name their routes.
    permissions = {
        name: canonical(permissions[name]["SourceArn"]) for name in ("WebhooksAPIHandler", "QuotesAPIHandler")
    }
    assert permissions["WebhooksAPIHandler"].endswith(":${RestAPI}/*/POST/v1/webhooks/*")
    assert permissions["QuotesAPIHandler"].endswith(":${RestAPI}/*/POST/v1/refund-quotes")
    assert len({properties["FunctionName"] for properties in every.values()}) == len(every)


def test_the_data_is_under_the_stacks_own_rotated_key(template):
    resources_ = template["Resources"]
    key = resources_["DataKey"]
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == key["UpdateReplacePolicy"] == "Retain"
    for name, resource in resources_.items():
        if resource["Type"] == "AWS::DynamoDB::Table":
            assert resource["Properties"]["SSESpecification"] == {
                "SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": {"Ref": "DataKey"}}, name
        if resource["Type"] == "AWS::SQS::Queue":
            assert resource["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": ["DataKey", "Arn"]}, name
    [rule] = resources_["ArchiveBucket"]["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule == {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms",
                                                      "KMSMasterKeyID": {"Fn::GetAtt": ["DataKey", "Arn"]}},
                    "BucketKeyEnabled": True}
    assert resources_["AlarmTopic"]["Properties"]["KmsMasterKeyId"] == {"Ref": "DataKey"}
    # The key policy: the account (and through it IAM) administers it; only CloudWatch, to publish alarms, besides,
    # and EventBridge for Shopify's rule when the stack has it (test_shopifys_partner_events_reach_only_the_ingest_queue).
    statements = key["Properties"]["KeyPolicy"]["Statement"]
    unconditional = [statement for statement in statements if "Fn::If" not in statement]
    assert [statement["Principal"] for statement in unconditional] == [
        {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}},
        {"Service": "cloudwatch.amazonaws.com"},
    ]
    conditional = [statement["Fn::If"] for statement in statements if "Fn::If" in statement]
    assert [(condition, statement["Principal"], absent) for condition, statement, absent in conditional] == [
        ("HasShopifyPartnerEventSource", {"Service": "events.amazonaws.com"}, {"Ref": "AWS::NoValue"})]


def test_shopifys_partner_events_reach_only_the_ingest_queue(template):
    """Shopify's EventBridge partner source (no HMAC: EventBridge vouches for the source): its bus, one rule to the
    ingest queue, and the queue's and the key's policies letting only that rule send; none of it without the source."""
    resources_ = template["Resources"]
    parameter = template["Parameters"]["ShopifyPartnerEventSourceName"]
    assert (parameter["Type"], parameter["Default"]) == ("String", "")
    assert template["Conditions"]["HasShopifyPartnerEventSource"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "ShopifyPartnerEventSourceName"}, ""]}]}
    partner = {name for name, resource in resources_.items() if resource.get("Condition") == "HasShopifyPartnerEventSource"}
    assert partner == {"ShopifyPartnerEventBus", "ShopifyPartnerEventsRule", "IngestQueuePolicy"}

    bus = resources_["ShopifyPartnerEventBus"]
    assert bus["Type"] == "AWS::Events::EventBus"
    assert bus["Properties"] == {"Name": {"Ref": "ShopifyPartnerEventSourceName"},
                                 "EventSourceName": {"Ref": "ShopifyPartnerEventSourceName"}}
    rule = resources_["ShopifyPartnerEventsRule"]
    assert rule["Type"] == "AWS::Events::Rule"
    assert rule["Properties"]["EventBusName"] == {"Ref": "ShopifyPartnerEventBus"}
    assert rule["Properties"]["EventPattern"] == {"source": [{"prefix": "aws.partner/shopify.com"}]}
    assert rule["Properties"]["State"] == "ENABLED"
    assert [target["Arn"] for target in rule["Properties"]["Targets"]] == [{"Fn::GetAtt": ["IngestQueue", "Arn"]}]
    assert not any("RoleArn" in target for target in rule["Properties"]["Targets"])  # the queue's policy lets it send

    # The queue's only policy: EventBridge may send, for that rule alone.
    [policy] = [r for r in resources_.values() if r["Type"] == "AWS::SQS::QueuePolicy"]
    assert policy["Properties"]["Queues"] == [{"Ref": "IngestQueue"}]
    [send] = policy["Properties"]["PolicyDocument"]["Statement"]
    assert send["Effect"] == "Allow" and send["Principal"] == {"Service": "events.amazonaws.com"}
    assert as_list(send["Action"]) == ["sqs:SendMessage"]
    assert canonical(send["Resource"]) == "${IngestQueue.Arn}"
    assert send["Condition"] == {"ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": ["ShopifyPartnerEventsRule", "Arn"]}}}

    # The queue is under the stack's key: EventBridge may use it for that rule alone. The ARN is written out (a GetAtt
    # would make the key depend on the rule, the rule on the queue and the queue on the key); it is the rule's.
    [(condition, statement, _)] = [
        s["Fn::If"] for s in resources_["DataKey"]["Properties"]["KeyPolicy"]["Statement"] if "Fn::If" in s]
    assert condition == "HasShopifyPartnerEventSource"
    assert statement["Effect"] == "Allow" and statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert sorted(statement["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey"]
    rule_arn = canonical(statement["Condition"]["ArnEquals"]["aws:SourceArn"])
    assert rule_arn == (
        "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/${ShopifyPartnerEventSourceName}/"
        + rule["Properties"]["Name"]
    )
    assert set(statement["Condition"]) == {"ArnEquals"}

    # The consumer (services/accept_shopify_webhook.partner_notification) takes the sources the rule lets through.
    from chalicelib.connectors.shopify.webhook import PARTNER_SOURCE

    assert rule["Properties"]["EventPattern"]["source"] == [{"prefix": PARTNER_SOURCE}]


def test_the_archive_takes_only_tls_and_forgets_raw_bodies_and_old_versions(template):
    resources_ = template["Resources"]
    [policy] = [r["Properties"] for r in resources_.values()
                if r["Type"] == "AWS::S3::BucketPolicy" and r["Properties"]["Bucket"] == {"Ref": "ArchiveBucket"}]
    [deny] = policy["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny" and deny["Principal"] == "*" and deny["Action"] == "s3:*"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert {canonical(resource) for resource in deny["Resource"]} == {"${ArchiveBucket.Arn}", "${ArchiveBucket.Arn}/*"}
    rules = {rule["Id"]: rule for rule in resources_["ArchiveBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]}
    assert rules["expire-raw-webhooks"]["Prefix"] == "webhooks/"
    assert rules["expire-raw-webhooks"]["ExpirationInDays"] == {"Ref": "RawArchiveRetentionDays"}
    assert rules["expire-noncurrent-versions"]["NoncurrentVersionExpiration"] == {
        "NoncurrentDays": {"Ref": "NoncurrentVersionRetentionDays"}}
    assert "Prefix" not in rules["expire-noncurrent-versions"]
    parameters = template["Parameters"]
    assert parameters["RawArchiveRetentionDays"]["Default"] == 400
    assert parameters["NoncurrentVersionRetentionDays"]["Default"] == 30


def test_the_api_is_throttled_and_the_consumer_bounded(template):
    api = template["Resources"]["RestAPI"]["Properties"]
    assert api["MethodSettings"] == [{
        "ResourcePath": "/*", "HttpMethod": "*", "ThrottlingRateLimit": {"Ref": "ApiThrottlingRateLimit"},
        "ThrottlingBurstLimit": {"Ref": "ApiThrottlingBurstLimit"},
    }]
    consumer = functions(template)["IngestEvents"]
    assert consumer["ReservedConcurrentExecutions"] == {"Ref": "ConsumerConcurrency"}
    # The queue trigger never runs more than the reserved concurrency: no throttled batch counts as a receive.
    [source] = consumer["Events"].values()
    assert source["Properties"]["ScalingConfig"] == {"MaximumConcurrency": {"Ref": "ConsumerConcurrency"}}


def test_alarms_watch_the_dlq_the_workflow_and_the_api(template):
    alarms = {
        (p["Namespace"], p["MetricName"]): p
        for p in (r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::CloudWatch::Alarm")
    }
    assert set(alarms) == {
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible"), ("AWS/States", "ExecutionsFailed"),
        ("AWS/States", "ExecutionsTimedOut"), ("AWS/ApiGateway", "5XXError"),
    }
    for alarm in alarms.values():
        assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanThreshold", 0)
        assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]
    dimensions = {key: {d["Name"]: d["Value"] for d in alarm["Dimensions"]} for key, alarm in alarms.items()}
    assert dimensions[("AWS/SQS", "ApproximateNumberOfMessagesVisible")] == {
        "QueueName": {"Fn::GetAtt": ["IngestDeadLetterQueue", "QueueName"]}}
    assert dimensions[("AWS/States", "ExecutionsFailed")] == {"StateMachineArn": {"Ref": "ReturnWorkflow"}}
    api = template["Resources"]["RestAPI"]["Properties"]
    assert dimensions[("AWS/ApiGateway", "5XXError")] == {"ApiName": api["Name"], "Stage": api["StageName"]}
    assert api["Name"] == api["DefinitionBody"]["info"]["title"]
    assert template["Outputs"]["AlarmTopicArn"] == {"Value": {"Ref": "AlarmTopic"}}
    assert template["Resources"]["AlarmEmailSubscription"]["Condition"] == "HasAlarmEmail"


def test_the_needs_table_names_only_resources_the_template_has(template):
    """A resource key of NEEDS that no longer matches the template (a renamed table or index) fails here first."""
    names = set(template["Resources"])
    for key, (_, arns) in RESOURCES.items():
        for arn in as_list(arns):
            if arn.startswith("${"):
                assert arn[2:].split(".")[0] in names, key
    indexes = {
        f"${{{name}.Arn}}/index/{index['IndexName']}"
        for name, resource in template["Resources"].items() if resource["Type"] == "AWS::DynamoDB::Table"
        for index in resource["Properties"].get("GlobalSecondaryIndexes", [])
    }
    assert {arn for _, arn in RESOURCES.values() if isinstance(arn, str) and "/index/" in arn} <= indexes
    assert fnmatch.fnmatch(SSM + resources.SOURCES_PREFIX + "/generic", RESOURCES["sources/*"][1])


def _merged_like(paths_without_type=(), shared_role_user=None) -> dict:
    """A small template as it comes out of Chalice's merge, for the package's own checks."""
    from infra.package import api_functions, infra_resources

    declared = infra_resources()["RestAPI"]["Properties"]["DefinitionBody"]["paths"]
    paths = {
        path: {method: {"x-amazon-apigateway-integration": {"uri": "u", **({} if path in paths_without_type else {
            "type": "aws_proxy"})}} for method in methods}
        for path, methods in declared.items()
    }
    resources_ = {
        "DefaultRole": {"Type": "AWS::IAM::Role", "Properties": {}},
        "APIHandler": {"Type": "AWS::Serverless::Function", "Properties": {
            "Handler": "app.app", "Runtime": "python3.12", "Role": {"Fn::GetAtt": ["APIHandlerRole", "Arn"]}}},
        "RestAPI": {"Type": "AWS::Serverless::Api", "Properties": {"DefinitionBody": {"paths": paths}}},
        **{name: {"Type": "AWS::Serverless::Function", "Properties": {
            "Handler": "app.app", "Role": {"Fn::GetAtt": [f"{name}Role", "Arn"]}}} for name in api_functions()},
    }
    if shared_role_user:
        resources_[shared_role_user] = {"Type": "AWS::Serverless::Function", "Properties": {
            "Role": {"Fn::GetAtt": ["DefaultRole", "Arn"]}}}
    return {"Resources": resources_}


def test_the_package_gives_the_api_functions_the_staff_functions_settings_and_drops_the_shared_role():
    from infra.package import post_process

    template = _merged_like()
    post_process(template)
    assert "DefaultRole" not in template["Resources"]
    assert template["Resources"]["WebhooksAPIHandler"]["Properties"] == {
        "Handler": "app.app", "Runtime": "python3.12", "Role": {"Fn::GetAtt": ["WebhooksAPIHandlerRole", "Arn"]}}


@pytest.mark.parametrize("broken", ["a function without a role", "a route the app lacks"])
def test_the_package_refuses_a_template_that_would_deploy_wrong(broken):
    from infra.package import post_process

    if broken == "a function without a role":
        template, message = _merged_like(shared_role_user="NewFunction"), "NewFunction still use"
    else:
        template, message = _merged_like(paths_without_type=("/v1/refund-quotes",)), "/v1/refund-quotes"
    with pytest.raises(ValueError, match=message):
        post_process(template)


def test_the_archive_prefixes_granted_are_the_ones_the_code_writes():
    from chalicelib.services import accept_webhook, export_refunds

    assert 'f"webhooks/{' in inspect.getsource(accept_webhook.archive_key)
    assert 'f"finance-exports/{' in inspect.getsource(export_refunds.export_day)
