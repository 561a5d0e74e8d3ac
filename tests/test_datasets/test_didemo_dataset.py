"""Tests for ``DiDeMoDataset``: moments joined into one paragraph per video, the video extension,
and errors naming file, line and field."""

import json
import os.path as osp
from pathlib import Path

import pytest

from vtp.datasets import AnnotationError, DiDeMoDataset
from vtp.registry import DATASETS
from vtp.testing import check_annotation_error

VIDEO_A = '10015567@N08_3655084291_d8b58466fa.mov'
VIDEO_B = '10044@N03_4476497017_e2ae8ab2ec.mp4'


def build(ann_file, prefix: str = 'videos', **kwargs) -> DiDeMoDataset:
    return DATASETS.build(
        dict(
            type='DiDeMoDataset',
            ann_file=str(ann_file),
            data_prefix=dict(video=prefix),
            pipeline=[],
            **kwargs,
        )
    )


def infos(dataset) -> list:
    return [dataset.get_data_info(i) for i in range(len(dataset))]


def moment(video: str, description, annotation_id: int = 0) -> dict:
    return dict(
        annotation_id=annotation_id,
        video=video,
        description=description,
        times=[[0, 1]],
        num_segments=6,
    )


def write_json(tmp_path: Path, content, name: str = 'train_data.json') -> Path:
    """Pretty-printed with ``indent=2``: each entry starts on a line ``  {``."""
    path = tmp_path / name
    path.write_text(json.dumps(content, indent=2), encoding='utf-8')
    return path


def entry_line(path: Path, index: int) -> int:
    """Line on which the ``index``-th entry of the top-level list starts."""
    lines = path.read_text(encoding='utf-8').splitlines()
    return [n for n, line in enumerate(lines, 1) if line == '  {'][index]


def test_moments_of_a_video_become_one_paragraph_in_file_order(tmp_path):
    prefix = str(tmp_path / 'videos')
    path = write_json(
        tmp_path,
        [
            moment(VIDEO_A, 'the girl waves.', 0),
            moment(VIDEO_B, 'a car drives by', 1),
            moment(VIDEO_A, '  she walks away  ', 2),
            moment(VIDEO_A, 'camera zooms in', 3),
        ],
    )
    dataset = build(path, prefix)
    assert isinstance(dataset, DiDeMoDataset)
    assert len(dataset) == 2
    first, second = infos(dataset)
    assert first['text'] == ['the girl waves. she walks away camera zooms in']
    assert first['video_id'] == '10015567@N08_3655084291_d8b58466fa'
    assert first['filename'] == osp.join(prefix, '10015567@N08_3655084291_d8b58466fa.mp4')
    assert second['text'] == ['a car drives by']
    assert second['video_id'] == '10044@N03_4476497017_e2ae8ab2ec'
    # With an empty pipeline the sample is the data info itself.
    assert dataset[0]['text'] == first['text']


def test_empty_descriptions_are_skipped_in_the_join(tmp_path):
    path = write_json(
        tmp_path,
        [
            moment(VIDEO_A, 'first'),
            moment(VIDEO_A, ''),
            moment(VIDEO_A, '   '),
            moment(VIDEO_A, 'last'),
        ],
    )
    assert build(path).get_data_info(0)['text'] == ['first last']


def test_video_with_only_empty_descriptions_loads(tmp_path):
    """An empty caption is one sample's problem, replaced when the sample is read."""
    path = write_json(tmp_path, [moment(VIDEO_A, 'a'), moment(VIDEO_B, ''), moment(VIDEO_B, '')])
    assert [info['text'] for info in infos(build(path))] == [['a'], ['']]


@pytest.mark.parametrize(
    'video_ext, name',
    [
        ('.mp4', 'clip.mp4'),
        (None, 'clip.mov'),
        ('.webm', 'clip.webm'),
        ('.mkv', 'clip.mkv'),
    ],
)
def test_video_ext(tmp_path, video_ext, name):
    path = write_json(tmp_path, [moment('clip.mov', 'a moment')])
    info = build(path, 'p', video_ext=video_ext).get_data_info(0)
    assert info['filename'] == osp.join('p', name)
    assert info['video_id'] == 'clip'


def test_default_video_ext_is_mp4(tmp_path):
    path = write_json(tmp_path, [moment('a.mov', 'x'), moment('b.m4v', 'y'), moment('c.mp4', 'z')])
    assert [info['filename'] for info in infos(build(path, 'p'))] == [
        osp.join('p', 'a.mp4'),
        osp.join('p', 'b.mp4'),
        osp.join('p', 'c.mp4'),
    ]


def test_ann_file_and_prefix_are_joined_with_data_root(tmp_path):
    write_json(tmp_path, [moment(VIDEO_A, 'x')], 'test_data.json')
    dataset = build('test_data.json', 'videos', data_root=str(tmp_path), video_ext=None)
    assert dataset.get_data_info(0)['filename'] == osp.join(str(tmp_path), 'videos', VIDEO_A)


@pytest.mark.parametrize('video_ext', ['.mp4', None])
def test_one_video_under_two_extensions_is_an_error(tmp_path, video_ext):
    """``a.mov`` and ``a.mp4`` are one file (or one video id) but would be two samples."""
    stem = VIDEO_A[: -len('.mov')]
    content = [moment(VIDEO_A, 'one'), moment(VIDEO_B, 'two'), moment(stem + '.mp4', 'three')]
    path = write_json(tmp_path, content)
    with pytest.raises(AnnotationError, match=f'first at line {entry_line(path, 0)}') as excinfo:
        build(path, video_ext=video_ext)
    check_annotation_error(excinfo, path, entry_line(path, 2), 'video')
    assert f'are both video {stem!r}' in str(excinfo.value)


def test_one_video_spelled_with_and_without_dot_slash_is_an_error(tmp_path):
    stem = VIDEO_A[: -len('.mov')]
    path = write_json(tmp_path, [moment(VIDEO_A, 'one'), moment(f'./{stem}.mp4', 'two')])
    with pytest.raises(AnnotationError, match=f'are both video {stem!r}') as excinfo:
        build(path)
    check_annotation_error(excinfo, path, entry_line(path, 1), 'video')


@pytest.mark.parametrize(
    'bad, field',
    [
        (dict(annotation_id=9, description='no video'), 'video'),
        (dict(video=None, description='null video'), 'video'),
        (dict(video=7, description='int video'), 'video'),
        (dict(video='', description='empty video'), 'video'),
        (dict(video=VIDEO_B), 'description'),
        (dict(video=VIDEO_B, description=None), 'description'),
        (dict(video=VIDEO_B, description=3), 'description'),
        (dict(video=VIDEO_B, description=['a', 'list']), 'description'),
    ],
)
def test_bad_entry_names_file_line_and_field(tmp_path, bad, field):
    content = [moment(VIDEO_A, f'moment {i}', i) for i in range(3)]
    content.insert(2, bad)
    path = write_json(tmp_path, content)
    line = entry_line(path, 2)
    assert line > 10
    with pytest.raises(AnnotationError) as excinfo:
        build(path)
    check_annotation_error(excinfo, path, line, field)


def test_entry_not_an_object(tmp_path):
    path = write_json(tmp_path, [moment(VIDEO_A, 'x'), 'a bare description'])
    line = path.read_text().splitlines().index('  "a bare description"') + 1
    with pytest.raises(AnnotationError) as excinfo:
        build(path)
    check_annotation_error(excinfo, path, line, '<entry>')


@pytest.mark.parametrize('content', [dict(video=VIDEO_A, description='x'), []])
def test_root_not_a_list_or_empty(tmp_path, content):
    path = write_json(tmp_path, content)
    with pytest.raises(AnnotationError) as excinfo:
        build(path)
    check_annotation_error(excinfo, path, 1, '<root>')
