"""Names of the AWS resources, shared by the deployed code, infra/ and the local cloud so they cannot drift."""

APP_NAME = "aftersales"
INGEST_QUEUE = "aftersales-ingest"
INGEST_DLQ = "aftersales-ingest-dlq"
INGEST_MAX_RECEIVE_COUNT = 5
ARCHIVE_BUCKET = "aftersales-archive"
EVENT_LOG_TABLE = "aftersales-event-log"
ORDERS_TABLE = "aftersales-orders"
RETURNS_TABLE = "aftersales-returns"
LEDGER_TABLE = "aftersales-refund-ledger"
EVENT_BUS = "aftersales"
WEBHOOK_SECRETS_PREFIX = "/aftersales/webhook-secrets"
RETURN_WORKFLOW = "aftersales-return-workflow"
