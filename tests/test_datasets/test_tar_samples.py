"""Tests for ``TarSamples``: grouping members into samples, skipping, damaged shards."""

import pytest

from vtp.datasets.sample_error import SampleError
from vtp.datasets.tar_samples import TarSamples, count_samples, split_member
from vtp.testing import write_shard_corpus


def test_keys_end_at_the_first_dot_of_the_last_component():
    assert split_member('a/b.c.MP4') == ('a/b', 'c.mp4')
    assert split_member('k.txt') == ('k', 'txt')


def test_read_skip_and_count(tmp_path):
    keys = write_shard_corpus(tmp_path, [5])
    samples = TarSamples(str(tmp_path / 'shard-00000.tar'))
    key, files = samples.read()
    assert (key, sorted(files)) == (keys[0], ['json', 'mp4', 'txt'])
    assert files['txt'] == f'caption {keys[0]}'.encode()
    assert samples.skip(2) == 2
    assert samples.read()[0] == keys[3]
    assert samples.position == 4
    assert samples.count() == 1
    assert samples.read() is None
    assert not samples.truncated
    samples.close()


def test_a_truncated_shard_keeps_its_complete_samples(tmp_path):
    write_shard_corpus(tmp_path, [6])
    path = tmp_path / 'shard-00000.tar'
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    complete = count_samples(str(path))
    assert 0 < complete < 6
    samples = TarSamples(str(path))
    assert [samples.read()[0] for _ in range(complete)] == [
        f'00000-{s:04d}' for s in range(complete)
    ]
    try:  # the cut sample: its header may be whole and its data not, or its header cut
        assert samples.read() is None
    except SampleError as e:
        assert e.reason == 'truncated shard'
    assert samples.truncated


def test_missing_empty_and_garbage_shards(tmp_path):
    with pytest.raises(SampleError, match='missing shard'):
        TarSamples(str(tmp_path / 'gone.tar'))
    (tmp_path / 'empty.tar').write_bytes(b'')
    assert TarSamples(str(tmp_path / 'empty.tar')).read() is None
    (tmp_path / 'junk.tar').write_bytes(b'not a tar' * 200)
    with pytest.raises(SampleError, match='unreadable shard'):
        TarSamples(str(tmp_path / 'junk.tar'))
    assert count_samples(str(tmp_path / 'junk.tar')) == count_samples(str(tmp_path / 'gone.tar'))
