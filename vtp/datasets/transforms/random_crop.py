"""Crop the same random window from every frame."""

from typing import Tuple

import numpy as np

from vtp.datasets.transforms.base_square_crop import BaseSquareCrop
from vtp.registry import TRANSFORMS


@TRANSFORMS.register_module()
class RandomCrop(BaseSquareCrop):
    """Crop a random ``size`` x ``size`` window, the same for all frames.

    **Required Keys:** ``imgs`` (T, H, W, 3)

    **Modified Keys:** ``imgs`` (T, size, size, 3), ``img_shape``

    Arguments: those of :class:`BaseSquareCrop` (``size``).
    """

    def corner(self, height: int, width: int) -> Tuple[int, int]:
        """A uniformly drawn window (NumPy's global generator, seeded per sample)."""
        top = np.random.randint(0, height - self.size + 1)
        left = np.random.randint(0, width - self.size + 1)
        return top, left
