"""Memory and load time of annotation records shared with dataloader workers.

Writes a WebVid-format CSV of ``--rows`` rows, then, each in a fresh process: loads it
through ``WebVidDataset`` (vtp: records streamed into one shared byte array) or through a
plain list-of-dicts dataset (the naive baseline), and starts ``--workers`` dataloader
workers that each read every record once (what a long run does over time). It prints the
load time and the memory of the main process plus workers at its peak: PSS (shared pages
split between the processes that map them: the memory really used) and the sum of RSS
(shared pages counted in every process). A watchdog stops a variant whose memory would take
more than ``--max-memory-fraction`` of the memory available at start, and says so.

    python tools/analysis/benchmark_annotations.py --rows 1000000
    python tools/analysis/benchmark_annotations.py --rows 10000000 --variants vtp
"""

import argparse
import csv
import json
import os
import os.path as osp
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from typing import Dict, List

WORDS = (
    'a woman walks her dog along the beach at sunset while waves roll in slowly aerial '
    'view of a city skyline timelapse clouds moving over green hills close up of hands '
    'typing on a laptop keyboard'
).split()


def write_csv(path: str, rows: int) -> None:
    """A WebVid-layout CSV with ``rows`` rows of realistic field lengths."""
    rng = random.Random(0)
    with open(path, 'w', newline='', encoding='utf-8') as f:
        writer = csv.writer(f)
        writer.writerow(['videoid', 'contentUrl', 'duration', 'page_dir', 'name'])
        for i in range(rows):
            videoid = 1_000_000 + i
            page_dir = f'{i // 50 * 50 + 1:06d}_{i // 50 * 50 + 50:06d}'
            caption = ' '.join(rng.choice(WORDS) for _ in range(rng.randint(6, 16)))
            writer.writerow(
                [
                    videoid,
                    f'https://ak.picdn.net/shutterstock/videos/{videoid}/preview/stock-footage.mp4',
                    f'PT00H00M{rng.randint(5, 59):02d}S',
                    page_dir,
                    caption,
                ]
            )
            if i % 1_000_000 == 999_999:
                print(f'  wrote {i + 1:,} rows', file=sys.stderr, flush=True)


def memory_of(pids: List[int]) -> Dict[str, int]:
    """Summed PSS and RSS (bytes) of ``pids`` from /proc (processes that are gone count 0)."""
    pss = rss = 0
    for pid in pids:
        try:
            with open(f'/proc/{pid}/smaps_rollup') as f:
                for line in f:
                    if line.startswith('Pss:'):
                        pss += int(line.split()[1]) * 1024
                    elif line.startswith('Rss:'):
                        rss += int(line.split()[1]) * 1024
        except (FileNotFoundError, ProcessLookupError):
            pass
    return dict(pss=pss, rss=rss)


def children(pid: int) -> List[int]:
    with open(f'/proc/{pid}/task/{pid}/children') as f:
        return [int(p) for p in f.read().split()]


def available_memory() -> int:
    with open('/proc/meminfo') as f:
        for line in f:
            if line.startswith('MemAvailable:'):
                return int(line.split()[1]) * 1024
    raise RuntimeError('no MemAvailable in /proc/meminfo')


def run_variant(variant: str, csv_path: str, workers: int) -> None:
    """Child process: load, read every record in every worker, report JSON on stdout."""
    import warnings

    import torch
    from torch.utils.data import DataLoader, Dataset

    warnings.filterwarnings('ignore', message='This DataLoader will create')  # >2 workers

    start = time.perf_counter()
    if variant == 'empty':  # the processes alone: subtracted from the others' memory
        records = []
        read = records.__getitem__
    elif variant == 'vtp':
        from vtp.datasets import WebVidDataset

        records = WebVidDataset(
            ann_file=csv_path, data_prefix=dict(video='videos'), pipeline=[], lazy_init=False
        )
        read = records.get_data_info
    else:
        with open(csv_path, newline='', encoding='utf-8') as f:
            records = [
                dict(
                    filename=osp.join('videos', row['page_dir'], row['videoid'] + '.mp4'),
                    text=row['name'],
                    video_id=row['videoid'],
                    duration=row['duration'],
                )
                for row in csv.DictReader(f)
            ]
        read = records.__getitem__
    load_time = time.perf_counter() - start
    num = len(records)

    class ReadAll(Dataset):
        """Item i: worker i reads every record once."""

        def __len__(self) -> int:
            return workers

        def __getitem__(self, item: int) -> int:
            total = 0
            for index in range(num):
                total += len(read(index)['text'])
            return total

    print(json.dumps(dict(event='loaded', load_time=load_time, records=num)), flush=True)
    start = time.perf_counter()
    loader = DataLoader(ReadAll(), batch_size=1, num_workers=workers)
    sums = [int(t) for t in torch.cat(list(loader))]
    print(
        json.dumps(dict(event='read', read_time=time.perf_counter() - start, chars=sums[0])),
        flush=True,
    )


def measure(variant: str, csv_path: str, workers: int, limit: int) -> Dict:
    """Run one variant in a fresh process, sampling the memory of its process tree."""
    proc = subprocess.Popen(
        [sys.executable, __file__, '--child', variant, csv_path, '--workers', str(workers)],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    peak = dict(pss=0, rss=0)
    loaded_peak = dict(pss=0, rss=0)
    stopped = []
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            try:
                memory = memory_of([proc.pid] + children(proc.pid))
            except FileNotFoundError:
                break
            for key in peak:
                peak[key] = max(peak[key], memory[key])
            if memory['pss'] > limit:
                stopped.append(memory['pss'])
                os.killpg(proc.pid, signal.SIGKILL)
                break
            time.sleep(0.2)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    result: Dict = dict(variant=variant)
    for line in proc.stdout:
        event = json.loads(line)
        result.update(event)
        if event['event'] == 'loaded':
            loaded_peak.update(peak)
    proc.wait()
    done.set()
    watcher.join()
    result.update(
        peak_pss=peak['pss'],
        peak_rss=peak['rss'],
        load_pss=loaded_peak['pss'],
        stopped=bool(stopped),
        returncode=proc.returncode,
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--rows', type=int, default=1_000_000)
    parser.add_argument('--workers', type=int, default=4)
    parser.add_argument('--variants', nargs='+', default=['vtp', 'naive'], choices=['vtp', 'naive'])
    parser.add_argument('--csv', help='reuse (or keep) the generated CSV at this path')
    parser.add_argument('--max-memory-fraction', type=float, default=0.8)
    parser.add_argument('--child', nargs=2, metavar=('VARIANT', 'CSV'), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_variant(args.child[0], args.child[1], args.workers)
        return

    with tempfile.TemporaryDirectory() as tmp:
        csv_path = args.csv or osp.join(tmp, 'webvid.csv')
        if not osp.exists(csv_path):
            print(f'writing {args.rows:,} rows to {csv_path}', file=sys.stderr)
            write_csv(csv_path, args.rows)
        size = osp.getsize(csv_path)
        limit = int(available_memory() * args.max_memory_fraction)
        print(
            f'{args.rows:,} rows ({size / 2**20:,.0f} MiB CSV), {args.workers} workers each '
            f'reading every record; memory limit {limit / 2**30:.1f} GiB'
        )
        empty = measure('empty', csv_path, args.workers, limit)
        results = [measure(v, csv_path, args.workers, limit) for v in args.variants]

    gib = 2**30
    print(
        'PSS after load: peak while loading; peak PSS / RSS sum: main process + workers while '
        'every worker reads every record; "records": peak PSS less that of the same processes '
        f'with no records ({empty["peak_pss"] / 2**30:.2f} GiB)'
    )
    print(
        f'{"dataset":8} {"load s":>8} {"read s":>8} {"PSS after load":>15} '
        f'{"peak PSS":>10} {"records":>9} {"peak RSS sum":>13}'
    )
    for r in results:
        if r['stopped'] or r['returncode']:
            why = (
                'stopped by the memory watchdog'
                if r['stopped']
                else f'failed (exit {r["returncode"]})'
            )
            print(f'{r["variant"]:8} {why} at {r["peak_pss"] / gib:.2f} GiB PSS')
            continue
        print(
            f'{r["variant"]:8} {r["load_time"]:8.1f} {r["read_time"]:8.1f} '
            f'{r["load_pss"] / gib:13.2f} G {r["peak_pss"] / gib:8.2f} G '
            f'{(r["peak_pss"] - empty["peak_pss"]) / gib:7.2f} G '
            f'{r["peak_rss"] / gib:11.2f} G'
        )
    done = {r['variant']: r for r in results if not r['stopped'] and not r['returncode']}
    if len(done) == 2:
        naive, vtp = done['naive'], done['vtp']
        records = (naive['peak_pss'] - empty['peak_pss']) / (vtp['peak_pss'] - empty['peak_pss'])
        print(
            f'naive / vtp: peak PSS x{naive["peak_pss"] / vtp["peak_pss"]:.1f}, records '
            f'x{records:.1f}, load time x{naive["load_time"] / vtp["load_time"]:.2f}'
        )


if __name__ == '__main__':
    main()
