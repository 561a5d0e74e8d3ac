"""Tests for ``BaseVideoTextDataset``: stream keys, per-sample seeded randomness, replacement of
broken samples and the serialized record store."""

import pickle
import random

import numpy as np
import pytest
import torch

from vtp.datasets import BaseVideoTextDataset, SampleError
from vtp.datasets.transforms import PackVideoTextInputs, SampleFrames

NUM = 3


class ListDataset(BaseVideoTextDataset):
    """Three in-memory samples; the pipeline draws from the global generators."""

    def load_data_list(self):
        return [dict(text=f'caption {i}', total_frames=40 + i) for i in range(NUM)]


def draw(results: dict) -> dict:
    """A random transform using both global generators (like vtp's and mmaction2's)."""
    results['np_draw'] = np.random.rand(3)
    results['py_draw'] = random.random()
    return results


PIPELINE = [SampleFrames(num_frames=4), draw]


def make(seed=0, pipeline=PIPELINE) -> ListDataset:
    return ListDataset(seed=seed, pipeline=pipeline)


def randomness(sample: dict) -> tuple:
    return tuple(sample['frame_inds']), tuple(sample['np_draw']), sample['py_draw']


def test_key_maps_to_sample_modulo_length():
    dataset = make()
    assert len(dataset) == NUM
    for key in range(NUM):
        for stream_key in (key, key + NUM, key + 5 * NUM):
            sample = dataset[stream_key]
            assert sample['sample_idx'] == key
            assert sample['text'] == f'caption {key}'
            assert sample['total_frames'] == 40 + key


def test_randomness_differs_between_passes():
    dataset = make()
    for key in range(NUM):
        draws = [randomness(dataset[key + p * NUM]) for p in range(4)]
        assert len(set(draws)) == 4


def test_randomness_differs_between_samples_of_one_pass():
    dataset = make()
    assert len({randomness(dataset[key])[1] for key in range(NUM)}) == NUM


def test_same_key_same_randomness():
    dataset = make()
    first = [randomness(dataset[key]) for key in range(2 * NUM)]
    # Out of order and interleaved with other keys: a sample depends on its key only.
    again = [randomness(dataset[key]) for key in reversed(range(2 * NUM))][::-1]
    assert first == again
    assert first == [randomness(make()[key]) for key in range(2 * NUM)]


def test_seed_changes_randomness():
    a, b = make(seed=0), make(seed=1)
    assert [randomness(a[k]) for k in range(NUM)] != [randomness(b[k]) for k in range(NUM)]
    big = make(seed=2**64 - 1)  # torch.initial_seed() can be this large
    assert randomness(big[0]) == randomness(make(seed=2**64 - 1)[0])


def test_default_seed_is_torch_initial_seed():
    assert ListDataset(pipeline=[]).seed == torch.initial_seed()


def test_global_random_state_untouched():
    dataset = make()
    dataset.full_init()
    random.seed(123)
    np.random.seed(456)
    py_state, np_state = random.getstate(), np.random.get_state()
    dataset[1]
    dataset[NUM + 2]
    assert random.getstate() == py_state
    after = np.random.get_state()
    assert after[0] == np_state[0]
    np.testing.assert_array_equal(after[1], np_state[1])
    assert after[2:] == np_state[2:]
    # The global streams continue as if no sample had been drawn.
    expected_py, expected_np = random.random(), np.random.rand()
    random.seed(123)
    np.random.seed(456)
    assert (random.random(), np.random.rand()) == (expected_py, expected_np)


def test_global_state_restored_when_pipeline_raises():
    def fail(results):
        np.random.rand()
        raise KeyError('boom')

    dataset = make(pipeline=[fail])
    np.random.seed(7)
    expected = np.random.rand()
    np.random.seed(7)
    with pytest.raises(KeyError):
        dataset[0]
    assert np.random.rand() == expected


def test_dropped_sample_raises():
    dataset = make(pipeline=[lambda results: None])
    with pytest.raises(RuntimeError, match='dropped sample 1'):
        dataset[NUM + 1]


class BrokenSet(BaseVideoTextDataset):
    """Ten samples; those in ``broken`` raise SampleError when read."""

    def __init__(self, broken=(), **kwargs) -> None:
        self.broken = set(broken)
        super().__init__(pipeline=[self.read], **kwargs)

    def load_data_list(self):
        return (dict(filename=f'clip{i}.mp4', text=f'caption {i}') for i in range(10))

    def read(self, results: dict) -> dict:
        if results['sample_idx'] in self.broken:
            raise SampleError(results['filename'], 'missing file')
        results['draw'] = np.random.rand()
        return results


def test_broken_sample_is_replaced_deterministically():
    dataset = BrokenSet(broken={3}, seed=0)
    sample = dataset[13]  # pass 1, index 3
    assert sample['sample_idx'] != 3
    assert sample['failures'] == [dict(path='clip3.mp4', reason='missing file')]
    again = BrokenSet(broken={3}, seed=0)[13]
    assert (again['sample_idx'], again['draw']) == (sample['sample_idx'], sample['draw'])
    others = {BrokenSet(broken={3}, seed=s)[13]['sample_idx'] for s in range(20)}
    assert len(others) > 1  # the replacement is drawn, not always the neighbour
    assert 'failures' not in dataset[4]


def test_replacement_never_retries_a_failed_sample():
    dataset = BrokenSet(broken=set(range(9)), max_retries=20)
    for key in range(5):
        sample = dataset[key]
        assert sample['sample_idx'] == 9
        paths = [f['path'] for f in sample['failures']]
        assert len(paths) == len(set(paths))


def test_too_many_failures_in_a_row_is_an_error():
    with pytest.raises(RuntimeError, match='3 samples in a row failed for key 0'):
        BrokenSet(broken=set(range(10)), max_retries=2)[0]
    with pytest.raises(RuntimeError, match='10 samples in a row failed'):
        BrokenSet(broken=set(range(10)), max_retries=50)[0]  # every sample tried once


def test_records_are_one_shared_byte_array():
    dataset = BrokenSet()
    assert dataset.data_list == []
    assert isinstance(dataset.data_bytes, np.ndarray) and dataset.data_bytes.dtype == np.uint8
    assert len(dataset.data_address) == len(dataset) == 10
    assert dataset.get_data_info(7)['filename'] == 'clip7.mp4'


@pytest.mark.parametrize('indices, expected', [(3, [0, 1, 2]), ([8, 2, 5], [8, 2, 5])])
def test_indices_select_a_subset(indices, expected):
    dataset = BrokenSet(indices=indices)
    assert [dataset.get_data_info(i)['filename'] for i in range(len(dataset))] == [
        f'clip{i}.mp4' for i in expected
    ]


@pytest.mark.parametrize(
    'indices, message',
    [
        (0, 'indices must be an int >= 1, got 0'),  # was a ZeroDivisionError in the sampler
        (2.5, 'indices must be an int >= 1, got 2.5'),
        ([], 'indices is empty: the subset would hold no sample'),
        ([1, 10], r'indices entries must be an int in -10..9, got 10'),
        ([1, 'a'], "indices entries must be an int in -10..9, got 'a'"),
    ],
)
def test_indices_that_select_nothing_or_no_sample_are_named(indices, message):
    with pytest.raises(ValueError, match=rf'BrokenSet\(\): {message}'):
        BrokenSet(indices=indices)


def test_negative_indices_count_from_the_end_and_arrays_are_lists():
    for indices in ([-1, 0], np.array([9, 0]), torch.tensor([9, 0]), (i for i in (9, 0))):
        dataset = BrokenSet(indices=indices)
        assert [dataset.get_data_info(i)['filename'] for i in range(2)] == [
            'clip9.mp4',
            'clip0.mp4',
        ]
        assert len(pickle.loads(pickle.dumps(dataset))) == 2  # a generator is not kept
    assert len(BrokenSet(indices=np.array(3))) == len(BrokenSet(indices=torch.tensor(3))) == 3


def test_unserialized_records_are_refused():
    with pytest.raises(ValueError, match='serialize_data=False'):
        BrokenSet(serialize_data=False)


class PackedBrokenSet(BrokenSet):
    """``BrokenSet`` with frames, tokens and packing: clip i has i % 3 + 1 captions."""

    def load_data_list(self):
        return (
            dict(
                filename=f'clip{i}.mp4',
                video_id=f'clip{i}',
                text=[f'caption {i}.{k}' for k in range(i % 3 + 1)],
            )
            for i in range(10)
        )

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.pipeline.transforms += [self.tokens, PackVideoTextInputs()]

    @staticmethod
    def tokens(results: dict) -> dict:
        num = len(results['text'])
        results['imgs'] = np.full((2, 4, 4, 3), 200, dtype=np.uint8)
        results['input_ids'] = np.full((num, 5), results['sample_idx'], dtype=np.int64)
        results['attention_mask'] = np.ones((num, 5), dtype=np.int64)
        return results


def test_test_mode_never_substitutes_a_broken_sample():
    dataset = PackedBrokenSet(broken={4}, seed=0, test_mode=True)
    sample = dataset[4]
    meta = sample['data_samples'].metainfo
    assert meta['sample_idx'] == 4 and meta['video_id'] == 'clip4' and meta['missing']
    assert meta['text'] == ['caption 4.0', 'caption 4.1']  # its own captions, from the record
    assert meta['failures'] == [dict(path='clip4.mp4', reason='missing file')]
    inputs = sample['inputs']
    assert inputs['video'].shape == (2, 4, 4, 3) and not inputs['video'].any()  # black clip
    assert inputs['input_ids'].shape == (2, 5)  # shaped for its own 2 captions
    assert 'missing' not in dataset[5]['data_samples'].metainfo
    training = PackedBrokenSet(broken={4}, seed=0)[4]['data_samples'].metainfo
    assert training['sample_idx'] != 4 and 'missing' not in training  # training replaces


def test_test_mode_returns_a_placeholder_however_many_samples_are_broken():
    """Test samples are never substituted, so a readable one only lends its shapes: every
    sample may be tried for it (not ``max_retries``), and once one is read no broken sample
    reads another; a test set with nothing readable is an error."""
    dataset = PackedBrokenSet(broken=set(range(9)), max_retries=1, test_mode=True)
    samples = [dataset[key] for key in range(10)]  # clip 9, the only readable one, read last
    assert [s['data_samples'].metainfo.get('missing', False) for s in samples] == [True] * 9 + [
        False
    ]
    assert [len(s['data_samples'].metainfo['failures']) for s in samples[1:9]] == [1] * 8
    assert all(s['inputs']['input_ids'].shape == (i % 3 + 1, 5) for i, s in enumerate(samples))
    with pytest.raises(RuntimeError, match='10 samples in a row failed for key 0'):
        PackedBrokenSet(broken=set(range(10)), max_retries=1, test_mode=True)[0]
