"""Embed a folder or an annotation file of videos into feature shards.

``python tools/extract_features.py CONFIG CHECKPOINT (--videos DIR | --ann FILE) --out DIR``

Clips go through the config's test pipeline (as ``tools/test.py`` reads them), decoded by
dataloader workers. The output (see :mod:`vtp.apis.feature_shards`) is resumable: a rerun
skips the shards already written. Under ``torchrun --nproc-per-node N`` each process takes
every N-th shard (no communication needed). Unreadable videos are listed, not fatal.
"""

import argparse
import os
import os.path as osp
import time

import torch
from mmengine.config import DictAction
from tqdm import tqdm

from vtp.apis import FeatureExtractor
from vtp.apis.feature_shards import (
    check_manifest,
    failures,
    shard_done,
    shard_ranges,
    shards_of_rank,
    write_shard,
)
from vtp.apis.video_items import gallery_items
from vtp.apis.video_text_inferencer import load_config
from vtp.utils.checks import positive_int
from vtp.utils.config_file import ConfigError


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Extract clip embeddings into shards')
    parser.add_argument('config', help='config file (its test pipeline reads the clips)')
    parser.add_argument('checkpoint', help='checkpoint file (.pth or .safetensors)')
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument('--videos', help='a folder of videos (searched recursively)')
    source.add_argument('--ann', help="an annotation file in the config's test dataset format")
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument('--shard-size', type=positive_int, default=1000, help='videos per shard')
    parser.add_argument(
        '--batch-size', type=positive_int, help="clips per batch (the test loader's)"
    )
    parser.add_argument('--num-workers', type=int, default=2, help='decoding processes')
    parser.add_argument('--dtype', choices=['float16', 'float32'], default='float16')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='config overrides')
    args = parser.parse_args()
    if args.num_workers < 0:
        parser.error('--num-workers must be >= 0')
    if osp.exists(args.out) and not osp.isdir(args.out):
        parser.error(f'--out {args.out}: a file, give a folder')
    return args


def main() -> None:
    args = parse_args()
    rank, world_size = int(os.environ.get('RANK', 0)), int(os.environ.get('WORLD_SIZE', 1))
    try:
        cfg = load_config(args.config)
    except ConfigError as e:
        raise SystemExit(f'error: {e}') from None
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    device = f'cuda:{os.environ.get("LOCAL_RANK", 0)}' if torch.cuda.is_available() else 'cpu'
    extractor = FeatureExtractor(
        cfg,
        args.checkpoint,
        device=device,
        batch_size=args.batch_size,
        num_workers=args.num_workers,
        show_progress=False,
    )
    try:  # a missing or empty gallery, a folder of other features: one line
        items = gallery_items(args.videos or args.ann, cfg)
        shards = shard_ranges(len(items), args.shard_size)
        check_manifest(
            args.out,
            dict(
                format='vtp-features-1',
                config=osp.abspath(args.config),
                checkpoint=osp.abspath(args.checkpoint),
                key=extractor.fingerprint(items),
                num_items=len(items),
                shard_size=args.shard_size,
                dtype=args.dtype,
            ),
        )
    except (OSError, ValueError) as e:
        raise SystemExit(f'error: {e}') from None
    mine = shards_of_rank(len(shards), rank, world_size)
    todo = [i for i in mine if not shard_done(args.out, i)]
    print(
        f'[rank {rank}/{world_size}] {len(items)} videos in {len(shards)} shards; '
        f'{len(mine)} mine, {len(mine) - len(todo)} already written'
    )
    start, clips, bad = time.perf_counter(), 0, 0
    size = extractor.batch_size
    batches = [(i, s) for i in todo for s in range(0, len(shards[i]), size)]
    results: dict = {i: [] for i in todo}
    progress = tqdm(batches, f'rank {rank}', disable=not batches)
    loaders = {i: extractor.video_batches([items[j] for j in shards[i]], size) for i in todo}
    for shard, _ in progress:
        batch = next(loaders[shard])
        for r in extractor.embed_video_batch(batch):
            r['index'] = shards[shard][int(r['index'])]
            results[shard].append(r)
        if len(results[shard]) == len(shards[shard]):
            read, unreadable = write_shard(args.out, shard, results.pop(shard), args.dtype)
            clips, bad = clips + read, bad + unreadable
    seconds = time.perf_counter() - start
    if todo:
        print(
            f'[rank {rank}] {clips} clips embedded in {seconds:.1f} s '
            f'({clips / seconds:.1f} clips/s)'
        )
    for row in failures(args.out) if bad else []:
        print(f'unreadable (listed in its shard table): {row["error"]}')
    print(f'features in {args.out}')


if __name__ == '__main__':
    main()
