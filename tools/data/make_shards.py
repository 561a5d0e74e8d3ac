"""Turn a corpus vtp reads (the dataset of a config) into WebDataset-layout tar shards.

Sample ``i`` of the dataset (annotation order) becomes ``KEY.EXT`` (its media file's bytes,
unchanged), ``KEY.txt`` (its caption; the first one when it has several) and ``KEY.json``
(its annotation: ids, every caption, the source path), with ``KEY`` its index zero-padded.
Shard ``s`` holds samples ``s * N`` to ``s * N + N - 1`` (``--samples-per-shard N``), so shards
are independent: they are written in parallel (``--workers``), each to a temporary name renamed
when complete, with a ``shard-XXXXX_stats.json`` beside it; a rerun skips the finished shards,
and stops if one was written with other settings (its sample range, the re-encoding, the split,
the corpus size or its first and last sample: finishing would repeat or leave out samples).
Samples whose media is missing or empty are left out and listed in the stats and at the end.
``manifest.json`` lists every shard's sample count, in order, as
``VideoTextShardDataset(manifest='manifest.json')`` reads it. With ``--short-side S`` each video
is re-encoded on the way in (H.264 mp4 at short side S and ``--fps``, as
``tools/data/reencode_videos.py`` does; images are kept as they are); a video that cannot be
re-encoded is left out and listed like a missing one. Records of a segment of a longer video
(``start``/``end``: HowTo100M, CNVid) become the segment alone, cut while re-encoding; without
``--short-side`` they are left out.

    python tools/data/make_shards.py configs/pretrain/webvid2m.py --out-dir data/webvid_shards \
        --samples-per-shard 1000 --workers 8 --short-side 224 --fps 3

``--count`` writes the manifest of shards written by another tool (video2dataset,
img2dataset), counting their samples. A shard that is missing, not a tar, or holds data after
its end-of-archive marker (tars joined with ``cat``) is named on a line of its own and the
tool exits with an error, writing no manifest; a truncated shard is named and counts the
samples before the cut:

    python tools/data/make_shards.py --count 'data/webvid/{00000..00099}.tar'
"""

import argparse
import json
import os
import os.path as osp
import sys
import tempfile
from multiprocessing import get_context
from multiprocessing.pool import Pool
from typing import Any, Dict, List, Optional, Tuple, Union

from tqdm import tqdm

from vtp.apis.video_items import VIDEO_EXTENSIONS
from vtp.datasets import BaseVideoTextDataset
from vtp.datasets.sample_error import SampleError
from vtp.datasets.shard_files import list_shards
from vtp.datasets.shard_writer import Sample, write_manifest, write_shard
from vtp.datasets.tar_samples import count_samples
from vtp.registry import DATASETS
from vtp.utils.atomic_file import write_atomically
from vtp.utils.config_file import ConfigError, read_config
from vtp.utils.video_reencode import reencode_video

DATASET: Optional[BaseVideoTextDataset] = None  # the corpus, shared with forked workers
Reencode = Tuple[int, float, int]  # short side, fps, crf


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', nargs='?', help='config whose dataset is written as shards')
    parser.add_argument('--out-dir', help='folder of the shards and manifest.json')
    parser.add_argument(
        '--split', default='train', choices=['train', 'val', 'test'], help='which dataloader'
    )
    parser.add_argument('--samples-per-shard', type=int, default=1000)
    parser.add_argument('--workers', type=int, default=1, help='shards written in parallel')
    parser.add_argument('--count', help='brace pattern or list of existing shards to count')
    parser.add_argument('--short-side', type=int, help='re-encode videos to this short side')
    parser.add_argument('--fps', type=float, default=3.0, help='frame rate of re-encoded videos')
    parser.add_argument('--crf', type=int, default=23, help='x264 quality of re-encoded videos')
    args = parser.parse_args(argv)
    if args.count is None and (args.config is None or args.out_dir is None):
        parser.error('give CONFIG and --out-dir, or --count SHARDS')
    if args.samples_per_shard < 1:
        parser.error('--samples-per-shard must be >= 1')
    if args.short_side is not None and (args.short_side < 2 or args.fps <= 0):
        parser.error('--short-side must be >= 2 and --fps > 0')
    return args


class _InProcess:
    """The part of a process pool's interface used here, run in this process (one worker)."""

    imap = imap_unordered = staticmethod(map)

    def __enter__(self) -> '_InProcess':
        return self

    def __exit__(self, *exc: object) -> None:
        pass


def workers(count: int) -> Union[_InProcess, Pool]:
    """``count`` forked workers, or this process alone for one."""
    return _InProcess() if count <= 1 else get_context('fork').Pool(count)


def build_dataset(config: str, split: str) -> BaseVideoTextDataset:
    """The config's dataset for ``split``, reading records only (no pipeline)."""
    try:
        cfg = read_config(config)
    except ConfigError as e:
        sys.exit(f'error: {e}')
    dataset_cfg = cfg[f'{split}_dataloader']['dataset']
    if dataset_cfg['type'] in ('MixedDataset', 'VideoTextShardDataset'):
        sys.exit(f'{config}: {dataset_cfg["type"]} is not one corpus of files; pick a corpus')
    dataset = DATASETS.build(dict(dataset_cfg, pipeline=[]))
    assert isinstance(dataset, BaseVideoTextDataset)
    return dataset


def read_media(
    path: str, reencode: Optional[Reencode], window: Tuple[Optional[float], Optional[float]]
) -> Tuple[bytes, str]:
    """(the bytes of ``path``, their extension), a video re-encoded with ``reencode`` =
    (short side, fps, crf) when given, cut to the seconds ``window`` = (start, end).

    Raises:
        OSError: ``path`` cannot be read, or (re-encoding) decoded.
    """
    extension = osp.splitext(path)[1].lstrip('.').lower() or 'bin'
    if reencode is None or f'.{extension}' not in VIDEO_EXTENSIONS:
        with open(path, 'rb') as f:
            return f.read(), extension
    with tempfile.TemporaryDirectory() as folder:
        out = osp.join(folder, 'video.mp4')
        error = reencode_video(path, out, *reencode, *window)
        if error is not None:
            raise OSError(error.removeprefix(f'{path}: '))
        with open(out, 'rb') as f:
            return f.read(), 'mp4'


def to_sample(
    index: int, info: Dict[str, Any], width: int, reencode: Optional[Reencode] = None
) -> Tuple[Optional[Sample], str]:
    """(the sample of record ``info``, ''), or (None, why it was left out)."""
    path = info['filename']
    window = (info.get('start'), info.get('end'))
    if window != (None, None) and reencode is None:
        return None, f'{path}: a segment of a longer video (start/end): --short-side cuts it'
    if not osp.isfile(path):
        return None, f'{path}: No such file or directory'
    if osp.getsize(path) == 0:
        return None, f'{path}: empty file'
    try:
        media, extension = read_media(path, reencode, window)
    except OSError as e:
        return None, f'{path}: {e.strerror or e}'
    texts = info.get('text')
    texts = [texts] if isinstance(texts, str) else list(texts or [])
    meta: Dict[str, Any] = {
        k: v for k, v in info.items() if isinstance(v, (str, int, float)) and k != 'text'
    }
    meta['texts'] = texts
    files = dict(txt=(texts[0] if texts else '').encode('utf-8'), json=json.dumps(meta).encode())
    files[extension] = media
    return (f'{index:0{width}d}', files), ''


def layout(first: int, stop: int, reencode: Optional[Reencode], split: str) -> dict:
    """What a shard's content depends on, kept in its stats: a rerun with other settings (a
    new ``--samples-per-shard``) or another corpus (its first and last sample's media and
    caption) would mix shards of two layouts, repeating or losing samples."""
    assert DATASET is not None
    ends = [DATASET.get_data_info(i) for i in (first, stop - 1)]
    return dict(
        samples=[first, stop],
        reencode=None if reencode is None else list(reencode),
        split=split,
        dataset_size=len(DATASET),
        ends=[[e['filename'], e.get('start'), e.get('end'), str(e.get('text'))] for e in ends],
    )


def write_one(
    task: Tuple[int, int, int, str, Optional[Reencode], dict],
) -> Tuple[int, int, List[str]]:
    """Write shard ``shard`` (samples ``first`` to ``stop - 1``); (shard, samples, failures)."""
    shard, first, stop, out_dir, reencode, settings = task
    assert DATASET is not None
    width = max(9, len(str(len(DATASET))))
    samples: List[Sample] = []
    failed: List[str] = []
    for index in range(first, stop):
        sample, why = to_sample(index, DATASET.get_data_info(index), width, reencode)
        if sample is None:
            failed.append(why)
        else:
            samples.append(sample)
    name = osp.join(out_dir, f'shard-{shard:05d}')
    count = write_shard(f'{name}.tar', samples)
    write_atomically(
        f'{name}_stats.json',
        lambda f: json.dump(dict(samples=count, failed=failed, layout=settings), f),
    )
    return shard, count, failed


def make_shards(args: argparse.Namespace) -> None:
    global DATASET
    DATASET = build_dataset(args.config, args.split)
    os.makedirs(args.out_dir, exist_ok=True)
    size, per_shard = len(DATASET), args.samples_per_shard
    reencode = None if args.short_side is None else (args.short_side, args.fps, args.crf)
    tasks = []
    for shard in range((size + per_shard - 1) // per_shard):
        name = osp.join(args.out_dir, f'shard-{shard:05d}')
        first, stop = shard * per_shard, min(size, (shard + 1) * per_shard)
        settings = layout(first, stop, reencode, args.split)
        if not (osp.exists(f'{name}.tar') and osp.exists(f'{name}_stats.json')):
            tasks.append((shard, first, stop, args.out_dir, reencode, settings))
            continue
        try:
            with open(f'{name}_stats.json') as f:
                stats = json.load(f)
            done = stats.get('layout', settings)  # written before layouts were kept: trusted
        except (ValueError, AttributeError):  # damaged: the shard is written again
            tasks.append((shard, first, stop, args.out_dir, reencode, settings))
            continue
        if done != settings:
            raise SystemExit(
                f'error: {name}.tar was written with other settings ({done}; now {settings}): '
                'its samples would be repeated or left out. Write to another --out-dir, or '
                'delete its shards to start again'
            )
    total = (size + per_shard - 1) // per_shard
    print(f'{size} samples in {total} shards of {per_shard}; {total - len(tasks)} already done')
    with workers(args.workers) as pool:
        for _ in tqdm(pool.imap_unordered(write_one, tasks), 'shards', total=len(tasks)):
            pass
    counts, failed = [], []
    for shard in range(total):
        with open(osp.join(args.out_dir, f'shard-{shard:05d}_stats.json')) as f:
            stats = json.load(f)
        counts.append((f'shard-{shard:05d}.tar', stats['samples']))
        failed += stats['failed']
    path = write_manifest(args.out_dir, counts)
    print(f'{sum(n for _, n in counts)} samples written; manifest: {path}')
    if failed:
        print(f'{len(failed)} samples left out:', *failed[:20], sep='\n  ', file=sys.stderr)


def count_one(path: str) -> Tuple[Optional[int], str]:
    """(complete samples of shard ``path``, None when it cannot be counted; '' or the line
    saying what is wrong with it)."""
    try:
        count, truncated = count_samples(path)
    except SampleError as e:
        return None, str(e)
    if truncated:
        return (
            count,
            f'{path}: truncated shard ({count} complete samples counted, the rest left out)',
        )
    return count, ''


def count_shards(pattern: str, num_workers: int) -> None:
    """Write the manifest of the shards ``pattern`` lists; exit with an error, writing none,
    when a shard is missing, not a tar, or holds data after its end (each named)."""
    paths = list_shards(pattern)
    folder = osp.dirname(paths[0])
    if any(osp.dirname(p) != folder for p in paths):
        sys.exit(f'{pattern}: the shards of one manifest must share a folder')
    with workers(num_workers) as pool:
        results = list(tqdm(pool.imap(count_one, paths), 'shards', total=len(paths)))
    for _, problem in results:
        if problem:
            print(problem, file=sys.stderr)
    counts = [n for n, _ in results if n is not None]
    if len(counts) < len(paths):
        sys.exit(
            f'error: {len(paths) - len(counts)} of {len(paths)} shards cannot be counted (listed '
            'above); no manifest written: replace them or leave them out of the list'
        )
    path = write_manifest(folder, [(osp.basename(p), n) for p, n in zip(paths, counts)])
    print(f'{sum(counts)} samples in {len(paths)} shards; manifest: {path}')


def main(argv: Optional[List[str]] = None) -> None:
    """Run with the command line ``argv`` (``sys.argv[1:]`` when None)."""
    args = parse_args(argv)
    if args.count is not None:
        count_shards(args.count, args.workers)
    else:
        make_shards(args)


if __name__ == '__main__':
    main()
