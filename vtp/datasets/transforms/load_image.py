"""Load an image as a static video, so image-text and video-text samples share batches."""
from typing import Dict

import numpy as np
from mmcv.transforms import BaseTransform

from vtp.datasets.sample_error import SampleError
from vtp.datasets.transforms.open_video import check_file
from vtp.registry import TRANSFORMS


@TRANSFORMS.register_module()
class LoadImage(BaseTransform):
    """Decode ``filename`` (any format PIL reads) to RGB and repeat it ``num_frames`` times.

    The result has the layout of decoded video frames, so the rest of a video pipeline
    (resize, crop, flip, packing) and the video encoder take it unchanged. A missing, empty,
    truncated or undecodable file, or one over PIL's decompression-bomb limit, raises
    :class:`SampleError`.

    **Required Keys:** ``filename``

    **Added Keys:** ``imgs`` (T, H, W, 3) uint8 RGB, ``img_shape`` (H, W), ``frame_inds`` (T,)

    Args:
        num_frames: frames T of the static clip (that of the video pipelines it mixes with).
    """

    def __init__(self, num_frames: int = 1) -> None:
        if num_frames < 1:
            raise ValueError(f'num_frames must be >= 1, got {num_frames}')
        self.num_frames = num_frames

    def transform(self, results: Dict) -> Dict:
        from PIL import Image
        path = results['filename']
        check_file(path)
        try:
            with Image.open(path) as image:
                frame = np.asarray(image.convert('RGB'))  # (H, W, 3)
        except (OSError, Image.DecompressionBombError) as e:  # unreadable, truncated, huge
            raise SampleError(path, 'undecodable image', str(e)) from None
        results['imgs'] = np.repeat(frame[None], self.num_frames, axis=0)  # (T, H, W, 3)
        results['img_shape'] = frame.shape[:2]
        results['frame_inds'] = np.zeros(self.num_frames, dtype=np.int64)
        return results
