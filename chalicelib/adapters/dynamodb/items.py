"""What the repositories share: conditional writes, update expressions, numbers back from Decimal, bounded paging.

Every expression is a string with placeholders, never boto3's Key()/Attr() objects: the builder that turns those
into strings is shared by every thread using a resource, and the local cloud runs its functions on threads (two
queries built at once swapped their placeholders)."""

from dataclasses import fields
from decimal import Decimal

from chalicelib.ports.paging import every_page


def conditional(table, write: str, **request):
    """Run a conditional write; None when its condition did not hold (nothing was written), else the response."""
    try:
        return getattr(table, write)(**request)
    except table.meta.client.exceptions.ConditionalCheckFailedException:
        return None


def plain(value):
    """DynamoDB numbers come back as Decimal (every number this project stores is an integer), sets as sets."""
    if isinstance(value, Decimal):
        return int(value)
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, set):
        return sorted(plain(item) for item in value)
    return value


def get_item(table, key: dict) -> dict | None:
    item = table.get_item(Key=key, ConsistentRead=True).get("Item")
    return plain(item) if item else None


def query_all(table, **query) -> list[dict]:
    """Every item a query matches, page after page."""

    def read(start):
        page = table.query(**query, **({"ExclusiveStartKey": start} if start else {}))
        return [plain(item) for item in page["Items"]], page.get("LastEvaluatedKey")

    return every_page(read)


def query_page(table, limit: int, start: dict | None, **query) -> tuple[list[dict], dict | None]:
    page = table.query(**query, Limit=limit, **({"ExclusiveStartKey": start} if start else {}))
    return [plain(item) for item in page["Items"]], page.get("LastEvaluatedKey")


def set_fields(values: dict, remove: tuple[str, ...] = ()) -> dict:
    """An update setting `values` and removing `remove`, every name through a placeholder (no reserved words)."""
    clauses = []
    if values:
        clauses.append("SET " + ", ".join(f"#f{i} = :v{i}" for i in range(len(values))))
    if remove:
        clauses.append("REMOVE " + ", ".join(f"#r{i}" for i in range(len(remove))))
    request = {
        "UpdateExpression": " ".join(clauses),
        "ExpressionAttributeNames": {
            **{f"#f{i}": key for i, key in enumerate(values)}, **{f"#r{i}": key for i, key in enumerate(remove)}
        },
    }
    if values:
        request["ExpressionAttributeValues"] = {f":v{i}": value for i, value in enumerate(values.values())}
    return request


def from_item(record_type, item: dict, **converted):
    """The record of an item: its fields the record knows (an attribute a later version added is left out)."""
    names = field_names(record_type)
    return record_type(**{**{key: value for key, value in item.items() if key in names}, **converted})


def to_item(record) -> dict:
    """The attributes of a record that say something: None, and an empty default (no evidence added, no attempt
    yet) are left out, as the writers always left them; a set later adds to what is not there."""
    item = {}
    for spec in fields(record):
        value = getattr(record, spec.name)
        default = spec.default_factory() if callable(spec.default_factory) else spec.default
        if value is not None and not (value == default and not default):
            item[spec.name] = value
    return item


def field_names(record_type) -> frozenset[str]:
    return frozenset(spec.name for spec in fields(record_type))


def check_names(record_type, names) -> None:
    """Updates name the record's fields: a typo is a bug to find in the tests, not an attribute to store."""
    unknown = set(names) - field_names(record_type)
    if unknown:
        raise ValueError(f"{record_type.__name__} has no field {', '.join(sorted(unknown))}")
