"""A checkpoint that cannot be written (full disk, unwritable work dir) stops the run with a
clear error and leaves the last good checkpoint intact, even with ``max_keep_ckpts=1``."""

import errno
import os
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.fileio.backends.local_backend import LocalBackend

from vtp.engine.runner.vtp_runner import CheckpointWriteError
from vtp.registry import HOOKS, RUNNERS
from vtp.testing import write_toy_config


def toy_config(tmp_path: Path, data_root: str, iters: int, max_keep_ckpts: int) -> Config:
    """The toy pre-training run, a checkpoint every 2 iterations, no evaluation."""
    toy = write_toy_config(
        tmp_path / 'toy.py',
        'configs/pretrain/moving_shapes.py',
        data_root,
        iters=iters,
        ckpt_interval=2,
        extra=f"default_hooks['checkpoint']['max_keep_ckpts'] = "
        f'{max_keep_ckpts}\n'
        'val_cfg = None\nval_dataloader = None\nval_evaluator = None\n',
    )
    cfg = Config.fromfile(toy)
    cfg.work_dir = str(tmp_path / 'work')
    return cfg


@pytest.mark.parametrize('code', [errno.ENOSPC, errno.EACCES])
def test_failed_write_keeps_the_last_good_checkpoint(
    code: int, tmp_path: Path, moving_shapes_root: str, monkeypatch
) -> None:
    cfg = toy_config(tmp_path, moving_shapes_root, iters=4, max_keep_ckpts=1)
    put = LocalBackend.put

    def failing_put(self, obj: bytes, filepath) -> None:
        if 'iter_4' not in str(filepath):
            return put(self, obj, filepath)
        with open(filepath, 'wb') as f:  # half the bytes reach the disk, then it is full
            f.write(obj[: len(obj) // 2])
        raise OSError(code, os.strerror(code), str(filepath))

    monkeypatch.setattr(LocalBackend, 'put', failing_put)
    runner = RUNNERS.build(cfg)
    good = Path(cfg.work_dir, 'iter_2.pth')
    with pytest.raises(CheckpointWriteError) as error:
        runner.train()
    message = str(error.value)
    assert 'iter_4.pth' in message and os.strerror(code) in message
    assert str(good) in message and 'is intact' in message
    assert sorted(p.name for p in Path(cfg.work_dir).glob('iter_*')) == ['iter_2.pth']
    assert Path(cfg.work_dir, 'last_checkpoint').read_text() == str(good)
    state = torch.load(good, weights_only=True)
    assert state['meta']['iter'] == 2


def test_old_checkpoints_go_only_after_the_new_one_is_saved(
    tmp_path: Path, moving_shapes_root: str
) -> None:
    cfg = toy_config(tmp_path, moving_shapes_root, iters=6, max_keep_ckpts=2)
    RUNNERS.build(cfg).train()
    assert sorted(p.name for p in Path(cfg.work_dir).glob('iter_*')) == ['iter_4.pth', 'iter_6.pth']


def test_a_resumed_run_prunes_the_checkpoint_it_resumed_from(
    tmp_path: Path, moving_shapes_root: str
):
    """Each checkpoint lists itself among the kept ones (mmengine's list, updated after the
    save, left the resumed file behind for good: one per resume)."""
    cfg = toy_config(tmp_path, moving_shapes_root, iters=4, max_keep_ckpts=1)
    RUNNERS.build(cfg).train()
    work = Path(cfg.work_dir)
    assert sorted(p.name for p in work.glob('iter_*')) == ['iter_4.pth']
    stored = torch.load(work / 'iter_4.pth', weights_only=True)['message_hub']['runtime_info']
    assert stored['keep_ckpt_ids'] == [4]
    (work / 'iter_2.pth').mkdir()  # a directory of a listed name is never removed
    cfg.train_cfg.max_iters, cfg.resume, cfg.load_from = 6, True, str(work / 'iter_4.pth')
    RUNNERS.build(cfg).train()
    assert sorted(p.name for p in work.glob('iter_*')) == ['iter_2.pth', 'iter_6.pth']


@pytest.mark.parametrize(
    'args, message',
    [
        (dict(interval=0), r'checkpoint.interval \(-1: none\) must be an int >= 1, got 0'),
        (dict(interval=-5), r'checkpoint.interval \(-1: none\) must be an int >= 1, got -5'),
        (dict(interval='500'), r"checkpoint.interval \(-1: none\) must be an int >= 1, got '500'"),
        (dict(max_keep_ckpts='3'), r"max_keep_ckpts \(-1: all\) must be an int >= -1, got '3'"),
        (
            dict(max_keep_ckpt=2),
            r'unknown argument max_keep_ckpt; CheckpointHook takes .*max_keep_ckpts',
        ),
    ],
)
def test_bad_arguments_are_refused_when_built(args, message):
    """A typo was passed to save_checkpoint and refused at the first save, after ``interval``
    iterations of training; interval 0 saved nothing, silently."""
    with pytest.raises(ValueError, match=message):
        HOOKS.build(dict(type='SafeCheckpointHook', by_epoch=False, **args))
