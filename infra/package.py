"""`python -m infra.package OUT`: the deployable CloudFormation (SAM) package, as `make package` builds it.

`chalice package` writes the Lambda bundle and the template of the app's
functions and API; infra/template.json is merged into it (tables, queues,
bucket, bus, state machine, IAM, batch-failure reporting), and the ASL is
copied beside the template because the state machine's DefinitionUri points
at it for `aws cloudformation package` to upload.
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


@cache
def infra_resources() -> dict:
    """The resources infra/template.json declares, by logical id."""
    return json.loads(MERGE_TEMPLATE.read_text())["Resources"]


def package(out: Path, stage: str = STAGE) -> Path:
    """Build the package into `out` (replaced); returns the path of the template."""
    out = Path(out).resolve()
    shutil.rmtree(out, ignore_errors=True)
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
    definition_uri = infra_resources()["ReturnWorkflow"]["Properties"]["DefinitionUri"]
    shutil.copyfile(WORKFLOW_ASL, out / definition_uri)
    return out / "sam.json"


if __name__ == "__main__":
    print(package(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "out" / "package"))
