"""Decode the chosen frames of an opened video."""
from typing import Dict

from mmcv.transforms import BaseTransform

from vtp.datasets.sample_error import SampleError
from vtp.datasets.transforms.open_video import native_stderr_silenced
from vtp.registry import TRANSFORMS


@TRANSFORMS.register_module()
class DecodeVideo(BaseTransform):
    """Decode ``frame_inds`` from ``video_reader`` into RGB frames and close the reader.

    A decoding failure (a truncated or corrupt stream) raises :class:`SampleError`.

    **Required Keys:** ``video_reader``, ``frame_inds``, ``filename``

    **Modified Keys:** ``video_reader`` (removed)

    **Added Keys:** ``imgs`` (T, H, W, 3) uint8 RGB, ``img_shape`` (H, W)
    """

    def transform(self, results: Dict) -> Dict:
        reader = results.pop('video_reader')
        try:
            with native_stderr_silenced():
                imgs = reader.get_batch(list(results['frame_inds'])).asnumpy()  # (T, H, W, 3)
        except RuntimeError as e:
            raise SampleError(results['filename'], 'undecodable frames',
                              str(e).splitlines()[0]) from None
        results['imgs'] = imgs
        results['img_shape'] = imgs.shape[1:3]
        return results
