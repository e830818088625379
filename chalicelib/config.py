"""The environment variables the Lambdas read, as one validated model (set by infra/ and the local cloud)."""

import os
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field


class Config(BaseModel):
    model_config = ConfigDict(frozen=True)

    ingest_queue_url: str = Field(alias="AFTERSALES_INGEST_QUEUE_URL")
    archive_bucket: str = Field(alias="AFTERSALES_ARCHIVE_BUCKET")
    webhook_secrets_prefix: str = Field("/aftersales/webhook-secrets", alias="AFTERSALES_WEBHOOK_SECRETS_PREFIX")


@lru_cache(maxsize=1)
def load_config() -> Config:
    return Config.model_validate(os.environ)
