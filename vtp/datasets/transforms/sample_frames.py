"""Choose which frames of a clip to decode."""
from typing import Dict

import numpy as np
from mmcv.transforms import BaseTransform

from vtp.registry import TRANSFORMS


@TRANSFORMS.register_module()
class SampleFrames(BaseTransform):
    """Split the clip into ``num_frames`` equal segments and take one frame from each.

    Training takes a random frame in each segment; testing takes each segment's centre. A clip
    shorter than ``num_frames`` repeats frames (in order).

    **Required Keys:** ``total_frames``

    **Added Keys:** ``frame_inds`` (T,) int

    Args:
        num_frames: frames T per clip.
        test_mode: centre of each segment instead of a random offset.
    """

    def __init__(self, num_frames: int, test_mode: bool = False) -> None:
        if num_frames < 1:
            raise ValueError(f'num_frames must be >= 1, got {num_frames}')
        self.num_frames = num_frames
        self.test_mode = test_mode

    def transform(self, results: Dict) -> Dict:
        total = results['total_frames']
        if total < 1:
            raise ValueError(f'{results.get("filename")}: the video has no frames')
        edges = np.linspace(0, total, self.num_frames + 1)  # segment boundaries
        if self.test_mode:
            points = (edges[:-1] + edges[1:]) / 2
        else:
            points = edges[:-1] + np.random.rand(self.num_frames) * (edges[1:] - edges[:-1])
        results['frame_inds'] = np.clip(points.astype(np.int64), 0, total - 1)
        return results
