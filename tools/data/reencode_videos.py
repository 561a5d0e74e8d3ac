"""Re-encode videos to a short side of a few hundred pixels at a few frames per second.

Decoding dominates the data cost of video-text training; clips stored at 224 px and 3 fps
decode many times faster than web originals (VindLU and CLIP4Clip prepare their data this
way). Every video under ``--src`` (by extension) is written to the same relative path under
``--dst`` as H.264 mp4 with PyAV. Each output is written to a temporary name and renamed
when complete, so an interrupted run resumes where it stopped (finished files are skipped)
and never leaves a half-written video. Videos with a display rotation (phone videos) are
written upright, without one. Files that cannot be decoded are listed at the end (and in
``--dst/failed.txt``); training replaces such samples anyway.

    python tools/data/reencode_videos.py --src data/webvid/videos_raw --dst data/webvid/videos \
        --short-side 224 --fps 3 --workers 8
"""

import argparse
import os
import os.path as osp
import sys
from fractions import Fraction
from multiprocessing import Pool
from typing import List, Optional, Tuple

import av
import numpy as np
from tqdm import tqdm

from vtp.datasets.transforms.mp4_header import read_mp4_header

EXTENSIONS = ('.mp4', '.webm', '.mkv', '.avi', '.mov', '.m4v')


def find_videos(src: str) -> List[str]:
    """Relative paths of the videos under ``src``, sorted."""
    found = []
    for folder, _, files in os.walk(src):
        found += [
            osp.relpath(osp.join(folder, f), src) for f in files if f.lower().endswith(EXTENSIONS)
        ]
    return sorted(found)


def output_path(dst: str, relative: str) -> str:
    return osp.join(dst, osp.splitext(relative)[0] + '.mp4')


def display_rotation(path: str) -> int:
    """Degrees a player turns the stored picture of ``path`` clockwise (0 for non-mp4)."""
    header = read_mp4_header(path)
    if header is None or not header.video_tracks:
        return 0
    track = header.video_tracks[0]
    if track.rotation is None:
        raise ValueError(f'unsupported display transform: {track.describe_matrix()}')
    return track.rotation


def reencode(task: Tuple[str, str, int, float, int]) -> Optional[str]:
    """Re-encode one video; returns an error message, or None on success."""
    src, dst, short_side, fps, crf = task
    tmp = dst + '.tmp.mp4'
    os.makedirs(osp.dirname(dst) or '.', exist_ok=True)
    try:
        rotation = display_rotation(src)
        with av.open(src) as source, av.open(tmp, mode='w') as target:
            stream_in = source.streams.video[0]
            width, height = stream_in.codec_context.width, stream_in.codec_context.height
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
            written = 0
            for frame in source.decode(stream_in):
                if frame.time is None or frame.time + 1e-6 < written / fps:
                    continue  # keep the first frame at or after each output time
                if rotation:
                    upright = np.rot90(frame.to_ndarray(format='rgb24'), -rotation // 90)
                    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(upright), 'rgb24')
                image = frame.reformat(width=out_w, height=out_h, format='yuv420p')
                image.pts, image.time_base = written, 1 / rate
                written += 1
                target.mux(stream.encode(image))
            target.mux(stream.encode(None))
        os.replace(tmp, dst)
        return None
    except (av.error.FFmpegError, IndexError, ValueError, OSError) as e:
        if osp.exists(tmp):
            os.remove(tmp)
        return f'{src}: {type(e).__name__}: {e}'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--src', required=True, help='folder of original videos')
    parser.add_argument('--dst', required=True, help='output folder (same relative layout)')
    parser.add_argument('--short-side', type=int, default=224)
    parser.add_argument('--fps', type=float, default=3.0)
    parser.add_argument('--crf', type=int, default=23, help='x264 quality (lower is better)')
    parser.add_argument('--workers', type=int, default=os.cpu_count())
    args = parser.parse_args()

    videos = find_videos(args.src)
    todo = [v for v in videos if not osp.exists(output_path(args.dst, v))]
    print(f'{len(videos)} videos under {args.src}; {len(videos) - len(todo)} already done')
    tasks = [
        (osp.join(args.src, v), output_path(args.dst, v), args.short_side, args.fps, args.crf)
        for v in todo
    ]
    failed = []
    with Pool(args.workers) as pool:
        for error in tqdm(pool.imap_unordered(reencode, tasks), total=len(tasks), unit='video'):
            if error:
                failed.append(error)
    if failed:
        os.makedirs(args.dst, exist_ok=True)
        with open(osp.join(args.dst, 'failed.txt'), 'a', encoding='utf-8') as f:
            f.writelines(line + '\n' for line in failed)
        print(
            f'{len(failed)} videos could not be re-encoded (listed in '
            f'{osp.join(args.dst, "failed.txt")}), for example:\n  ' + '\n  '.join(failed[:5]),
            file=sys.stderr,
        )


if __name__ == '__main__':
    main()
