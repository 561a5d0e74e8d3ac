"""Per-core time of the training video pipeline: vtp's beside mmaction2's standard decord one.

Times, in one process on one core (``torch.set_num_threads(1)``, OpenCV on one thread, decord
with one decoder thread, PyAV without threads), per clip of FOLDER and of the same clips
re-encoded by ``tools/data/reencode_videos.py`` (224 px, 3 fps, into a temporary folder):

- ``mmaction2``: ``DecordInit > SampleFrames > DecordDecode > Resize > RandomCrop`` built from
  mmaction2's registry (its ``datasets`` package is not imported: its pose transforms need
  scipy);
- ``vtp decord``: ``OpenVideo > SampleFrames > DecodeVideo > Resize > RandomCrop``;
- ``vtp pyav``: the same with ``OpenVideo(decoder='pyav')`` and
  ``DecodeVideo(short_side=...)``.

Each pipeline samples ``--frames`` frames (one random frame in each of as many equal segments),
resizes the short side to ``--size`` x 8/7 (256 for 224) and crops ``--size``. The pipelines
take turns clip by clip, in an order rotated every round, and each figure is the median over
``--rounds`` rounds of the process CPU time per clip (decord decodes on a thread of its own: CPU
time counts it, as a dataloader worker per core does; it also varies less than wall time on a
shared machine). ``workers`` is how many dataloader workers keep a GPU step of ``--step-time``
seconds fed with batches of ``--batch`` clips: ceil(margin x batch x ms/clip / (1000 x step
time)), with a margin of 1.25 for the rest of the pipeline (text, packing) and uneven clips.

    python tools/analysis/benchmark_data.py data/msrvtt/videos/all --frames 8 --size 224
"""

import argparse
import importlib
import logging
import math
import os.path as osp
import subprocess
import sys
import tempfile
import time
import types
from typing import Callable, Dict, List, Tuple

import cv2
import numpy as np
import torch
from mmengine.dataset import Compose
from mmengine.logging import MMLogger

from vtp.apis.video_items import VIDEO_EXTENSIONS, list_videos
from vtp.datasets.transforms import DecodeVideo, OpenVideo, RandomCrop, Resize, SampleFrames
from vtp.utils.checks import positive_float, positive_int

MARGIN = 1.25
REENCODE = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'data', 'reencode_videos.py')
Pipeline = Callable[[str], Dict]


def mmaction2_pipeline(frames: int, resize: int, size: int) -> Pipeline:
    """mmaction2's standard decord training pipeline, from its registry."""
    import mmaction

    root = osp.dirname(mmaction.__file__)
    for name in ('mmaction.datasets', 'mmaction.datasets.transforms'):
        if name not in sys.modules:  # an empty package: its __init__ imports the pose transforms
            package = types.ModuleType(name)
            package.__path__ = [osp.join(root, *name.split('.')[1:])]
            sys.modules[name] = package
    importlib.import_module('mmaction.datasets.transforms.loading')
    importlib.import_module('mmaction.datasets.transforms.processing')
    from mmaction.registry import TRANSFORMS

    pipeline = Compose(
        [
            TRANSFORMS.build(cfg)
            for cfg in (
                dict(type='DecordInit', num_threads=1),
                dict(type='SampleFrames', clip_len=1, frame_interval=1, num_clips=frames),
                dict(type='DecordDecode'),
                dict(type='Resize', scale=(-1, resize)),
                dict(type='RandomCrop', size=size),
            )
        ]
    )
    return lambda path: pipeline(dict(filename=path, start_index=0, modality='RGB'))


def vtp_pipeline(frames: int, resize: int, size: int, decoder: str) -> Pipeline:
    pipeline = Compose(
        [
            OpenVideo(num_threads=1, decoder=decoder),
            SampleFrames(frames),
            DecodeVideo(short_side=resize if decoder == 'pyav' else None),
            Resize(resize),
            RandomCrop(size),
        ]
    )
    return lambda path: pipeline(dict(filename=path))


def describe(path: str) -> str:
    """``W x H, N frames`` of a video."""
    import av

    with av.open(path) as container:
        stream = container.streams.video[0]
        return f'{stream.codec_context.width}x{stream.codec_context.height}, {stream.frames} fr'


def time_pipelines(
    videos: List[str], pipelines: Dict[str, Pipeline], rounds: int
) -> Dict[str, np.ndarray]:
    """CPU ms of each pipeline on each clip, (rounds, clips) per pipeline, taking turns."""
    names = list(pipelines)
    times = {name: np.zeros((rounds, len(videos))) for name in names}
    for r in range(rounds):
        for c, video in enumerate(videos):
            for k in range(len(names)):
                name = names[(k + r) % len(names)]
                np.random.seed(r * len(videos) + c)
                start = time.process_time()
                out = pipelines[name](video)
                times[name][r, c] = (time.process_time() - start) * 1e3
                assert out['imgs'] is not None
    return times


def report(
    label: str, videos: List[str], times: Dict[str, np.ndarray], args: argparse.Namespace
) -> List[Tuple[str, str, float, float, int]]:
    """Print one row per pipeline (and per clip with ``--per-clip``); return the rows."""
    baseline = np.median(times['mmaction2'].mean(axis=1))
    rows = []
    for name, table in times.items():
        ms = float(np.median(table.mean(axis=1)))  # median over rounds of the mean per clip
        workers = math.ceil(MARGIN * args.batch * ms / (1000 * args.step_time))
        rows.append((label, name, ms, baseline / ms, workers))
        print(f'{label:<14} {name:<11} {ms:>10.1f} {baseline / ms:>13.2f}x {workers:>8}')
    if args.per_clip:
        for c, video in enumerate(videos):
            base = np.median(times['mmaction2'][:, c])
            ratios = '  '.join(
                f'{name} {np.median(t[:, c]):.1f} ({base / np.median(t[:, c]):.2f}x)'
                for name, t in times.items()
            )
            print(f'    {osp.basename(video)} ({describe(video)}): {ratios}')
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('folder', help='folder of videos (searched recursively)')
    parser.add_argument('--frames', type=positive_int, default=8, help='frames per clip')
    parser.add_argument(
        '--size', type=positive_int, default=224, help='crop size (short side x 8/7)'
    )
    parser.add_argument('--rounds', type=positive_int, default=5, help='passes over the clips')
    parser.add_argument(
        '--step-time', type=positive_float, default=0.5, help='GPU seconds per step'
    )
    parser.add_argument('--batch', type=positive_int, default=32, help='clips per batch per GPU')
    parser.add_argument('--no-reencode', action='store_true', help='time the raw clips only')
    parser.add_argument('--per-clip', action='store_true', help='print each clip too')
    args = parser.parse_args()

    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    MMLogger.get_current_instance().setLevel(logging.ERROR)  # mmaction2's FileClient warnings
    videos = list_videos(args.folder)
    if not videos:
        parser.error(f'no videos ({", ".join(VIDEO_EXTENSIONS)}) under {args.folder}')
    resize = round(args.size * 8 / 7)
    pipelines = {
        'mmaction2': mmaction2_pipeline(args.frames, resize, args.size),
        'vtp decord': vtp_pipeline(args.frames, resize, args.size, 'decord'),
        'vtp pyav': vtp_pipeline(args.frames, resize, args.size, 'pyav'),
    }
    print(
        f'{len(videos)} clips under {args.folder}, {args.frames} frames, resized to {resize}, '
        f'cropped to {args.size}; one core, CPU time, median of {args.rounds} rounds; workers '
        f'for {args.batch} clips per {args.step_time} s step (x{MARGIN} margin)'
    )
    print(f'{"clips":<14} {"pipeline":<11} {"ms/clip":>10} {"vs mmaction2":>14} {"workers":>8}')
    report(f'raw ({len(videos)})', videos, time_pipelines(videos, pipelines, args.rounds), args)
    if args.no_reencode:
        return
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, REENCODE, '--src', args.folder, '--dst', tmp, '--workers', '1'],
            check=True,
            capture_output=True,
        )
        reencoded = list_videos(tmp)
        times = time_pipelines(reencoded, pipelines, args.rounds)
        report(f're-encoded ({len(reencoded)})', reencoded, times, args)


if __name__ == '__main__':
    main()
