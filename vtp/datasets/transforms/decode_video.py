"""Decode the chosen frames of an opened video."""
from typing import Dict

from mmcv.transforms import BaseTransform

from vtp.registry import TRANSFORMS


@TRANSFORMS.register_module()
class DecodeVideo(BaseTransform):
    """Decode ``frame_inds`` from ``video_reader`` into RGB frames and close the reader.

    **Required Keys:** ``video_reader``, ``frame_inds``

    **Modified Keys:** ``video_reader`` (removed)

    **Added Keys:** ``imgs`` (T, H, W, 3) uint8 RGB, ``img_shape`` (H, W)
    """

    def transform(self, results: Dict) -> Dict:
        reader = results.pop('video_reader')
        imgs = reader.get_batch(list(results['frame_inds'])).asnumpy()  # (T, H, W, 3)
        results['imgs'] = imgs
        results['img_shape'] = imgs.shape[1:3]
        return results
