"""Tests for ``Resize``."""

import re

import numpy as np
import pytest

from vtp.datasets.sample_error import SampleError
from vtp.datasets.transforms import Resize


def clip(height: int = 48, width: int = 64, frames: int = 3) -> np.ndarray:
    imgs = np.zeros((frames, height, width, 3), np.uint8)
    for t in range(frames):
        imgs[t] = 10 + 50 * t
    return imgs


@pytest.mark.parametrize('scale, shape', [(24, (24, 32)), (96, (96, 128)), (48, (48, 64))])
def test_short_side(scale, shape):
    results = Resize(scale)(dict(imgs=clip()))
    assert results['imgs'].shape == (3, *shape, 3)
    assert results['imgs'].dtype == np.uint8
    assert tuple(results['img_shape']) == shape


def test_short_side_of_portrait_frames():
    results = Resize(32)(dict(imgs=clip(height=64, width=48)))
    assert results['imgs'].shape == (3, 43, 32, 3)  # 64 * 32 / 48 = 42.7


@pytest.mark.parametrize('scale', [(20, 30), [40, 100]])
def test_fixed_size(scale):
    results = Resize(scale)(dict(imgs=clip()))
    assert results['imgs'].shape == (3, scale[0], scale[1], 3)
    assert tuple(results['img_shape']) == tuple(scale)


def test_keeps_frame_content_and_order():
    imgs = Resize((24, 24))(dict(imgs=clip()))['imgs']
    assert [int(frame.mean()) for frame in imgs] == [10, 60, 110]


def test_non_contiguous_input():
    imgs = clip(height=64, width=64)[:, 8:40, 8:40]  # a crop view, as RandomCrop returns
    assert Resize(16)(dict(imgs=imgs))['imgs'].shape == (3, 16, 16, 3)


def test_extreme_aspect_ratio_is_a_sample_error():
    """A 1 x 1000 banner resized to a short side of 256 would be 256 x 256,000 per frame."""
    thin = np.zeros((2, 1, 1000, 3), np.uint8)
    with pytest.raises(SampleError, match=r'banner.png: extreme aspect ratio \(1000x1, longer'):
        Resize(scale=256)(dict(imgs=thin, filename='banner.png'))
    assert Resize(scale=(4, 4))(dict(imgs=thin))['imgs'].shape == (2, 4, 4, 3)  # fixed size
    wide = np.zeros((1, 10, 200, 3), np.uint8)  # 20:1 passes
    assert Resize(scale=20)(dict(imgs=wide))['imgs'].shape == (1, 20, 400, 3)
    for ratio in (0.5, float('nan'), '20'):
        message = f'Resize: max_aspect_ratio must be a finite number >= 1, got {ratio!r}'
        with pytest.raises(ValueError, match=f'^{re.escape(message)}$'):
            Resize(scale=20, max_aspect_ratio=ratio)
