"""The analytics lake's tables: one row per domain fact, in S3 under `analytics/<table>/dt=YYYY-MM-DD/` as JSON lines.

One schema serves the rows we write, the Glue tables of the template and the DuckDB views of `make report`, so the
same SQL (analytics/*.sql) runs on Athena and locally. Types are the few both engines read alike from JSON: times
are whole seconds since the epoch (UTC), amounts integer minor units with their currency beside them, and `dt`, the
partition, is the day (UTC) of the fact: a return's close, a checkpoint's scan, a refund's payment, an order's
placing.
"""

TABLES: dict[str, tuple[tuple[str, str], ...]] = {
    # One row per closed return.
    "returns": (
        ("return_id", "string"), ("shop", "string"), ("platform", "string"), ("order_id", "string"),
        ("kind", "string"), ("resolution", "string"), ("reason", "string"), ("customer_tier", "string"),
        ("outcome", "string"), ("decision_code", "string"), ("decided_by", "string"), ("zero_touch", "boolean"),
        ("review_queue", "string"), ("sla_deadline", "bigint"), ("sla_met", "boolean"),
        ("requested_at", "bigint"), ("decided_at", "bigint"), ("parcel_shipped_at", "bigint"),
        ("delivered_at", "bigint"), ("inspected_at", "bigint"), ("refunded_at", "bigint"), ("closed_at", "bigint"),
        ("carrier", "string"), ("refund_minor", "bigint"), ("currency", "string"), ("policy_version", "string"),
    ),
    # One row per line of a closed return.
    "return_lines": (
        ("return_id", "string"), ("shop", "string"), ("platform", "string"), ("line_id", "string"),
        ("sku", "string"), ("category", "string"), ("reason", "string"), ("units_requested", "bigint"),
        ("units_accepted", "bigint"), ("deductions_minor", "bigint"), ("currency", "string"),
        ("closed_at", "bigint"),
    ),
    # One row per decision on a return: the rules' (verification) and each person's (review).
    "decisions": (
        ("return_id", "string"), ("shop", "string"), ("platform", "string"), ("decided_at", "bigint"),
        ("decided_by", "string"), ("outcome", "string"), ("rule_code", "string"), ("review_queue", "string"),
        ("policy_version", "string"),
    ),
    # One row per tracking checkpoint of a return parcel.
    "checkpoints": (
        ("return_id", "string"), ("shop", "string"), ("carrier", "string"), ("tracking_number", "string"),
        ("status", "string"), ("occurred_at", "bigint"), ("origin_region", "string"),
        ("destination_region", "string"), ("location", "string"),
    ),
    # One row per refund paid (by us through the payment provider or the marketplace, or by the marketplace itself).
    "refunds": (
        ("refund_id", "string"), ("return_id", "string"), ("shop", "string"), ("platform", "string"),
        ("amount_minor", "bigint"), ("currency", "string"), ("paid_by", "string"), ("paid_at", "bigint"),
    ),
    # One row per order line sold: what a return rate is a rate of.
    "order_lines": (
        ("order_id", "string"), ("shop", "string"), ("platform", "string"), ("line_id", "string"),
        ("sku", "string"), ("category", "string"), ("units", "bigint"), ("ordered_at", "bigint"),
    ),
}
PARTITION = ("dt", "string")
