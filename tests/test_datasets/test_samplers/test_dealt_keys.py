"""Tests for the dealing of a global key stream to ranks (``global_position``, its inverse)."""

import pytest

from vtp.datasets.samplers.dealt_keys import global_position, rank_position


@pytest.mark.parametrize('world_size', [1, 2, 3])
def test_ranks_take_turns_and_cover_the_stream_once(world_size):
    dealt = [
        global_position(position, rank, world_size)
        for position in range(4)
        for rank in range(world_size)
    ]
    assert dealt == list(range(4 * world_size))


@pytest.mark.parametrize('world_size', [1, 2, 5])
def test_rank_position_inverts_global_position(world_size):
    for key in range(20):
        position, rank = rank_position(key, world_size)
        assert 0 <= rank < world_size
        assert global_position(position, rank, world_size) == key
