"""Tests for ``RandomCrop``."""

import numpy as np
import pytest

from vtp.datasets.transforms import RandomCrop


def coordinate_clip(frames: int = 4, height: int = 48, width: int = 64) -> np.ndarray:
    """Channel 0 holds the row, channel 1 the column, channel 2 the frame index."""
    rows, cols = np.meshgrid(np.arange(height), np.arange(width), indexing='ij')
    imgs = np.zeros((frames, height, width, 3), np.uint8)
    imgs[..., 0], imgs[..., 1] = rows, cols
    imgs[..., 2] = np.arange(frames)[:, None, None]
    return imgs


def test_shape_and_same_window_on_all_frames():
    np.random.seed(0)
    windows = set()
    for _ in range(20):
        results = RandomCrop(32)(dict(imgs=coordinate_clip()))
        imgs = results['imgs']
        assert imgs.shape == (4, 32, 32, 3)
        assert tuple(results['img_shape']) == (32, 32)
        top, left = int(imgs[0, 0, 0, 0]), int(imgs[0, 0, 0, 1])
        assert 0 <= top <= 16 and 0 <= left <= 32
        expected = coordinate_clip()[:, top : top + 32, left : left + 32]
        np.testing.assert_array_equal(imgs, expected)
        windows.add((top, left))
    assert len(windows) > 1


def test_crop_of_full_size_is_identity():
    imgs = coordinate_clip(height=32, width=32)
    np.testing.assert_array_equal(RandomCrop(32)(dict(imgs=imgs.copy()))['imgs'], imgs)


@pytest.mark.parametrize('height, width', [(31, 64), (48, 20)])
def test_too_small_frames_raise(height, width):
    with pytest.raises(ValueError, match='smaller than the crop'):
        RandomCrop(32)(dict(imgs=coordinate_clip(height=height, width=width)))
