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
from multiprocessing import Pool
from typing import List, Optional, Tuple

from tqdm import tqdm

from vtp.apis.video_items import list_videos
from vtp.utils.video_reencode import reencode_video


def find_videos(src: str) -> List[str]:
    """Relative paths of the videos under ``src``, sorted."""
    return [osp.relpath(path, src) for path in list_videos(src)]


def output_path(dst: str, relative: str) -> str:
    return osp.join(dst, osp.splitext(relative)[0] + '.mp4')


def reencode(task: Tuple[str, str, int, float, int]) -> Optional[str]:
    """:func:`reencode_video` of one ``(src, dst, short_side, fps, crf)`` task (for a pool)."""
    return reencode_video(*task)


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
