"""Tests for ``CNVidDataset``: HowTo100M's windows of ASR segments, Chinese text joined
without spaces."""

import json
import os.path as osp
from pathlib import Path

import pytest

from vtp.datasets import CNVidDataset
from vtp.registry import DATASETS


def build(ann_file: Path, **kwargs) -> CNVidDataset:
    return DATASETS.build(
        dict(
            type='CNVidDataset',
            ann_file=str(ann_file),
            data_prefix=dict(video='videos'),
            pipeline=[],
            **kwargs,
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
    path = tmp_path / 'caption.json'
    path.write_text(json.dumps(videos, ensure_ascii=False), encoding='utf-8')
    return path


def write_jsonl(tmp_path: Path, videos: dict) -> Path:
    """One ``{video_id, start, end, text}`` per line."""
    path = tmp_path / 'caption.jsonl'
    path.write_text(
        ''.join(
            json.dumps(dict(video_id=video_id, **entry), ensure_ascii=False) + '\n'
            for video_id, entry in videos.items()
        ),
        encoding='utf-8',
    )
    return path


def spans(dataset) -> list:
    samples = (dataset.get_data_info(i) for i in range(len(dataset)))
    return [(s['video_id'], s['start'], s['end'], s['text']) for s in samples]


CHINESE = {
    '视频一': asr(
        (0, 1.5, '把面粉倒进碗里'),
        (1.5, 3, ' 加一点水搅拌 '),
        (3, 6, '揉成光滑的面团'),
        (6, 7, '盖上盖子'),
    )
}


@pytest.mark.parametrize('writer', [write_json, write_jsonl])
def test_cnvid_joins_chinese_text_without_spaces(tmp_path, writer):
    dataset = build(writer(tmp_path, CHINESE), min_duration=2)
    assert isinstance(dataset, CNVidDataset)
    assert spans(dataset) == [
        ('视频一', 0.0, 3.0, '把面粉倒进碗里加一点水搅拌'),
        ('视频一', 3.0, 7.0, '揉成光滑的面团盖上盖子'),
    ]
    assert dataset.get_data_info(0)['filename'] == osp.join('videos', '视频一.mp4')


def test_cnvid_separator_can_be_set(tmp_path):
    dataset = build(write_json(tmp_path, CHINESE), min_duration=10, text_separator='，')
    assert spans(dataset)[0][3] == '把面粉倒进碗里，加一点水搅拌，揉成光滑的面团，盖上盖子'
