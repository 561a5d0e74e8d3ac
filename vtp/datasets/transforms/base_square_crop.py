"""Base of the square crops: the same window cut from every frame, placed by the subclass."""

from abc import abstractmethod
from typing import Any, Dict, Tuple

from mmcv.transforms import BaseTransform


class BaseSquareCrop(BaseTransform):
    """Cut the same ``size`` x ``size`` window from every frame, at :meth:`corner`.

    **Required Keys:** ``imgs`` (T, H, W, 3)

    **Modified Keys:** ``imgs`` (T, size, size, 3), ``img_shape``

    Args:
        size: side of the square crop; frames smaller than it raise an error.
    """

    def __init__(self, size: int) -> None:
        self.size = size

    @abstractmethod
    def corner(self, height: int, width: int) -> Tuple[int, int]:
        """The window's ``(top, left)`` in frames of ``height`` x ``width``, both at least
        ``size``."""

    def transform(self, results: Dict[str, Any]) -> Dict[str, Any]:
        imgs = results['imgs']
        height, width = imgs.shape[1:3]
        if height < self.size or width < self.size:
            raise ValueError(f'frames of {height}x{width} are smaller than the crop {self.size}')
        top, left = self.corner(height, width)
        results['imgs'] = imgs[:, top : top + self.size, left : left + self.size]
        results['img_shape'] = (self.size, self.size)
        return results
