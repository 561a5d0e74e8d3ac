"""Tar shards against one file per clip, on the same clips, through a real DataLoader.

Writes the clips (``--clips FOLDER``, else ``--num-clips`` synthetic ones) as a file corpus
(``VideoTextJsonDataset``) and as tar shards of ``--samples-per-shard`` (``VideoTextShardDataset``)
in a temporary folder, then times, for each, the training read pipeline (open, sample
``--frames`` frames, decode, resize, crop) in ``--workers`` dataloader workers fed by
``InfiniteSampler(shuffle=False)``:

- ``clips/s/worker``: clips delivered per second over ``--batches`` batches after the first,
  divided by the workers;
- ``first batch``: seconds from creating the data iterator (forking the workers) to the first
  batch;
- ``resume``: the same for an iterator started at a stream position deep into the second
  pass (the last batch before its end; what a resumed run does: the sampler seeks, each
  shard worker opens its shard and walks over the headers of the samples before its own);
- ``worker PSS``: proportional set size of each worker process (shared pages split among
  the processes sharing them), averaged, at the end of the timed batches.

Sources take turns in every round; figures are medians over ``--rounds``. Then it writes
the manifests of simulated corpora of ``--simulate`` samples (shards of
``--sim-samples-per-shard``, no tar files) and times what a process does at start-up with
one (read the manifest, hold the per-shard counts) and per stream key (find the shard and
sample), with the memory traced: it grows with the number of shards, a few dozen bytes
each, never with an index of the samples.

    python tools/analysis/benchmark_shards.py            # about a minute on 2 cores
    python tools/analysis/benchmark_shards.py --clips data/webvid/videos --workers 4 \
        --batches 50 --samples-per-shard 1000 --simulate 1e6,1e7,1e8
"""

import argparse
import json
import math
import os
import os.path as osp
import statistics
import tempfile
import time
import tracemalloc
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
from mmengine.dataset import pseudo_collate
from torch.utils.data import DataLoader, Dataset

from vtp.apis.video_items import VIDEO_EXTENSIONS, list_videos
from vtp.datasets import VideoTextJsonDataset, VideoTextShardDataset
from vtp.datasets.samplers import InfiniteSampler
from vtp.datasets.shard_writer import write_manifest, write_shard
from vtp.utils.checks import positive_int


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--clips', help='folder of videos (searched recursively)')
    parser.add_argument(
        '--num-clips', type=positive_int, default=48, help='synthetic clips (no --clips)'
    )
    parser.add_argument('--clip-size', type=positive_int, nargs=2, default=(128, 96), help='W H')
    parser.add_argument(
        '--clip-frames', type=positive_int, default=32, help='frames per synthetic clip'
    )
    parser.add_argument('--samples-per-shard', type=positive_int, default=16)
    parser.add_argument('--frames', type=positive_int, default=4, help='frames sampled per clip')
    parser.add_argument(
        '--crop', type=positive_int, default=64, help='crop size (short side x 8/7)'
    )
    parser.add_argument('--workers', type=int, default=1, help='dataloader workers')
    parser.add_argument('--batch-size', type=positive_int, default=4)
    parser.add_argument('--batches', type=positive_int, default=10, help='timed batches per round')
    parser.add_argument('--rounds', type=positive_int, default=3)
    parser.add_argument(
        '--simulate', default='1e5,1e6,1e7', help='sample counts of simulated shard lists'
    )
    parser.add_argument('--sim-samples-per-shard', type=positive_int, default=1000)
    return parser.parse_args(argv)


def synthetic_clips(folder: str, count: int, size: Sequence[int], frames: int) -> List[str]:
    """``count`` H.264 clips of textured, moving noise (compresses like camera footage more
    than flat colour does)."""
    import av

    width, height = size
    rng = np.random.default_rng(0)
    paths = []
    for c in range(count):
        texture = rng.integers(0, 256, (height, 2 * width, 3), dtype=np.uint8)
        path = osp.join(folder, f'clip{c:05d}.mp4')
        with av.open(path, 'w') as container:
            stream = container.add_stream('libx264', rate=8)
            stream.width, stream.height, stream.pix_fmt = width, height, 'yuv420p'
            for t in range(frames):
                image = np.ascontiguousarray(texture[:, 2 * t : 2 * t + width])
                frame = av.VideoFrame.from_ndarray(image, format='rgb24')
                container.mux(stream.encode(frame))
            container.mux(stream.encode())
        paths.append(path)
    return paths


def write_corpora(clips: List[str], out: str, per_shard: int) -> None:
    """``out/files.json`` (the clips by absolute path) and ``out/shards/`` with its manifest."""
    with open(osp.join(out, 'files.json'), 'w') as f:
        json.dump([dict(video=path, caption=f'clip {i}') for i, path in enumerate(clips)], f)
    os.makedirs(osp.join(out, 'shards'))
    counts = []
    for s in range(math.ceil(len(clips) / per_shard)):
        samples = []
        for i in range(s * per_shard, min(len(clips), (s + 1) * per_shard)):
            with open(clips[i], 'rb') as f:
                media = f.read()
            extension = osp.splitext(clips[i])[1].lstrip('.').lower()
            samples.append((f'{i:09d}', {extension: media, 'txt': f'clip {i}'.encode()}))
        name = f'shard-{s:05d}.tar'
        counts.append((name, write_shard(osp.join(out, 'shards', name), samples)))
    write_manifest(osp.join(out, 'shards'), counts)


def pipeline(frames: int, crop: int) -> List[Dict[str, Any]]:
    return [
        dict(type='OpenVideo', num_threads=1),
        dict(type='SampleFrames', num_frames=frames),
        dict(type='DecodeVideo'),
        dict(type='Resize', scale=round(crop * 8 / 7)),
        dict(type='RandomCrop', size=crop),
    ]


def pss_mb(pid: int) -> float:
    """Proportional set size of process ``pid`` in MB (Linux; NaN elsewhere)."""
    try:
        with open(f'/proc/{pid}/smaps_rollup') as f:
            kb = next(int(line.split()[1]) for line in f if line.startswith('Pss:'))
    except (OSError, StopIteration):
        return float('nan')
    return kb / 1024


def read(
    dataset: 'Dataset[Any]', args: argparse.Namespace, start: int, batches: int
) -> Dict[str, float]:
    """Time a fresh data iterator started at stream position ``start``: seconds to the first
    batch, then clips/s/worker and worker PSS over ``batches`` more (none when 0)."""
    sampler = InfiniteSampler(dataset, shuffle=False, seed=0)  # type: ignore[arg-type]
    sampler.set_start(start)
    loader = DataLoader(
        dataset,
        batch_size=args.batch_size,
        sampler=sampler,
        num_workers=args.workers,
        collate_fn=pseudo_collate,
        multiprocessing_context='fork' if args.workers else None,
    )
    begin = time.perf_counter()
    iterator = iter(loader)
    batch = next(iterator)
    first = time.perf_counter() - begin
    failed = sum('failures' in s for s in batch)
    result = dict(first=first)
    if batches:
        begin = time.perf_counter()
        for _ in range(batches):
            failed += sum('failures' in s for s in next(iterator))
        seconds = time.perf_counter() - begin
        result['rate'] = batches * args.batch_size / seconds / max(args.workers, 1)
        workers = getattr(iterator, '_workers', [])
        pids = [w.pid for w in workers] or [os.getpid()]
        result['pss'] = float(np.mean([pss_mb(pid) for pid in pids]))
    if failed:
        raise RuntimeError(f'{failed} samples could not be read: check the clips')
    del iterator
    return result


def simulate(samples: int, per_shard: int, folder: str, args: argparse.Namespace) -> List[Any]:
    """(samples, shards, start-up seconds, held MB, peak MB, µs per key) of a shard list of
    ``samples`` samples (manifest only)."""
    shards = math.ceil(samples / per_shard)
    counts = [(f'shard-{s:07d}.tar', per_shard) for s in range(shards)]
    counts[-1] = (counts[-1][0], samples - per_shard * (shards - 1))
    root = osp.join(folder, f'sim{samples}')
    os.makedirs(root)
    write_manifest(root, counts)
    tracemalloc.start()
    begin = time.perf_counter()
    dataset = VideoTextShardDataset(data_root=root, manifest='manifest.json', pipeline=[])
    len(dataset)  # lists the shards and their counts
    startup = time.perf_counter() - begin
    held = tracemalloc.get_traced_memory()[0]
    dataset.set_loader_layout(args.batch_size, max(args.workers, 1))
    # keys in the order a worker meets them (ascending), over three passes
    keys = np.sort(np.random.default_rng(0).integers(0, 3 * samples, 2000))
    begin = time.perf_counter()
    for key in keys:
        dataset.locate(dataset.stream_index(int(key)))
    per_key = (time.perf_counter() - begin) / len(keys) * 1e6
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return [samples, shards, startup, held / 2**20, peak / 2**20, per_key]


def median(rows: List[Dict[str, float]], key: str) -> float:
    return statistics.median(r[key] for r in rows)


def main(argv: Optional[List[str]] = None) -> None:
    """Run with the command line ``argv`` (``sys.argv[1:]`` when None)."""
    args = parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        if args.clips:
            clips = list_videos(args.clips)
            label = f'{len(clips)} clips under {args.clips}'
        else:
            os.makedirs(osp.join(tmp, 'clips'))
            clips = synthetic_clips(
                osp.join(tmp, 'clips'), args.num_clips, args.clip_size, args.clip_frames
            )
            label = f'{len(clips)} synthetic clips ({args.clip_size[0]}x{args.clip_size[1]}'
            label += f', {args.clip_frames} frames)'
        if not clips:
            raise SystemExit(f'no videos ({", ".join(VIDEO_EXTENSIONS)}) under {args.clips}')
        size_kb = np.mean([osp.getsize(p) for p in clips]) / 1024
        write_corpora(clips, tmp, args.samples_per_shard)
        steps = pipeline(args.frames, args.crop)
        sources: Dict[str, Any] = dict(
            files=VideoTextJsonDataset(ann_file=osp.join(tmp, 'files.json'), pipeline=steps),
            shards=VideoTextShardDataset(
                data_root=osp.join(tmp, 'shards'), manifest='manifest.json', pipeline=steps
            ),
        )
        sources['shards'].set_loader_layout(args.batch_size, args.workers)
        # the last batch of the second pass: as deep into a pass as a resume can land
        size = len(clips)
        deep = (2 * size // args.batch_size - 1) * args.batch_size
        fresh: Dict[str, List[Dict[str, float]]] = {name: [] for name in sources}
        resumed: Dict[str, List[Dict[str, float]]] = {name: [] for name in sources}
        names = list(sources)
        for r in range(args.rounds):
            for name in names[r % 2 :] + names[: r % 2]:
                fresh[name].append(read(sources[name], args, 0, args.batches))
                resumed[name].append(read(sources[name], args, deep, 0))
        print(
            f'{label}, {size_kb:.0f} KB each; {args.samples_per_shard} per shard; '
            f'{args.frames} frames cropped to {args.crop}; batch {args.batch_size}; '
            f'{args.workers} worker(s); median of {args.rounds} rounds'
        )
        print(
            f'{"source":<8} {"clips/s/worker":>15} {"first batch s":>14} '
            f'{"resume s":>9} {"worker PSS MB":>14}'
        )
        for name in names:
            print(
                f'{name:<8} {median(fresh[name], "rate"):>15.1f} '
                f'{median(fresh[name], "first"):>14.3f} {median(resumed[name], "first"):>9.3f} '
                f'{median(fresh[name], "pss"):>14.1f}'
            )
        left = size - deep % size
        print(f'(resume at stream position {deep}: pass 2, {left} samples before its end)')
        counts = [int(float(c)) for c in args.simulate.split(',') if c]
        if counts:
            print(f'simulated shard lists ({args.sim_samples_per_shard} samples per shard):')
            print(
                f'{"samples":>12} {"shards":>9} {"start-up ms":>11} {"held MB":>8} '
                f'{"peak MB":>8} {"µs/key":>7}'
            )
            for count in counts:
                row = simulate(count, args.sim_samples_per_shard, tmp, args)
                print(
                    f'{row[0]:>12,} {row[1]:>9,} {row[2] * 1e3:>11.1f} {row[3]:>8.2f} '
                    f'{row[4]:>8.2f} {row[5]:>7.1f}'
                )


if __name__ == '__main__':
    main()
