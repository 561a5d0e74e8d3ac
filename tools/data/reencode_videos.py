"""Re-encode videos to a short side of a few hundred pixels at a few frames per second.

Decoding dominates the data cost of video-text training; clips stored at 224 px and 3 fps decode
many times faster than web originals (VindLU and CLIP4Clip prepare their data this way). Every
video under ``--src`` (by extension; folders that are symbolic links are not followed) is
written to the same relative path under ``--dst`` as H.264 mp4 with PyAV. Each output is written
to a temporary name and renamed when complete, so an interrupted run resumes where it stopped
(finished files are skipped) and never leaves a half-written video. Videos with a display
rotation (phone videos) are written upright, without one. Files that cannot be decoded are
listed at the end (and in ``--dst/failed.txt``, this run's); training replaces such samples
anyway.

The settings are kept in ``--dst/reencode.json``: a run with other ``--short-side``, ``--fps``
or ``--crf`` into the same folder is refused (its outputs would mix two encodings). Refused
before anything is written: two inputs with one output (``a.mp4`` and ``a.mkv``), a ``--dst``
that is ``--src`` or inside it (its outputs would be inputs of the next run).

    python tools/data/reencode_videos.py --src data/webvid/videos_raw --dst data/webvid/videos \
        --short-side 224 --fps 3 --workers 8
"""

import argparse
import json
import os
import os.path as osp
import sys
from multiprocessing import Pool
from typing import List, Optional, Tuple

from tqdm import tqdm

from vtp.apis.video_items import list_videos
from vtp.utils.atomic_file import write_atomically
from vtp.utils.checks import positive_int
from vtp.utils.video_reencode import reencode_video

SETTINGS = 'reencode.json'


def find_videos(src: str) -> List[str]:
    """Relative paths of the videos under ``src``, sorted."""
    return [osp.relpath(path, src) for path in list_videos(src)]


def output_path(dst: str, relative: str) -> str:
    return osp.join(dst, osp.splitext(relative)[0] + '.mp4')


def reencode(task: Tuple[str, str, int, float, int]) -> Optional[str]:
    """:func:`reencode_video` of one ``(src, dst, short_side, fps, crf)`` task (for a pool)."""
    return reencode_video(*task)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--src', required=True, help='folder of original videos')
    parser.add_argument('--dst', required=True, help='output folder (same relative layout)')
    parser.add_argument('--short-side', type=int, default=224)
    parser.add_argument('--fps', type=float, default=3.0)
    parser.add_argument('--crf', type=int, default=23, help='x264 quality (lower is better)')
    parser.add_argument('--workers', type=positive_int, default=os.cpu_count())
    args = parser.parse_args(argv)
    if args.short_side < 2 or not 0 < args.fps < 1000 or not 0 <= args.crf <= 51:
        parser.error('need --short-side >= 2, --fps in (0, 1000) and --crf in 0..51')
    if not osp.isdir(args.src):
        parser.error(f'--src {args.src}: not a folder')
    src, dst = osp.realpath(args.src), osp.realpath(args.dst)
    if osp.commonpath([src, dst]) == src:
        parser.error(f'--dst {args.dst} is --src or inside it: its outputs would be inputs')
    if osp.exists(args.dst) and not osp.isdir(args.dst):
        parser.error(f'--dst {args.dst}: a file, give a folder')
    return args


def check_settings(dst: str, settings: dict) -> None:
    """Write ``settings`` to ``dst/reencode.json``, or exit if the folder was written with
    others (its finished outputs would be kept, mixing two encodings)."""
    path = osp.join(dst, SETTINGS)
    if osp.exists(path):
        try:
            with open(path, encoding='utf-8') as f:
                done = json.load(f)
        except ValueError as e:
            sys.exit(f'error: {path}: not the settings of a re-encoding ({e})')
        if done != settings:
            sys.exit(
                f'error: {dst} holds videos re-encoded with {done}, not {settings}: give '
                'another --dst, or the same settings to finish it'
            )
        return
    os.makedirs(dst, exist_ok=True)
    write_atomically(path, lambda f: json.dump(settings, f))


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    videos = find_videos(args.src)
    outputs: dict = {}
    for video in videos:
        outputs.setdefault(output_path(args.dst, video), []).append(video)
    clashes = [sorted(v) for v in outputs.values() if len(v) > 1]
    if clashes:
        sys.exit(
            f'error: {len(clashes)} outputs would be written from two inputs (the output is an '
            'mp4 of the same name), for example ' + ', '.join(clashes[0]) + ': rename them'
        )
    check_settings(args.dst, dict(short_side=args.short_side, fps=args.fps, crf=args.crf))
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
    report = osp.join(args.dst, 'failed.txt')  # this run's: the failures are retried each run
    write_atomically(report, lambda f: f.writelines(line + '\n' for line in failed))
    if failed:
        print(
            f'{len(failed)} videos could not be re-encoded (listed in '
            f'{osp.join(args.dst, "failed.txt")}), for example:\n  ' + '\n  '.join(failed[:5]),
            file=sys.stderr,
        )


if __name__ == '__main__':
    main()
