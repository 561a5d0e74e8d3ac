"""Tests for ``HowTo100MDataset``: windows of ASR segments, json and jsonl."""

import json
import os.path as osp
import re
from pathlib import Path

import numpy as np
import pytest

from vtp.datasets import AnnotationError, HowTo100MDataset
from vtp.registry import DATASETS
from vtp.testing import BASE, STEP, check_annotation_error, write_mp4


def build(
    ann_file: Path, prefix: str = 'videos', type: str = 'HowTo100MDataset', **kwargs
) -> HowTo100MDataset:
    return DATASETS.build(
        dict(
            type=type, ann_file=str(ann_file), data_prefix=dict(video=prefix), pipeline=[], **kwargs
        )
    )


def asr(*segments) -> dict:
    """``{start, end, text}`` lists, as caption.json holds them, from (start, end, text)."""
    return dict(
        start=[s for s, _, _ in segments],
        end=[e for _, e, _ in segments],
        text=[t for _, _, t in segments],
    )


def write_json(tmp_path: Path, videos: dict) -> Path:
    """caption.json pretty-printed: video ``v`` starts at the line ``  "v": {``."""
    path = tmp_path / 'caption.json'
    path.write_text(json.dumps(videos, indent=2, ensure_ascii=False), encoding='utf-8')
    return path


def write_jsonl(tmp_path: Path, videos: dict, blank_after: int = None) -> Path:
    """One ``{video_id, start, end, text}`` per line (a blank line after the given one)."""
    lines = [
        json.dumps(dict(video_id=video_id, **entry), ensure_ascii=False)
        if isinstance(entry, dict)
        else json.dumps(entry)
        for video_id, entry in videos.items()
    ]
    if blank_after is not None:
        lines.insert(blank_after, '')
    path = tmp_path / 'caption.jsonl'
    path.write_text('\n'.join(lines) + '\n', encoding='utf-8')
    return path


def samples(dataset) -> list:
    return [dataset.get_data_info(i) for i in range(len(dataset))]


def spans(dataset) -> list:
    return [(s['video_id'], s['start'], s['end'], s['text']) for s in samples(dataset)]


VIDEOS = {
    # 0-2, 0-4.5 (>= 4: a window); 4.5-7, 4.5-9 (a window); 9-10 is short: joins the last.
    'merge': asr(
        (0, 2, ' first '), (2, 4.5, 'second'), (4.5, 7, 'third'), (7, 9, 'fourth'), (9, 10, 'fifth')
    ),
    'short': asr((1.0, 2.5, 'only one')),
    # Segments ending at or before their start are dropped.
    'broken': asr((0, 3, 'kept a'), (3, 3, 'zero length'), (6, 2, 'ends early'), (5, 9, 'kept b')),
}
EXPECTED = [
    ('merge', 0.0, 4.5, 'first second'),
    ('merge', 4.5, 10.0, 'third fourth fifth'),
    ('short', 1.0, 2.5, 'only one'),
    ('broken', 0.0, 9.0, 'kept a kept b'),
]


@pytest.mark.parametrize('writer', [write_json, write_jsonl])
def test_windows_of_merged_segments(tmp_path, writer):
    prefix = str(tmp_path / 'videos')
    dataset = build(writer(tmp_path, VIDEOS), prefix)
    assert isinstance(dataset, HowTo100MDataset)
    assert len(dataset) == 4
    assert spans(dataset) == EXPECTED
    first = dataset.get_data_info(0)
    assert first['filename'] == osp.join(prefix, 'merge.mp4')
    assert isinstance(first['start'], float) and isinstance(first['end'], float)
    assert dataset.get_data_info(3)['filename'] == osp.join(prefix, 'broken.mp4')
    assert dataset[2] == dataset.get_data_info(2)


def test_json_and_jsonl_give_identical_samples(tmp_path):
    from_json = samples(build(write_json(tmp_path, VIDEOS), min_duration=2.5))
    from_jsonl = samples(build(write_jsonl(tmp_path, VIDEOS), min_duration=2.5))
    assert len(from_json) == 6
    assert from_json == from_jsonl


@pytest.mark.parametrize(
    'min_duration, expected',
    [
        (0, [(0.0, 2.0), (2.0, 4.0), (4.0, 5.0), (5.0, 8.0)]),
        (2, [(0.0, 2.0), (2.0, 4.0), (4.0, 8.0)]),  # 4-5 is 1 s: 4-8 closes the window
        (4, [(0.0, 4.0), (4.0, 8.0)]),  # exactly min_duration closes a window
        (5, [(0.0, 8.0)]),  # 0-5 closes; 5-8 is 3 s short: it joins the window before it
        (100, [(0.0, 8.0)]),  # the whole video is shorter: one window
    ],
)
def test_min_duration(tmp_path, min_duration, expected):
    videos = {'v': asr((0, 2, 'a'), (2, 4, 'b'), (4, 5, 'c'), (5, 8, 'd'))}
    dataset = build(write_json(tmp_path, videos), min_duration=min_duration)
    assert [(s['start'], s['end']) for s in samples(dataset)] == expected


def test_segments_are_sorted_and_end_is_the_latest(tmp_path):
    # Overlapping ASR segments, listed out of order: 0-5 is a window; 1-3 and 2-4 are a short
    # remainder, which joins it without moving its end back.
    videos = {'v': asr((2, 4, 'c'), (0, 5, 'a'), (1, 3, 'b'))}
    assert spans(build(write_json(tmp_path, videos))) == [('v', 0.0, 5.0, 'a b c')]


def test_empty_texts_are_left_out_of_the_join(tmp_path):
    videos = {'v': asr((0, 1, ''), (1, 2, 'words'), (2, 5, '  ')), 'silent': asr((0, 9, ''))}
    assert spans(build(write_json(tmp_path, videos))) == [
        ('v', 0.0, 5.0, 'words'),
        ('silent', 0.0, 9.0, ''),
    ]  # empty: replaced when read


def test_video_without_valid_segments_gives_no_sample(tmp_path):
    videos = {'none': asr(), 'bad': asr((3, 1, 'x')), 'ok': asr((0, 5, 'y'))}
    assert spans(build(write_json(tmp_path, videos))) == [('ok', 0.0, 5.0, 'y')]


def test_no_sample_at_all_is_an_error(tmp_path):
    path = write_json(tmp_path, {'bad': asr((3, 1, 'x'))})
    with pytest.raises(AnnotationError) as excinfo:
        build(path)
    check_annotation_error(excinfo, path, 1, '<root>')


@pytest.mark.parametrize('ext', ['.webm', '.mkv'])
def test_video_ext(tmp_path, ext):
    info = build(write_json(tmp_path, VIDEOS), 'p', video_ext=ext).get_data_info(0)
    assert info['filename'] == osp.join('p', 'merge' + ext)


@pytest.mark.parametrize('min_duration', [-1, '4', float('inf')])
def test_min_duration_must_be_a_number_from_zero(tmp_path, min_duration):
    message = (
        f'HowTo100MDataset: min_duration (s) must be a finite number >= 0, got {min_duration!r}'
    )
    with pytest.raises(ValueError, match=f'^{re.escape(message)}$'):
        build(write_json(tmp_path, VIDEOS), min_duration=min_duration)


BAD_ENTRIES = [
    (dict(start=[0, 1], end=[1], text=['a', 'b']), 'start/end/text'),
    (dict(start=[0, 1], end=[1, 2], text=['a']), 'start/end/text'),
    (dict(start=[0, 'one'], end=[1, 2], text=['a', 'b']), 'start[1]'),
    (dict(start=[True], end=[1], text=['a']), 'start[0]'),
    (dict(start=[0, 1, 2], end=[1, 2, None], text=['a', 'b', 'c']), 'end[2]'),
    (dict(start=[0], end=['1'], text=['a']), 'end[0]'),
    (dict(start=[0], end=[1], text=[3]), 'text[0]'),
    (dict(start=[0], end=[1]), 'text'),
    (dict(end=[1], text=['a']), 'start'),
    (dict(start=0, end=[1], text=['a']), 'start'),
    (dict(start=[0], end=[1], text='a'), 'text'),
    (dict(start=[0, float('nan')], end=[1, 2], text=['a', 'b']), 'start[1]'),
    (dict(start=[0], end=[float('inf')], text=['a']), 'end[0]'),
    (dict(start=[0], end=[10**400], text=['a']), 'end[0]'),  # beyond the float range
]


@pytest.mark.parametrize('bad, field', BAD_ENTRIES)
def test_bad_json_entry_names_file_line_and_field(tmp_path, bad, field):
    path = write_json(tmp_path, {**VIDEOS, 'bad_video': bad})
    line = path.read_text(encoding='utf-8').splitlines().index('  "bad_video": {') + 1
    assert line > 30
    with pytest.raises(AnnotationError) as excinfo:
        build(path)
    check_annotation_error(excinfo, path, line, field)


@pytest.mark.parametrize('bad, field', BAD_ENTRIES)
def test_bad_jsonl_entry_names_file_line_and_field(tmp_path, bad, field):
    # Three good videos on lines 1, 2 and 4 (a blank line 3), the bad one on line 5.
    path = write_jsonl(tmp_path, {**VIDEOS, 'bad_video': bad}, blank_after=2)
    with pytest.raises(AnnotationError) as excinfo:
        build(path)
    check_annotation_error(excinfo, path, 5, field)


def test_json_entry_not_an_object(tmp_path):
    path = write_json(tmp_path, {**VIDEOS, 'bad_video': [[0, 1, 'a']]})
    line = path.read_text(encoding='utf-8').splitlines().index('  "bad_video": [') + 1
    with pytest.raises(AnnotationError) as excinfo:
        build(path)
    check_annotation_error(excinfo, path, line, '<entry>')


def test_json_root_not_an_object(tmp_path):
    path = tmp_path / 'caption.json'
    path.write_text(json.dumps([VIDEOS['short']]), encoding='utf-8')
    with pytest.raises(AnnotationError) as excinfo:
        build(path)
    check_annotation_error(excinfo, path, 1, '<root>')


@pytest.mark.parametrize(
    'text, field',
    [
        ('{"video_id": "x", "start": [0], "end": [1], ', '<json>'),
        ('not json at all', '<json>'),
        ('[{"video_id": "x", "start": [0], "end": [1], "text": ["a"]}]', '<entry>'),
        ('"x"', '<entry>'),
        ('{"start": [0], "end": [1], "text": ["a"]}', 'video_id'),
        ('{"video_id": 12, "start": [0], "end": [1], "text": ["a"]}', 'video_id'),
        ('{"video_id": "x", "start": [0], "end": [1], "text": ["a"]} {}', '<json>'),
        ('{"video_id": "x", "video_id": "y", "start": [0], "end": [1], "text": ["a"]}', '<json>'),
        (
            '{"video_id": "x", "start": [0], "end": [1], "text": ["a"], "n": ' + '9' * 5000 + '}',
            '<json>',
        ),
    ],
)
def test_bad_jsonl_line(tmp_path, text, field):
    path = write_jsonl(tmp_path, VIDEOS)
    with open(path, 'a', encoding='utf-8') as f:
        f.write('\n' + text + '\n')  # line 4 blank, the bad line 5
    with pytest.raises(AnnotationError) as excinfo:
        build(path)
    check_annotation_error(excinfo, path, 5, field)


CHINESE = {
    '视频一': asr(
        (0, 1.5, '把面粉倒进碗里'),
        (1.5, 3, ' 加一点水搅拌 '),
        (3, 6, '揉成光滑的面团'),
        (6, 7, '盖上盖子'),
    )
}


def test_howto100m_separator_differs_from_cnvid(tmp_path):
    path = write_json(tmp_path, CHINESE)
    text = spans(build(path, min_duration=10))[0][3]
    assert text == '把面粉倒进碗里 加一点水搅拌 揉成光滑的面团 盖上盖子'


def test_clip_is_cut_to_the_window(tmp_path):
    """Through the video pipeline, each window decodes frames of its own time span only."""
    write_mp4(tmp_path / 'videos' / 'v.mp4', num_frames=16, fps=4)  # 4 s, frame i at i/4 s
    path = write_json(
        tmp_path, {'v': asr((0.0, 1.0, 'a'), (1.0, 2.0, 'b'), (2.0, 3.0, 'c'), (3.0, 4.0, 'd'))}
    )
    dataset = DATASETS.build(
        dict(
            type='HowTo100MDataset',
            ann_file=str(path),
            min_duration=2.0,
            data_prefix=dict(video=str(tmp_path / 'videos')),
            pipeline=[
                dict(type='OpenVideo'),
                dict(type='SampleFrames', num_frames=4),
                dict(type='DecodeVideo'),
            ],
        )
    )
    assert len(dataset) == 2
    for key, (first, last) in ((0, (0, 7)), (1, (8, 15)), (2, (0, 7)), (3, (8, 15))):
        sample = dataset[key]
        levels = sample['imgs'][:, 24:].astype(np.float64).mean(axis=(1, 2, 3))
        frames = np.rint((levels - BASE) / STEP).astype(int)  # written frame index
        assert frames.tolist() == sample['frame_inds'].tolist()
        assert first <= frames.min() and frames.max() <= last, (key, frames)
