"""A training run killed with SIGKILL leaves no dataloader worker behind."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import List

from vtp.testing import repo_root, write_toy_config

ROOT = repo_root()


def children(pid: int) -> List[int]:
    """The live (not zombie) processes whose parent is ``pid``."""
    found = []
    for entry in os.listdir('/proc'):
        if entry.isdigit():
            try:
                stat = Path('/proc', entry, 'stat').read_text()
            except OSError:
                continue
            state, ppid = stat.rsplit(')', 1)[1].split()[:2]
            if int(ppid) == pid and state != 'Z':
                found.append(int(entry))
    return found


def alive(pid: int) -> bool:
    try:
        return Path('/proc', str(pid), 'stat').read_text().rsplit(')', 1)[1].split()[0] != 'Z'
    except OSError:
        return False


def test_killed_run_takes_its_persistent_workers_along(
    tmp_path: Path, moving_shapes_root: str
) -> None:
    config = write_toy_config(
        tmp_path / 'toy.py',
        'configs/pretrain/moving_shapes.py',
        moving_shapes_root,
        iters=1000,
        ckpt_interval=1000,
        workers=2,
        extra="train_dataloader['persistent_workers'] = True\n",
    )
    log = tmp_path / 'train.log'
    with open(log, 'w') as out:
        proc = subprocess.Popen(
            [sys.executable, 'tools/train.py', str(config), '--work-dir', str(tmp_path / 'work')],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, 'PYTHONPATH': str(ROOT)},
        )
    try:
        deadline = time.time() + 120
        while log.read_text().count('Iter(train)') < 3:
            assert proc.poll() is None and time.time() < deadline, log.read_text()[-3000:]
            time.sleep(0.1)
        workers = children(proc.pid)
        assert len(workers) >= 2, workers
        proc.kill()
        proc.wait()
        deadline = time.time() + 5
        while any(alive(pid) for pid in workers) and time.time() < deadline:
            time.sleep(0.1)
        assert not [pid for pid in workers if alive(pid)], 'workers outlived the killed run'
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
