"""The ingest consumer: SQS batches of canonical events, reporting partial batch failures.

A record that fails stays on the queue and is retried until it lands in the
DLQ; the others of its batch are done. (The event source mapping must have
ReportBatchItemFailures, added by infra/.)
"""

from chalice import Blueprint

from chalicelib import resources
from chalicelib.bootstrap import ingest_ports
from chalicelib.domain.events import canonical_events
from chalicelib.observability import logger
from chalicelib.services.ingest_event import ingest_event

ingest_events = Blueprint(__name__)


@ingest_events.on_sqs_message(queue=resources.INGEST_QUEUE, batch_size=10, name="ingest_events")
def handle_ingest_events(event):
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    return process_partial_response(
        event=event.to_dict(), record_handler=_apply, processor=BatchProcessor(event_type=EventType.SQS)
    )


def _apply(record) -> str:
    event = canonical_events.validate_json(record.body)
    return_id = getattr(event.data, "return_id", None)
    logger.set_correlation_id(return_id)
    outcome = ingest_event(event, ingest_ports())
    logger.info("event ingested", extra={"event_id": event.event_id, "type": event.type, "outcome": outcome})
    return outcome
