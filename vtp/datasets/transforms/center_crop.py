"""Crop the centre of every frame."""

from typing import Tuple

from vtp.datasets.transforms.base_square_crop import BaseSquareCrop
from vtp.registry import TRANSFORMS


@TRANSFORMS.register_module()
class CenterCrop(BaseSquareCrop):
    """Crop the central ``size`` x ``size`` window of every frame.

    **Required Keys:** ``imgs`` (T, H, W, 3)

    **Modified Keys:** ``imgs`` (T, size, size, 3), ``img_shape``

    Arguments: those of :class:`BaseSquareCrop` (``size``).
    """

    def corner(self, height: int, width: int) -> Tuple[int, int]:
        """The centred window (an odd margin puts the extra pixel after it)."""
        return (height - self.size) // 2, (width - self.size) // 2
