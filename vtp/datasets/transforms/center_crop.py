"""Crop the centre of every frame."""

from typing import Any, Dict

from mmcv.transforms import BaseTransform

from vtp.registry import TRANSFORMS


@TRANSFORMS.register_module()
class CenterCrop(BaseTransform):
    """Crop the central ``size`` x ``size`` window of every frame.

    **Required Keys:** ``imgs`` (T, H, W, 3)

    **Modified Keys:** ``imgs``, ``img_shape``

    Args:
        size: side of the square crop; frames smaller than it raise an error.
    """

    def __init__(self, size: int) -> None:
        self.size = size

    def transform(self, results: Dict[str, Any]) -> Dict[str, Any]:
        imgs = results['imgs']
        height, width = imgs.shape[1:3]
        if height < self.size or width < self.size:
            raise ValueError(f'frames of {height}x{width} are smaller than the crop {self.size}')
        top, left = (height - self.size) // 2, (width - self.size) // 2
        results['imgs'] = imgs[:, top : top + self.size, left : left + self.size]
        results['img_shape'] = (self.size, self.size)
        return results
