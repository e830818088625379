"""Names of the AWS resources, shared by the deployed code and the local cloud; infra/template.json declares the same (checked by a test)."""

APP_NAME = "aftersales"
INGEST_QUEUE = "aftersales-ingest"
ARCHIVE_BUCKET = "aftersales-archive"
ANALYTICS_BUCKET = "aftersales-analytics"  # the lake (analytics/<table>/dt=...) and Athena's results
ANALYTICS_DATABASE = "aftersales_analytics"  # the Glue database of the lake's tables
ATHENA_WORKGROUP = "aftersales"
EVENT_LOG_TABLE = "aftersales-event-log"
ORDERS_TABLE = "aftersales-orders"
RETURNS_TABLE = "aftersales-returns"
LEDGER_TABLE = "aftersales-refund-ledger"
AUDIT_TABLE = "aftersales-audit"
CUSTOMERS_TABLE = "aftersales-customers"
SHIPMENTS_TABLE = "aftersales-shipments"
SHOPS_TABLE = "aftersales-shops"
EVENT_BUS = "aftersales"
# The source registry: one SecureString per source (kind, secrets, event types, shops), read by path.
SOURCES_PREFIX = "/aftersales/sources"
CONNECTIONS_PREFIX = "/aftersales/connections"
POLICY_PARAMETER = "/aftersales/policy"
STAFF_KEYS_PREFIX = "/aftersales/staff-keys"
RETURN_WORKFLOW = "aftersales-return-workflow"
PAYMENT_PROVIDER_KEY_PARAMETER = "/aftersales/payment-provider/api-key"
