"""Tests for ``VATEXDataset``: English or Chinese captions, the optional split id list, and
errors naming file, line and field."""

import json
import os.path as osp
from pathlib import Path

import pytest

from vtp.datasets import AnnotationError, VATEXDataset
from vtp.registry import DATASETS
from vtp.testing import check_annotation_error


def build(ann_file, prefix: str = 'videos', **kwargs) -> VATEXDataset:
    return DATASETS.build(
        dict(
            type='VATEXDataset',
            ann_file=str(ann_file),
            data_prefix=dict(video=prefix),
            pipeline=[],
            **kwargs,
        )
    )


def infos(dataset) -> list:
    return [dataset.get_data_info(i) for i in range(len(dataset))]


def video_id(v: int) -> str:
    return f'Ptf_2VRj-V0_{v:06d}_{v + 10:06d}'


def entry(v: int) -> dict:
    return dict(
        videoID=video_id(v),
        enCap=[f'clip {v} take {j}' for j in range(3)],
        chCap=[f'第{v}个视频的第{j}句' for j in range(3)],
    )


def write_json(tmp_path: Path, content, name: str = 'vatex_validation_v1.0.json') -> Path:
    """Pretty-printed with ``indent=2``: each entry starts on a line ``  {``."""
    path = tmp_path / name
    path.write_text(json.dumps(content, indent=2, ensure_ascii=False), encoding='utf-8')
    return path


def write_split(tmp_path: Path, ids, name: str = 'test_list.txt') -> Path:
    path = tmp_path / name
    path.write_text(''.join(f'{i}\n' for i in ids), encoding='utf-8')
    return path


def entry_line(path: Path, index: int) -> int:
    """Line on which the ``index``-th entry of the top-level list starts."""
    lines = path.read_text(encoding='utf-8').splitlines()
    return [n for n, line in enumerate(lines, 1) if line == '  {'][index]


def test_english_captions_by_default(tmp_path):
    prefix = str(tmp_path / 'videos')
    dataset = build(write_json(tmp_path, [entry(1), entry(2)]), prefix)
    assert isinstance(dataset, VATEXDataset)
    first, second = infos(dataset)
    assert first['video_id'] == video_id(1)
    assert first['filename'] == osp.join(prefix, video_id(1) + '.mp4')
    assert first['text'] == ['clip 1 take 0', 'clip 1 take 1', 'clip 1 take 2']
    assert second['text'] == ['clip 2 take 0', 'clip 2 take 1', 'clip 2 take 2']
    # With an empty pipeline the sample is the data info itself.
    assert dataset[0]['text'] == first['text']


def test_chinese_captions(tmp_path):
    info = build(write_json(tmp_path, [entry(4)]), language='zh').get_data_info(0)
    assert info['text'] == ['第4个视频的第0句', '第4个视频的第1句', '第4个视频的第2句']
    assert info['video_id'] == video_id(4)


@pytest.mark.parametrize('language', ['english', 'EN', 'ch', 'cn', '', None])
def test_invalid_language(tmp_path, language):
    path = write_json(tmp_path, [entry(1)])
    with pytest.raises(ValueError, match='language'):
        build(path, language=language)


def test_captions_are_stripped_and_empty_ones_kept(tmp_path):
    content = [dict(videoID='v', enCap=['  padded  ', '', 'plain'], chCap=[])]
    assert build(write_json(tmp_path, content)).get_data_info(0)['text'] == ['padded', '', 'plain']


def test_other_language_is_not_checked(tmp_path):
    content = [dict(videoID='v', enCap=['an english caption'])]
    assert build(write_json(tmp_path, content)).get_data_info(0)['text'] == ['an english caption']


def test_split_file_keeps_listed_ids_in_json_order(tmp_path):
    path = write_json(tmp_path, [entry(v) for v in range(10, 16)])
    split = write_split(tmp_path, [video_id(14), video_id(11), '', video_id(12)])
    ids = [info['video_id'] for info in infos(build(path, split_file=str(split)))]
    assert ids == [video_id(11), video_id(12), video_id(14)]


def test_entries_outside_the_split_are_not_checked(tmp_path):
    content = [entry(1), dict(videoID=video_id(2), enCap=[3]), entry(3)]
    split = write_split(tmp_path, [video_id(3), video_id(1)])
    ids = [
        info['video_id']
        for info in infos(build(write_json(tmp_path, content), split_file=str(split)))
    ]
    assert ids == [video_id(1), video_id(3)]


def test_split_file_and_ann_file_are_joined_with_data_root(tmp_path):
    write_json(tmp_path, [entry(1), entry(2)])
    write_split(tmp_path, [video_id(2)], 'val_list.txt')
    dataset = build(
        'vatex_validation_v1.0.json',
        'clips',
        data_root=str(tmp_path),
        split_file='val_list.txt',
        video_ext='.webm',
    )
    assert dataset.split_file == osp.join(str(tmp_path), 'val_list.txt')
    info = dataset.get_data_info(0)
    assert info['video_id'] == video_id(2)
    assert info['filename'] == osp.join(str(tmp_path), 'clips', video_id(2) + '.webm')


@pytest.mark.parametrize('listed, line', [(['another_id'], 1), ([video_id(1), 'another_id'], 2)])
def test_listed_id_missing_from_the_annotation_is_an_error(tmp_path, listed, line):
    """A mismatched id list would quietly shrink the test set: it names the id and line."""
    path = write_json(tmp_path, [entry(1)])
    split = write_split(tmp_path, listed)
    with pytest.raises(AnnotationError, match="'another_id' is not in") as excinfo:
        build(path, split_file=str(split))
    check_annotation_error(excinfo, split, line, 'video_id')


@pytest.mark.parametrize('split', [False, True])
def test_video_id_given_twice_is_an_error(tmp_path, split):
    """With a split list the second entry was dropped; without, the video was in the
    gallery twice."""
    content = [entry(1), entry(2), dict(entry(1), enCap=['other captions'])]
    path = write_json(tmp_path, content)
    split_file = str(write_split(tmp_path, [video_id(1), video_id(2)])) if split else None
    with pytest.raises(AnnotationError, match=f'first at line {entry_line(path, 0)}') as excinfo:
        build(path, split_file=split_file)
    check_annotation_error(excinfo, path, entry_line(path, 2), 'videoID')
    assert f'duplicate id {video_id(1)!r}' in str(excinfo.value)


def test_id_listed_twice_in_the_split_file_is_an_error(tmp_path):
    path = write_json(tmp_path, [entry(1), entry(2)])
    split = write_split(tmp_path, [video_id(1), video_id(2), '', video_id(1)])
    with pytest.raises(AnnotationError, match=r'duplicate id .* \(first at line 1\)') as excinfo:
        build(path, split_file=str(split))
    check_annotation_error(excinfo, split, 4, 'video_id')


@pytest.mark.parametrize(
    'language, bad, field',
    [
        ('en', dict(videoID='v', chCap=['x']), 'enCap'),
        ('en', dict(videoID='v', enCap=None), 'enCap'),
        ('en', dict(videoID='v', enCap='a single string'), 'enCap'),
        ('en', dict(videoID='v', enCap=[]), 'enCap'),
        ('en', dict(videoID='v', enCap=['ok', 3]), 'enCap[1]'),
        ('en', dict(videoID='v', enCap=[None]), 'enCap[0]'),
        ('en', dict(videoID='v', enCap=['ok', 'ok', ['nested']]), 'enCap[2]'),
        ('zh', dict(videoID='v', enCap=['x']), 'chCap'),
        ('zh', dict(videoID='v', chCap=['好', 7]), 'chCap[1]'),
        ('en', dict(enCap=['no id']), 'videoID'),
        ('en', dict(videoID=12, enCap=['int id']), 'videoID'),
    ],
)
def test_bad_entry_names_file_line_and_field(tmp_path, language, bad, field):
    content = [entry(v) for v in range(4)]
    content.insert(3, bad)
    path = write_json(tmp_path, content)
    line = entry_line(path, 3)
    assert line > 20
    with pytest.raises(AnnotationError) as excinfo:
        build(path, language=language)
    check_annotation_error(excinfo, path, line, field)


def test_bad_listed_entry_with_split_file(tmp_path):
    content = [entry(1), dict(videoID=video_id(2), enCap=['ok', 5])]
    path = write_json(tmp_path, content)
    split = write_split(tmp_path, [video_id(2)])
    with pytest.raises(AnnotationError) as excinfo:
        build(path, split_file=str(split))
    check_annotation_error(excinfo, path, entry_line(path, 1), 'enCap[1]')


def test_entry_not_an_object(tmp_path):
    path = write_json(tmp_path, [entry(1), video_id(2)])
    line = path.read_text().splitlines().index(f'  "{video_id(2)}"') + 1
    with pytest.raises(AnnotationError) as excinfo:
        build(path)
    check_annotation_error(excinfo, path, line, '<entry>')


def test_root_not_a_list(tmp_path):
    path = write_json(tmp_path, dict(videos=[entry(1)]))
    with pytest.raises(AnnotationError) as excinfo:
        build(path)
    check_annotation_error(excinfo, path, 1, '<root>')
