"""The deployable package, built as `make package` builds it: a layout that deploys broken cannot land."""

import json
import re
import subprocess
import sys

import pytest

from chalicelib import resources
from chalicelib.config import Config
from infra.package import MERGE_TEMPLATE, WORKFLOW_ASL
from tests.integration.packaged import built_package
from tests.integration.packaged import functions as _functions

pytestmark = pytest.mark.xdist_group("package")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return built_package(tmp_path_factory)


def test_every_handler_imports_from_the_unzipped_bundle_in_a_clean_interpreter(built):
    handlers = sorted({function["Handler"] for function in _functions(built["template"]).values()})
    assert "functions.ingest_events.handle_ingest_events" in handlers and "app.app" in handlers
    # -I -S: no site-packages, no PYTHONPATH, no project directory; only the bundle and the standard library.
    # boto3 is the one module the Lambda runtime adds; none of the handlers may need it to import.
    code = (
        "import importlib, json, sys\n"
        f"sys.path.insert(0, {str(built['bundle'])!r})\n"
        "imported = []\n"
        f"for handler in {handlers!r}:\n"
        "    module, name = handler.rsplit('.', 1)\n"
        "    assert callable(getattr(importlib.import_module(module), name)), handler\n"
        "    imported.append(handler)\n"
        "print(json.dumps({'imported': imported, 'boto3': 'boto3' in sys.modules}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", code], cwd=built["bundle"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == {"imported": handlers, "boto3": False}


def test_the_bundle_carries_the_code_and_no_dev_only_code(built):
    top_level = {path.name for path in built["bundle"].iterdir()}
    assert {"app.py", "chalicelib", "functions", "pydantic", "aws_lambda_powertools"} <= top_level
    assert not top_level & {"localcloud", "tests", "bench", "infra", "scripts", "moto", "boto3", "botocore"}


def test_the_bundle_carries_every_reports_sql_and_the_consoles_page_and_charting_library(built):
    # Read as the Lambda reads them, from the unzipped bundle in a clean interpreter.
    code = (
        "import json, sys\n"
        f"sys.path.insert(0, {str(built['bundle'])!r})\n"
        "from chalicelib.console import chart_library_path, page\n"
        "from chalicelib.domain.reports import REPORTS, sql_text\n"
        "print(json.dumps({'sql': sorted(name for name in REPORTS if sql_text(name).strip()),\n"
        "                  'library': str(chart_library_path()), 'page': '<html' in page()}))\n"
    )
    result = subprocess.run([sys.executable, "-I", "-S", "-c", code], cwd=built["bundle"], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.splitlines()[-1])
    from chalicelib.domain.reports import REPORTS

    assert found["sql"] == sorted(REPORTS) and found["page"]
    assert found["library"] == str(built["bundle"] / "console_assets" / "plotly.min.js")


def test_packaged_template_passes_cfn_lint(built):
    from cfnlint.api import lint_file

    findings = lint_file(built["template_path"])
    assert findings == [], "\n".join(str(finding) for finding in findings)


def test_consumer_event_source_reports_batch_item_failures(built):
    sqs_sources = [
        (name, event["Properties"])
        for name, function in _functions(built["template"]).items()
        for event in function.get("Events", {}).values()
        if event["Type"] == "SQS"
    ]
    assert [name for name, _ in sqs_sources] == ["IngestEvents"]
    for _, source in sqs_sources:
        assert source["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert source["Queue"]["Fn::Sub"].endswith(f":{resources.INGEST_QUEUE}")


def test_state_machine_gets_every_task_function_and_the_same_asl(built):
    template = built["template"]
    workflow = template["Resources"]["ReturnWorkflow"]["Properties"]
    placeholders = set(re.findall(r"\$\{(\w+)\}", WORKFLOW_ASL.read_text()))
    assert set(workflow["DefinitionSubstitutions"]) == placeholders
    assert "AnswerMarketplaceFunctionArn" in placeholders  # ApproveInMarketplace / DeclineInMarketplace
    functions = _functions(template)
    for key, value in workflow["DefinitionSubstitutions"].items():
        assert value == {"Fn::GetAtt": [key.removesuffix("FunctionArn"), "Arn"]}
        assert key.removesuffix("FunctionArn") in functions
    packaged_asl = built["template_path"].parent / workflow["DefinitionUri"]
    assert packaged_asl.read_text() == WORKFLOW_ASL.read_text()
    invocable = workflow["Policies"][0]["Statement"][0]["Resource"]
    assert sorted(invocable, key=str) == sorted(workflow["DefinitionSubstitutions"].values(), key=str)


def test_every_setting_the_lambdas_read_is_set_by_the_template():
    template = json.loads(MERGE_TEMPLATE.read_text())
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert {field.alias for field in Config.model_fields.values()} == set(variables)
    # The accepted time window of an event and the marketplace's timeout are left at the code's defaults.
    for name in ("past_days", "future_hours"):
        field = Config.model_fields[name]
        assert variables[field.alias] == str(field.default)
    field = Config.model_fields["marketplace_timeout_seconds"]
    assert float(variables[field.alias]) == field.default


def test_template_names_are_the_names_the_code_uses():
    template = json.loads(MERGE_TEMPLATE.read_text())
    properties = {name: resource.get("Properties", {}) for name, resource in template["Resources"].items()}
    tables = {
        resource["Properties"]["TableName"]
        for resource in template["Resources"].values()
        if resource.get("Type") == "AWS::DynamoDB::Table"
    }
    assert tables == {
        resources.EVENT_LOG_TABLE, resources.ORDERS_TABLE, resources.RETURNS_TABLE, resources.LEDGER_TABLE,
        resources.AUDIT_TABLE, resources.CUSTOMERS_TABLE, resources.SHIPMENTS_TABLE, resources.SHOPS_TABLE,
    }
    assert properties["IngestQueue"]["QueueName"] == resources.INGEST_QUEUE
    assert properties["EventBus"]["Name"] == resources.EVENT_BUS
    assert properties["ReturnWorkflow"]["Name"] == resources.RETURN_WORKFLOW
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["AFTERSALES_SOURCES_PREFIX"] == resources.SOURCES_PREFIX
    assert variables["AFTERSALES_STAFF_KEYS_PREFIX"] == resources.STAFF_KEYS_PREFIX
    assert variables["AFTERSALES_POLICY_PARAMETER"] == resources.POLICY_PARAMETER
    assert variables["AFTERSALES_PAYMENT_PROVIDER_KEY_PARAMETER"] == resources.PAYMENT_PROVIDER_KEY_PARAMETER
    assert variables["AFTERSALES_RETURN_WORKFLOW_ARN"]["Fn::Sub"].endswith(f":stateMachine:{resources.RETURN_WORKFLOW}")
