"""The environment variables the Lambdas read, as one validated model (set by infra/ and the local cloud)."""

import os
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field

from chalicelib import resources


class Config(BaseModel):
    model_config = ConfigDict(frozen=True)

    ingest_queue_url: str = Field(alias="AFTERSALES_INGEST_QUEUE_URL")
    archive_bucket: str = Field(resources.ARCHIVE_BUCKET, alias="AFTERSALES_ARCHIVE_BUCKET")
    sources_prefix: str = Field(resources.SOURCES_PREFIX, alias="AFTERSALES_SOURCES_PREFIX")
    connections_prefix: str = Field(resources.CONNECTIONS_PREFIX, alias="AFTERSALES_CONNECTIONS_PREFIX")
    event_log_table: str = Field(resources.EVENT_LOG_TABLE, alias="AFTERSALES_EVENT_LOG_TABLE")
    orders_table: str = Field(resources.ORDERS_TABLE, alias="AFTERSALES_ORDERS_TABLE")
    returns_table: str = Field(resources.RETURNS_TABLE, alias="AFTERSALES_RETURNS_TABLE")
    shipments_table: str = Field(resources.SHIPMENTS_TABLE, alias="AFTERSALES_SHIPMENTS_TABLE")
    customers_table: str = Field(resources.CUSTOMERS_TABLE, alias="AFTERSALES_CUSTOMERS_TABLE")
    audit_table: str = Field(resources.AUDIT_TABLE, alias="AFTERSALES_AUDIT_TABLE")
    shops_table: str = Field(resources.SHOPS_TABLE, alias="AFTERSALES_SHOPS_TABLE")
    ledger_table: str = Field(resources.LEDGER_TABLE, alias="AFTERSALES_LEDGER_TABLE")
    staff_keys_prefix: str = Field(resources.STAFF_KEYS_PREFIX, alias="AFTERSALES_STAFF_KEYS_PREFIX")
    policy_parameter: str = Field(resources.POLICY_PARAMETER, alias="AFTERSALES_POLICY_PARAMETER")
    event_bus: str = Field(resources.EVENT_BUS, alias="AFTERSALES_EVENT_BUS")
    carrier_api_url: str = Field("", alias="AFTERSALES_CARRIER_API_URL")
    return_workflow_arn: str = Field("", alias="AFTERSALES_RETURN_WORKFLOW_ARN")
    payment_provider_url: str = Field("", alias="AFTERSALES_PAYMENT_PROVIDER_URL")
    payment_provider_key_parameter: str = Field(
        resources.PAYMENT_PROVIDER_KEY_PARAMETER, alias="AFTERSALES_PAYMENT_PROVIDER_KEY_PARAMETER"
    )
    payment_timeout_seconds: float = Field(5.0, gt=0, alias="AFTERSALES_PAYMENT_TIMEOUT_SECONDS")
    # Waits between the provider attempts of one round ("30,120,600": four attempts); then finance's queue.
    payment_retry_seconds: str = Field("30,120,600,1800", pattern=r"^\d+(,\d+)*$", alias="AFTERSALES_PAYMENT_RETRY_SECONDS")

    # How long a marketplace's API is waited for; a write without an answer is checked there before it is sent again.
    marketplace_timeout_seconds: float = Field(5.0, gt=0, alias="AFTERSALES_MARKETPLACE_TIMEOUT_SECONDS")
    # How often each JD store is polled (the schedule runs every minute; the poll's overlap makes a shorter period
    # read each change again and again).
    jd_poll_seconds: int = Field(300, ge=0, alias="AFTERSALES_JD_POLL_SECONDS")

    # The lake's reports on Athena (the staff API's dashboard): the workgroup holds the result location and the
    # bytes-scanned limit; a report still running after the timeout is stopped.
    athena_workgroup: str = Field(resources.ATHENA_WORKGROUP, alias="AFTERSALES_ATHENA_WORKGROUP")
    athena_database: str = Field(resources.ANALYTICS_DATABASE, alias="AFTERSALES_ATHENA_DATABASE")
    report_timeout_seconds: float = Field(20.0, gt=0, alias="AFTERSALES_REPORT_TIMEOUT_SECONDS")

    # The times an event may carry, around our clock; outside them a 422 names the field.
    past_days: int = Field(3650, ge=1, le=36500, alias="AFTERSALES_TIME_WINDOW_PAST_DAYS")
    future_hours: int = Field(24, ge=0, le=8760, alias="AFTERSALES_TIME_WINDOW_FUTURE_HOURS")

    @property
    def payment_retry_schedule(self) -> tuple[int, ...]:
        return tuple(int(seconds) for seconds in self.payment_retry_seconds.split(","))


@lru_cache(maxsize=1)
def load_config() -> Config:
    return Config.model_validate(os.environ)
