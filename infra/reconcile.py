"""`make reconcile FROM=... TO=...`: the ledger records issued in [FROM, TO) against the quotes of their returns
and the payment provider's refunds, printed as JSON; exits 1 when there is any mismatch. Uses the standard AWS credentials and region (the same
report is `GET /v1/refunds/reconciliation`)."""

import argparse
import json
import os
import sys
from datetime import datetime, timezone


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="from_", required=True, help="ISO 8601 UTC, e.g. 2026-11-01T00:00:00Z")
    parser.add_argument("--to", required=True)
    parser.add_argument("--marketplace")
    args = parser.parse_args()
    os.environ.setdefault("AFTERSALES_INGEST_QUEUE_URL", "")  # the configuration requires it; reconciling does not use it
    from chalicelib.api.queries import refund_query
    from chalicelib.bootstrap import bootstrap
    from chalicelib.domain.errors import InvalidInput
    from chalicelib.ports.errors import ProviderUnavailable
    from chalicelib.services.list_refunds import reconcile_refunds

    params = {"from": args.from_, "to": args.to, **({"marketplace": args.marketplace} if args.marketplace else {})}
    try:
        report = reconcile_refunds(refund_query(params, paged=False)[0], bootstrap(), datetime.now(timezone.utc))
    except InvalidInput as error:
        print(f"refused: {error}", file=sys.stderr)
        return 2
    except ProviderUnavailable as error:
        print(str(error), file=sys.stderr)
        return 3
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return 1 if report["mismatches"] else 0


if __name__ == "__main__":
    sys.exit(main())
