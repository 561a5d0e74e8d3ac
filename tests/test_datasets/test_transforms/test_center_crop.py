"""Tests for ``CenterCrop``."""

import numpy as np
import pytest

from vtp.datasets.transforms import CenterCrop


def test_centre_window_on_all_frames():
    imgs = np.random.default_rng(0).integers(0, 256, (3, 48, 64, 3), dtype=np.uint8)
    results = CenterCrop(32)(dict(imgs=imgs))
    assert results['imgs'].shape == (3, 32, 32, 3)
    assert tuple(results['img_shape']) == (32, 32)
    np.testing.assert_array_equal(results['imgs'], imgs[:, 8:40, 16:48])


def test_odd_margins():
    imgs = np.random.default_rng(1).integers(0, 256, (2, 35, 40, 3), dtype=np.uint8)
    np.testing.assert_array_equal(CenterCrop(32)(dict(imgs=imgs))['imgs'], imgs[:, 1:33, 4:36])


def test_does_not_use_randomness():
    imgs = np.zeros((2, 48, 64, 3), np.uint8)
    np.random.seed(5)
    CenterCrop(32)(dict(imgs=imgs))
    after = np.random.rand()
    np.random.seed(5)
    assert np.random.rand() == after


@pytest.mark.parametrize('height, width', [(31, 64), (48, 20)])
def test_too_small_frames_raise(height, width):
    with pytest.raises(ValueError, match='smaller than the crop'):
        CenterCrop(32)(dict(imgs=np.zeros((2, height, width, 3), np.uint8)))
