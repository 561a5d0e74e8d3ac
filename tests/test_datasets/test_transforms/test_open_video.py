"""Tests for ``OpenVideo``: decord reader, frame count and fps."""
from pathlib import Path

import av
import numpy as np
import pytest

from vtp.datasets.transforms import OpenVideo
from vtp.registry import TRANSFORMS

HEIGHT, WIDTH = 48, 64
BASE, STEP = 16, 14  # grey level of frame i (< 16): BASE + STEP * i


def write_mp4(path: Path, num_frames: int = 12) -> str:
    """A tiny mp4: frame i is grey ``BASE + STEP * i`` with a red 8x8 square at x = 4 + 4i."""
    assert num_frames <= 16, 'grey levels identify at most 16 frames'
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), mode='w') as container:
        stream = container.add_stream('libx264', rate=8)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, 'yuv420p'
        stream.options = {'crf': '10', 'preset': 'ultrafast', 'threads': '1'}
        for i in range(num_frames):
            frame = np.full((HEIGHT, WIDTH, 3), BASE + STEP * i, np.uint8)
            frame[8:16, 4 + 4 * i:12 + 4 * i] = (255, 0, 0)
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format='rgb24')))
        container.mux(stream.encode(None))
    return str(path)

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
