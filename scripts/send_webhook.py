"""Sign a JSON event file and POST it to a running aftersales API (see README, "Send a webhook").

    python scripts/send_webhook.py http://127.0.0.1:8000 examples/order.json [--source generic] [--secret ...]
"""

import argparse
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from chalicelib.domain.signatures import sign  # noqa: E402
from localcloud.cloud import DEFAULT_SECRETS  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("api_url")
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--source", default="generic")
    parser.add_argument("--secret", default=DEFAULT_SECRETS["generic"], help="the source's signing secret")
    args = parser.parse_args()
    for path in args.files:
        body = path.read_bytes()
        timestamp = str(int(time.time()))
        request = urllib.request.Request(
            f"{args.api_url.rstrip('/')}/v1/webhooks/{args.source}", data=body, method="POST",
            headers={"Content-Type": "application/json", "X-Aftersales-Timestamp": timestamp,
                     "X-Aftersales-Signature": sign(args.secret.encode(), timestamp, body)},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                print(path, response.status, response.read().decode())
        except urllib.error.HTTPError as error:
            print(path, error.code, error.read().decode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
