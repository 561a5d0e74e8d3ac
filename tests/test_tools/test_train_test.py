"""tools/train.py and tools/test.py end to end on the toy model: train, evaluate, test, resume."""

import glob
import json
import math
import os
import os.path as osp
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from vtp.testing import import_tool, read_scalars, repo_root, run_tool, write_toy_config

ROOT = repo_root()

CONFIG = 'configs/pretrain/moving_shapes.py'


def test_train_then_test_reproduces_metrics(tmp_path: Path, moving_shapes_root: str) -> None:
    config = write_toy_config(tmp_path / 'toy.py', CONFIG, moving_shapes_root, iters=2)
    work_dir = str(tmp_path / 'work')
    run_tool('tools/train.py', str(config), '--work-dir', work_dir)
    assert sorted(os.listdir(work_dir)).count('iter_2.pth') == 1
    assert not glob.glob(osp.join(work_dir, '*.tmp')), 'a temporary checkpoint was left behind'
    log = open(glob.glob(osp.join(work_dir, '*', '*.log'))[0]).read().splitlines()
    start = next(i for i, line in enumerate(log) if 'Iter(train)' in line)
    assert start <= 15, 'the log starts with a dump:\n' + '\n'.join(log[:start])
    assert any('the full config is saved as' in line for line in log[:start])
    rows = read_scalars(work_dir)
    train_metrics = [r for r in rows if 'retrieval/t2v_R1' in r][-1]
    assert {'loss_itc', 'loss_itm', 'loss_mlm'} <= set(rows[0])

    out = tmp_path / 'metrics.json'
    run_tool(
        'tools/test.py',
        str(config),
        osp.join(work_dir, 'iter_2.pth'),
        '--work-dir',
        str(tmp_path / 'test'),
        '--out',
        str(out),
    )
    tested = json.loads(out.read_text())['metrics']
    for key in ('retrieval/t2v_R1', 'retrieval/v2t_MnR', 'probe/temporal_order_acc'):
        assert abs(tested[key] - train_metrics[key]) < 1e-6, key


def test_kill_and_resume_matches_uninterrupted_run(tmp_path: Path, moving_shapes_root: str) -> None:
    """A run killed with SIGKILL and resumed ends with the uninterrupted run's loss."""
    config = write_toy_config(
        tmp_path / 'toy.py',
        CONFIG,
        moving_shapes_root,
        iters=8,
        ckpt_interval=2,
        workers=1,
        val_size=4,
    )
    full_dir, killed_dir = str(tmp_path / 'full'), str(tmp_path / 'killed')
    run_tool('tools/train.py', str(config), '--work-dir', full_dir)

    env = {**os.environ, 'PYTHONPATH': str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, 'tools/train.py', str(config), '--work-dir', killed_dir],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.time() + 240
    while not osp.exists(osp.join(killed_dir, 'iter_4.pth')) and proc.poll() is None:
        assert time.time() < deadline, 'the run did not reach iteration 4'
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not osp.exists(osp.join(killed_dir, 'iter_8.pth')), 'killed too late to test resume'
    run_tool('tools/train.py', str(config), '--work-dir', killed_dir, '--resume')

    def final_loss(work_dir: str) -> dict:
        rows = [r for r in read_scalars(work_dir) if r.get('iter') == 8 and 'loss' in r]
        return {k: rows[-1][k] for k in ('loss', 'loss_itc', 'loss_itm', 'loss_mlm')}

    full, resumed = final_loss(full_dir), final_loss(killed_dir)
    for key, value in full.items():
        assert abs(resumed[key] - value) <= 1e-5 * max(1.0, abs(value)), (key, resumed, full)


def test_train_with_amp_runs_in_bf16_on_cpu(tmp_path: Path, moving_shapes_root: str) -> None:
    """``--amp`` is bf16 autocast without loss scaling, on CPU as on GPU."""
    config = write_toy_config(tmp_path / 'toy.py', CONFIG, moving_shapes_root, iters=2)
    work_dir = tmp_path / 'work'
    run_tool('tools/train.py', str(config), '--work-dir', str(work_dir), '--amp')
    dumped = Config.fromfile(str(work_dir / 'toy.py'))
    assert dumped.optim_wrapper.type == 'AmpOptimWrapper'
    assert dumped.optim_wrapper.dtype == 'bfloat16'
    rows = [r for r in read_scalars(str(work_dir)) if 'loss_itc' in r]
    assert len(rows) == 2 and all(math.isfinite(r['loss']) for r in rows)
    checkpoint = torch.load(work_dir / 'iter_2.pth', map_location='cpu', weights_only=False)
    assert 'loss_scaler' not in checkpoint['optimizer']


def test_flags_and_cfg_options_merge_in_a_documented_order(tmp_path: Path) -> None:
    """``--work-dir`` and ``--resume`` win over the options (a fine-tuning run sets
    ``load_from`` in them, and ``--resume DIR`` must still resume from DIR); ``--amp`` comes
    first, so options refine it; ``--resume`` alone in a work dir without a checkpoint loads
    the options' ``load_from`` instead of dropping it."""
    train = import_tool('tools/train.py')

    def merged(*argv: str, **base) -> Config:
        args = train.parse_args(['cfg.py', *argv])
        return train.merge_args(Config(dict(optim_wrapper=dict(type='OptimWrapper'), **base)), args)

    run = str(tmp_path / 'run')
    options = ['load_from=pretrain.pth', 'work_dir=elsewhere']
    cfg = merged('--resume', run, '--work-dir', run, '--cfg-options', *options)
    assert (cfg.resume, cfg.load_from, cfg.work_dir) == (True, run, run)
    cfg = merged('--amp', '--cfg-options', 'optim_wrapper.dtype=auto')
    assert (cfg.optim_wrapper.type, cfg.optim_wrapper.dtype) == ('AmpOptimWrapper', 'auto')
    cfg = merged('--cfg-options', 'load_from=pretrain.pth', 'lr=2', lr=1)
    assert (cfg.get('resume'), cfg.load_from, cfg.lr) == (None, 'pretrain.pth', 2)

    auto = ['--resume', '--work-dir', run, '--cfg-options', 'load_from=pretrain.pth']
    cfg = merged(*auto)  # the first run of a fine-tuning job: nothing to resume yet
    assert (cfg.resume, cfg.load_from) == (False, 'pretrain.pth')
    os.makedirs(run)
    Path(run, 'iter_40.pth').write_bytes(b'')
    cfg = merged(*auto)  # restarted after a kill: its own newest checkpoint
    assert (cfg.resume, cfg.load_from) == (True, None)
    cfg = merged('--resume', '--work-dir', str(tmp_path / 'new'))  # nothing to load either
    assert (cfg.resume, cfg.load_from) == (True, None)


@pytest.mark.parametrize(
    'change, message',
    [
        (dict(work_dir='FILE'), 'work dir .*afile is a file'),
        (
            dict(load_from='/nowhere/iter_4.pth'),
            r'checkpoint not found: /nowhere/iter_4.pth \(set by',
        ),
        (
            dict(train_cfg=dict(max_iters=10)),
            r'param_scheduler\[1\] \(CosineAnnealingLR\) begins at iteration 50, not before '
            r'train_cfg.max_iters=10: shorten what comes before it \(the warm-up',
        ),
    ],
)
def test_settings_that_would_fail_after_building_the_model_fail_first(tmp_path, change, message):
    """Each was a traceback from inside mmengine on every rank once the model was built."""
    train = import_tool('tools/train.py')
    cfg = Config.fromfile(str(CONFIG))
    cfg.work_dir = str(tmp_path / 'work')
    (tmp_path / 'afile').write_text('')
    if change.get('work_dir') == 'FILE':
        change = dict(work_dir=str(tmp_path / 'afile'))
    cfg.merge_from_dict(change)
    assert re.search(message, train.start_problem(cfg))
    cfg.merge_from_dict(dict(load_from=str(tmp_path), resume=True, work_dir=str(tmp_path / 'w')))
    cfg.merge_from_dict(dict(train_cfg=dict(max_iters=100)))
    assert train.start_problem(cfg) is None  # --resume DIR
