"""The read most use cases start with: the return they are about, which must have been requested."""

from chalicelib.bootstrap import Ports
from chalicelib.domain.returns import Return
from chalicelib.domain.tenancy import own_id
from chalicelib.ports.errors import ReturnNotFound, UnknownSubject


def load_return(return_id: str, ports: Ports) -> Return:
    """For a workflow step: a return never stored is not transient, so the step fails to RecordFailure."""
    record = ports.returns.get(return_id)
    if record is None or not record.requested:
        raise ReturnNotFound(f"return {return_id} is not stored")
    return record


def load_staff_return(return_id: str, ports: Ports) -> Return:
    """For a staff call: an unknown return is the caller's mistake."""
    record = ports.returns.get(return_id)
    if record is None or not record.requested:
        raise UnknownSubject(f"no return {own_id(return_id)}", "unknown_return")
    return record
