"""Sign a JSON event file and POST it to a running aftersales API (see README, "Send a webhook").

    python scripts/send_webhook.py http://127.0.0.1:8000 examples/order.json [--source generic] [--secret ...]
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from localcloud.cloud import DEFAULT_SECRETS  # noqa: E402
from localcloud.webhook_client import post_webhook  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("api_url")
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--source", default="generic")
    parser.add_argument("--secret", help="the source's signing secret (default: the local cloud's)")
    args = parser.parse_args()
    args.secret = args.secret or DEFAULT_SECRETS[args.source]
    for path in args.files:
        status, answer = post_webhook(args.api_url, args.secret, path.read_bytes(), args.source)
        print(path, status, answer)
    return 0


if __name__ == "__main__":
    sys.exit(main())
