"""Tests for ``TarSamples``: grouping members into samples, skipping, damaged shards."""

import io
import tarfile

import pytest

from vtp.datasets import tar_samples
from vtp.datasets.sample_error import SampleError
from vtp.datasets.tar_samples import TarSamples, count_samples, split_member
from vtp.testing import write_shard_corpus


def write_tar(path, members):
    """A tar of ``members`` ``[(name, bytes), ...]`` in order, duplicates kept."""
    with tarfile.open(path, 'w') as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return str(path)


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
    complete, truncated = count_samples(str(path))
    assert 0 < complete < 6 and truncated
    samples = TarSamples(str(path))
    assert [samples.read()[0] for _ in range(complete)] == [
        f'00000-{s:04d}' for s in range(complete)
    ]
    try:  # the cut sample: its header may be whole and its data not, or its header cut
        assert samples.read() is None
    except SampleError as e:
        assert e.reason == 'truncated shard'
    assert samples.truncated


def test_a_sample_cut_between_its_files_is_left_out(tmp_path):
    members = [('a.mp4', b'a'), ('a.txt', b'one'), ('b.mp4', b'b'), ('b.txt', b'two')]
    path = write_tar(tmp_path / 'x.tar', members)
    data = (tmp_path / 'x.tar').read_bytes()
    (tmp_path / 'x.tar').write_bytes(data[: 3 * 1024])  # b.mp4 whole (header + block), b.txt lost
    assert count_samples(path) == (1, True)
    samples = TarSamples(path)
    assert samples.read() == ('a', {'mp4': b'a', 'txt': b'one'})
    assert samples.read() is None and samples.truncated


def test_missing_empty_and_garbage_shards(tmp_path):
    with pytest.raises(SampleError, match='missing shard'):
        TarSamples(str(tmp_path / 'gone.tar'))
    (tmp_path / 'empty.tar').write_bytes(b'')
    assert TarSamples(str(tmp_path / 'empty.tar')).read() is None
    (tmp_path / 'junk.tar').write_bytes(b'not a tar' * 200)
    with pytest.raises(SampleError, match='unreadable shard'):
        TarSamples(str(tmp_path / 'junk.tar'))
    assert count_samples(str(tmp_path / 'empty.tar')) == (0, False)


def test_counting_refuses_missing_garbage_and_joined_shards(tmp_path):
    with pytest.raises(SampleError, match=r'gone.tar: missing shard'):
        count_samples(str(tmp_path / 'gone.tar'))
    (tmp_path / 'page.tar').write_bytes(b'<html>403 Forbidden</html>' * 40)
    with pytest.raises(SampleError, match=r'page.tar: unreadable shard \(not a tar'):
        count_samples(str(tmp_path / 'page.tar'))
    first = write_tar(tmp_path / 'p.tar', [('a.mp4', b'a'), ('a.txt', b'one')])
    second = write_tar(tmp_path / 'q.tar', [('b.mp4', b'b'), ('b.txt', b'two')])
    assert count_samples(first) == (1, False)
    joined = tmp_path / 'joined.tar'  # cat p.tar q.tar
    joined.write_bytes((tmp_path / 'p.tar').read_bytes() + (tmp_path / 'q.tar').read_bytes())
    size = len((tmp_path / 'p.tar').read_bytes())
    with pytest.raises(SampleError, match=f'joined.tar: unreadable shard .*marker at byte {size}'):
        count_samples(str(joined))
    assert count_samples(second) == (1, False)


def test_the_tail_after_the_archive_is_read_in_bounded_chunks(tmp_path, monkeypatch):
    path = tmp_path / 'tail.tar'
    write_tar(path, [('a.mp4', b'abc')])
    end = len(path.read_bytes())
    with open(path, 'ab') as f:
        f.write(b'\0' * 20_000 + b'\1' * 50_000)  # padding, then a second archive
    reads = []

    class Recording(io.BytesIO):
        def read(self, size=-1):
            data = super().read(size)
            reads.append(len(data))
            return data

    monkeypatch.setattr(tar_samples, 'CHUNK', 4096)
    monkeypatch.setattr(tar_samples, 'open_binary', lambda p: Recording(path.read_bytes()))
    samples = TarSamples(str(path))
    assert samples.count() == 1
    assert (samples.truncated, samples.trailing_data) == (False, end + 20_000)
    assert max(reads) <= 4096
    assert sum(reads) <= end + 20_000 + 4096  # stopped at the first non-zero byte


def test_a_damaged_header_is_a_truncation_not_trailing_data(tmp_path):
    path = tmp_path / 'x.tar'
    write_tar(path, [('a.mp4', b'a'), ('b.mp4', b'b'), ('c.mp4', b'c')])
    data = bytearray(path.read_bytes())
    data[2048:2560] = b'\x7f' * 512  # c's header
    path.write_bytes(bytes(data))
    assert count_samples(str(path)) == (1, True)  # b may lack files after it: left out too


def test_two_members_with_one_extension_are_a_sample_error(tmp_path):
    path = write_tar(
        tmp_path / 'x.tar',
        [('d.mp4', b'first'), ('d.mp4', b'second'), ('d.txt', b'dup'), ('e.mp4', b'e')],
    )
    samples = TarSamples(path)
    with pytest.raises(SampleError, match=r'x.tar/d: duplicate member \(d.mp4 appears twice\)'):
        samples.read()
    assert samples.read() == ('e', {'mp4': b'e'})


def test_a_download_stopped_in_a_preallocated_file_is_a_truncation(tmp_path):
    """The bytes that did not arrive are zeros, as aria2c or a torrent client leave a file:
    read as the archive's end, the cut sample (its video half zeros, its caption lost) was
    counted and the shard called whole."""
    write_shard_corpus(tmp_path, [50], media={'mp4': bytes(range(256)) * 200}, manifest=False)
    path = tmp_path / 'shard-00000.tar'
    data = path.read_bytes()
    whole, _ = count_samples(str(path))
    cut = int(len(data) * 0.4)
    path.write_bytes(data[:cut] + bytes(len(data) - cut))
    complete, truncated = count_samples(str(path))
    assert truncated and complete <= 0.4 * whole  # the cut sample (the 21st) left out
    samples = TarSamples(str(path))
    assert all(sorted(samples.read()[1]) == ['json', 'mp4', 'txt'] for _ in range(complete))
    assert samples.read() is None


def test_padding_of_a_tar_record_is_not_a_truncation(tmp_path):
    path = write_tar(tmp_path / 'padded.tar', [('a.txt', b'x'), ('a.mp4', b'y')])
    data = open(path, 'rb').read()
    assert count_samples(path) == (1, False)
    with open(path, 'wb') as f:  # a 1 MiB record (tar -b 2048)
        f.write(data + bytes((1 << 20) - len(data) % (1 << 20)))
    assert count_samples(path) == (1, False)
