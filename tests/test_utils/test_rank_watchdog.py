"""Tests for the rank watchdog: one failed rank stops the others quickly with a message naming
it, under a launcher that does not watch its processes (two gloo processes started by hand, as
srun or mpirun would); what counts as a communication error; its settings."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch.distributed as dist

from vtp.testing import repo_root, write_toy_config
from vtp.utils import rank_watchdog
from vtp.utils.rank_watchdog import RankWatchdog, is_communication_error, start_rank_watchdog

ROOT = repo_root()

FAILING_HOOK = '''
import os
import time

import torch.distributed as dist
from mmengine.hooks import Hook

from vtp.registry import HOOKS


@HOOKS.register_module()
class FailHook(Hook):
    """Fails on one rank: raises, or is killed with SIGKILL, noting the time first."""

    def __init__(self, rank, phase, how, stamp):
        self.rank, self.phase, self.how, self.stamp = rank, phase, how, stamp

    def fail(self):
        if dist.get_rank() == self.rank:
            with open(self.stamp, 'w') as f:
                f.write(str(time.time()))
            if self.how == 'raise':
                raise ZeroDivisionError('injected failure')
            os.kill(os.getpid(), 9)

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if self.phase == 'train' and runner.iter == 1:
            self.fail()

    def before_val_iter(self, runner, batch_idx, data_batch=None):
        if self.phase == 'val':
            self.fail()
'''


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(
    'rank,phase,how,expected',
    [
        (1, 'train', 'raise', 'rank 0 stops: rank 1 failed: ZeroDivisionError: injected failure'),
        (1, 'train', 'kill', 'rank 0 stops: rank 1 stopped responding: no sign of life for 3 s'),
        (0, 'val', 'raise', 'rank 1 stops: rank 0 failed: ZeroDivisionError: injected failure'),
    ],
)
def test_a_failed_rank_stops_the_other(
    rank: int, phase: str, how: str, expected: str, tmp_path: Path, moving_shapes_root: str
) -> None:
    (tmp_path / 'fail_hook.py').write_text(FAILING_HOOK)
    stamp = tmp_path / 'failed_at'
    config = write_toy_config(
        tmp_path / 'toy.py',
        'configs/pretrain/moving_shapes.py',
        moving_shapes_root,
        iters=3,
        ckpt_interval=3,
        extra=f"custom_imports = dict(imports=['fail_hook'])\n"
        f"custom_hooks = [dict(type='FailHook', rank={rank}, phase='{phase}', how='{how}', "
        f"stamp='{stamp}')]\n"
        'env_cfg = dict(rank_watchdog=dict(timeout=3, interval=0.5))\n',
    )
    port, procs = free_port(), []
    for r in range(2):
        env = {
            **os.environ,
            'MASTER_ADDR': '127.0.0.1',
            'MASTER_PORT': str(port),
            'RANK': str(r),
            'LOCAL_RANK': str(r),
            'WORLD_SIZE': '2',
            'OMP_NUM_THREADS': '1',
            'PYTHONPATH': f'{ROOT}{os.pathsep}{tmp_path}',
        }
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    'tools/train.py',
                    str(config),
                    '--launcher',
                    'pytorch',
                    '--work-dir',
                    str(tmp_path / 'work'),
                ],
                cwd=ROOT,
                env=env,
                text=True,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
        )
    survivor = procs[1 - rank]
    try:
        output = survivor.communicate(timeout=240)[0]
        exited = time.time()
    finally:
        for proc in procs:
            proc.kill()
    assert survivor.returncode == 1, output[-3000:]
    assert expected in output, output[-3000:]
    waited = exited - float(stamp.read_text())
    print(f'{how} on rank {rank} ({phase}): the other rank exited {waited:.1f} s later')
    assert waited < (3 if how == 'raise' else 6) + 5, f'the surviving rank took {waited:.1f} s'


def test_communication_errors_are_those_of_collectives():
    assert is_communication_error(dist.DistError('store timeout'))
    assert is_communication_error(
        RuntimeError('[../gloo/transport/tcp/pair.cc:534] Connection closed')
    )
    assert is_communication_error(RuntimeError('NCCL error: unhandled system error'))
    assert not is_communication_error(ValueError('bad caption in line 3'))


@pytest.mark.parametrize('timeout, interval', [(2.0, 2.0), (1.0, 2.0), (5.0, 0.0)])
def test_interval_must_be_positive_and_below_the_timeout(timeout, interval):
    with pytest.raises(ValueError, match='0 < interval < timeout'):
        RankWatchdog(timeout=timeout, interval=interval)


def test_start_without_a_process_group_is_a_no_op():
    assert not dist.is_initialized()
    start_rank_watchdog(timeout=1.0, interval=0.5)
    assert rank_watchdog._active is None
