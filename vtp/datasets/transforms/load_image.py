"""Load an image as a static video, so image-text and video-text samples share batches."""

import struct
import warnings
from typing import Any, Callable, Dict, Sequence

import numpy as np
from mmcv.transforms import BaseTransform
from PIL import Image

from vtp.datasets.sample_error import SampleError
from vtp.datasets.transforms.open_video import MAX_PIXELS, check_size, media_source
from vtp.registry import TRANSFORMS
from vtp.utils.checks import is_int, require_int

EXIF_ORIENTATION = 0x0112
# How to turn a stored (H, W, 3) picture upright, by its EXIF orientation (2 to 8).
UPRIGHT: Dict[int, Callable[[np.ndarray], np.ndarray]] = {
    2: lambda a: a[:, ::-1],  # mirrored left-right
    3: lambda a: a[::-1, ::-1],  # turned 180 degrees
    4: lambda a: a[::-1],  # mirrored top-bottom
    5: lambda a: a.transpose(1, 0, 2),  # mirrored along the main diagonal
    6: lambda a: np.rot90(a, -1),  # to be turned 90 degrees clockwise
    7: lambda a: np.rot90(a, 2).transpose(1, 0, 2),  # mirrored along the other diagonal
    8: lambda a: np.rot90(a, 1),  # to be turned 90 degrees counter-clockwise
}
ALPHA_MODES = frozenset({'RGBA', 'LA', 'PA', 'RGBa', 'La'})
# What PIL raises for a broken file: unreadable, truncated, cut inside a chunk, or a header that
# contradicts itself.
PIL_ERRORS = (OSError, ValueError, SyntaxError, EOFError, struct.error)


def rgb_values(image: Image.Image, background: Sequence[int]) -> np.ndarray:
    """(H, W, 3) uint8 RGB of a PIL image of any mode, as stored (before EXIF orientation).

    16-bit and 32-bit integer grey (``I;16*``, ``I``; Pillow opens 16-bit PNGs in either) is
    scaled by 255/65535 and rounded, values outside 0..65535 clipped; float grey (``F``) is
    read on PIL's 0..255 scale, rounded and clipped. A picture with alpha (``RGBA``, ``LA``,
    ``PA``, ``RGBa``, a palette or colour key with transparency) is composited onto
    ``background``. Every other mode (``1``, ``L``, ``P``, ``CMYK``, ``YCbCr``, ``LAB``, ...)
    takes PIL's conversion to RGB.
    """
    mode = image.mode
    if mode == 'I' or mode.startswith('I;16'):
        values = np.clip(np.asarray(image), 0, 65535).astype(np.uint32)
        grey = ((values * 255 + 32767) // 65535).astype(np.uint8)  # rounded
    elif mode == 'F':
        grey = np.clip(np.rint(np.nan_to_num(np.asarray(image))), 0, 255).astype(np.uint8)
    elif mode in ALPHA_MODES or 'transparency' in image.info:
        rgba = np.asarray(image.convert('RGBA')).astype(np.uint16)  # (H, W, 4)
        alpha = rgba[..., 3:]
        under = np.asarray(background, np.uint16) * (255 - alpha)
        return ((rgba[..., :3] * alpha + under + 127) // 255).astype(np.uint8)  # rounded
    else:
        return np.asarray(image.convert('RGB'))
    return np.repeat(grey[..., None], 3, axis=2)


@TRANSFORMS.register_module()
class LoadImage(BaseTransform):
    """Decode ``filename`` (any format and mode PIL reads) to upright 8-bit RGB and repeat it
    ``num_frames`` times.

    The picture is turned upright by its EXIF orientation (2 to 8: mirrors and turns, as a
    photo viewer shows it); modes other than RGB are converted as :func:`rgb_values` says
    (16-bit grey scaled, not clipped; alpha composited onto ``background``, white by default).
    The result has the layout of decoded video frames, so the rest of a video pipeline (resize,
    crop, flip, packing) and the video encoder take it unchanged. A missing, empty, truncated
    or undecodable file raises :class:`SampleError`, and so does a picture of more than
    ``max_pixels``, read from its header before it is decoded (a PNG of a few hundred bytes
    can declare gigabytes).

    The picture is the file ``filename``, or the bytes ``media_bytes`` when the dataset read
    them from a tar shard (``filename`` then names the member in messages).

    **Required Keys:** ``filename``; ``media_bytes`` (optional)

    **Added Keys:** ``imgs`` (T, H, W, 3) uint8 RGB, ``img_shape`` (H, W), ``frame_inds`` (T,)

    Args:
        num_frames: frames T of the static clip (that of the video pipelines it mixes with).
        background: RGB colour that transparent pixels show.
        max_pixels: refuse pictures of more pixels (width x height).
    """

    def __init__(
        self,
        num_frames: int = 1,
        background: Sequence[int] = (255, 255, 255),
        max_pixels: int = MAX_PIXELS,
    ) -> None:
        self.num_frames = require_int('LoadImage: num_frames', num_frames, 1)
        channels = isinstance(background, (list, tuple)) and len(background) == 3
        if not (channels and all(is_int(v) and 0 <= v <= 255 for v in background)):
            raise ValueError(f'LoadImage: background must be 3 ints in 0..255, got {background!r}')
        self.background = tuple(background)
        self.max_pixels = require_int('LoadImage: max_pixels', max_pixels, 1)

    def transform(self, results: Dict[str, Any]) -> Dict[str, Any]:
        path, source = media_source(results)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter('ignore')  # PIL's notes on corrupt EXIF and the like
                with Image.open(source) as image:
                    check_size(path, image.height, image.width, self.max_pixels)
                    image.load()
                    frame = rgb_values(image, self.background)  # (H, W, 3)
                    orientation = image.getexif().get(EXIF_ORIENTATION)
        except (*PIL_ERRORS, Image.DecompressionBombError) as e:
            raise SampleError(path, 'undecodable image', f'{type(e).__name__}: {e}') from None
        if orientation in UPRIGHT:
            frame = np.ascontiguousarray(UPRIGHT[orientation](frame))
        results['imgs'] = np.repeat(frame[None], self.num_frames, axis=0)  # (T, H, W, 3)
        results['img_shape'] = frame.shape[:2]
        results['frame_inds'] = np.zeros(self.num_frames, dtype=np.int64)
        return results
