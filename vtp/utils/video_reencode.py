"""Re-encode a video smaller: short side of a few hundred pixels, a few frames per second.

Used by ``tools/data/reencode_videos.py`` (a folder of videos) and ``tools/data/make_shards.py
--short-side`` (videos re-encoded on their way into tar shards).
"""

import os
import os.path as osp
from fractions import Fraction
from typing import Optional

import numpy as np

from vtp.datasets.transforms.mp4_header import read_mp4_header


def display_rotation(path: str) -> int:
    """Degrees a player turns the stored picture of ``path`` clockwise (0 for non-mp4)."""
    header = read_mp4_header(path)
    if header is None or not header.video_tracks:
        return 0
    track = header.video_tracks[0]
    if track.rotation is None:
        raise ValueError(f'unsupported display transform: {track.describe_matrix()}')
    return track.rotation


def reencode_video(
    src: str,
    dst: str,
    short_side: int,
    fps: float,
    crf: int = 23,
    start: Optional[float] = None,
    end: Optional[float] = None,
) -> Optional[str]:
    """Write ``src`` to ``dst`` as H.264 mp4 at ``short_side`` pixels and ``fps`` frames per
    second (the first frame at or after each output time), upright when ``src`` carries a
    display rotation. ``dst`` appears only when complete (written under a temporary name).

    Args:
        start, end: keep only the seconds ``[start, end)`` of ``src`` (a segment of a longer
            video), which then start at time 0 in ``dst``.

    Returns:
        None on success, else why ``src`` could not be re-encoded (nothing is written).
    """
    import av

    tmp = f'{dst}.{os.getpid()}.part'  # not a video name; one per process
    os.makedirs(osp.dirname(dst) or '.', exist_ok=True)
    try:
        rotation = display_rotation(src)
        with av.open(src) as source, av.open(tmp, mode='w', format='mp4') as target:
            stream_in = source.streams.video[0]
            if stream_in.codec_context is None:
                raise ValueError('FFmpeg has no decoder for its video stream')
            width, height = stream_in.codec_context.width, stream_in.codec_context.height
            if not (width and height):
                raise ValueError(f'its video stream declares a size of {width}x{height}')
            if rotation in (90, 270):
                width, height = height, width
            scale = short_side / min(width, height)
            out_w, out_h = (
                max(2, round(width * scale / 2) * 2),
                max(2, round(height * scale / 2) * 2),
            )
            rate = Fraction(fps).limit_denominator(1000)
            stream = target.add_stream('libx264', rate=rate)
            stream.width, stream.height, stream.pix_fmt = out_w, out_h, 'yuv420p'
            stream.options = {'crf': str(crf), 'preset': 'veryfast'}
            first = start or 0.0
            if start:
                source.seek(int(start / stream_in.time_base), stream=stream_in)  # keyframe before
            written = 0
            for frame in source.decode(stream_in):
                if frame.time is not None and end is not None and frame.time >= end:
                    break
                if frame.time is None or frame.time - first + 1e-6 < written / fps:
                    continue  # keep the first frame at or after each output time
                if rotation:
                    upright = np.rot90(frame.to_ndarray(format='rgb24'), -rotation // 90)
                    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(upright), 'rgb24')
                image = frame.reformat(width=out_w, height=out_h, format='yuv420p')
                image.pts, image.time_base = written, 1 / rate
                written += 1
                target.mux(stream.encode(image))
            target.mux(stream.encode(None))
        if not written:
            raise ValueError(f'no frame in [{first}, {end}) s')
        os.replace(tmp, dst)
        return None
    except Exception as e:  # whatever one damaged file raises is its failure, not the batch's
        if osp.exists(tmp):
            os.remove(tmp)
        return f'{src}: {type(e).__name__}: {e}'
