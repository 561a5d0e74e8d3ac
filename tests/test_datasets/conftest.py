"""Shared fixtures for the ``vtp.datasets`` tests: tiny real mp4 files written with PyAV.

Frame ``i`` of a test video has a uniform grey background of brightness ``20 + 18 * i`` and a
red 8x8 square moving right by 4 pixels per frame, so decoded frames can be identified.
"""
from pathlib import Path
from typing import Callable

import numpy as np
import pytest
from mmengine.registry import DefaultScope

HEIGHT, WIDTH = 48, 64


def frame_content(index: int, height: int = HEIGHT, width: int = WIDTH) -> np.ndarray:
    """The RGB image written as frame ``index``: grey level ``20 + 18 * index``, a red square."""
    frame = np.full((height, width, 3), 20 + 18 * index, np.uint8)
    frame[8:16, 4 + 4 * index:12 + 4 * index] = (255, 0, 0)
    return frame


def write_mp4(path: Path, num_frames: int = 12, height: int = HEIGHT,
              width: int = WIDTH) -> str:
    import av
    with av.open(str(path), mode='w') as container:
        stream = container.add_stream('libx264', rate=8)
        stream.width, stream.height, stream.pix_fmt = width, height, 'yuv420p'
        stream.options = {'crf': '10', 'preset': 'ultrafast', 'threads': '1'}
        for i in range(num_frames):
            image = av.VideoFrame.from_ndarray(frame_content(i, height, width), format='rgb24')
            container.mux(stream.encode(image))
        container.mux(stream.encode(None))
    return str(path)


@pytest.fixture(autouse=True)
def vtp_default_scope():
    """Build pipelines as configs do (``default_scope = 'vtp'``): mmengine's ``Compose`` looks
    transform names up from the root registry, which finds vtp's only through the scope."""
    with DefaultScope.overwrite_default_scope('vtp'):
        yield


@pytest.fixture
def make_video(tmp_path: Path) -> Callable[..., str]:
    """``make_video(relative_path, num_frames=12)`` writes an mp4 under ``tmp_path``."""

    def make(relative: str = 'video.mp4', num_frames: int = 12) -> str:
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        return write_mp4(path, num_frames)

    return make


@pytest.fixture
def frame_ids() -> Callable[[np.ndarray], list]:
    """Recover the written frame index of each decoded frame (T, H, W, 3) from its grey level.

    Rows 24+ hold only the background; the lossy codec moves levels by a couple of units.
    """

    def ids(imgs: np.ndarray) -> list:
        levels = imgs[:, 24:].astype(np.float64).mean(axis=(1, 2, 3))
        return [int(i) for i in np.rint((levels - 20) / 18)]

    return ids
