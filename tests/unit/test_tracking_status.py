"""A parcel's current status under late, duplicate and out-of-order checkpoints."""

import itertools

import pytest

from chalicelib.domain.tracking import Status, supersedes

TIMELINE = [
    Status("info_received", "2026-11-20T01:00:00Z"),
    Status("in_transit", "2026-11-20T10:00:00Z"),
    Status("out_for_delivery", "2026-11-21T00:05:00Z"),
    Status("delivered", "2026-11-21T06:30:00Z"),
]


def current_after(checkpoints) -> Status | None:
    current = None
    for checkpoint in checkpoints:
        if supersedes(checkpoint, current):
            current = checkpoint
    return current


@pytest.mark.parametrize("order", list(itertools.permutations(TIMELINE)))
def test_any_arrival_order_ends_delivered(order):
    assert current_after(order) == TIMELINE[-1]


def test_duplicates_change_nothing():
    assert current_after(TIMELINE + TIMELINE[::-1] + TIMELINE) == TIMELINE[-1]


def test_a_late_in_transit_never_overwrites_delivered_even_with_a_later_time():
    assert not supersedes(Status("in_transit", "2026-11-22T00:00:00Z"), TIMELINE[-1])
    assert supersedes(Status("returned_to_sender", "2026-11-23T00:00:00Z"), TIMELINE[-1])
    assert not supersedes(Status("returned_to_sender", "2026-11-20T00:00:00Z"), TIMELINE[-1])


def test_at_the_same_time_the_higher_rank_wins():
    at = "2026-11-21T06:30:00Z"
    assert supersedes(Status("delivered", at), Status("out_for_delivery", at))
    assert not supersedes(Status("out_for_delivery", at), Status("delivered", at))
