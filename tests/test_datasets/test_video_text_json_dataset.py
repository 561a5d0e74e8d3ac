"""Tests for ``VideoTextJsonDataset``: the mmaction2 / VindLU JSON layout and its errors."""

import json
import os.path as osp
from pathlib import Path

import pytest

from vtp.datasets import AnnotationError, VideoTextJsonDataset
from vtp.registry import DATASETS
from vtp.testing import check_annotation_error


def build(ann_file: Path, prefix: str = 'videos', **kwargs) -> VideoTextJsonDataset:
    return DATASETS.build(
        dict(
            type='VideoTextJsonDataset',
            ann_file=str(ann_file),
            data_prefix=dict(video=prefix),
            pipeline=[],
            **kwargs,
        )
    )


def write_json(tmp_path: Path, entries) -> Path:
    """Pretty-printed: ``[`` on line 1, each entry object spans several lines."""
    path = tmp_path / 'anno.json'
    path.write_text(json.dumps(entries, indent=2), encoding='utf-8')
    return path


def entry_line(path: Path, index: int) -> int:
    """Line on which the ``index``-th top-level object of a pretty-printed list starts."""
    lines = path.read_text(encoding='utf-8').splitlines()
    starts = [n for n, line in enumerate(lines, start=1) if line == '  {']
    return starts[index]


GOOD = [
    {'video': 'a.mp4', 'caption': ' a person waves '},
    {'video': 'sub/b.mp4', 'caption': ['x is here', 'y is there']},
]


def test_loads_entries(tmp_path):
    prefix = str(tmp_path / 'videos')
    dataset = build(write_json(tmp_path, GOOD), prefix)
    assert isinstance(dataset, VideoTextJsonDataset)
    assert len(dataset) == 2
    first, second = dataset.get_data_info(0), dataset.get_data_info(1)
    assert first['filename'] == osp.join(prefix, 'a.mp4')
    assert first['text'] == ['a person waves']
    assert first['video_id'] == 'a'
    assert second['filename'] == osp.join(prefix, 'sub/b.mp4')
    assert second['text'] == ['x is here', 'y is there']
    assert second['video_id'] == 'sub/b'


def test_test_mode_keeps_all_captions(tmp_path):
    dataset = build(write_json(tmp_path, GOOD), test_mode=True)
    assert dataset[1]['text'] == ['x is here', 'y is there']


def test_a_video_twice_is_an_error_in_test_mode_only(tmp_path):
    """Training annotations list one entry per caption (a video many times); a test gallery
    with a video twice would tie it with itself."""
    entries = [*GOOD, {'video': './sub/b.mp4', 'caption': 'again'}]
    path = write_json(tmp_path, entries)
    assert len(build(path)) == 3
    with pytest.raises(AnnotationError) as excinfo:
        build(path, test_mode=True)
    assert excinfo.value.line == entry_line(path, 2) and excinfo.value.field == 'video'
    assert f"duplicate video './sub/b.mp4' (first at line {entry_line(path, 1)})" in str(
        excinfo.value
    )


def test_compact_json_on_one_line(tmp_path):
    path = tmp_path / 'anno.json'
    path.write_text(json.dumps(GOOD), encoding='utf-8')
    dataset = build(path)
    assert [dataset.get_data_info(i)['video_id'] for i in range(2)] == ['a', 'sub/b']


@pytest.mark.parametrize(
    'bad, field',
    [
        ({'video': 'c.mp4'}, 'caption'),
        ({'video': 'c.mp4', 'caption': None}, 'caption'),
        ({'video': 'c.mp4', 'caption': 5}, 'caption'),
        ({'video': 'c.mp4', 'caption': []}, 'caption'),
        ({'video': 'c.mp4', 'caption': ''}, 'caption'),
        ({'video': 'c.mp4', 'caption': ['fine', '']}, 'caption[1]'),
        ({'video': 'c.mp4', 'caption': ['fine', '  ']}, 'caption[1]'),
        ({'video': 'c.mp4', 'caption': ['fine', 3]}, 'caption[1]'),
        ({'video': 7, 'caption': 'text'}, 'video'),
        ({'video': True, 'caption': 'text'}, 'video'),
        ({'caption': 'text'}, 'video'),
        ('just a string', '<entry>'),
    ],
)
def test_bad_entry_names_file_line_and_field(tmp_path, bad, field):
    path = write_json(tmp_path, GOOD + [bad])
    line = (
        entry_line(path, 2)
        if isinstance(bad, dict)
        else path.read_text().splitlines().index('  "just a string"') + 1
    )
    assert line > 10  # the third entry starts well below the first line
    with pytest.raises(AnnotationError) as excinfo:
        build(path)
    check_annotation_error(excinfo, path, line, field)


def test_root_not_a_list(tmp_path):
    path = tmp_path / 'anno.json'
    path.write_text('\n{"video": "a.mp4", "caption": "c"}\n', encoding='utf-8')
    with pytest.raises(AnnotationError) as excinfo:
        build(path)
    check_annotation_error(excinfo, path, 2, '<root>')


def test_invalid_json_reports_decoder_line(tmp_path):
    path = tmp_path / 'anno.json'
    path.write_text(
        '[\n  {"video": "a.mp4", "caption": "c"},\n  {"video": "b.mp4",\n   "caption": "d",,}\n]\n',
        encoding='utf-8',
    )
    with pytest.raises(AnnotationError) as excinfo:
        build(path)
    check_annotation_error(excinfo, path, 4, '<json>')
    assert isinstance(excinfo.value.__cause__, json.JSONDecodeError)


def test_missing_separator_between_entries(tmp_path):
    path = tmp_path / 'anno.json'
    path.write_text(
        '[\n  {"video": "a.mp4", "caption": "c"}\n  {"video": "b.mp4", "caption": "d"}\n]\n',
        encoding='utf-8',
    )
    with pytest.raises(AnnotationError) as excinfo:
        build(path)
    check_annotation_error(excinfo, path, 3, '<root>')


def test_unterminated_list(tmp_path):
    path = tmp_path / 'anno.json'
    path.write_text('[\n  {"video": "a.mp4", "caption": "c"}\n', encoding='utf-8')
    with pytest.raises(AnnotationError) as excinfo:
        build(path)
    assert excinfo.value.path == str(path)


# --- what json alone would misread or crash on ----------------------------------------------

ENTRY = '{"video": "a.mp4", "caption": "c"}'


@pytest.mark.parametrize(
    'second, problem',
    [
        ('{"video": "b.mp4", "caption": "d", "caption": "e"}', "duplicate key 'caption'"),
        ('{"video": "b.mp4", "caption": "d", "n": ' + '1' * 5000 + '}', 'integer'),
        ('{"video": "b.mp4", "caption": ' + '[' * 100000 + ']' * 100000 + '}', 'recursion'),
    ],
)
def test_json_that_would_be_misread_or_crash(tmp_path, second, problem):
    path = tmp_path / 'anno.json'
    path.write_text(f'[\n  {ENTRY},\n  {second}\n]\n', encoding='utf-8')
    with pytest.raises(AnnotationError, match=problem) as excinfo:
        build(path)
    check_annotation_error(excinfo, path, 3, '<json>')


@pytest.mark.parametrize(
    'data, field, line',
    [
        (
            f'[\n  {ENTRY},\n  {{"video": "b.mp4", "caption": "caf\xe9"}}\n]'.encode('latin-1'),
            '<bytes>',
            3,
        ),
        (f'[\n  {ENTRY},\n  {ENTRY}\x00\n]'.encode('utf-8'), '<bytes>', 3),
    ],
)
def test_bad_bytes_name_their_line(tmp_path, data, field, line):
    path = tmp_path / 'anno.json'
    path.write_bytes(data)
    with pytest.raises(AnnotationError) as excinfo:
        build(path)
    check_annotation_error(excinfo, path, line, field)


def test_byte_order_mark_and_crlf(tmp_path):
    path = tmp_path / 'anno.json'
    path.write_bytes(f'\ufeff[\r\n  {ENTRY},\r\n  {ENTRY[:-1]}, "caption": 5}}\r\n]'.encode())
    with pytest.raises(AnnotationError) as excinfo:
        build(path)
    check_annotation_error(excinfo, path, 3, '<json>')  # the duplicate key
    path.write_bytes(f'\ufeff[\r\n  {ENTRY}\r\n]'.encode())
    assert build(path).get_data_info(0)['text'] == ['c']
