"""The payment provider adapter against the simulated provider over real HTTP: what each answer means."""

import pytest

from chalicelib.adapters.http.payment_provider import HttpPaymentProvider
from chalicelib.ports.errors import PaymentDeclined, PaymentMismatch, PaymentNotConfirmed, ProviderUnavailable
from localcloud.payment_service import PaymentService


@pytest.fixture
def service():
    running = PaymentService("key", late_answer_seconds=0.5).start()
    yield running
    running.stop()


def client(service, key: bytes | None = b"key") -> HttpPaymentProvider:
    return HttpPaymentProvider(service.url, lambda: key, timeout_seconds=0.2)


def test_one_refund_per_key_and_a_key_with_other_terms_is_a_mismatch(service):
    provider = client(service)
    first = provider.refund("TM-1", "JPY", "1200", "RF-RT-1")
    assert provider.refund("TM-1", "JPY", "1200", "RF-RT-1") == first
    assert (first["amount"], first["currency"], first["payment_ref"]) == ("1200", "JPY", "TM-1")
    with pytest.raises(PaymentMismatch):
        provider.refund("TM-1", "JPY", "1300", "RF-RT-1")
    assert [r["refund_id"] for r in service.refunds()] == [first["provider_refund_id"]]
    assert provider.refunds_between("2000-01-01T00:00:00Z", "9999-01-01T00:00:00Z") == [first]


def test_no_answer_is_not_confirmed_and_a_refusal_is_declined(service):
    provider = client(service)
    service.time_out_next()
    with pytest.raises(PaymentNotConfirmed):
        provider.refund("TM-1", "CNY", "1.00", "RF-RT-1")
    assert len(service.refunds()) == 1  # the late answer's refund exists: only the same key may ask again
    service.fail_next()
    with pytest.raises(PaymentNotConfirmed):
        provider.refund("TM-2", "CNY", "1.00", "RF-RT-2")
    service.decline_next(code="account_closed", message="closed")
    with pytest.raises(PaymentDeclined) as declined:
        provider.refund("TM-2", "CNY", "1.00", "RF-RT-2")
    assert (declined.value.code, declined.value.message) == ("account_closed", "closed")
    with pytest.raises(PaymentDeclined) as unauthorized:
        client(service, b"wrong").refund("TM-2", "CNY", "1.00", "RF-RT-2")
    assert unauthorized.value.code == "unauthorized"
    assert len(service.refunds()) == 1


def test_an_unreachable_provider(service):
    service.stop()
    with pytest.raises(PaymentNotConfirmed):
        client(service).refund("TM-1", "CNY", "1.00", "RF-RT-1")
    with pytest.raises(ProviderUnavailable):
        client(service).refunds_between("2000-01-01T00:00:00Z", "9999-01-01T00:00:00Z")
    with pytest.raises(RuntimeError, match="AFTERSALES_PAYMENT_PROVIDER_URL"):
        HttpPaymentProvider("", lambda: None).refund("TM-1", "CNY", "1.00", "RF-RT-1")


def test_a_slow_answer_within_the_timeout_is_a_confirmation_and_beyond_it_is_not(service):
    provider = client(service)
    service.answer_slowly(0.05)
    assert provider.refund("TM-1", "CNY", "1.00", "RF-RT-1")["amount"] == "1.00"
    service.answer_slowly(0.4)
    with pytest.raises(PaymentNotConfirmed):
        provider.refund("TM-2", "CNY", "2.00", "RF-RT-2")
    service.answer_slowly(0)
    assert provider.refund("TM-2", "CNY", "2.00", "RF-RT-2")["amount"] == "2.00"  # the same refund, answered now
    assert len(service.refunds()) == 2


def test_the_settlement_report_is_read_page_by_page_to_its_end():
    running = PaymentService("key", report_page_size=2).start()
    try:
        provider = client(running)
        made = [provider.refund(f"TM-{n}", "CNY", "1.00", f"RF-RT-{n}") for n in range(5)]
        report = provider.refunds_between("2000-01-01T00:00:00Z", "9999-01-01T00:00:00Z")
        assert sorted(r["provider_refund_id"] for r in report) == sorted(r["provider_refund_id"] for r in made)
        assert running.calls["report_pages"] == 3
    finally:
        running.stop()


def test_a_report_whose_cursor_comes_back_is_unavailable_not_an_endless_loop():
    from http.server import BaseHTTPRequestHandler

    from localcloud.loopback import LoopbackServer

    def same_page(request: BaseHTTPRequestHandler, method: str) -> None:
        body = b'{"refunds": [], "next_cursor": "again"}'
        request.send_response(200)
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    looping = LoopbackServer("looping-provider", same_page).start()
    try:
        with pytest.raises(ProviderUnavailable, match="again"):
            HttpPaymentProvider(looping.url, lambda: b"key", timeout_seconds=1).refunds_between("a", "b")
    finally:
        looping.stop()
