"""A hook that writes which samples every training iteration read, for tests of the data stream
through a real run (kill and resume, several processes, mixed corpora).

A config loads it with ``custom_imports = dict(imports=['vtp.testing.sample_log_hook'])`` and
``custom_hooks = [..., dict(type='SampleLogHook')]``.
"""

import glob
import json
import os.path as osp
import time
from typing import Any, Dict, List, Optional, Sequence

from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.runner import Runner

from vtp.registry import HOOKS

LOG_NAME = 'samples_rank{rank}.jsonl'


@HOOKS.register_module()
class SampleLogHook(Hook):
    """After each training iteration, append one JSON line to
    ``<log_dir>/samples_rank<R>.jsonl`` (a file per run and rank, flushed at once, so a
    killed run keeps what it trained on): ``iter`` (1-based), ``ids`` (the samples'
    ``video_id``) and ``corpus`` (their corpus in a ``MixedDataset``, else None).

    Args:
        wait_after: sleep ``wait`` seconds before the iteration that follows iteration
            ``wait_after`` (its checkpoint is written by then), so that a test kills the run
            there rather than racing a fast run to its end; None: never.
        wait: seconds of that sleep.
    """

    def __init__(self, wait_after: Optional[int] = None, wait: float = 300.0) -> None:
        self.wait_after, self.wait = wait_after, wait

    def before_train_iter(
        self, runner: Runner, batch_idx: int, data_batch: Optional[Dict[str, Any]] = None
    ) -> None:
        if self.wait_after is not None and runner.iter == self.wait_after:
            time.sleep(self.wait)

    def after_train_iter(
        self,
        runner: Runner,
        batch_idx: int,
        data_batch: Optional[Dict[str, Any]] = None,
        outputs: Optional[Any] = None,
    ) -> None:
        samples: Sequence[Any] = (data_batch or {}).get('data_samples', [])
        line = dict(
            iter=runner.iter + 1,
            ids=[str(s.metainfo.get('video_id')) for s in samples],
            corpus=[s.metainfo.get('corpus') for s in samples],
        )
        path = osp.join(runner.log_dir, LOG_NAME.format(rank=get_rank()))
        with open(path, 'a') as f:
            f.write(json.dumps(line) + '\n')


def read_sample_logs(work_dir: str, rank: int = 0) -> List[Dict[int, Dict[str, Any]]]:
    """The sample logs of rank ``rank`` of every run in ``work_dir``, in run order: per run,
    iteration -> its line."""
    runs = []
    pattern = osp.join(work_dir, '*', LOG_NAME.format(rank=rank))
    for path in sorted(glob.glob(pattern)):
        with open(path) as f:
            lines = [json.loads(line) for line in f if line.strip()]
        runs.append({line['iter']: line for line in lines})
    return runs
