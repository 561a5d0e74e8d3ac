"""Tiny real mp4 and jpg files for data tests, written with PyAV and PIL."""
from pathlib import Path

import av
import numpy as np

HEIGHT, WIDTH = 48, 64
BASE, STEP = 16, 14  # grey level of frame i (< 16): BASE + STEP * i


def write_mp4(path: Path, num_frames: int = 12, fps: int = 8) -> str:
    """A tiny mp4: frame i is grey ``BASE + STEP * i`` with a red 8x8 square at x = 4 + 4i."""
    assert num_frames <= 16, 'grey levels identify at most 16 frames'
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), mode='w') as container:
        stream = container.add_stream('libx264', rate=fps)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, 'yuv420p'
        stream.options = {'crf': '10', 'preset': 'ultrafast', 'threads': '1'}
        for i in range(num_frames):
            frame = np.full((HEIGHT, WIDTH, 3), BASE + STEP * i, np.uint8)
            frame[8:16, 4 + 4 * i:12 + 4 * i] = (255, 0, 0)
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format='rgb24')))
        container.mux(stream.encode(None))
    return str(path)


def write_jpg(path: Path, level: int = 128) -> str:
    """A tiny jpg of grey ``level`` with a red 8x8 square in the top-left corner."""
    from PIL import Image
    path.parent.mkdir(parents=True, exist_ok=True)
    image = np.full((HEIGHT, WIDTH, 3), level, np.uint8)
    image[:8, :8] = (255, 0, 0)
    Image.fromarray(image).save(path, quality=95)
    return str(path)
