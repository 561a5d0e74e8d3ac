"""``KeptBytes``: the room of a cache that evicts nothing (used by the clip cache and the
frozen-feature cache, tested with them)."""

import copy
import pickle

import pytest

from vtp.testing import logged_lines
from vtp.utils.kept_bytes import KeptBytes


class Jars(KeptBytes):
    what = 'jar cache'

    def __init__(self, capacity: int) -> None:
        super().__init__(capacity)
        self.jars = {}

    def emptied(self):
        return dict(jars={})

    def refusal(self, nbytes: int) -> str:
        return f'a jar of {nbytes} bytes does not fit'


def test_fits_counts_the_room_left_and_what_an_entry_replaces():
    jars = Jars(10)
    jars.used = 8
    assert jars.fits(2) and not jars.fits(3)
    assert jars.fits(5, freed=3)


def test_the_first_refusal_is_logged_once_and_copies_start_empty():
    jars = Jars(4)
    jars.jars, jars.used = {'a': b'abcd'}, 4
    with logged_lines() as lines:
        assert not jars.fits(1) and not jars.fits(2)
    assert lines == ['a jar of 1 bytes does not fit'] and jars.refused
    for copied in (copy.deepcopy(jars), pickle.loads(pickle.dumps(jars))):
        assert (copied.jars, copied.used, copied.refused, copied.capacity) == ({}, 0, False, 4)


def test_a_capacity_must_be_positive():
    with pytest.raises(ValueError, match='the jar cache needs a positive capacity, got 0 bytes'):
        Jars(0)
