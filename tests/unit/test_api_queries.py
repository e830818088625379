"""The query strings, cursors and path names of the staff endpoints (chalicelib/api/queries.py): every bad parameter
is an InvalidInput naming it; a cursor the API gave comes back as the same position (for the queue or range it
continues); anything else is refused. A refund range's ends are within the edge's window around now."""

import base64
from datetime import datetime, timezone

import pytest

from chalicelib.api.queries import (
    MAX_REFUND_DAYS,
    decode_cursor,
    encode_cursor,
    refund_query,
    return_key,
    review_query,
)
from chalicelib.config import Config
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.ledger import LedgerRecord
from chalicelib.domain.orders import RefundAccount
from chalicelib.domain.review import QUEUES
from chalicelib.services.list_refunds import MAX_PAGE, RefundRange, list_refunds
from chalicelib.services.review_return import review_queue
from chalicelib.services.wait_for_event import wait_for_event
from tests.unit.services.given import NOW, a_return, an_order, staff, twins

REVIEW_POSITION = {"return_id": "RT-7", "review_queue": "service", "sla_deadline": "2026-11-22T16:00:00Z"}
REFUND_POSITION = {"day": "2026-11-21", "key": {"refund_id": "RF-RT-2", "issued_day": "2026-11-21",
                                                "issued_at": "2026-11-21T10:00:00Z"}}
RANGE = {"from": "2026-11-21T00:00:00Z", "to": "2026-11-23T00:00:00Z"}
FINANCE = staff("finance")
CONFIG = Config.model_validate({"AFTERSALES_INGEST_QUEUE_URL": "q"})  # the window: 3650 days back, 24 hours ahead


def refunds(params: dict, paged: bool = True, now=NOW, config: Config = CONFIG):
    """refund_query as the endpoint calls it: now, and the deployment's configuration."""
    return refund_query(params, now, config, paged)


def refused(call) -> InvalidInput:
    with pytest.raises(InvalidInput) as error:
        call()
    return error.value


def text(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


# Cursors.

@pytest.mark.parametrize("position", [REVIEW_POSITION, REFUND_POSITION, {"day": "2026-11-22", "key": None}])
def test_a_cursor_round_trips_to_the_same_position(position):
    assert decode_cursor(encode_cursor(position), lambda _: True) == position


def test_a_cursor_is_url_safe_text():
    cursor = encode_cursor({"return_id": "RT-?&/+=" * 10, "review_queue": "service", "sla_deadline": "x"})

    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=")


@pytest.mark.parametrize("position", [None, {}])
def test_no_position_is_no_cursor(position):
    assert encode_cursor(position) is None


def test_no_cursor_is_no_position():
    assert decode_cursor(None, lambda _: False) is None


@pytest.mark.parametrize(
    "cursor",
    [
        "abc",
        "!!!!",
        encode_cursor(REVIEW_POSITION)[:-6],
        encode_cursor(REVIEW_POSITION)[6:],
        text(b"not json"),
        text(b"\xff\xfe\x00"),
        text(b"[1, 2]"),
        text(b'"RT-7"'),
        text(b"null"),
        "",
    ],
    ids=["not base64", "not the alphabet", "cut short", "head cut off", "not json", "not utf-8", "a list", "a string",
         "null", "empty"],
)
def test_a_tampered_cursor_is_refused_naming_the_cursor(cursor):
    assert refused(lambda: decode_cursor(cursor, lambda _: True)).field == "cursor"


def test_a_cursor_the_endpoint_would_not_give_is_refused():
    assert refused(lambda: decode_cursor(encode_cursor(REVIEW_POSITION), lambda _: False)).field == "cursor"


# GET /v1/reviews

def test_a_review_query_names_its_queue_and_defaults_to_pages_of_50():
    assert review_query({"queue": "service"}) == ("service", 50, None)


@pytest.mark.parametrize("queue", QUEUES)
def test_every_review_queue_can_be_asked_for(queue):
    assert review_query({"queue": queue})[0] == queue


@pytest.mark.parametrize("limit, size", [("1", 1), ("37", 37), ("100", 100)])
def test_a_review_page_size_from_1_to_100_is_taken(limit, size):
    assert review_query({"queue": "service", "limit": limit})[1] == size


def test_a_review_cursor_comes_back_as_its_position():
    params = {"queue": "service", "cursor": encode_cursor(REVIEW_POSITION)}

    assert review_query(params)[2] == REVIEW_POSITION


@pytest.mark.parametrize(
    "params, field",
    [({}, "queue"), ({"queue": "vip"}, "queue"), ({"queue": ""}, "queue"), ({"queue": "Service"}, "queue"),
     ({"queue": "service", "limit": "0"}, "limit"), ({"queue": "service", "limit": "101"}, "limit"),
     ({"queue": "service", "limit": "x"}, "limit"), ({"queue": "service", "limit": "-1"}, "limit"),
     ({"queue": "service", "limit": "1.5"}, "limit"), ({"queue": "service", "limit": ""}, "limit"),
     ({"queue": "service", "limit": " 5"}, "limit"),
     ({"queue": "service", "cursor": "abc"}, "cursor"),
     ({"queue": "service", "cursor": encode_cursor(REFUND_POSITION)}, "cursor"),
     ({"queue": "service", "cursor": encode_cursor({"return_id": 7})}, "cursor"),
     ({"queue": "service", "cursor": encode_cursor({"return_id": None})}, "cursor")],
    ids=["no queue", "unknown queue", "empty queue", "queue case", "limit 0", "limit 101", "limit word",
         "limit negative", "limit fraction", "limit empty", "limit padded", "cursor not base64",
         "cursor of the refunds", "cursor with a number", "cursor with null"],
)
def test_a_bad_review_parameter_is_invalid_input_naming_it(params, field):
    assert refused(lambda: review_query(params)).field == field


def test_the_queue_is_checked_before_the_limit():
    assert refused(lambda: review_query({"queue": "vip", "limit": "0"})).field == "queue"


def test_a_review_limit_of_a_digit_that_is_not_a_decimal_is_invalid_input():
    assert refused(lambda: review_query({"queue": "service", "limit": "²"})).field == "limit"


def test_a_deeply_nested_cursor_is_invalid_input():
    cursor = text(b"[" * 1100)  # about 1.5 kB: fits in a query string

    assert refused(lambda: review_query({"queue": "service", "cursor": cursor})).field == "cursor"


def test_a_review_cursor_without_the_names_of_a_queue_position_is_invalid_input():
    params = {"queue": "service", "cursor": encode_cursor({"return_id": "RT-7"})}

    assert refused(lambda: review_query(params)).field == "cursor"


def test_a_refund_cursor_whose_key_is_not_a_ledger_position_is_invalid_input():
    params = {**RANGE, "cursor": encode_cursor({"day": "2026-11-21", "key": {"x": "y"}})}

    assert refused(lambda: refunds(params)).field == "cursor"


# GET /v1/refunds (and its export and reconciliation)

def test_a_refund_query_is_the_range_with_pages_of_100_by_default():
    query, limit, cursor = refunds(RANGE)

    assert query == RefundRange(datetime(2026, 11, 21, tzinfo=timezone.utc),
                                datetime(2026, 11, 23, tzinfo=timezone.utc))
    assert (limit, cursor) == (100, None)


def test_a_refund_query_names_its_marketplace_and_page():
    params = {**RANGE, "marketplace": "jd", "limit": "7", "cursor": encode_cursor(REFUND_POSITION)}

    query, limit, cursor = refunds(params)

    assert (query.marketplace, limit, cursor) == ("jd", 7, REFUND_POSITION)


def test_a_refund_range_given_in_another_time_zone_is_the_same_range_in_utc():
    query = refunds({"from": "2026-11-21T08:00:00+08:00", "to": "2026-11-23T08:00:00+08:00"})[0]

    assert (query.since, query.until) == (datetime(2026, 11, 21, tzinfo=timezone.utc),
                                          datetime(2026, 11, 23, tzinfo=timezone.utc))
    assert query.since.utcoffset().total_seconds() == 0


def test_a_refund_range_of_exactly_the_longest_span_is_taken():
    params = {"from": "2026-11-01T00:00:00Z", "to": "2026-12-02T00:00:00Z"}  # 31 days

    query = refunds(params, now=datetime(2026, 12, 2, tzinfo=timezone.utc))[0]  # asked when it has ended

    assert (query.until - query.since).days == MAX_REFUND_DAYS


@pytest.mark.parametrize("limit", ["1", str(MAX_PAGE)])
def test_a_refund_page_size_up_to_the_ledgers_page_is_taken(limit):
    assert refunds({**RANGE, "limit": limit})[1] == int(limit)


def test_a_refund_cursor_at_the_start_of_a_day_is_taken():
    position = {"day": "2026-11-22", "key": None}

    assert refunds({**RANGE, "cursor": encode_cursor(position)})[2] == position


@pytest.mark.parametrize(
    "params, field, code",
    [({"to": RANGE["to"]}, "from", "missing_field"),
     ({"from": RANGE["from"]}, "to", "missing_field"),
     ({**RANGE, "from": "yesterday"}, "from", "invalid_value"),
     ({**RANGE, "to": "2026-11-23T00:00:00"}, "to", "invalid_value"),
     ({**RANGE, "marketplace": "j d"}, "marketplace", "invalid_value"),
     ({**RANGE, "marketplace": ""}, "marketplace", "invalid_value"),
     ({**RANGE, "limit": "0"}, "limit", "invalid_value"),
     ({**RANGE, "limit": str(MAX_PAGE + 1)}, "limit", "invalid_value"),
     ({**RANGE, "limit": "ten"}, "limit", "invalid_value"),
     ({**RANGE, "cursor": "zzz"}, "cursor", "invalid_value"),
     ({**RANGE, "cursor": encode_cursor(REVIEW_POSITION)}, "cursor", "invalid_value"),
     ({**RANGE, "cursor": encode_cursor({"day": "monday", "key": None})}, "cursor", "invalid_value"),
     ({**RANGE, "cursor": encode_cursor({"day": 20261121})}, "cursor", "invalid_value"),
     ({**RANGE, "cursor": encode_cursor({"day": "2026-11-21", "key": "RF-RT-2"})}, "cursor", "invalid_value"),
     ({**RANGE, "cursor": encode_cursor({"day": "2026-11-21", "key": {"issued_at": 5}})}, "cursor", "invalid_value"),
     ({**RANGE, "colour": "red"}, "colour", "unknown_field")],
    ids=["no from", "no to", "from not a time", "to without a zone", "marketplace not an id", "empty marketplace",
         "limit 0", "limit above the page", "limit word", "cursor not base64", "cursor of the reviews",
         "cursor day not a date", "cursor day a number", "cursor key a string", "cursor key with a number",
         "unknown parameter"],
)
def test_a_bad_refund_parameter_is_invalid_input_naming_it(params, field, code):
    error = refused(lambda: refunds(params))

    assert (error.field, error.code) == (field, code)


@pytest.mark.parametrize(
    "params",
    [{"from": RANGE["to"], "to": RANGE["from"]}, {"from": RANGE["from"], "to": RANGE["from"]},
     {"from": "2026-10-01T00:00:00Z", "to": "2026-11-23T00:00:00Z"}],
    ids=["backwards", "empty", "longer than a month"],
)
def test_a_range_that_is_not_a_range_of_at_most_a_month_is_invalid_input_on_no_single_field(params):
    error = refused(lambda: refunds(params))

    assert not error.field


def test_a_range_longer_than_a_month_says_so():
    error = refused(lambda: refunds({"from": "2026-10-01T00:00:00Z", "to": "2026-11-23T00:00:00Z"}))

    assert str(MAX_REFUND_DAYS) in error.message


def test_an_unpaged_refund_query_ignores_limit_and_cursor_even_when_bad():
    query, limit, cursor = refunds({**RANGE, "limit": "0", "cursor": "zzz"}, paged=False)

    assert (query, limit, cursor) == (refunds(RANGE)[0], 100, None)


def test_an_unpaged_refund_query_still_checks_its_range():
    assert refused(lambda: refunds({"from": RANGE["from"]}, paged=False)).field == "to"


def test_a_cursor_list_refunds_gave_is_taken_back_by_the_refund_query():
    ports = twins()
    an_order(ports)
    for n, at in enumerate(["2026-11-21T10:00:00Z", "2026-11-22T10:00:00Z"]):
        assert ports.ledger.issue(LedgerRecord(
            refund_id=f"RF-RT-{n}", return_id=f"RT-{n}", order_id="TM-1001", currency="CNY", total="1.00",
            total_minor=100, entries=[], policy_version="default-2026-11", issued_at=at, issued_day=at[:10],
            idempotency_key=f"RF-RT-{n}", payment_ref="TM-1001",
        ), RefundAccount(), n)
    query, limit, _ = refunds({**RANGE, "limit": "1"})
    first, position = list_refunds(query, limit, None, FINANCE, ports, NOW)

    _, _, again = refunds({**RANGE, "limit": "1", "cursor": encode_cursor(position)})

    assert again == position
    assert list_refunds(query, limit, again, FINANCE, ports, NOW)[0] != first


def first_page_position_of_the_service_queue() -> dict:
    """Where a one-item page of the `service` queue (two returns waiting) stopped, as review_queue gives it."""
    ports = twins()
    an_order(ports)
    for n in range(2):
        a_return(ports, f"RT-{n}", reason="wrong_size")
        wait_for_event(f"RT-{n}", "review", f"token-{n}", ports, NOW)
    return review_queue("service", 1, None, staff("after_sales"), ports)[1]


def test_a_cursor_review_queue_gave_is_taken_back_by_the_review_query():
    position = first_page_position_of_the_service_queue()

    assert review_query({"queue": "service", "limit": "1", "cursor": encode_cursor(position)})[2] == position


# A refund range within the edge's window around now.

def test_a_range_ending_beyond_the_window_is_invalid_input_on_to():
    # The longest span above, asked ten days before it ends: its end is more than 24 hours ahead (by design)
    error = refused(lambda: refunds({"from": "2026-11-01T00:00:00Z", "to": "2026-12-02T00:00:00Z"}))

    assert (error.field, error.code) == ("to", "invalid_value")


@pytest.mark.parametrize(
    "params, field",
    [({"from": "2016-11-01T00:00:00Z", "to": "2016-11-20T00:00:00Z"}, "from"),
     ({"from": "2026-11-22T00:00:00Z", "to": "2026-11-23T08:00:01Z"}, "to"),
     ({"from": "2027-01-01T00:00:00Z", "to": "2027-01-02T00:00:00Z"}, "from"),
     ({"from": "0001-01-01T00:00:00+01:00", "to": "2026-11-22T00:00:00Z"}, "from"),
     ({"from": "2026-11-22T00:00:00Z", "to": "9999-12-31T23:59:59-01:00"}, "to")],
    ids=["more than 3650 days ago", "a second past the window", "next year", "before year 1 in UTC",
         "after year 9999 in UTC"],
)
def test_a_range_end_outside_the_window_is_invalid_input_naming_it(params, field):
    error = refused(lambda: refunds(params))

    assert (error.field, error.code) == (field, "invalid_value")


def test_a_range_ending_at_the_windows_future_end_is_taken():
    query = refunds({"from": "2026-11-22T00:00:00Z", "to": "2026-11-23T08:00:00Z"})[0]

    assert query.until == datetime(2026, 11, 23, 8, tzinfo=timezone.utc)


def test_the_window_is_the_configured_one():
    narrow = Config.model_validate({"AFTERSALES_INGEST_QUEUE_URL": "q", "AFTERSALES_TIME_WINDOW_PAST_DAYS": 1,
                                    "AFTERSALES_TIME_WINDOW_FUTURE_HOURS": 0})

    assert refused(lambda: refunds(RANGE, config=narrow)).field == "from"  # 2026-11-21 is more than a day ago
    assert refunds({"from": "2026-11-21T08:00:00Z", "to": "2026-11-22T08:00:00Z"}, config=narrow)[0].since == (
        datetime(2026, 11, 21, 8, tzinfo=timezone.utc)
    )


def test_an_unpaged_refund_query_is_held_to_the_window_too():
    assert refused(lambda: refunds({"from": "2026-11-22T00:00:00Z", "to": "2026-11-25T00:00:00Z"}, paged=False)).field == "to"


# A refund cursor continues its own range.

@pytest.mark.parametrize("day", ["2026-11-20", "2026-11-24", "2025-11-21"],
                         ids=["the day before from", "the day after to", "a year before"])
def test_a_refund_cursor_whose_day_is_outside_the_range_is_invalid_input_on_cursor(day):
    params = {**RANGE, "cursor": encode_cursor({"day": day, "key": None})}

    error = refused(lambda: refunds(params))

    assert (error.field, error.code, error.message) == ("cursor", "invalid_value", "continues another range")


@pytest.mark.parametrize("day", ["2026-11-21", "2026-11-23"], ids=["the day of from", "the day of to"])
def test_a_refund_cursor_on_the_first_or_last_day_of_the_range_is_taken(day):
    position = {"day": day, "key": None}

    assert refunds({**RANGE, "cursor": encode_cursor(position)})[2] == position


# A review cursor continues its own queue.

@pytest.mark.parametrize("queue", [queue for queue in QUEUES if queue != "service"])
def test_a_review_cursor_of_another_queue_is_invalid_input_on_cursor(queue):
    params = {"queue": queue, "cursor": encode_cursor(REVIEW_POSITION)}  # a position in the service queue

    error = refused(lambda: review_query(params))

    assert (error.field, error.code) == ("cursor", "invalid_value")
    assert "'service'" in error.message and repr(queue) in error.message


def test_a_cursor_review_queue_gave_for_one_queue_is_refused_for_another():
    position = first_page_position_of_the_service_queue()

    assert refused(lambda: review_query({"queue": "finance", "cursor": encode_cursor(position)})).field == "cursor"


# A return named in a staff path: /v1/reviews/{shop}/{return_id}, /v1/returns/{shop}/{return_id}/tracking.

@pytest.mark.parametrize("shop, return_id", [("tmall", "RT-1"), ("generic", "RT-1"), ("shop_2-b", "a.b:c_d-9"),
                                             ("a" * 64, "R" * 128)])
def test_a_return_named_by_its_shop_and_own_id_is_its_qualified_key(shop, return_id):
    assert return_key(shop, return_id) == f"{shop}/{return_id}"


@pytest.mark.parametrize(
    "shop",
    ["", "Tmall", "t mall", "-tmall", "_tmall", "tm/all", "tmall.", "a" * 65, "tmall\n", "ｔmall", "../tmall"],
    ids=["empty", "upper case", "space", "leading dash", "leading underscore", "slash", "dot", "too long",
         "trailing newline", "full-width letter", "path"],
)
def test_a_shop_that_is_not_a_shop_name_is_invalid_input_on_shop(shop):
    error = refused(lambda: return_key(shop, "RT-1"))

    assert (error.field, error.code) == ("shop", "invalid_value")


@pytest.mark.parametrize(
    "return_id",
    ["", "RT/1", "tmall/RT-1", "-RT-1", ".RT-1", "RT 1", "R" * 129, "RT-1\n", "RT-１", "RT#1", "../RT-1"],
    ids=["empty", "slash", "already qualified", "leading dash", "leading dot", "space", "too long", "trailing newline",
         "full-width digit", "hash", "path"],
)
def test_a_return_id_that_is_not_a_source_id_is_invalid_input_on_return_id(return_id):
    error = refused(lambda: return_key("tmall", return_id))

    assert (error.field, error.code) == ("return_id", "invalid_value")


def test_the_shop_is_checked_before_the_return_id():
    assert refused(lambda: return_key("Tmall", "RT/1")).field == "shop"
