"""Galleries of videos: a folder, a list and an annotation file give the same items; the video
part of the test pipeline reads a clip and reports an unreadable file by its path."""

import os
import os.path as osp
import shutil
from pathlib import Path

import numpy as np
import pytest
from mmengine.config import Config

from vtp.apis.video_items import (
    VideoItems,
    annotation_items,
    collate_video_items,
    gallery_items,
    item_identity,
    list_videos,
    split_pipeline,
)
from vtp.registry import DATASETS


@pytest.fixture
def cfg(toy_gallery, monkeypatch):
    monkeypatch.chdir(toy_gallery['root'])
    return Config.fromfile(toy_gallery['config'])


def test_folder_list_and_annotation_file_give_the_same_videos(cfg, toy_gallery, tmp_path):
    from_ann = gallery_items(toy_gallery['ann_file'], cfg)
    paths = [item['filename'] for item in from_ann]
    assert [osp.basename(p) for p in paths] == [f'video{7000 + i}.mp4' for i in range(5)]
    assert all(item['text'] for item in from_ann)  # the dataset's fields are kept
    assert gallery_items(paths, cfg) == [dict(filename=p) for p in paths]

    folder = tmp_path / 'gallery'
    (folder / 'nested').mkdir(parents=True)
    for i, path in enumerate(paths):
        shutil.copy(path, folder / ('nested' if i % 2 else '') / osp.basename(path))
    (folder / 'notes.txt').write_text('not a video')
    from_folder = gallery_items(str(folder), cfg)
    assert sorted(osp.basename(item['filename']) for item in from_folder) == sorted(
        osp.basename(p) for p in paths
    )
    assert [item['filename'] for item in from_folder] == list_videos(str(folder))
    assert list_videos(str(folder)) == sorted(list_videos(str(folder)))
    assert gallery_items(paths[0], cfg) == [dict(filename=paths[0])]  # one video file
    picture = tmp_path / 'still.JPG'  # not read as an annotation file (its bytes are binary)
    picture.write_bytes(b'\xff\xd8\xff\x00')
    assert gallery_items(picture, cfg) == [dict(filename=str(picture))]
    # pathlib paths, as galleries and as their items
    assert gallery_items(folder, cfg) == from_folder
    assert gallery_items(Path(paths[0]), cfg) == [dict(filename=paths[0])]
    assert gallery_items([Path(p) for p in paths], cfg) == [dict(filename=p) for p in paths]
    # bytes paths, numpy arrays and generators of paths
    assert gallery_items(paths[0].encode(), cfg) == [dict(filename=paths[0])]
    assert gallery_items([p.encode() for p in paths], cfg) == [dict(filename=p) for p in paths]
    assert gallery_items(np.array(paths), cfg) == [dict(filename=p) for p in paths]
    assert gallery_items((p for p in paths), cfg) == [dict(filename=p) for p in paths]


def test_missing_or_empty_galleries_are_named(cfg, tmp_path):
    with pytest.raises(FileNotFoundError, match='gallery not found: .*absent'):
        gallery_items(str(tmp_path / 'absent'), cfg)
    empty = tmp_path / 'empty'
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match=f'no video files .* under {empty}'):
        gallery_items(str(empty), cfg)
    for empty in ([], np.array([]), (p for p in ())):
        with pytest.raises(ValueError, match='the gallery is empty'):
            gallery_items(empty, cfg)


def test_split_pipeline_keeps_order_and_needs_a_tokenizer(cfg):
    pipeline = cfg.test_dataloader.dataset.pipeline
    video, text = split_pipeline(pipeline)
    assert [t['type'] for t in video] == [
        t['type'] for t in pipeline if t['type'] not in ('TokenizeText', 'MaskTokens')
    ]
    assert [t['type'] for t in text] == ['TokenizeText']
    with pytest.raises(ValueError, match='no TokenizeText'):
        split_pipeline(video)


def test_video_items_read_a_clip_and_report_an_unreadable_file(cfg, toy_gallery, tmp_path):
    good = osp.join(toy_gallery['root'], 'data/msrvtt/videos/video7000.mp4')
    broken = tmp_path / 'broken.mp4'
    broken.write_bytes(b'not a video' * 50)
    video, _ = split_pipeline(cfg.test_dataloader.dataset.pipeline)
    items = VideoItems([dict(filename=good, text='dropped'), dict(filename=str(broken))], video)
    read, failed = items[0], items[1]
    assert read['index'] == 0 and read['item']['filename'] == good
    assert read['duration'] == pytest.approx(12 / 8)  # 12 frames at 8 fps
    assert len(read['frames']) == 4 and all(0 <= f < 12 for f in read['frames'])
    assert failed['index'] == 1 and str(broken) in failed['error']
    batch = collate_video_items([read, failed])
    assert batch['read'] == [read] and batch['failed'] == [failed]


def test_item_identity_changes_with_the_file_and_the_window(tmp_path):
    path = tmp_path / 'a.mp4'
    path.write_bytes(b'one')
    first = item_identity(dict(filename=str(path)))
    assert item_identity(dict(filename=str(path))) == first
    assert item_identity(dict(filename=str(path), start=1.0, end=2.0)) != first
    path.write_bytes(b'other content')
    os.utime(path, ns=(1, 1))
    assert item_identity(dict(filename=str(path))) != first
    assert 'unreadable' in item_identity(dict(filename=str(tmp_path / 'absent.mp4')))


def test_an_annotation_file_stands_for_the_file_that_lists_the_test_set(cfg, toy_gallery, tmp_path):
    """MSR-VTT's test set is its split_file (JSFusion CSV): a user's CSV of two clips gives
    those two, not the config's five; a file that does not exist is an error, not the config's
    test set."""
    lines = Path(toy_gallery['ann_file']).read_text().splitlines()
    mine = tmp_path / 'mine.csv'
    mine.write_text('\n'.join(lines[:3]) + '\n')
    items = gallery_items(str(mine), cfg)
    assert [item['video_id'] for item in items] == ['video7000', 'video7001']
    with pytest.raises(FileNotFoundError, match='annotation file not found: .*absent.json'):
        annotation_items(cfg, str(tmp_path / 'absent.json'))


@pytest.mark.parametrize(
    'kind, expected',
    [
        ('MSRVTTDataset', dict(ann_file='data.json', split_file='mine')),
        ('MSVDDataset', dict(ann_file='data.json', split_file='mine')),
        ('VATEXDataset', dict(ann_file='mine', split_file=None)),
        ('DiDeMoDataset', dict(ann_file='mine', split_file='ids.txt')),
    ],
)
def test_each_dataset_says_which_file_a_user_annotation_replaces(kind, expected):
    cfg = dict(type=kind, ann_file='data.json', split_file='ids.txt')
    assert DATASETS.get(kind).reading(cfg, 'mine') == dict(type=kind, **expected)
