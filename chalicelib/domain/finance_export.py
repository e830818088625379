"""The finance record (CONTRACTS.md) as CSV and JSON Lines: one row per record, a stable column order, amounts
as decimal strings, `entries` as its JSON list. The same writer serves the API export and `make run`."""

import csv
import io
import json

from chalicelib.domain.tenancy import unqualified

FINANCE_FIELDS = (
    "refund_id", "return_id", "order_id", "marketplace", "customer_id", "currency", "total", "total_minor",
    "entries", "policy_version", "issued_at", "idempotency_key",
    # Added with the payment provider (CONTRACTS.md allows optional fields): how the refund was paid.
    "payment_ref", "payment_status", "provider_refund_id", "confirmed_at",
    # Added with the tenants: the shop the refund is for; the ids beside it are the shop's own.
    "shop",
    # Added with the marketplace connectors: who paid (payment_provider or marketplace), and the refund's id there.
    "paid_by", "marketplace_refund_id",
)


def finance_record(ledger_item: dict) -> dict:
    """A ledger item as finance sees it: the fields above, with the shop's own ids."""
    record = unqualified(ledger_item)
    return {field: record.get(field) for field in FINANCE_FIELDS}


def refunds_csv(records: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FINANCE_FIELDS)
    for record in records:
        writer.writerow([json.dumps(record[f], ensure_ascii=False) if f == "entries" else record[f] for f in FINANCE_FIELDS])
    return out.getvalue()


def refunds_jsonl(records: list[dict]) -> str:
    return "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)
