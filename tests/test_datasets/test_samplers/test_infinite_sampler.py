"""Tests for ``InfiniteSampler``: endless keys ``pass * N + index``, ranks and resuming."""

from itertools import islice

import pytest

from vtp.datasets.samplers import InfiniteSampler
from vtp.datasets.samplers.dealt_keys import global_position, rank_position
from vtp.registry import DATA_SAMPLERS

N = 7


def take(sampler, count: int) -> list:
    return list(islice(iter(sampler), count))


def make(size: int = N, rank: int = 0, world_size: int = 1, **kwargs) -> InfiniteSampler:
    sampler = InfiniteSampler(list(range(size)), **kwargs)
    sampler.rank, sampler.world_size = rank, world_size
    return sampler


def test_keys_are_pass_times_n_plus_a_permutation():
    keys = take(make(seed=3), 5 * N)
    passes = [keys[p * N : (p + 1) * N] for p in range(5)]
    for p, chunk in enumerate(passes):
        assert all(k // N == p for k in chunk)
        assert sorted(k % N for k in chunk) == list(range(N))
    # Shuffled, and differently in different passes.
    orders = {tuple(k % N for k in chunk) for chunk in passes}
    assert len(orders) > 1
    assert any(order != tuple(range(N)) for order in orders)


def test_no_shuffle_is_in_order():
    assert take(make(shuffle=False, seed=0), 3 * N) == list(range(3 * N))


def test_same_seed_same_stream_and_new_iterators_restart():
    sampler = make(seed=11)
    assert take(sampler, 3 * N) == take(make(seed=11), 3 * N)
    assert take(sampler, 3 * N) == take(sampler, 3 * N)
    assert take(make(seed=12), 3 * N) != take(sampler, 3 * N)


def test_two_ranks_interleave_into_the_single_process_stream():
    single = take(make(seed=5), 4 * N)
    rank0 = take(make(seed=5, rank=0, world_size=2), 2 * N)
    rank1 = take(make(seed=5, rank=1, world_size=2), 2 * N)
    assert rank0 == single[0::2]
    assert rank1 == single[1::2]
    merged = [k for pair in zip(rank0, rank1) for k in pair]
    assert merged == single
    # Within a pass the ranks never hand out the same sample twice.
    for p in range(4):
        in_pass0 = [k for k in rank0 if k // N == p]
        in_pass1 = [k for k in rank1 if k // N == p]
        assert not set(in_pass0) & set(in_pass1)
        assert sorted(in_pass0 + in_pass1) == list(range(p * N, (p + 1) * N))


def test_ranks_from_dist_info(monkeypatch):
    import vtp.datasets.samplers.infinite_sampler as module

    monkeypatch.setattr(module, 'get_dist_info', lambda: (2, 3))
    sampler = InfiniteSampler(list(range(N)), seed=5)
    assert (sampler.rank, sampler.world_size) == (2, 3)
    assert take(sampler, 2 * N) == take(make(seed=5), 6 * N)[2::3]


@pytest.mark.parametrize('world_size', [1, 2, 3])
@pytest.mark.parametrize('start', [0, 1, N - 1, N, 2 * N + 3])
def test_set_start_continues_the_stream(world_size, start):
    for rank in range(world_size):
        fresh = take(make(seed=9, rank=rank, world_size=world_size), start + 2 * N)
        resumed = make(seed=9, rank=rank, world_size=world_size)
        resumed.set_start(start)
        assert take(resumed, 2 * N) == fresh[start:]


def test_size_not_divisible_by_world_size():
    single = take(make(size=5, seed=2), 30)
    ranks = [take(make(size=5, seed=2, rank=r, world_size=3), 10) for r in range(3)]
    assert [ranks[i % 3][i // 3] for i in range(30)] == single


def test_len_and_empty_dataset():
    assert len(make()) == N
    with pytest.raises(ValueError, match='empty'):
        InfiniteSampler([], seed=0)


def test_registered():
    sampler = DATA_SAMPLERS.build(dict(type='InfiniteSampler', dataset=list(range(N)), seed=1))
    assert isinstance(sampler, InfiniteSampler)
    assert take(sampler, N) == take(make(seed=1), N)


def test_seed_none_is_synced_random_seed():
    sampler = InfiniteSampler(list(range(N)))
    assert isinstance(sampler.seed, int)


@pytest.mark.parametrize('world_size', [1, 2, 3])
def test_keys_are_dealt_by_the_shared_mapping(world_size):
    for rank in range(world_size):
        keys = take(make(shuffle=False, seed=0, rank=rank, world_size=world_size), 2 * N)
        assert keys == [global_position(p, rank, world_size) for p in range(2 * N)]
        assert [rank_position(k, world_size) for k in keys] == [(p, rank) for p in range(2 * N)]
