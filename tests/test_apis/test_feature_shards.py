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


def unit(i: int, dim: int = 4) -> torch.Tensor:
    """Video ``i``'s embedding: a unit vector (as vtp's models give) whose first value is not
    exact in float16."""
    return torch.nn.functional.normalize(torch.arange(dim) + i + 1 / 3, dim=0)


def results(start: int, num: int, bad=(), dim: int = 4):
    out = []
    for i in range(start, start + num):
        item = dict(filename=f'v{i}.mp4', video_id=f'v{i}')
        if i in bad:
            out.append(dict(index=i, item=item, error=f'v{i}.mp4: missing file'))
        else:
            embed = unit(i, dim)
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
    np.testing.assert_array_equal(embeds[:2], torch.stack([unit(0), unit(2)]))  # float32: exact
    assert embeds[2, 0] == np.float16(unit(3)[0]) != unit(3)[0]  # float16 shard
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


def shard_folder(tmp_path, shard_size: int = 3):
    """Features of 5 videos (v1 unreadable) in shards of ``shard_size``."""
    out = str(tmp_path)
    check_manifest(out, dict(num_items=5, shard_size=shard_size, key='abc'))
    for i, start in enumerate(range(0, 5, shard_size)):
        write_shard(out, i, results(start, min(shard_size, 5 - start), bad={1}), dtype='float32')
    return tmp_path


def damage(folder, how: str) -> None:
    npy, csv_file, manifest = (
        folder / f for f in ('shard_00000.npy', 'shard_00000.csv', 'manifest.json')
    )
    array = np.load(npy)
    if how == 'a row lost':
        np.save(npy, array[:1])
    elif how == 'a row too many':
        np.save(npy, np.concatenate([array, array[:1]]))
    elif how == 'another width':
        np.save(npy, array[:, :3] / np.linalg.norm(array[:, :3], axis=1, keepdims=True))
    elif how == 'one-dimensional':
        np.save(npy, array[0])
    elif how in ('a NaN', 'an infinity', 'scaled'):
        array[1] = {'a NaN': np.nan, 'an infinity': np.inf, 'scaled': array[1] * 1000}[how]
        np.save(npy, array)
    elif how == 'an object array':
        np.save(npy, np.array([{'a': 1}], dtype=object), allow_pickle=True)
    elif how == 'junk table':
        csv_file.write_text('junk\n1\n')
    elif how == 'num_items missing':
        manifest.write_text(json.dumps(dict(shard_size=3, key='abc')))
    elif how == 'num_items too small':
        manifest.write_text(json.dumps(dict(num_items=4, shard_size=3, key='abc')))


@pytest.mark.parametrize(
    'how, message',
    [
        ('a row lost', r'shard_00000.csv numbers 2 readable videos \(0, 1\), .*holds 1 embeddings'),
        ('a row too many', r'shard_00000.npy holds 3 embeddings'),
        (
            'another width',
            r'shard_00001.npy holds embeddings of width 4, shard_00000.npy and others 3',
        ),
        ('one-dimensional', r'shard_00000.npy: expected \(rows, width\) floats'),
        (
            'a NaN',
            r'shard_00000.npy: 1 of 2 embeddings are not finite unit vectors \(row 1: norm nan',
        ),
        ('an infinity', r'1 of 2 embeddings are not finite unit vectors \(row 1: norm inf'),
        ('scaled', r'1 of 2 embeddings are not finite unit vectors \(row 1: norm 1000'),
        ('an object array', r'shard_00000.npy: not an embedding array'),
        ('junk table', r"shard_00000.csv: columns \['junk'\], expected \['index'"),
        ('num_items missing', r'manifest.json: num_items must be a whole number, got None'),
        ('num_items too small', r'the shards list 5 videos, .*manifest.json says 4'),
    ],
)
def test_damaged_features_are_refused_naming_the_file(tmp_path, how, message):
    """Never a clip's score under another's path, a silently missing clip or a fake top hit."""
    folder = shard_folder(tmp_path)
    damage(folder, how)
    with pytest.raises(ValueError, match=message):
        read_features(str(folder))
