"""In-memory twins of the outside systems: archive, queue, carrier API, policy, payment provider, bus
and workflows, each keeping what it was given for tests to read."""

import copy

from chalicelib.domain.execution_names import NAME, RUNNING
from chalicelib.domain.policy import DEFAULT_POLICY, PolicyDocument
from chalicelib.ports.errors import PaymentDeclined, QueueUnavailable


class MemoryArchive:
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def put(self, key: str, body: bytes, content_type: str = "application/json") -> None:
        self.objects[key] = body


class MemoryQueue:
    def __init__(self, available: bool = True) -> None:
        self.messages: list[tuple[str, dict]] = []
        self.available = available

    def send(self, body: str, attributes: dict[str, str]) -> None:
        if not self.available:
            raise QueueUnavailable("the queue is down")
        self.messages.append((body, dict(attributes)))


class MemoryCarrierApi:
    """What the carrier knows of each parcel; `errors` makes the API raise for a parcel (an HTTP error, a timeout),
    and an answer in `known` may be malformed on purpose (the HTTP adapter hands over what the API answered)."""

    def __init__(self, checkpoints: dict[tuple[str, str], list] | None = None,
                 errors: dict[tuple[str, str], Exception] | None = None) -> None:
        self.known = checkpoints or {}
        self.errors = errors or {}
        self.asked: list[tuple[str, str]] = []

    def checkpoints(self, carrier: str, tracking_number: str) -> list[dict]:
        self.asked.append((carrier, tracking_number))
        if (carrier, tracking_number) in self.errors:
            raise self.errors[(carrier, tracking_number)]
        return copy.deepcopy(self.known.get((carrier, tracking_number), []))


class MemoryPolicies:
    def __init__(self, document: PolicyDocument = DEFAULT_POLICY) -> None:
        self.document = document

    def current(self) -> PolicyDocument:
        return self.document


class MemoryPayments:
    """The provider's promise: one refund per idempotency key; `decline` refuses the next requests."""

    def __init__(self, clock: str = "2026-11-22T08:00:05Z") -> None:
        self.refunds: dict[str, dict] = {}
        self.decline: tuple[str, str] | None = None
        self.requests: list[str] = []
        self.clock = clock

    def refund(self, payment_ref: str, currency: str, amount: str, idempotency_key: str) -> dict:
        self.requests.append(idempotency_key)
        if idempotency_key not in self.refunds:
            if self.decline:
                raise PaymentDeclined(*self.decline)
            self.refunds[idempotency_key] = {
                "provider_refund_id": f"PR-{len(self.refunds) + 1}", "payment_ref": payment_ref, "currency": currency,
                "amount": amount, "idempotency_key": idempotency_key, "created_at": self.clock,
            }
        return dict(self.refunds[idempotency_key])

    def refunds_between(self, since: str, until: str) -> list[dict]:
        return [dict(r) for r in self.refunds.values() if since <= r["created_at"] < until]


class MemoryBus:
    def __init__(self) -> None:
        self.events: list[tuple[str, dict]] = []

    def publish(self, detail_type: str, detail: dict) -> None:
        self.events.append((detail_type, copy.deepcopy(detail)))

    def publish_many(self, detail_type: str, details: list[dict]) -> None:
        for detail in details:
            self.publish(detail_type, detail)

    def of(self, detail_type: str) -> list[dict]:
        return [detail for kind, detail in self.events if kind == detail_type]


class MemoryReports:
    """The reports port: what each report answers (name -> (columns, rows)), or `failure` raised; the calls kept."""

    def __init__(self) -> None:
        self.results: dict[str, tuple[list[str], list[tuple]]] = {}
        self.failure: Exception | None = None
        self.calls: list[tuple[str, dict | None]] = []

    def run_report(self, name: str, params: dict | None = None) -> tuple[list[str], list[tuple]]:
        self.calls.append((name, params))
        if self.failure is not None:
            raise self.failure
        return self.results.get(name, ([], []))


class MemoryWorkflows:
    """Executions by name, each running until a test ends it (`end`); a task token waits until it is completed once
    (resumed, failed, or timed out). Starting a name again answers how its execution stands, as Step Functions'
    StartExecution and DescribeExecution do: running (whatever the input), succeeded, or ended badly with its error."""

    def __init__(self) -> None:
        self.started: dict[str, dict] = {}
        self.ended: dict[str, dict] = {}  # name -> {"status", "error", "cause"}
        self.history: dict[str, list[dict]] = {}  # name -> its steps, as StepFunctionsWorkflows.steps answers them
        self.completed: set[str] = set()
        self.resumed: list[tuple[str, dict]] = []
        self.failed: list[tuple[str, str, str]] = []

    def start(self, name: str, payload: dict) -> dict:
        if not NAME.fullmatch(name):
            raise ValueError(f"Step Functions refuses the execution name {name!r}")
        self.started.setdefault(name, copy.deepcopy(payload))
        ended = self.ended.get(name, {"status": RUNNING, "error": None, "cause": None})
        return {"execution": name, **ended}

    def steps(self, name: str, most: int = 200) -> list[dict]:
        """The states a test said the execution went through (`history`): the twin runs none itself."""
        return self.history.get(name, [])[-most:]

    def end(self, name: str, status: str, error: str | None = None, cause: str | None = None) -> None:
        """The execution closes: SUCCEEDED, or FAILED / TIMED_OUT / ABORTED (an error and cause when it gave them)."""
        if name not in self.started:
            raise KeyError(f"no execution {name}")
        self.ended[name] = {"status": status, "error": error, "cause": cause}

    def time_out(self, task_token: str) -> None:
        self.completed.add(task_token)

    def resume(self, task_token: str, output: dict) -> bool:
        if task_token in self.completed:
            return False
        self.completed.add(task_token)
        self.resumed.append((task_token, copy.deepcopy(output)))
        return True

    def fail(self, task_token: str, error: str, cause: str) -> bool:
        if task_token in self.completed:
            return False
        self.completed.add(task_token)
        self.failed.append((task_token, error, cause))
        return True


class MemoryMarketplaceActions:
    """A connected shop's marketplace actions: each call kept in `calls`; `refuse` makes the next calls raise."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []
        self.refunds: dict[str, dict] = {}  # by idempotency key: one refund per key, as the marketplace guards it
        self.refuse: Exception | None = None
        self.hold_outcome = "held"  # None: the marketplace holds nothing itself (Taobao, JD)
        self.exchange_outcome = "exchange processed"  # None: it ships no replacement itself

    def approve(self, record) -> str:
        return self._call("approve", record.return_id) or "approved"

    def decline(self, record, code: str | None) -> str:
        return self._call("decline", record.return_id, code) or "declined"

    def exchange(self, record) -> str:
        return self._call("exchange", record.return_id) or self.exchange_outcome

    def hold(self, record) -> str:
        return self._call("hold", record.return_id) or self.hold_outcome

    def replacement_shipped(self, record, parcel: dict) -> str:
        return self._call("replacement_shipped", record.return_id, parcel["tracking_number"]) or "waybill told"

    def intercept(self, record) -> str:
        return self._call("intercept", record.return_id) or "interception asked"

    def refund(self, record, issued) -> dict:
        self._call("refund", record.return_id, issued.total)
        made = self.refunds.setdefault(issued.idempotency_key, {
            "marketplace_refund_id": str(1000 + len(self.refunds)), "created_at": "2026-11-22T08:00:05Z",
        })
        return dict(made)

    def _call(self, *call) -> None:
        self.calls.append(call)
        if self.refuse is not None:
            raise self.refuse


class MemoryMarketplaces:
    """The marketplaces port: the shops connected (shop -> connection), what hydrating a resource finds
    (resource GID -> effects, or an exception to raise), and one MemoryMarketplaceActions per shop."""

    def __init__(self, connections: dict | None = None, found: dict | None = None) -> None:
        self.connections = dict(connections or {})
        self.found = dict(found or {})
        self.shop_actions: dict[str, MemoryMarketplaceActions] = {}
        self.refuse_actions: Exception | None = None  # what actions() raises (an uninstalled app)

    def connection(self, shop: str):
        return self.connections.get(shop)

    def hydrate(self, notice, context: dict) -> list:
        found = self.found.get(notice.data.resource or notice.data.topic, [])
        if isinstance(found, Exception):
            raise found
        return list(found)

    def actions(self, shop: str) -> MemoryMarketplaceActions | None:
        if shop not in self.connections:
            return None
        if self.refuse_actions is not None:
            raise self.refuse_actions
        return self.shop_actions.setdefault(shop, MemoryMarketplaceActions())
