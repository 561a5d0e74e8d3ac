"""Tests for ``VideoTextShardDataset``: lanes per rank and worker, passes, exact resume,
broken shards, URLs, decoding from memory, mixing."""

import collections
import os
import re
import shutil

import numpy as np
import pytest
from torch.utils.data import DataLoader

from vtp.datasets import MixedDataset, VideoTextShardDataset
from vtp.datasets.sample_error import SampleError
from vtp.datasets.samplers import InfiniteSampler
from vtp.datasets.shard_writer import write_shard
from vtp.datasets.video_text_shard_dataset import TarSamples, interleaved
from vtp.testing import write_mp4, write_shard_corpus

SIZES = [3, 5, 0, 4, 1, 6]  # uneven, with an empty shard
N = sum(SIZES)


def shard_set(root, world_size=1, batch_size=1, num_workers=1, **kwargs):
    kwargs.setdefault('manifest', 'manifest.json')
    dataset = VideoTextShardDataset(data_root=str(root), seed=3, **kwargs)
    dataset.world_size = world_size  # as get_dist_info() would say on `world_size` ranks
    dataset.set_loader_layout(batch_size, num_workers)
    return dataset


def lane_keys(world_size, batch_size, num_workers, count):
    """The first ``count`` stream keys of every (rank, worker), as InfiniteSampler(shuffle=False)
    deals them to ranks and the DataLoader hands batches to workers."""
    lanes = collections.defaultdict(list)
    for rank in range(world_size):
        for position in range(count * num_workers):
            worker = position // batch_size % num_workers
            lanes[rank, worker].append(position * world_size + rank)
    return {lane: keys[:count] for lane, keys in lanes.items()}


@pytest.fixture
def corpus(tmp_path):
    return tmp_path, write_shard_corpus(tmp_path, SIZES)


def test_reads_the_sample_members(corpus):
    root, keys = corpus
    dataset = shard_set(root, shuffle=False)
    assert len(dataset) == N
    info = dataset[4]
    assert info['video_id'] == keys[4] == '00001-0001'
    assert info['text'] == 'caption 00001-0001'
    assert info['media_bytes'] == b'00001-0001'
    assert info['filename'] == f'{root}/shard-00001.tar/00001-0001.mp4'


@pytest.mark.parametrize('layout', [(1, 1, 1), (2, 2, 3), (3, 4, 2)])
def test_every_sample_once_per_pass_in_even_lanes(corpus, layout):
    root, keys = corpus
    world_size, batch_size, num_workers = layout
    lanes = world_size * num_workers
    per_lane = -(-N // lanes)
    passes = []
    for p in range(3):
        read = collections.Counter()
        for stream in lane_keys(world_size, batch_size, num_workers, 3 * per_lane).values():
            dataset = shard_set(root, *layout)  # one per worker, as each worker has its copy
            for key in stream[p * per_lane : (p + 1) * per_lane]:
                read[dataset[key]['video_id']] += 1
        assert set(read) == set(keys)
        assert sum(read.values()) - N == lanes * per_lane - N  # the wrap-around repeats
        passes.append(read)
    assert sum(c for c in passes[0].values()) == sum(c for c in passes[1].values())


def test_order_is_a_function_of_seed_and_pass(corpus):
    root, _ = corpus
    ids = [[shard_set(root)[k]['video_id'] for k in range(2 * N)] for _ in range(2)]
    assert ids[0] == ids[1]
    assert sorted(ids[0][:N]) == sorted(ids[0][N:])
    assert ids[0][:N] != ids[0][N:]  # a new shard order in the second pass
    other = VideoTextShardDataset(data_root=str(root), manifest='manifest.json', seed=4)
    assert [other[k]['video_id'] for k in range(N)] != ids[0][:N]


def test_each_worker_reads_its_shards_front_to_back(corpus, monkeypatch):
    root, _ = corpus
    opened = []

    class Counting(TarSamples):
        def __init__(self, path):
            opened.append(path)
            super().__init__(path)

    monkeypatch.setattr('vtp.datasets.video_text_shard_dataset.TarSamples', Counting)
    per_lane = -(-N // 4)
    touched = 0
    for stream in lane_keys(2, 2, 2, per_lane).values():
        dataset = shard_set(root, 2, 2, 2)
        opened.clear()
        shards = [dataset.locate(dataset.stream_index(k))[0] for k in stream]
        for key in stream:
            dataset[key]
        runs = 1 + sum(a != b for a, b in zip(shards, shards[1:]))
        assert len(opened) == runs == len(set(shards))  # each shard opened once, in order
        touched += len(set(shards))
    assert touched <= 5 + 4 - 1  # lanes share shards only where a range ends mid-shard


def test_resume_mid_shard_continues_the_uninterrupted_ids(corpus):
    root, _ = corpus
    stream = lane_keys(1, 2, 2, 3 * N)[0, 1]
    whole = [d['video_id'] for d in map(shard_set(root, 1, 2, 2).__getitem__, stream)]
    for start in (1, 7, N + 2):  # mid-shard, later, in the second pass
        resumed = shard_set(root, 1, 2, 2)
        assert [resumed[k]['video_id'] for k in stream[start:]] == whole[start:]


def test_dataloader_with_workers_resumes_exactly(corpus):
    root, _ = corpus

    def batches(start, count):
        dataset = shard_set(root, 1, 2, 2)
        sampler = InfiniteSampler(dataset, shuffle=False, seed=0)
        sampler.set_start(start * 2)
        loader = DataLoader(dataset, 2, sampler=sampler, num_workers=2, collate_fn=list)
        ids = []
        for batch, _ in zip(loader, range(count)):
            ids.append([d['video_id'] for d in batch])
        return ids

    assert batches(3, 4) == batches(0, 7)[3:]


def test_stream_layout_names_what_the_samples_of_keys_depend_on(corpus):
    root, _ = corpus
    dataset = shard_set(root, 2, 4, 3)
    assert dataset.stream_layout() == dict(ranks=2, workers=3, batch_size=4, interleave=1)
    keys = range(3 * N)
    ids = [dataset[k]['video_id'] for k in keys]
    for layout in ((1, 4, 3), (2, 2, 3), (2, 4, 1)):  # each value changes the samples
        assert [shard_set(root, *layout)[k]['video_id'] for k in keys] != ids, layout


@pytest.mark.parametrize('size', [1, 7, 12])
@pytest.mark.parametrize('parts', [1, 3, 5])
def test_interleaved_is_a_round_robin_bijection(size, parts):
    places = [interleaved(o, size, parts) for o in range(size)]
    assert sorted(places) == list(range(size))
    if parts == 1:
        assert places == list(range(size))
    if (size, parts) == (12, 3):
        assert places[:4] == [0, 4, 8, 1]
    if (size, parts) == (7, 3):  # parts of 3, 2, 2 samples
        assert places == [0, 3, 5, 1, 4, 6, 2]


def test_interleaved_shards_keep_passes_and_exact_resume(tmp_path):
    write_shard_corpus(tmp_path, [6] * 6)
    per_lane = 36 // 2  # 2 lanes (workers) of 18 samples: 3 parts of 6 each
    read = collections.Counter()
    for stream in lane_keys(1, 2, 2, 2 * per_lane).values():
        dataset = shard_set(tmp_path, 1, 2, 2, interleave=3)
        ids = [dataset[k]['video_id'] for k in stream]
        read.update(ids[:per_lane])
        assert len({i[:5] for i in ids[:3]}) == 3  # three shards in turn
        assert len(dataset._open) <= 4  # a reader per part, one spare
        resumed = shard_set(tmp_path, 1, 2, 2, interleave=3)
        start = per_lane + 5  # mid-pass, mid-shard
        assert [resumed[k]['video_id'] for k in stream[start:]] == ids[start:]
    assert set(read.values()) == {1} and len(read) == 36  # one pass: every sample once
    plain = shard_set(tmp_path, 1, 2, 2)
    assert plain.stream_layout()['interleave'] == 1
    mixed = shard_set(tmp_path, 1, 2, 2, interleave=3)
    assert [plain[k]['video_id'] for k in range(12)] != [mixed[k]['video_id'] for k in range(12)]


def test_broken_shards_are_replaced_and_reported(corpus):
    root, keys = corpus
    data = (root / 'shard-00001.tar').read_bytes()
    (root / 'shard-00001.tar').write_bytes(data[: len(data) // 2])  # manifest still says 5
    (root / 'shard-00003.tar').write_bytes(b'garbage' * 300)
    dataset = shard_set(root)
    os.remove(root / 'shard-00005.tar')  # vanishes after start-up
    reasons = collections.Counter()
    ids = []
    for key in range(N):
        sample = dataset[key]
        ids.append(sample['video_id'])
        reasons.update(f['reason'] for f in sample.get('failures', []))
    assert set(reasons) == {'truncated shard', 'unreadable shard', 'missing shard'}
    assert reasons['unreadable shard'] + reasons['missing shard'] >= 4 + 6
    readable = {k for k in keys if not k.startswith(('00003', '00005'))}
    assert set(ids) <= readable


def test_counts_without_a_manifest_exclude_the_cut_samples(corpus):
    root, _ = corpus
    data = (root / 'shard-00001.tar').read_bytes()
    (root / 'shard-00001.tar').write_bytes(data[: len(data) // 2])
    dataset = shard_set(root, shards='shard-{00000..00005}.tar', manifest=None)
    assert 0 < dataset.sizes[1] < 5
    assert not any('failures' in dataset[k] for k in range(len(dataset)))


def test_counting_at_start_up_names_every_shard_it_cannot_count(corpus):
    root, _ = corpus
    os.remove(root / 'shard-00001.tar')
    (root / 'shard-00003.tar').write_bytes(b'<html>403 Forbidden</html>' * 40)
    joined = (root / 'shard-00000.tar').read_bytes() + (root / 'shard-00004.tar').read_bytes()
    (root / 'shard-00005.tar').write_bytes(joined)  # cat shard-00000.tar shard-00004.tar
    with pytest.raises(ValueError) as error:
        shard_set(root, shards='shard-{00000..00005}.tar', manifest=None)
    lines = str(error.value).splitlines()
    assert lines[0] == (
        'VideoTextShardDataset: 3 of 6 shards cannot be counted (replace them or leave them '
        'out of `shards`):'
    )
    assert lines[1] == f'  {root}/shard-00001.tar: missing shard ' + (
        f"([Errno 2] No such file or directory: '{root}/shard-00001.tar')"
    )
    assert lines[2] == f'  {root}/shard-00003.tar: unreadable shard (not a tar: invalid header)'
    assert lines[3].startswith(f'  {root}/shard-00005.tar: unreadable shard (data after the')


def test_a_caption_not_in_utf8_is_a_sample_error(tmp_path):
    samples = [
        ('latin', {'mp4': b'v', 'txt': 'caf\xe9'.encode('latin-1')}),
        ('good', {'mp4': b'v', 'txt': 'café'.encode()}),
    ]
    write_shard(str(tmp_path / 's.tar'), samples)
    dataset = shard_set(tmp_path, shards='s.tar', manifest=None, shuffle=False)
    with pytest.raises(SampleError, match=r's.tar/latin: caption is not UTF-8 \(.* at byte 3\)'):
        dataset.get_data_info(0)
    assert dataset.get_data_info(1)['text'] == 'café'
    failures = dataset[0]['failures']
    assert failures == [dict(path=f'{tmp_path}/s.tar/latin', reason='caption is not UTF-8')]
    assert dataset[0]['video_id'] == 'good'


def test_shards_behind_an_fsspec_url(corpus):
    fsspec = pytest.importorskip('fsspec')
    root, keys = corpus
    fs = fsspec.filesystem('memory')
    for path in root.iterdir():
        fs.pipe(f'/vtp-shards/{path.name}', path.read_bytes())
    dataset = shard_set('memory://vtp-shards', shuffle=False)
    assert [dataset[k]['video_id'] for k in range(N)] == keys
    scanned = shard_set('memory://vtp-shards', shards='shard-{00000..00005}.tar', manifest=None)
    assert scanned.sizes.tolist() == SIZES


def test_decodes_clips_from_memory_with_the_file_pipeline(tmp_path):
    clip = open(write_mp4(tmp_path / 'clip.mp4', num_frames=8), 'rb').read()
    write_shard_corpus(tmp_path / 'shards', [2], media=dict(mp4=clip))
    pipeline = [
        dict(type='OpenVideo'),
        dict(type='SampleFrames', num_frames=2),
        dict(type='DecodeVideo'),
    ]
    dataset = shard_set(tmp_path / 'shards', pipeline=pipeline)
    sample = dataset[0]
    assert 'failures' not in sample
    assert sample['imgs'].shape[0] == 2
    reference = dict(filename=str(tmp_path / 'clip.mp4'), frame_inds=sample['frame_inds'])
    for transform in dataset.pipeline.transforms[::2]:  # open, decode the same frames
        reference = transform(reference)
    np.testing.assert_array_equal(sample['imgs'], reference['imgs'])


def test_mixed_with_a_file_corpus_keeps_ratios_and_passes(corpus, tmp_path):
    root, keys = corpus
    other = shutil.copytree(root, tmp_path / 'other')
    mixed = MixedDataset(
        [shard_set(root), shard_set(other)], ratios=[3, 1], names=['a', 'b'], seed=0
    )
    corpora = collections.Counter()
    first = []
    for key in range(40):
        corpus_index, corpus_key = mixed.locate(key)
        corpora[corpus_index] += 1
        if corpus_index == 0 and len(first) < N:
            first.append(mixed.datasets[0][corpus_key]['video_id'])
    assert corpora == {0: 30, 1: 10}
    assert sorted(first) == sorted(keys)


def test_needs_stream_positions_in_order(corpus):
    root, _ = corpus
    with pytest.raises(ValueError, match=r'VideoTextShardDataset shuffles its samples itself'):
        InfiniteSampler(shard_set(root), shuffle=True)
    with pytest.raises(ValueError, match='needs shards, a manifest, or both'):
        VideoTextShardDataset()


@pytest.mark.parametrize('interleave', [0, '2', 2.0])
def test_interleave_must_be_a_positive_int(corpus, interleave):
    message = f'VideoTextShardDataset: interleave must be an int >= 1, got {interleave!r}'
    with pytest.raises(ValueError, match=f'^{re.escape(message)}$'):
        shard_set(corpus[0], interleave=interleave)
