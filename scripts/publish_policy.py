"""Check a policy document and publish it to the SSM parameter the Lambdas read (see README, "The policy").

    python scripts/publish_policy.py policy.json [--check] [--parameter /aftersales/policy]

An invalid document is refused here, naming the field, and never published.
Uses the standard AWS credentials and region (AWS_PROFILE, AWS_REGION, ...).
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from chalicelib import resources  # noqa: E402
from chalicelib.domain.errors import InvalidInput  # noqa: E402
from chalicelib.domain.policy import parse_policy  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--check", action="store_true", help="only check the document")
    parser.add_argument("--parameter", default=resources.POLICY_PARAMETER)
    args = parser.parse_args()
    text = args.file.read_text()
    try:
        policy = parse_policy(text)
    except InvalidInput as error:
        print(f"policy refused: {error}", file=sys.stderr)
        return 2
    if args.check:
        print(f"policy {policy.version} is valid")
        return 0
    import boto3

    answer = boto3.client("ssm").put_parameter(
        Name=args.parameter, Value=text, Type="String", Overwrite=True, Tier="Intelligent-Tiering"
    )
    print(f"policy {policy.version} published as {args.parameter} version {answer['Version']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
