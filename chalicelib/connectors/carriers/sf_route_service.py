"""SF Express's route push as SF documents it (RoutePushService): JSON `{"Body": {"WaybillRoute": [...]}}` with no
signature of its own. SF only lets a push address be set, so the push is authenticated by the carrier source's
secret in that address: `https://<api>/v1/webhooks/carriers/sf-express?key=<secret>` (compared in constant time
with every secret of the rotation). The nodes, the reply and the refusal are those of SF's open-platform push
(sf_open_platform.py); the old JSON shape signed in a `msgDigest` header stays route_push.py's."""

from chalicelib.connectors.carriers import sf_open_platform
from chalicelib.connectors.carriers.checkpoints import check_signature
from chalicelib.domain.errors import load_json

# Where the route puts the address's `key` for verify (a header of that name, sent by a client, is the same claim).
KEY_HEADER = "x-aftersales-push-key"
parse, reply, refusal = sf_open_platform.parse, sf_open_platform.reply, sf_open_platform.refusal


def verify(headers: dict, raw_body: bytes, secrets: tuple[bytes, ...]) -> None:
    check_signature(headers, KEY_HEADER, [secret.decode() for secret in secrets])


def decode(raw_body: bytes) -> object:
    return load_json(raw_body)


def pushed_here(headers: dict) -> bool:
    """A JSON push that carries the address's key and no msgDigest header (which the old JSON shape signs with)."""
    names = {key.lower() for key in headers}
    return KEY_HEADER in names and "msgdigest" not in names

