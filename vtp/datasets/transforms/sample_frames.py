"""Choose which frames of a clip to decode."""

import math
from typing import Any, Dict

import numpy as np
from mmcv.transforms import BaseTransform

from vtp.datasets.sample_error import SampleError
from vtp.registry import TRANSFORMS
from vtp.utils.checks import require_int


@TRANSFORMS.register_module()
class SampleFrames(BaseTransform):
    """Split the clip into ``num_frames`` equal segments and take one frame from each.

    Training takes a random frame in each segment; testing takes each segment's centre. When
    the sample has a time window (``start``/``end`` in seconds, as HowTo100M's ASR segments
    do), only the frames inside it are candidates. A clip with fewer frames than
    ``num_frames`` raises :class:`SampleError` (the dataset replaces it), or repeats frames in
    order with ``repeat_short=True``.

    **Required Keys:** ``total_frames``, ``filename``; ``avg_fps`` with ``start``/``end``

    **Optional Keys:** ``start``, ``end`` (seconds)

    **Added Keys:** ``frame_inds`` (T,) int

    Args:
        num_frames: frames T per clip.
        test_mode: centre of each segment instead of a random offset.
        repeat_short: repeat frames of clips shorter than T instead of rejecting them.
    """

    def __init__(
        self, num_frames: int, test_mode: bool = False, repeat_short: bool = False
    ) -> None:
        self.num_frames = require_int('SampleFrames: num_frames', num_frames, 1)
        self.test_mode = test_mode
        self.repeat_short = repeat_short

    def transform(self, results: Dict[str, Any]) -> Dict[str, Any]:
        total = results['total_frames']
        first, last = 0, total  # candidate frames [first, last)
        if results.get('start') is not None or results.get('end') is not None:
            fps = results['avg_fps']
            if not (math.isfinite(fps) and fps > 0):
                raise SampleError(results['filename'], 'no usable frame rate', f'avg_fps {fps}')
            # clamped as floats: a start or end of 1e308 s is finite, but not once multiplied
            first = int(math.floor(min(max((results.get('start') or 0.0) * fps, 0.0), total)))
            end = results.get('end')
            last = total if end is None else int(math.ceil(min(max(end * fps, first), total)))
        available = last - first
        if available < 1 or (available < self.num_frames and not self.repeat_short):
            raise SampleError(
                results['filename'],
                'fewer frames than asked',
                f'{available} frames, {self.num_frames} asked',
            )
        edges = np.linspace(0, available, self.num_frames + 1)  # segment boundaries
        if self.test_mode:
            points = (edges[:-1] + edges[1:]) / 2
        else:
            points = edges[:-1] + np.random.rand(self.num_frames) * (edges[1:] - edges[:-1])
        results['frame_inds'] = first + np.clip(points.astype(np.int64), 0, available - 1)
        return results
