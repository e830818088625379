"""The Chalice app: registers the blueprints and nothing else."""

from chalice import Chalice

from chalicelib.api.quotes import quotes_api
from chalicelib.api.webhooks import webhooks_api
from functions.ingest_events import ingest_events

app = Chalice(app_name="aftersales")
app.register_blueprint(quotes_api)
app.register_blueprint(webhooks_api)
app.register_blueprint(ingest_events)
