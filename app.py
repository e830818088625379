"""The Chalice app: registers the blueprints and nothing else."""

from chalice import Chalice

from chalicelib.api.console import console_api
from chalicelib.api.quotes import quotes_api
from chalicelib.api.staff import staff_api
from chalicelib.api.webhooks import webhooks_api
from functions.answer_marketplace import answer_marketplace_task
from functions.calculate_refund import calculate_refund_task
from functions.dispatch_refund import dispatch_refund_task
from functions.export_refunds import export_refunds_schedule
from functions.hold_shipment import hold_shipment_task
from functions.ingest_events import ingest_events
from functions.notify_outcome import notify_outcome_task
from functions.poll_carriers import poll_carriers_schedule
from functions.poll_marketplaces import poll_marketplaces_schedule
from functions.record_failure import record_failure_task
from functions.refund_failed import refund_failed_task
from functions.sweep_sla import sweep_sla_schedule
from functions.verify_return import verify_return_task
from functions.wait_for_event import wait_for_event_task
from functions.watch_parcels import watch_parcels_schedule

app = Chalice(app_name="aftersales")
for blueprint in (
    quotes_api, webhooks_api, staff_api, console_api, ingest_events, verify_return_task, hold_shipment_task, wait_for_event_task,
    answer_marketplace_task, calculate_refund_task, dispatch_refund_task, notify_outcome_task, record_failure_task, refund_failed_task,
    sweep_sla_schedule,
    watch_parcels_schedule, poll_carriers_schedule, poll_marketplaces_schedule, export_refunds_schedule,
):
    app.register_blueprint(blueprint)
