"""Reconciliation (pure): every refund record in the ledger against the quote of its return and its
publication. A mismatch names the record, what differs and both sides."""


def reconcile(records: list[dict], returns: dict[str, dict | None]) -> list[dict]:
    """`returns`: the return of each record by return id (None when it is not stored)."""
    mismatches = []

    def mismatch(record: dict, kind: str, ledger, expected) -> None:
        mismatches.append({"refund_id": record["refund_id"], "return_id": record["return_id"], "kind": kind,
                           "ledger": ledger, "expected": expected})

    for record in records:
        stored = returns.get(record["return_id"])
        if stored is None:
            mismatch(record, "no_such_return", record["return_id"], None)
            continue
        quote = stored.get("quote") or {}
        if (record["total_minor"], record["currency"]) != (quote.get("total_minor"), quote.get("currency")):
            mismatch(record, "total_differs_from_quote", [record["total"], record["currency"]],
                     [quote.get("total"), quote.get("currency")])
        elif record["entries"] != quote.get("entries"):
            mismatch(record, "entries_differ_from_quote", record["entries"], quote.get("entries"))
        if stored.get("refund_id") not in (None, record["refund_id"]):
            mismatch(record, "return_names_another_refund", record["refund_id"], stored["refund_id"])
        if not record.get("published_at"):
            mismatch(record, "never_published", None, "RefundIssued on the bus")
    return mismatches
