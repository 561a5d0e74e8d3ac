"""Resize every frame of a clip."""

from typing import Any, Dict, Tuple, Union

import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from vtp.datasets.sample_error import SampleError
from vtp.registry import TRANSFORMS
from vtp.utils.checks import require_number


def short_side_size(height: int, width: int, short_side: int) -> Tuple[int, int]:
    """(H, W) of a ``height`` x ``width`` frame resized to ``short_side`` on its shorter side."""
    ratio = short_side / min(height, width)
    return max(1, round(height * ratio)), max(1, round(width * ratio))


@TRANSFORMS.register_module()
class Resize(BaseTransform):
    """Resize frames to a fixed (H, W), or the short side to ``scale`` keeping the aspect ratio.

    Keeping the aspect ratio, a frame longer than ``max_aspect_ratio`` times its width (or
    wider than that times its height) raises :class:`SampleError` ('extreme aspect ratio'): a
    1 x 40,000 banner would become 224 x 8,960,000 pixels.

    **Required Keys:** ``imgs`` (T, H, W, 3); ``filename`` (optional, for messages)

    **Modified Keys:** ``imgs``, ``img_shape``

    Args:
        scale: short side length (int) or (H, W).
        max_aspect_ratio: the longest side over the shortest that a short-side resize accepts.
    """

    def __init__(self, scale: Union[int, Tuple[int, int]], max_aspect_ratio: float = 20.0) -> None:
        self.scale = scale
        self.max_aspect_ratio = require_number(
            'Resize: max_aspect_ratio', max_aspect_ratio, minimum=1
        )

    def transform(self, results: Dict[str, Any]) -> Dict[str, Any]:
        imgs = results['imgs']
        height, width = imgs.shape[1:3]
        size: Tuple[int, ...]  # (H, W)
        if isinstance(self.scale, int):
            if max(height, width) > self.max_aspect_ratio * min(height, width):
                raise SampleError(
                    results.get('filename', 'frames'),
                    'extreme aspect ratio',
                    f'{width}x{height}, longer than {self.max_aspect_ratio:g}:1',
                )
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
