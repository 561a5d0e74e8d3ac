"""Tests for the shard writer: members in order, reproducible bytes, whole shards only."""

import json
import tarfile

import pytest

from vtp.datasets.shard_writer import write_manifest, write_shard

SAMPLES = [('a/k0', {'mp4': b'\x00\x01', 'txt': b'one'}), ('a/k1', {'jpg': b'', 'txt': b'two'})]


def test_members_in_order_and_the_same_bytes_twice(tmp_path):
    assert write_shard(str(tmp_path / 'x.tar'), SAMPLES) == 2
    write_shard(str(tmp_path / 'y.tar'), SAMPLES)
    assert (tmp_path / 'x.tar').read_bytes() == (tmp_path / 'y.tar').read_bytes()
    with tarfile.open(tmp_path / 'x.tar') as tar:
        assert tar.getnames() == ['a/k0.mp4', 'a/k0.txt', 'a/k1.jpg', 'a/k1.txt']
        assert tar.extractfile('a/k1.txt').read() == b'two'
    assert not list(tmp_path.glob('*.partial'))


def test_a_failed_write_leaves_no_shard(tmp_path):
    with pytest.raises(ValueError, match=r"sample key 'k.2' is empty or has a dot"):
        write_shard(str(tmp_path / 'x.tar'), [('k.2', {'txt': b''})])
    assert not list(tmp_path.iterdir())


def test_manifest_lists_counts_in_order(tmp_path):
    path = write_manifest(str(tmp_path), [('b.tar', 2), ('a.tar', 0)])
    manifest = json.loads(open(path).read())
    assert manifest == dict(
        samples=2, shards=[dict(shard='b.tar', samples=2), dict(shard='a.tar', samples=0)]
    )
