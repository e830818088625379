"""bootstrap(): one wiring of the ports per process, each port built on first use, overrides by name, one reset."""

import pytest

from chalicelib.adapters.memory import MemoryQueue, MemoryReturns
from chalicelib.bootstrap import Ports, bootstrap, reset


@pytest.fixture(autouse=True)
def fresh():
    reset()
    yield
    reset()


def test_the_ports_are_built_once_and_each_port_only_when_used():
    ports = bootstrap()
    assert bootstrap() is ports
    assert "returns" not in vars(ports) and "queue" not in vars(ports)  # nothing built, no client made


def test_ports_given_by_name_take_the_place_of_the_adapters_until_reset():
    queue = MemoryQueue()
    assert bootstrap(queue=queue).queue is queue
    assert bootstrap().queue is queue
    reset()
    assert "queue" not in vars(bootstrap())


def test_a_port_that_does_not_exist_is_refused():
    with pytest.raises(TypeError, match="no port named quue"):
        bootstrap(quue=MemoryQueue())


def test_replacing_shares_what_was_built_and_takes_the_replacements():
    ports = Ports(queue=MemoryQueue())
    returns = MemoryReturns()
    replaced = ports.replacing(returns=returns)
    assert (replaced.returns, replaced.queue) == (returns, ports.queue)
    assert "returns" not in vars(ports)
