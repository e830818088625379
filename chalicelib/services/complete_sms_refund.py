"""A person gives the SMS code Taobao sent the seller's phone for a large refund: the refund is agreed with it, the
ledger record confirmed, and the workflow that waits in the finance queue resumes (DispatchRefund finds the refund
paid and pays nothing). A code Taobao refuses is the caller's 422, and the refund keeps waiting."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError

from chalicelib.bootstrap import Ports
from chalicelib.connectors.taobao.actions import SMS_CODE_REFUSED, SMS_CODE_REQUIRED
from chalicelib.domain.errors import InvalidInput, from_validation_error
from chalicelib.domain.ledger import PaymentStatus, refund_id_for
from chalicelib.domain.returns import Waiting
from chalicelib.domain.staff_keys import Role, Staff
from chalicelib.domain.tenancy import own_id, shop_of, unqualified
from chalicelib.ports.errors import Conflict, MarketplaceRefused, PaymentDeclined, PaymentNotConfirmed, Unavailable
from chalicelib.services.authenticate_staff import require
from chalicelib.services.review_return import review_return
from chalicelib.services.stored_return import load_staff_return


class SmsCode(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: Annotated[str, StringConstraints(pattern=r"^[0-9]{4,8}$")]


def complete_sms_refund(return_id: str, payload: object, staff: Staff, ports: Ports, now: datetime) -> dict:
    require(staff, Role.FINANCE)
    try:
        code = SmsCode.model_validate(payload).code
    except ValidationError as error:
        raise from_validation_error(error) from None
    record = load_staff_return(return_id, ports)
    refund_id = refund_id_for(return_id)
    issued = ports.ledger.get(refund_id)
    waiting = issued is not None and not issued.settled and (issued.payment_error or {}).get("code") == SMS_CODE_REQUIRED
    if not waiting or record.waiting_for != Waiting.FINANCE_REVIEW:
        raise Conflict(f"the refund of return {own_id(return_id)} does not wait for an SMS code", "not_waiting_for_sms_code")
    connection = ports.marketplaces.connection(shop_of(return_id))
    if connection is None or connection.platform != "taobao":
        raise Conflict(f"shop {shop_of(return_id)} is not connected to Taobao any more", "not_connected")
    try:
        actions = ports.marketplaces.actions(shop_of(return_id))
    except MarketplaceRefused as refused:
        raise Conflict(str(refused), "marketplace_refused") from None
    try:
        answer = actions.verification_code_refund(record, issued, code)
    except PaymentDeclined as declined:
        if declined.code == SMS_CODE_REFUSED:
            raise InvalidInput("code", f"Taobao did not take it: {declined.message}", declined.code) from None
        raise Conflict(f"Taobao did not agree the refund: {declined.message}", declined.code) from None
    except PaymentNotConfirmed as unknown:
        raise Unavailable(f"Taobao did not answer ({unknown}); give the code again: an agreed refund is found agreed",
                          "marketplace_unavailable") from None
    ports.ledger.update_payment(refund_id, {
        "payment_status": PaymentStatus.CONFIRMED, "marketplace_refund_id": answer["marketplace_refund_id"],
        "confirmed_at": answer["created_at"], "payment_error": None,
    })
    try:
        review = review_return(return_id, {"decision": "retry", "note": "SMS code given: agreed in Taobao"}, staff, ports,
                               now)
    except Conflict as lost:  # the same code given twice at once: the other request resumed the workflow
        raise Conflict(f"the refund of return {own_id(return_id)} was completed by another request ({lost.message})",
                       "not_waiting_for_sms_code") from None
    return {**unqualified({"return_id": return_id, "refund_id": refund_id}), "payment_status": PaymentStatus.CONFIRMED,
            "marketplace_refund_id": answer["marketplace_refund_id"], "review": review}
