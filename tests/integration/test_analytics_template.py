"""The analytics lake on AWS, as the packaged template declares it: the bus's LakeRow events go, by one rule, to a
Firehose stream writing each row as a JSON line under `analytics/<table>/dt=<day>/` of the analytics bucket; one Glue
table per lake table (domain/lake.py) reads those objects with partition projection; the staff API's reports run
as Athena queries in a workgroup holding the result location and a bytes-scanned limit. Only the staff function may
query; the stream's and the rule's roles reach only their bucket and stream.
"""

import fnmatch
import json
import re

import pytest

from chalicelib import resources
from chalicelib.adapters.aws.eventbridge import SOURCE
from chalicelib.domain.lake import PARTITION, TABLES
from chalicelib.domain.lake_rows import row
from chalicelib.services.record_in_lake import LAKE_ROW
from tests.integration.packaged import built_package, functions
from tests.integration.test_least_privilege import as_list, canonical

pytestmark = pytest.mark.xdist_group("package")

KEY = {"Fn::GetAtt": ["DataKey", "Arn"]}
BUCKET = "${AnalyticsBucket.Arn}"
S3_VIA = "s3.${AWS::Region}.amazonaws.com"
# What Fn::Sub puts for the names below, to read a location as S3 will see it.
NAMES = {"AnalyticsBucket": "the-analytics-bucket"}
GLUE_TABLE = "AWS::Glue::Table"
SERDE = "org.openx.data.jsonserde.JsonSerDe"
# The types both engines read alike from JSON (domain/lake.py); Athena's (Hive DDL) names for them.
ATHENA_TYPES = {"string", "bigint", "boolean"}


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return built_package(tmp_path_factory)["template"]


def substituted(value) -> str:
    """A string Fn::Sub of the template as CloudFormation renders it: the NAMES put in, `${!x}` left as `${x}`."""
    assert set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str), value
    text = value["Fn::Sub"]
    for name, rendered in NAMES.items():
        text = text.replace("${%s}" % name, rendered)
    assert not re.search(r"\$\{[^!]", text), f"a name this test does not render: {text}"
    return text.replace("${!", "${")


def statements_of(template: dict, role: str) -> list[dict]:
    policies = template["Resources"][role]["Properties"]["Policies"]
    return [statement for policy in policies for statement in policy["PolicyDocument"]["Statement"]]


def grants(statements: list[dict]) -> set[tuple[str, str]]:
    found = set()
    for statement in statements:
        assert statement["Effect"] == "Allow"
        found |= {(action, canonical(resource)) for action in as_list(statement["Action"])
                  for resource in as_list(statement["Resource"])}
    return found


def roles(template: dict) -> dict[str, dict]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == "AWS::IAM::Role"}


def glue_tables(template: dict) -> dict[str, dict]:
    """The Glue tables by their name: their TableInput."""
    found = {}
    for name, resource in template["Resources"].items():
        if resource["Type"] == GLUE_TABLE:
            properties = resource["Properties"]
            assert properties["DatabaseName"] == {"Ref": "AnalyticsDatabase"}, name
            assert properties["CatalogId"] == {"Ref": "AWS::AccountId"}, name
            found[properties["TableInput"]["Name"]] = properties["TableInput"]
    return found


def destination(template: dict) -> dict:
    return template["Resources"]["LakeDeliveryStream"]["Properties"]["ExtendedS3DestinationConfiguration"]


def partition_keys(template: dict) -> dict[str, str]:
    """The stream's partition keys: the field of the row each is read from (the jq query `{key: .field, ...}`)."""
    [extraction] = [p for p in destination(template)["ProcessingConfiguration"]["Processors"]
                    if p["Type"] == "MetadataExtraction"]
    parameters = {p["ParameterName"]: p["ParameterValue"] for p in extraction["Parameters"]}
    assert parameters["JsonParsingEngine"] == "JQ-1.6"
    query = parameters["MetadataExtractionQuery"]
    assert re.fullmatch(r"\{\s*\w+:\s*\.\w+(\s*,\s*\w+:\s*\.\w+)*\s*\}", query), query
    return dict(re.findall(r"(\w+):\s*\.(\w+)", query))


def delivered_prefix(template: dict, lake_row: dict) -> str:
    """The prefix the stream writes a row under: its Prefix with each partition key read from the row."""
    keys = partition_keys(template)
    prefix = destination(template)["Prefix"]
    rendered = re.sub(r"!\{partitionKeyFromQuery:(\w+)\}", lambda m: str(lake_row[keys[m.group(1)]]), prefix)
    assert "!{" not in rendered, rendered
    return rendered


def sample_row(table: str, day: str = "2026-11-22") -> dict:
    return row(table, day)


def test_every_lake_table_is_a_glue_table_of_its_columns_in_order(template):
    tables = glue_tables(template)
    assert set(tables) == set(TABLES)
    partition, partition_type = PARTITION
    for table, columns in TABLES.items():
        found = tables[table]
        storage = found["StorageDescriptor"]
        assert [(c["Name"], c["Type"]) for c in storage["Columns"]] == list(columns), table
        assert {kind for _, kind in columns} <= ATHENA_TYPES, table
        assert found["PartitionKeys"] == [{"Name": partition, "Type": partition_type}], table
        assert found["TableType"] == "EXTERNAL_TABLE"
        # JSON lines as the stream writes them, uncompressed; a malformed line fails the query (as on DuckDB)
        # rather than reading as a row of NULLs.
        assert storage["InputFormat"] == "org.apache.hadoop.mapred.TextInputFormat"
        assert storage["OutputFormat"] == "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
        assert storage["SerdeInfo"] == {"SerializationLibrary": SERDE, "Parameters": {"ignore.malformed.json": "false"}}
        assert storage["Compressed"] is False
        assert substituted(storage["Location"]) == f"s3://{NAMES['AnalyticsBucket']}/analytics/{table}/"


def test_the_tables_partitions_are_projected_by_day_onto_where_the_stream_writes(template):
    partition = PARTITION[0]
    for table, found in glue_tables(template).items():
        parameters = found["Parameters"]
        assert {key: value for key, value in parameters.items() if key != "storage.location.template"} == {
            "classification": "json", "EXTERNAL": "TRUE", "projection.enabled": "true",
            f"projection.{partition}.type": "date", f"projection.{partition}.format": "yyyy-MM-dd",
            # From as far back as an event may be (10 years) to tomorrow (the 24 hours of clock skew allowed).
            f"projection.{partition}.range": "2016-01-01,NOW+1DAYS", f"projection.{partition}.interval": "1",
            f"projection.{partition}.interval.unit": "DAYS",
        }, table
        # `${!dt}` in the Sub: Athena gets `${dt}`, its placeholder, not a CloudFormation name.
        location_template = substituted(parameters["storage.location.template"])
        location = substituted(found["StorageDescriptor"]["Location"])
        assert location_template == location + partition + "=${" + partition + "}/", table
        # A row of the table on a day is written where the projection looks for that day.
        lake_row = sample_row(table)
        assert lake_row["_dt"] == "2026-11-22"
        written = f"s3://{NAMES['AnalyticsBucket']}/" + delivered_prefix(template, lake_row)
        assert written == location_template.replace("${" + partition + "}", lake_row["_dt"]), table


def test_the_rule_sends_lake_rows_and_only_them_with_the_row_as_the_record(template):
    resources_ = template["Resources"]
    rule = resources_["LakeRowsRule"]["Properties"]
    assert rule["EventBusName"] == {"Ref": "EventBus"}
    assert resources_["EventBus"]["Properties"]["Name"] == resources.EVENT_BUS
    assert rule["EventPattern"] == {"source": [SOURCE], "detail-type": [LAKE_ROW]}
    assert rule["State"] == "ENABLED"
    [target] = rule["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": ["LakeDeliveryStream", "Arn"]}
    assert target["InputPath"] == "$.detail"
    assert target["RoleArn"] == {"Fn::GetAtt": ["LakeRowsRuleRole", "Arn"]}
    assert not {"Input", "InputTransformer"} & set(target)
    # No other rule feeds the stream.
    feeding = {
        name for name, resource in resources_.items() if resource["Type"] == "AWS::Events::Rule"
        for t in resource["Properties"]["Targets"] if t["Arn"] == {"Fn::GetAtt": ["LakeDeliveryStream", "Arn"]}
    }
    assert feeding == {"LakeRowsRule"}


def test_the_stream_partitions_by_the_rows_table_and_day(template):
    stream = template["Resources"]["LakeDeliveryStream"]["Properties"]
    assert stream["DeliveryStreamType"] == "DirectPut"
    s3 = destination(template)
    assert s3["BucketARN"] == {"Fn::GetAtt": ["AnalyticsBucket", "Arn"]}
    assert s3["RoleARN"] == {"Fn::GetAtt": ["LakeDeliveryRole", "Arn"]}
    assert s3["DynamicPartitioningConfiguration"]["Enabled"] is True
    assert s3["ProcessingConfiguration"]["Enabled"] is True
    assert partition_keys(template) == {"table": "_table", "dt": "_dt"}
    assert s3["Prefix"] == "analytics/!{partitionKeyFromQuery:table}/dt=!{partitionKeyFromQuery:dt}/"
    for table in TABLES:
        assert delivered_prefix(template, sample_row(table, "2026-03-01")) == f"analytics/{table}/dt=2026-03-01/"
    # One JSON line per row (the delimiter is written as the two characters Firehose reads as a newline).
    delimiters = [p for p in s3["ProcessingConfiguration"]["Processors"] if p["Type"] == "AppendDelimiterToRecord"]
    assert delimiters == [{"Type": "AppendDelimiterToRecord",
                           "Parameters": [{"ParameterName": "Delimiter", "ParameterValue": "\\n"}]}]
    # Plain JSON lines named *.json, as the local cloud's delivery writes them (localcloud/lake_delivery.py), so
    # DuckDB and Athena read the same objects.
    assert s3["CompressionFormat"] == "UNCOMPRESSED"
    assert s3["FileExtension"] == ".json"
    # Records that fail go outside every table's location.
    assert s3["ErrorOutputPrefix"].startswith("analytics-errors/!{firehose:error-output-type}/")
    assert not s3["ErrorOutputPrefix"].startswith("analytics/")
    # Dynamic partitioning takes a buffer of 64 MB at least.
    assert s3["BufferingHints"]["SizeInMBs"] >= 64
    assert 0 < s3["BufferingHints"]["IntervalInSeconds"] <= 900
    assert s3["EncryptionConfiguration"] == {"KMSEncryptionConfig": {"AWSKMSKeyARN": KEY}}
    logging = s3["CloudWatchLoggingOptions"]
    assert logging == {"Enabled": True, "LogGroupName": {"Ref": "LakeDeliveryLogGroup"},
                       "LogStreamName": {"Ref": "LakeDeliveryLogStream"}}
    group = template["Resources"]["LakeDeliveryLogGroup"]["Properties"]
    assert group["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def test_the_delivery_role_reaches_only_the_analytics_bucket_the_key_and_its_log_stream(template):
    role = template["Resources"]["LakeDeliveryRole"]["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"] == [{
        "Effect": "Allow", "Principal": {"Service": "firehose.amazonaws.com"}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": {"Ref": "AWS::AccountId"}}},
    }]
    statements = statements_of(template, "LakeDeliveryRole")
    log_stream = ("arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:${LakeDeliveryLogGroup}"
                  ":log-stream:${LakeDeliveryLogStream}")
    assert grants(statements) == {
        ("s3:GetBucketLocation", BUCKET), ("s3:ListBucket", BUCKET), ("s3:ListBucketMultipartUploads", BUCKET),
        *{(action, f"{BUCKET}/{prefix}/*") for action in ("s3:PutObject", "s3:AbortMultipartUpload")
          for prefix in ("analytics", "analytics-errors")},
        ("kms:GenerateDataKey", "${DataKey.Arn}"), ("kms:Decrypt", "${DataKey.Arn}"),
        ("logs:PutLogEvents", log_stream),
    }
    for statement in statements:
        if any(action.startswith("kms:") for action in as_list(statement["Action"])):
            assert statement["Condition"] == {"StringEquals": {"kms:ViaService": {"Fn::Sub": S3_VIA}}}
    # What it writes is where the stream puts rows and errors.
    s3 = destination(template)
    for prefix in (delivered_prefix(template, sample_row("refunds")), s3["ErrorOutputPrefix"]):
        assert any(fnmatch.fnmatch(f"{BUCKET}/{prefix}part", resource)
                   for action, resource in grants(statements) if action == "s3:PutObject"), prefix


def test_the_rule_role_may_only_put_records_on_the_stream_for_that_rule(template):
    rule = template["Resources"]["LakeRowsRule"]["Properties"]
    role = template["Resources"]["LakeRowsRuleRole"]["Properties"]
    [trust] = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "events.amazonaws.com"} and trust["Action"] == "sts:AssumeRole"
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    # The rule's ARN, written out (a GetAtt would make the role depend on the rule that depends on it).
    assert canonical(trust["Condition"]["ArnEquals"]["aws:SourceArn"]) == (
        "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/${EventBus}/" + rule["Name"])
    assert grants(statements_of(template, "LakeRowsRuleRole")) == {
        ("firehose:PutRecord", "${LakeDeliveryStream.Arn}"), ("firehose:PutRecordBatch", "${LakeDeliveryStream.Arn}"),
    }


def test_only_the_staff_function_may_query_the_lake(template):
    staff_role = functions(template)["APIHandler"]["Role"]["Fn::GetAtt"][0]
    querying, reaching_the_bucket = set(), set()
    for name in roles(template):
        found = grants(statements_of(template, name))
        if any(action.split(":")[0] in ("athena", "glue") for action, _ in found):
            querying.add(name)
        if any(resource.startswith(BUCKET) for _, resource in found):
            reaching_the_bucket.add(name)
    assert querying == {staff_role}
    assert reaching_the_bucket == {staff_role, "LakeDeliveryRole"}
    # Nor does the state machine's own policy.
    workflow = json.dumps(template["Resources"]["ReturnWorkflow"]["Properties"].get("Policies", []))
    assert "athena:" not in workflow and "glue:" not in workflow and "AnalyticsBucket" not in workflow


def test_the_staff_function_queries_in_the_workgroup_over_the_lakes_catalog_and_objects(template):
    staff_role = functions(template)["APIHandler"]["Role"]["Fn::GetAtt"][0]
    statements = statements_of(template, staff_role)
    found = grants(statements)
    workgroup = "arn:${AWS::Partition}:athena:${AWS::Region}:${AWS::AccountId}:workgroup/${AnalyticsWorkgroup}"
    assert {pair for pair in found if pair[0].startswith("athena:")} == {
        (f"athena:{action}", workgroup)
        for action in ("StartQueryExecution", "GetQueryExecution", "GetQueryResults", "StopQueryExecution")}
    glue = "arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}"
    catalog = {f"{glue}:catalog", f"{glue}:database/${{AnalyticsDatabase}}",
               *(f"{glue}:table/${{AnalyticsDatabase}}/{table}" for table in TABLES)}
    assert {pair for pair in found if pair[0].startswith("glue:")} == {
        (f"glue:{action}", arn) for action in ("GetDatabase", "GetTable", "GetTables", "GetPartitions")
        for arn in catalog}
    assert {pair for pair in found if pair[1].startswith(BUCKET)} == {
        ("s3:GetBucketLocation", BUCKET), ("s3:ListBucket", BUCKET), ("s3:GetObject", f"{BUCKET}/analytics/*"),
        *{(action, f"{BUCKET}/athena-results/*") for action in ("s3:GetObject", "s3:PutObject",
                                                               "s3:AbortMultipartUpload")},
    }
    # The bucket is listed only under the lake's and the results' prefixes; each table's location is among them.
    [listing] = [s for s in statements if "s3:ListBucket" in as_list(s["Action"])]
    prefixes = listing["Condition"]["StringLike"]["s3:prefix"]
    assert sorted(prefixes) == ["analytics/*", "athena-results/*"]
    bucket_url = f"s3://{NAMES['AnalyticsBucket']}/"
    for table in glue_tables(template).values():
        key = substituted(table["StorageDescriptor"]["Location"]).removeprefix(bucket_url)
        assert any(fnmatch.fnmatch(key, prefix) for prefix in prefixes), key
    results = template["Resources"]["AnalyticsWorkgroup"]["Properties"]["WorkGroupConfiguration"]["ResultConfiguration"]
    assert any(fnmatch.fnmatch(substituted(results["OutputLocation"]).removeprefix(bucket_url), p) for p in prefixes)
    # The key, through S3 only: the lake's objects and the results read back, the results written.
    key_statements = [s for s in statements if any(a.startswith("kms:") for a in as_list(s["Action"]))
                      and s["Condition"]["StringEquals"]["kms:ViaService"] == {"Fn::Sub": S3_VIA}]
    assert {a for s in key_statements for a in as_list(s["Action"])} == {"kms:Decrypt", "kms:GenerateDataKey"}


def test_the_workgroup_enforces_its_result_location_and_the_bytes_scanned_cutoff(template):
    workgroup = template["Resources"]["AnalyticsWorkgroup"]["Properties"]
    assert workgroup["Name"] == resources.ATHENA_WORKGROUP
    assert workgroup["State"] == "ENABLED"
    configuration = workgroup["WorkGroupConfiguration"]
    assert configuration["EnforceWorkGroupConfiguration"] is True
    assert configuration["ResultConfiguration"] == {
        "OutputLocation": {"Fn::Sub": "s3://${AnalyticsBucket}/athena-results/"},
        "EncryptionConfiguration": {"EncryptionOption": "SSE_KMS", "KmsKey": KEY},
    }
    assert configuration["BytesScannedCutoffPerQuery"] == {"Ref": "AthenaBytesScannedCutoff"}
    parameter = template["Parameters"]["AthenaBytesScannedCutoff"]
    assert (parameter["Type"], parameter["Default"]) == ("Number", 1024 ** 3)
    assert parameter["MinValue"] >= 10_000_000  # Athena's least cutoff
    assert configuration["PublishCloudWatchMetricsEnabled"] is True
    assert configuration["EngineVersion"] == {"SelectedEngineVersion": "Athena engine version 3"}
    # The results are kept 30 days.
    rules = template["Resources"]["AnalyticsBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    [expiry] = [rule for rule in rules if rule.get("Prefix") == "athena-results/"]
    assert (expiry["Status"], expiry["ExpirationInDays"]) == ("Enabled", 30)
    assert not any("ExpirationInDays" in rule for rule in rules if rule is not expiry), "the lake itself is kept"


def test_the_analytics_bucket_is_private_under_the_stacks_key_and_takes_only_tls(template):
    resources_ = template["Resources"]
    bucket = resources_["AnalyticsBucket"]
    assert bucket["DeletionPolicy"] == bucket["UpdateReplacePolicy"] == "Retain"
    properties = bucket["Properties"]
    assert properties["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
    assert properties["BucketEncryption"]["ServerSideEncryptionConfiguration"] == [{
        "ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": KEY}, "BucketKeyEnabled": True}]
    assert properties["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    [policy] = [r["Properties"] for r in resources_.values()
                if r["Type"] == "AWS::S3::BucketPolicy" and r["Properties"]["Bucket"] == {"Ref": "AnalyticsBucket"}]
    [deny] = policy["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny" and deny["Principal"] == "*" and deny["Action"] == "s3:*"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert {canonical(resource) for resource in deny["Resource"]} == {BUCKET, f"{BUCKET}/*"}


def test_the_functions_are_told_the_lakes_names_and_the_stack_outputs_them(template):
    resources_ = template["Resources"]
    assert resources_["AnalyticsDatabase"]["Properties"]["DatabaseInput"]["Name"] == resources.ANALYTICS_DATABASE
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["AFTERSALES_ATHENA_WORKGROUP"] == {"Ref": "AnalyticsWorkgroup"}
    assert variables["AFTERSALES_ATHENA_DATABASE"] == {"Ref": "AnalyticsDatabase"}
    staff = functions(template)["APIHandler"]
    assert staff["Environment"]["Variables"]["AFTERSALES_ANALYTICS_BUCKET"] == {"Ref": "AnalyticsBucket"}
    outputs = template["Outputs"]
    assert outputs["AnalyticsBucketName"] == {"Value": {"Ref": "AnalyticsBucket"}}
    assert outputs["AnalyticsWorkgroupName"] == {"Value": {"Ref": "AnalyticsWorkgroup"}}
    assert outputs["AnalyticsDatabaseName"] == {"Value": {"Ref": "AnalyticsDatabase"}}
