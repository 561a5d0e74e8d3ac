"""A few frames of a clip to show: read through vtp's own transforms (so rotation, time windows,
images and broken files are handled as in evaluation) and scaled down to thumbnails."""

from collections import OrderedDict
from typing import Any, Dict, List, Tuple, Union

import numpy as np
from PIL import Image

from vtp.datasets.sample_error import SampleError
from vtp.datasets.transforms import DecodeVideo, LoadImage, OpenVideo, SampleFrames
from vtp.utils.checks import require_int

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.gif', '.webp', '.tif', '.tiff')


def read_clip_frames(item: Dict[str, Any], num_frames: int) -> np.ndarray:
    """``num_frames`` evenly spaced frames of a clip (of its ``start``/``end`` window when the
    item has one), upright, at full size; an image gives one frame.

    Args:
        item: a data-info dict with ``filename`` (a video or an image) and optionally
            ``start``/``end`` in seconds.
        num_frames: frames T to read; a shorter clip repeats frames.

    Returns:
        (T, H, W, 3) uint8 RGB frames ((1, H, W, 3) for an image).

    Raises:
        SampleError: the file cannot be read (the message names the path and the reason).
    """
    results: Dict[str, Any] = {k: item[k] for k in ('filename', 'start', 'end') if k in item}
    if str(item['filename']).lower().endswith(IMAGE_EXTENSIONS):
        steps: List[Any] = [LoadImage(num_frames=1)]
    else:
        steps = [
            OpenVideo(),
            SampleFrames(num_frames, test_mode=True, repeat_short=True),
            DecodeVideo(),
        ]
    for step in steps:
        results = step(results)
    frames: np.ndarray = results['imgs']
    return frames


def fit(frame: np.ndarray, size: Tuple[int, int]) -> np.ndarray:
    """An (H, W, 3) frame scaled to fit in ``size`` (height, width), its aspect ratio kept."""
    height, width = frame.shape[:2]
    scale = min(size[0] / height, size[1] / width)
    new = (max(1, round(width * scale)), max(1, round(height * scale)))  # PIL: (W, H)
    return np.asarray(Image.fromarray(frame).resize(new, Image.Resampling.BILINEAR))


class ClipThumbnails:
    """Thumbnails of clips, the most recently used ones cached (a clip shown for many queries
    is decoded once).

    Args:
        num_frames: frames per clip.
        size: (height, width) box each frame is scaled to fit in.
        cache_size: clips kept.
    """

    def __init__(self, num_frames: int, size: Tuple[int, int], cache_size: int = 256) -> None:
        num_frames = require_int('ClipThumbnails: num_frames', num_frames, 1)
        self.num_frames, self.size, self.cache_size = num_frames, size, cache_size
        self._cache: 'OrderedDict[Tuple[Any, ...], Union[List[np.ndarray], str]]' = OrderedDict()

    def __call__(self, item: Dict[str, Any]) -> Union[List[np.ndarray], str]:
        """The clip's thumbnails, (h, w, 3) uint8 each, or why it cannot be read."""
        key = (item['filename'], item.get('start'), item.get('end'))
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        try:
            shown: Union[List[np.ndarray], str] = [
                fit(frame, self.size) for frame in read_clip_frames(item, self.num_frames)
            ]
        except SampleError as e:
            shown = str(e)
        self._cache[key] = shown
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return shown
