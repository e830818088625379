"""The local cloud: the whole system on moto, in one process, with no AWS account and no Docker (dev-only)."""
