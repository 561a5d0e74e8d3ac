"""Tests for ``MixedDataset``: exact ratios per batch and rank, full passes, determinism."""

from collections import Counter
from itertools import islice
from unittest import mock

import pytest
from mmengine.dataset import DefaultSampler

from vtp.datasets import BaseVideoTextDataset, InfiniteSampler, MixedDataset
from vtp.datasets.mixed_dataset import PERIOD, permute
from vtp.datasets.samplers.dealt_keys import global_position, rank_position


class Corpus(BaseVideoTextDataset):
    """``size`` records named ``{name}{i}``; a sample is its data info plus the key."""

    def __init__(self, name: str, size: int) -> None:
        self.name, self.size = name, size
        super().__init__(pipeline=[])

    def load_data_list(self):
        return [dict(text=f'{self.name}{i}') for i in range(self.size)]


def mixed(sizes=(30, 70), ratios=None, names=('a', 'b'), world_size=1, seed=0) -> MixedDataset:
    with mock.patch('vtp.datasets.mixed_dataset.get_dist_info', return_value=(0, world_size)):
        return MixedDataset(
            [Corpus(n, s) for n, s in zip(names, sizes)], ratios=ratios, names=names, seed=seed
        )


@pytest.mark.parametrize('size', [1, 2, 3, 10, 97, 1000, 4099])
def test_permute_is_a_permutation(size):
    for keys in ((1, 2, 3, 4), (5, 6, 7, 8)):
        assert sorted(permute(i, size, keys) for i in range(size)) == list(range(size))
    if size >= 10:  # different keys, different orders
        assert [permute(i, size, (1, 2, 3, 4)) for i in range(size)] != [
            permute(i, size, (5, 6, 7, 8)) for i in range(size)
        ]


def test_every_batch_holds_the_ratios():
    dataset = mixed(ratios=[1, 3])
    assert dataset.corpus_ratios == {'a': 0.25, 'b': 0.75}
    corpora = [dataset.locate(k)[0] for k in range(2 * PERIOD)]
    for start in range(0, len(corpora) - 8, 8):  # batches of 8: exactly 2 of a, 6 of b
        assert corpora[start : start + 8].count(0) == 2


def test_default_ratios_follow_sizes_and_sample_carries_corpus():
    dataset = mixed(sizes=(30, 70))
    assert dataset.corpus_ratios == pytest.approx({'a': 0.3, 'b': 0.7})
    assert len(dataset) == 100
    counts = Counter(dataset[k]['corpus'] for k in range(100))
    assert counts == {'a': 30, 'b': 70}


def test_each_corpus_pass_visits_every_sample_once_then_reshuffles():
    dataset = mixed(sizes=(5, 20), ratios=[1, 1])
    visits = [dataset.locate(k) for k in range(40)]  # 20 visits of each corpus
    small = [key for corpus, key in visits if corpus == 0]
    assert sorted(k % 5 for k in small[:5]) == list(range(5))
    passes = [[k % 5 for k in small[p : p + 5]] for p in range(0, 20, 5)]
    assert len({tuple(p) for p in passes}) > 1, 'every pass in the same order'
    assert [k // 5 for k in small] == [p for p in range(4) for _ in range(5)]  # pass in key
    large = [key for corpus, key in visits if corpus == 1]
    assert sorted(large) == list(range(20))


def test_ranks_read_disjoint_samples_at_the_ratios():
    """Two ranks (positions dealt round-robin) together read each sample once per pass."""
    dataset = mixed(sizes=(40, 40), ratios=[1, 1], world_size=2)
    per_rank = {r: [dataset.locate(p * 2 + r) for p in range(40)] for r in range(2)}
    for visits in per_rank.values():
        for start in range(0, 40, 4):  # every batch of 4 of a rank: 2 and 2
            assert [c for c, _ in visits[start : start + 4]].count(0) == 2
    everything = per_rank[0] + per_rank[1]
    assert sorted(everything) == sorted({(c, k) for c, k in everything})
    assert Counter(c for c, _ in everything) == {0: 40, 1: 40}


def test_stream_layout_is_the_number_of_ranks():
    one, two = mixed(world_size=1), mixed(world_size=2)
    assert (one.stream_layout(), two.stream_layout()) == ({'ranks': 1}, {'ranks': 2})
    keys = range(200)
    assert [one.locate(k) for k in keys] != [two.locate(k) for k in keys]


def test_mapping_is_deterministic_and_seeded():
    keys = range(0, 3000, 7)
    first, again, other = mixed(), mixed(), mixed(seed=1)
    assert [first.locate(k) for k in keys] == [again.locate(k) for k in keys]
    assert [first.locate(k) for k in keys] != [other.locate(k) for k in keys]


@pytest.mark.parametrize(
    'kwargs, match',
    [
        (dict(ratios=[1]), 'one positive ratio per dataset'),
        (dict(ratios=[1, 0]), 'one positive ratio per dataset'),
        (dict(names=('a', 'a')), 'one distinct name per dataset'),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        mixed(**kwargs)


def test_reads_the_positions_the_sampler_deals_to_each_rank():
    """InfiniteSampler(shuffle=False) and MixedDataset share one dealing of keys to ranks."""
    dataset = mixed(sizes=(40, 40), ratios=[1, 1], world_size=2)
    for rank in range(2):
        sampler = InfiniteSampler(dataset, shuffle=False, seed=0)
        sampler.rank, sampler.world_size = rank, 2
        sampler.set_start(3)
        keys = list(islice(iter(sampler), 5))
        assert [rank_position(k, 2) for k in keys] == [(p, rank) for p in range(3, 8)]
        assert keys == [global_position(p, rank, 2) for p in range(3, 8)]


def test_a_shuffling_sampler_is_an_error_saying_what_to_set():
    dataset = mixed()
    with pytest.raises(ValueError, match=r'got sampler InfiniteSampler\(shuffle=True\): set '):
        InfiniteSampler(dataset, shuffle=True, seed=0)
    with pytest.raises(ValueError, match=r'sampler DefaultSampler: set train_dataloader.sampler='):
        dataset.check_sampler(DefaultSampler(dataset, shuffle=False))
    dataset.check_sampler(InfiniteSampler(dataset, shuffle=False, seed=0))
