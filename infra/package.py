"""`python -m infra.package OUT`: the deployable CloudFormation (SAM) package, as `make package` builds it.

`chalice package` writes the Lambda bundle and the template of the app's
functions and API; infra/template.json is merged into it (tables, queues,
bucket, bus, state machine, key, one IAM role and log group per function,
alarms, batch-failure reporting), and the ASL is copied beside the template
because the state machine's DefinitionUri points at it for
`aws cloudformation package` to upload.

Chalice's merge is a deep merge (chalice.package.TemplateDeepMerger, 1.34):
a mapping of infra/template.json is merged key by key into Chalice's, and
anything else (a string, a number, a list) replaces Chalice's value. So the
template overrides single leaves of what Chalice generates: each function's
`Role` (`Fn::GetAtt`, never `Ref`, which would sit beside Chalice's
`Fn::GetAtt` in the same mapping), and the integration `uri` of the routes
served by the API's two extra functions (`/v1/webhooks/...` and
`/v1/refund-quotes`); every other route stays with Chalice's `APIHandler`,
the staff function.

Then the merged template is post-processed here, for what a merge cannot say:

- The API's extra functions (a function of infra/template.json with Chalice's
  `APIHandler` handler, `app.app`) take every setting of `APIHandler` they do
  not set themselves (runtime, memory, timeout, tags, ...), so the three run
  the same code the same way, whatever interpreter built the package.
- Each route the template points elsewhere must be one Chalice generated: a
  renamed route would otherwise leave an integration with only a `uri`.
- The console's charting library is copied from the installed plotly package into the bundle (vendor/
  console_assets/), and the reports' SQL rides in through the vendor/analytics link.
- Chalice's shared `DefaultRole` is removed: every function has a role of its
  own (a function that still uses `DefaultRole` fails the package, so a new
  function cannot deploy without one).
"""

import json
import os
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MERGE_TEMPLATE = ROOT / "infra" / "template.json"
WORKFLOW_ASL = ROOT / "statemachines" / "return_workflow.asl.json"
STAGE = "dev"
API_HANDLER = "APIHandler"
SHARED_ROLE = "DefaultRole"


@cache
def infra_template() -> dict:
    return json.loads(MERGE_TEMPLATE.read_text())


def infra_resources() -> dict:
    """The resources infra/template.json declares, by logical id."""
    return infra_template()["Resources"]


def package(out: Path, stage: str = STAGE) -> Path:
    """Build the package into `out` (replaced); returns the path of the template."""
    out = Path(out).resolve()
    shutil.rmtree(out, ignore_errors=True)
    bundle_console_assets()
    # chalice needs a region to start, although the template it writes uses ${AWS::Region}.
    env = {**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"}
    subprocess.run(
        [
            str(Path(sys.executable).with_name("chalice")),
            "package",
            "--stage",
            stage,
            "--merge-template",
            str(MERGE_TEMPLATE),
            str(out),
        ],
        cwd=ROOT,
        env=env,
        check=True,
    )
    template_path = out / "sam.json"
    template = json.loads(template_path.read_text())
    post_process(template)
    template_path.write_text(json.dumps(template, indent=2) + "\n")
    definition_uri = infra_resources()["ReturnWorkflow"]["Properties"]["DefinitionUri"]
    shutil.copyfile(WORKFLOW_ASL, out / definition_uri)
    return template_path


def bundle_console_assets() -> Path:
    """The console's charting library, from the installed plotly package into vendor/console_assets/ (which Chalice
    puts at the bundle's root, beside the analytics/ reports vendor/ links): no CDN, no copy in the repository."""
    from chalicelib.console import CHART_LIBRARY, chart_library_path

    target = ROOT / "vendor" / "console_assets" / CHART_LIBRARY
    source = chart_library_path()
    if source != target:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    return target


def post_process(template: dict) -> None:
    """What the merge cannot do (see the module's docstring); ValueError for a template that would deploy wrong."""
    resources = template["Resources"]
    api_handler = resources[API_HANDLER]["Properties"]
    for name in api_functions():
        properties = resources[name]["Properties"]
        resources[name]["Properties"] = {**api_handler, **properties}
    paths = resources["RestAPI"]["Properties"]["DefinitionBody"]["paths"]
    declared = infra_resources()["RestAPI"]["Properties"]["DefinitionBody"]["paths"]
    for path, methods in declared.items():
        for method in methods:
            if paths[path][method]["x-amazon-apigateway-integration"].get("type") != "aws_proxy":
                raise ValueError(f"infra/template.json routes {method.upper()} {path}, which the app does not have")
    resources.pop(SHARED_ROLE, None)
    users = [name for name, resource in resources.items() if _mentions(resource, SHARED_ROLE)]
    if users:
        raise ValueError(
            f"{', '.join(users)} still use(s) Chalice's {SHARED_ROLE}: give each a role in infra/template.json"
        )


def api_functions() -> list[str]:
    """The functions infra/template.json adds to serve some of the app's routes (with APIHandler's code)."""
    return [
        name for name, resource in infra_resources().items()
        if resource.get("Type") == "AWS::Serverless::Function" and resource["Properties"].get("Handler") == "app.app"
    ]


def _mentions(value, logical_id: str) -> bool:
    if isinstance(value, dict):
        if value.get("Ref") == logical_id or (value.get("Fn::GetAtt") or [None])[0] == logical_id:
            return True
        return any(_mentions(item, logical_id) for item in value.values())
    if isinstance(value, list):
        return any(_mentions(item, logical_id) for item in value)
    if isinstance(value, str):
        return "${%s" % logical_id in value
    return False


if __name__ == "__main__":
    print(package(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "out" / "package"))
