"""Decode the chosen frames of an opened video."""

from typing import Any, Dict

from mmcv.transforms import BaseTransform

from vtp.datasets.sample_error import SampleError
from vtp.datasets.transforms.open_video import first_line, native_stderr_silenced
from vtp.registry import TRANSFORMS


@TRANSFORMS.register_module()
class DecodeVideo(BaseTransform):
    """Decode ``frame_inds`` from ``video_reader`` into upright RGB frames and close the reader.

    A decoding failure (a corrupt or truncated stream, or a decoder result that is not T RGB
    frames) raises :class:`SampleError` with reason ``'undecodable frames'``.

    **Required Keys:** ``video_reader``, ``frame_inds``, ``filename``

    **Modified Keys:** ``video_reader`` (removed)

    **Added Keys:** ``imgs`` (T, H, W, 3) uint8 RGB, ``img_shape`` (H, W)
    """

    def transform(self, results: Dict[str, Any]) -> Dict[str, Any]:
        import decord

        reader = results.pop('video_reader')
        frame_inds = list(results['frame_inds'])
        try:
            with native_stderr_silenced():
                imgs = reader.get_batch(frame_inds).asnumpy()  # (T, H, W, 3)
        except (decord.DECORDError, RuntimeError) as e:
            raise SampleError(results['filename'], 'undecodable frames', first_line(e)) from None
        if imgs.ndim != 4 or imgs.shape[0] != len(frame_inds) or imgs.shape[3] != 3:
            raise SampleError(
                results['filename'],
                'undecodable frames',
                f'{len(frame_inds)} frames asked, decoded shape {imgs.shape}',
            )
        results['imgs'] = imgs
        results['img_shape'] = imgs.shape[1:3]
        return results
