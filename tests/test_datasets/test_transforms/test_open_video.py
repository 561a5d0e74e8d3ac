"""Tests for ``OpenVideo``: decord reader, frame count and fps."""

import pytest
from video_files import write_mp4

from vtp.datasets.transforms import OpenVideo
from vtp.registry import TRANSFORMS


def test_opens_video(tmp_path):
    path = write_mp4(tmp_path / 'clip.mp4', num_frames=12)
    results = OpenVideo()(dict(filename=path, text='t'))
    assert results['total_frames'] == 12
    assert results['avg_fps'] == pytest.approx(8.0)
    assert len(results['video_reader']) == 12
    assert results['text'] == 't'


def test_built_from_registry(tmp_path):
    transform = TRANSFORMS.build(dict(type='OpenVideo', num_threads=1))
    assert isinstance(transform, OpenVideo)
    path = write_mp4(tmp_path / 'clip.mp4', num_frames=5)
    assert transform(dict(filename=path))['total_frames'] == 5


def test_missing_file_raises(tmp_path):
    with pytest.raises(RuntimeError, match='missing.mp4'):
        OpenVideo()(dict(filename=str(tmp_path / 'missing.mp4')))
