"""tools/dist_train.sh trains on 2 CPU processes (gloo) through torchrun."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from vtp.testing import read_scalars, repo_root, write_toy_config

ROOT = repo_root()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_dist_train_two_cpu_processes(tmp_path: Path, moving_shapes_root: str) -> None:
    config = write_toy_config(
        tmp_path / 'toy.py',
        'configs/pretrain/moving_shapes.py',
        moving_shapes_root,
        iters=2,
        ckpt_interval=2,
    )
    work_dir = tmp_path / 'work'
    env = {**os.environ, 'PYTHON': sys.executable, 'PORT': str(free_port()), 'OMP_NUM_THREADS': '1'}
    result = subprocess.run(
        ['bash', 'tools/dist_train.sh', str(config), '2', '--work-dir', str(work_dir)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    assert 'launcher pytorch, world size 2' in result.stdout + result.stderr
    assert 'data (train): 16 samples' in result.stdout  # both ranks' counts, summed
    assert (work_dir / 'iter_2.pth').is_file()
    rows = read_scalars(str(work_dir))
    assert any('retrieval/t2v_R1' in r for r in rows)


@pytest.mark.parametrize(
    'script, args',
    [
        ('tools/dist_train.sh', []),
        ('tools/dist_train.sh', ['configs/pretrain/moving_shapes.py', 'abc']),
        ('tools/dist_test.sh', ['configs/pretrain/moving_shapes.py', 'ckpt.pth', '0']),
    ],
)
def test_launchers_print_their_usage_on_missing_or_bad_arguments(script, args):
    """It was `$1: unbound variable`, or torchrun tracebacks for GPUS abc or 0."""
    result = subprocess.run(['bash', script, *args], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 2 and result.stderr.startswith(f'usage: {script} CONFIG')
