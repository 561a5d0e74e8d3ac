"""Decode the chosen frames of an opened video."""

import math
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
from mmcv.transforms import BaseTransform

from vtp.datasets.sample_error import SampleError
from vtp.datasets.transforms.clip_cache import CachedClip, FillingReader
from vtp.datasets.transforms.open_video import (
    MAX_PIXELS,
    check_size,
    first_line,
    native_stderr_silenced,
)
from vtp.datasets.transforms.pyav_reader import PyAVReader, UnusableVideo
from vtp.datasets.transforms.resize import short_side_size
from vtp.registry import TRANSFORMS
from vtp.utils.checks import require_int


@TRANSFORMS.register_module()
class DecodeVideo(BaseTransform):
    """Decode ``frame_inds`` from ``video_reader`` into upright RGB frames and close the reader.

    With ``short_side`` and a PyAV reader (``OpenVideo(decoder='pyav')``), frames whose shorter
    side is longer than ``short_side`` come out scaled down to it, in the decoder's colour
    conversion (libswscale, area averaging): the (H, W) that ``Resize(scale=short_side)`` gives,
    which then has nothing left to do, and values within a few levels of decoding at full size
    and resizing with OpenCV's area interpolation (mean absolute difference about 1.3 of 255 on
    camera clips). Smaller frames come out at full size, for ``Resize`` to enlarge as before.

    A decoding failure (a corrupt or truncated stream, or a decoder result that is not T RGB
    frames) raises :class:`SampleError` with reason ``'undecodable frames'``.

    With ``OpenVideo(cache_mb=...)``, a clip seen before comes from memory, and a clip seen for
    the first time gives its asked frames as without a cache, then, if it fits in the cache,
    is decoded whole (every frame, scaled as above) and kept.

    Frames of more than ``max_pixels`` (``OpenVideo``'s, passed on) raise ``'too many
    pixels'``: decord decodes at the size the stream codes, which an mp4 header may understate.

    **Required Keys:** ``video_reader``, ``frame_inds``, ``filename``; ``max_pixels``
    (optional)

    **Modified Keys:** ``video_reader`` (removed)

    **Added Keys:** ``imgs`` (T, H, W, 3) uint8 RGB, ``img_shape`` (H, W)

    Args:
        short_side: scale frames down to this shorter side while decoding (PyAV reader only);
            None decodes at full size.
    """

    def __init__(self, short_side: Optional[int] = None) -> None:
        if short_side is not None:
            short_side = require_int('DecodeVideo: short_side (None: full size)', short_side, 1)
        self.short_side = short_side

    def transform(self, results: Dict[str, Any]) -> Dict[str, Any]:
        reader = results.pop('video_reader')
        frame_inds = list(results['frame_inds'])
        path = results['filename']
        max_pixels = results.get('max_pixels', MAX_PIXELS)
        if isinstance(reader, CachedClip):
            imgs = reader.get_batch(frame_inds)
        elif isinstance(reader, FillingReader):
            imgs = self._fill(reader, frame_inds, path, max_pixels)
        else:
            try:
                imgs = self._decode(reader, frame_inds, path, max_pixels)
            finally:
                close(reader)
        results['imgs'] = imgs
        results['img_shape'] = imgs.shape[1:3]
        return results

    def _fill(
        self, filling: FillingReader, frame_inds: List[int], path: str, max_pixels: int
    ) -> np.ndarray:
        """The asked frames of a clip seen for the first time, decoded as without a cache;
        then, if the whole clip fits in the cache (its size known from the asked frames), every
        frame, offered to the cache. A clip whose other frames fail is not kept."""
        reader = filling.reader
        try:
            imgs = self._decode(reader, frame_inds, path, max_pixels)
            if filling.cache.has_room(filling.key, len(reader) * math.prod(imgs.shape[1:])):
                try:
                    every = self._decode(reader, range(len(reader)), path, max_pixels)
                except SampleError:
                    return imgs  # the sample reads as without a cache, the clip is not kept
                filling.cache.add(filling.key, CachedClip(every, filling.fps))
        finally:
            close(reader)
        return imgs

    def _decode(
        self, reader: Any, frame_inds: Sequence[int], path: str, max_pixels: int
    ) -> np.ndarray:
        """(T, H, W, 3) frames ``frame_inds`` of an open decord or PyAV reader, of at most
        ``max_pixels`` each (decord decodes at the size in the stream, which an mp4 header
        may understate)."""
        import av
        import decord

        frame_inds = list(frame_inds)
        if self.short_side is not None and not isinstance(reader, PyAVReader):
            raise ValueError(
                f'DecodeVideo(short_side={self.short_side}) scales in the decoder: it needs '
                "OpenVideo(decoder='pyav'), got a decord reader"
            )
        try:
            with native_stderr_silenced():
                if isinstance(reader, PyAVReader):
                    size = None
                    if self.short_side is not None and min(reader.shape) > self.short_side:
                        size = short_side_size(*reader.shape, self.short_side)
                    imgs = reader.get_batch(frame_inds, size)  # (T, H, W, 3)
                else:
                    imgs = reader.get_batch(frame_inds).asnumpy()  # (T, H, W, 3)
        except UnusableVideo as e:
            raise SampleError(path, e.reason, e.detail) from None
        except (decord.DECORDError, RuntimeError, av.error.FFmpegError) as e:
            raise SampleError(path, 'undecodable frames', first_line(e)) from None
        if imgs.ndim != 4 or imgs.shape[0] != len(frame_inds) or imgs.shape[3] != 3:
            raise SampleError(
                path,
                'undecodable frames',
                f'{len(frame_inds)} frames asked, decoded shape {imgs.shape}',
            )
        check_size(path, imgs.shape[1], imgs.shape[2], max_pixels)
        return imgs


def close(reader: Any) -> None:
    """Close a PyAV reader (a decord reader closes when dropped)."""
    if isinstance(reader, PyAVReader):
        reader.close()
