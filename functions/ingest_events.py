"""The ingest consumer: SQS batches of canonical events and marketplace notifications (ours, or Shopify's as its
EventBridge partner source delivers them), reporting partial batch failures.

A record that fails stays on the queue and is retried until it lands in the
DLQ; the others of its batch are done. (The event source mapping must have
ReportBatchItemFailures, added by infra/.)
"""

from datetime import datetime, timezone

from chalice import Blueprint

from chalicelib import resources
from chalicelib.bootstrap import bootstrap
from chalicelib.domain.clock import iso_utc
from chalicelib.domain.message_keys import message_key
from chalicelib.observability import logger

ingest_events = Blueprint(__name__)


@ingest_events.on_sqs_message(queue=resources.INGEST_QUEUE, batch_size=10, name="ingest_events")
def handle_ingest_events(event):
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    return process_partial_response(
        event=event.to_dict(), record_handler=_apply, processor=BatchProcessor(event_type=EventType.SQS)
    )


def _apply(record) -> str:
    from chalicelib.domain.events import MarketplaceNotified
    from chalicelib.services.ingest_event import ingest_event
    from chalicelib.services.ingest_notification import ingest_notification, queued_message

    try:
        now = datetime.now(timezone.utc)
        event = queued_message(record.body, bootstrap(), now)
        logger.set_correlation_id(getattr(event.data, "return_id", None))
        if isinstance(event, MarketplaceNotified):
            outcome = ingest_notification(event, bootstrap(), now)
        else:
            outcome = ingest_event(event, bootstrap())
    except Exception as error:
        _keep_failure(record.body, error)
        raise
    logger.info("event ingested", extra={"event_id": event.event_id, "type": event.type, "outcome": outcome})
    return outcome


def _keep_failure(body: str, error: Exception) -> None:
    """The message goes back to the queue (and after enough tries to the DLQ); its error is kept beside it."""
    try:
        bootstrap().event_log.record_failure(
            message_key(body), type(error).__name__, str(error)[:2000], iso_utc(datetime.now(timezone.utc))
        )
    except Exception:
        logger.exception("the failure of a message could not be recorded")
