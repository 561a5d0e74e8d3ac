"""Resize every frame of a clip."""

from typing import Any, Dict, Tuple, Union

import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from vtp.registry import TRANSFORMS


def short_side_size(height: int, width: int, short_side: int) -> Tuple[int, int]:
    """(H, W) of a ``height`` x ``width`` frame resized to ``short_side`` on its shorter side."""
    ratio = short_side / min(height, width)
    return max(1, round(height * ratio)), max(1, round(width * ratio))


@TRANSFORMS.register_module()
class Resize(BaseTransform):
    """Resize frames to a fixed (H, W), or the short side to ``scale`` keeping the aspect ratio.

    **Required Keys:** ``imgs`` (T, H, W, 3)

    **Modified Keys:** ``imgs``, ``img_shape``

    Args:
        scale: short side length (int) or (H, W).
    """

    def __init__(self, scale: Union[int, Tuple[int, int]]) -> None:
        self.scale = scale

    def transform(self, results: Dict[str, Any]) -> Dict[str, Any]:
        imgs = results['imgs']
        height, width = imgs.shape[1:3]
        size: Tuple[int, ...]  # (H, W)
        if isinstance(self.scale, int):
            size = short_side_size(height, width, self.scale)
        else:
            size = tuple(self.scale)
        if size != (height, width):
            imgs = np.stack(
                [
                    cv2.resize(
                        img,
                        size[::-1],
                        interpolation=cv2.INTER_AREA if size[0] < height else cv2.INTER_LINEAR,
                    )
                    for img in imgs
                ]
            )
        results['imgs'] = imgs
        results['img_shape'] = size
        return results
