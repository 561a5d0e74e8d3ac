"""Tests for ``BaseSquareCrop``: the window its subclass places, cut from every frame."""

from typing import Tuple

import numpy as np
import pytest

from vtp.datasets.transforms import BaseSquareCrop, CenterCrop, RandomCrop


class _BottomRightCrop(BaseSquareCrop):
    def corner(self, height: int, width: int) -> Tuple[int, int]:
        return height - self.size, width - self.size


def test_cuts_the_subclass_window_from_every_frame():
    imgs = np.random.default_rng(0).integers(0, 256, (3, 20, 30, 3), dtype=np.uint8)
    results = _BottomRightCrop(16)(dict(imgs=imgs, other='kept'))
    np.testing.assert_array_equal(results['imgs'], imgs[:, 4:20, 14:30])
    assert tuple(results['img_shape']) == (16, 16)
    assert results['other'] == 'kept'


@pytest.mark.parametrize('height, width', [(15, 30), (20, 15)])
def test_frames_smaller_than_the_crop_raise_naming_both_sizes(height, width):
    with pytest.raises(ValueError, match=f'frames of {height}x{width} .* crop 16'):
        _BottomRightCrop(16)(dict(imgs=np.zeros((1, height, width, 3), np.uint8)))


def test_a_subclass_must_place_the_window():
    class NoCorner(BaseSquareCrop):
        pass

    with pytest.raises(TypeError, match='corner'):
        NoCorner(16)


def test_the_registered_crops_are_square_crops():
    assert issubclass(CenterCrop, BaseSquareCrop) and issubclass(RandomCrop, BaseSquareCrop)
