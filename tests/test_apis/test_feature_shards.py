"""Feature shards: every video in exactly one shard and one process; written shards read
back in gallery order with unreadable videos listed; a folder of other features refused."""

import json

import numpy as np
import pytest
import torch

from vtp.apis.feature_shards import (
    check_manifest,
    failures,
    read_features,
    shard_done,
    shard_ranges,
    shards_of_rank,
    write_shard,
)


@pytest.mark.parametrize('num_items,shard_size', [(0, 3), (1, 3), (10, 3), (9, 3), (10, 100)])
@pytest.mark.parametrize('world_size', [1, 2, 3, 5])
def test_every_item_lands_in_one_shard_of_one_process(num_items, shard_size, world_size):
    shards = shard_ranges(num_items, shard_size)
    assert [i for shard in shards for i in shard] == list(range(num_items))
    assert all(0 < len(shard) <= shard_size for shard in shards)
    taken = [s for rank in range(world_size) for s in shards_of_rank(len(shards), rank, world_size)]
    assert sorted(taken) == list(range(len(shards)))


def test_bad_shard_arguments():
    with pytest.raises(ValueError, match='shard_size must be an int >= 1, got 0'):
        shard_ranges(10, 0)
    with pytest.raises(ValueError, match="shard_size must be an int >= 1, got '5'"):
        shard_ranges(10, '5')
    with pytest.raises(ValueError, match=r'rank must be in \[0, 2\)'):
        shards_of_rank(4, 2, 2)


def results(start: int, num: int, bad=(), dim: int = 4):
    out = []
    for i in range(start, start + num):
        item = dict(filename=f'v{i}.mp4', video_id=f'v{i}')
        if i in bad:
            out.append(dict(index=i, item=item, error=f'v{i}.mp4: missing file'))
        else:
            embed = torch.full((dim,), i + 1 / 3)
            out.append(dict(index=i, item=item, embed=embed, duration=2.5, frames=[0, 5]))
    return out


def test_shards_read_back_in_order_with_unreadable_videos_listed(tmp_path):
    out = str(tmp_path)
    manifest = dict(num_items=5, shard_size=3, key='abc')
    check_manifest(out, manifest)
    assert write_shard(out, 1, results(3, 2, bad={4})) == (1, 1)
    with pytest.raises(FileNotFoundError, match='1 of 2 shards not written yet \\(shard_00000\\)'):
        read_features(out)
    assert write_shard(out, 0, results(0, 3, bad={1}), dtype='float32') == (2, 1)
    assert shard_done(out, 0) and shard_done(out, 1)
    embeds, rows = read_features(out)
    assert [r['path'] for r in rows] == ['v0.mp4', 'v2.mp4', 'v3.mp4']
    assert rows[0]['duration'] == '2.500' and rows[0]['frames'] == '0 5'
    assert embeds.dtype == np.float32 and embeds.shape == (3, 4)
    np.testing.assert_array_equal(embeds[:2, 0], np.float32([1 / 3, 2 + 1 / 3]))  # float32: exact
    assert embeds[2, 0] == np.float16(3 + 1 / 3) != np.float32(3 + 1 / 3)  # float16 shard
    assert [r['path'] for r in failures(out)] == ['v1.mp4', 'v4.mp4']
    assert 'missing file' in failures(out)[0]['error']


def test_a_folder_of_other_features_is_refused(tmp_path):
    check_manifest(str(tmp_path), dict(num_items=5, key='abc'))
    check_manifest(str(tmp_path), dict(num_items=5, key='abc'))  # the same: resumable
    with pytest.raises(ValueError, match=r'computed differently \(key differ'):
        check_manifest(str(tmp_path), dict(num_items=5, key='other'))
    assert json.loads((tmp_path / 'manifest.json').read_text())['key'] == 'abc'


def test_a_folder_begun_before_the_model_part_of_keys_can_be_finished(tmp_path):
    old_key = dict(config='c', weights='w', files='f')
    check_manifest(str(tmp_path), dict(num_items=5, key=old_key))
    check_manifest(str(tmp_path), dict(num_items=5, key=dict(old_key, model='m')))
    with pytest.raises(ValueError, match=r'computed differently \(key differ'):
        check_manifest(str(tmp_path), dict(num_items=5, key=dict(old_key, model='m', files='g')))
    assert json.loads((tmp_path / 'manifest.json').read_text())['key'] == old_key


def test_the_same_model_from_other_paths_may_finish_a_folder(tmp_path):
    key = dict(model='m', config='c', weights='w', files='f')
    check_manifest(str(tmp_path), dict(config='/a/cfg.py', checkpoint='/a/it.pth', key=key))
    check_manifest(str(tmp_path), dict(config='/b/cfg.py', checkpoint='/b/it.pth', key=key))
    with pytest.raises(ValueError, match=r'\(key differ'):
        check_manifest(
            str(tmp_path),
            dict(config='/a/cfg.py', checkpoint='/a/it.pth', key=dict(key, weights='v')),
        )
    with pytest.raises(ValueError, match=r'\(config differ'):  # without keys, paths count
        check_manifest(str(tmp_path / 'old'), dict(config='/a/cfg.py', key='abc'))
        check_manifest(str(tmp_path / 'old'), dict(config='/b/cfg.py', key='abc'))


@pytest.mark.parametrize('text', ['null', '[1, 2]', '"key"', '{"num_items": ', '\udcff'])
def test_a_damaged_manifest_is_named_not_overwritten(tmp_path, text):
    manifest = tmp_path / 'manifest.json'
    manifest.write_bytes(text.encode('utf-8', 'surrogateescape'))
    with pytest.raises(ValueError, match=r'manifest.json is not a features manifest'):
        check_manifest(str(tmp_path), dict(num_items=5, key='abc'))
    assert manifest.read_bytes() == text.encode('utf-8', 'surrogateescape')
