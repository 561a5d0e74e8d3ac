"""tools/train.py on tar shards: a run killed with SIGKILL and resumed continues the uninterrupted
run's samples and ends at its losses, on one process with dataloader workers (lanes) and on two
(gloo, a mix of shards and files at the configured shares); a resume with another layout stops.
"""

import collections
import os
import sys
from pathlib import Path
from typing import Any, Dict

import pytest
from test_dist_train import free_port

from vtp.testing import (
    import_tool,
    kill_tool_when,
    read_sample_logs,
    read_scalars,
    run_tool,
    write_toy_config,
)

ITERS, KILL_AT = 8, 4
# The runs keep the shipped defaults' hooks and log which samples each iteration read.
SAMPLE_LOG = """
custom_imports = dict(imports=['vtp.testing.sample_log_hook'], allow_failed_imports=False)
custom_hooks = custom_hooks + [dict(type='SampleLogHook')]
val_dataloader = val_cfg = val_evaluator = None
test_dataloader = test_cfg = test_evaluator = None
"""
# the run to kill waits after the checkpoint of iteration KILL_AT, so the kill lands there
KILLED = """_base_ = ['{config}']
custom_hooks = _base_.custom_hooks[:-1] + [dict(type='SampleLogHook', wait_after={at})]
"""
SHARDS = """
shards = dict(
    type='VideoTextShardDataset',
    data_root='{root}',
    manifest='manifest.json',
    pipeline=_base_.train_pipeline,
)
"""
SHARDS_ONLY = """
train_dataloader.update(sampler=dict(shuffle=False), dataset=dict(_delete_=True, **shards))
"""
# 3 shard samples and 1 file sample in every batch of 4, on each rank
MIXED = """
train_dataloader.update(
    sampler=dict(shuffle=False),
    dataset=dict(
        _delete_=True,
        type='MixedDataset',
        datasets=[shards, dict(_base_.train_dataloader.dataset, data_root='{data_root}')],
        ratios=[3, 1],
        names=['shards', 'files'],
    ),
)
"""


@pytest.fixture(scope='module')
def moving_shards(tmp_path_factory: pytest.TempPathFactory, moving_shapes_root: str) -> str:
    """The 24 moving-shapes training clips as tar shards of 5 (make_shards.py, in process)."""
    root = tmp_path_factory.mktemp('moving_shards')
    files = write_toy_config(
        root / 'files.py', 'configs/pretrain/moving_shapes.py', moving_shapes_root
    )
    import_tool('tools/data/make_shards.py').main(
        [str(files), '--out-dir', str(root / 'shards'), '--samples-per-shard', '5']
    )
    return str(root / 'shards')


def shard_config(path: Path, data_root: str, shards: str, mixed: bool, workers: int) -> Path:
    """The toy config on the shards (mixed with the clips as files), and beside it
    ``killed_<name>``: the same, stalling after the checkpoint of iteration ``KILL_AT`` until
    it is killed."""
    config = write_toy_config(
        path,
        'configs/pretrain/moving_shapes.py',
        data_root,
        iters=ITERS,
        ckpt_interval=KILL_AT,
        workers=workers,
        extra=SAMPLE_LOG
        + SHARDS.format(root=shards)
        + (MIXED.format(data_root=data_root) if mixed else SHARDS_ONLY),
    )
    path.with_name(f'killed_{path.name}').write_text(KILLED.format(config=config, at=KILL_AT))
    return config


def losses(work_dir: str) -> Dict[int, Dict[str, float]]:
    """Iteration -> its losses; where runs overlap (a killed run's last iterations, trained
    again after the resume) the later run's."""
    keys = ('loss', 'loss_itc', 'loss_itm', 'loss_mlm')
    return {r['iter']: {k: r[k] for k in keys} for r in read_scalars(work_dir) if 'loss' in r}


def check_resumed_run(full_dir: str, killed_dir: str, ranks: int) -> Dict[int, Any]:
    """The killed run read the uninterrupted run's samples up to the checkpoint, the resumed
    one (starting after it) the rest, on every rank; the losses after the resume match the
    uninterrupted run's within 1e-5 relative. The uninterrupted run's sample logs per rank."""
    full_logs = {}
    for rank in range(ranks):
        (full,) = read_sample_logs(full_dir, rank)
        killed, resumed = read_sample_logs(killed_dir, rank)
        assert sorted(full) == list(range(1, ITERS + 1))
        assert KILL_AT <= max(killed) < ITERS, 'killed too late to test resume'
        assert sorted(resumed) == list(range(KILL_AT + 1, ITERS + 1))  # nothing trained twice
        for it in range(1, ITERS + 1):
            read = (killed if it <= KILL_AT else resumed)[it]['ids']
            assert read == full[it]['ids'], (rank, it)
        full_logs[rank] = full
    full_loss, resumed_loss = losses(full_dir), losses(killed_dir)
    for it in range(KILL_AT + 1, ITERS + 1):
        for key, value in full_loss[it].items():
            assert resumed_loss[it][key] == pytest.approx(value, rel=1e-5, abs=1e-5), (it, key)
    return full_logs


def test_kill_and_resume_on_shards_with_workers(
    tmp_path: Path, moving_shapes_root: str, moving_shards: str
) -> None:
    """One process, 2 dataloader workers (two lanes of shards). The run killed is a process of
    its own; the uninterrupted run and the resume run tools/train.py's main in this one."""
    config = shard_config(tmp_path / 'toy.py', moving_shapes_root, moving_shards, False, 2)
    full_dir, killed_dir = str(tmp_path / 'full'), str(tmp_path / 'killed')
    killed = str(config.with_name(f'killed_{config.name}'))
    kill_tool_when(
        Path(killed_dir, f'iter_{KILL_AT}.pth'), 'tools/train.py', killed, '--work-dir', killed_dir
    )
    train = import_tool('tools/train.py')
    train.main([str(config), '--work-dir', full_dir])
    train.main([str(config), '--work-dir', killed_dir, '--resume'])
    full = check_resumed_run(full_dir, killed_dir, ranks=1)[0]
    read = [i for it in sorted(full) for i in full[it]['ids']]
    assert len(set(read[:24])) == 24  # the first pass reads every shard sample once

    with pytest.raises(ValueError, match=r'\(workers 2 -> 1\)'):  # another layout stops
        train.main(
            [
                str(config),
                '--work-dir',
                killed_dir,
                '--resume',
                '--cfg-options',
                'train_dataloader.num_workers=1',
                f'train_cfg.max_iters={ITERS + 1}',
            ]
        )


def test_kill_and_resume_a_mix_of_shards_and_files_on_two_processes(
    tmp_path: Path, moving_shapes_root: str, moving_shards: str
) -> None:
    """Two gloo processes (tools/dist_train.sh) on a 3:1 mix of shards and files."""
    config = shard_config(tmp_path / 'toy.py', moving_shapes_root, moving_shards, True, 1)
    full_dir, killed_dir = str(tmp_path / 'full'), str(tmp_path / 'killed')
    env = {'PYTHON': sys.executable, 'OMP_NUM_THREADS': '1', 'CHECK_DATA': '0'}

    def dist_train(work_dir: str, *args: str, config: Path = config) -> tuple:
        port = {**env, 'PORT': str(free_port())}
        return ('tools/dist_train.sh', str(config), '2', '--work-dir', work_dir, *args), port

    command, run_env = dist_train(full_dir)
    run_tool(*command, env=run_env)
    command, run_env = dist_train(killed_dir, config=config.with_name(f'killed_{config.name}'))
    kill_tool_when(Path(killed_dir, f'iter_{KILL_AT}.pth'), *command, env=run_env)
    command, run_env = dist_train(killed_dir, '--resume')
    run_tool(*command, env=run_env)
    logs = check_resumed_run(full_dir, killed_dir, ranks=2)

    for rank, log in logs.items():
        for it, line in log.items():
            assert collections.Counter(line['corpus']) == {'shards': 3, 'files': 1}, (rank, it)
    # the ranks' first 4 iterations read the first pass of the shards, 12 samples each
    shard_ids = [
        [
            i
            for it in range(1, 5)
            for i, c in zip(log[it]['ids'], log[it]['corpus'])
            if c == 'shards'
        ]
        for log in logs.values()
    ]
    assert len(set(shard_ids[0] + shard_ids[1])) == 24
    assert os.path.isfile(os.path.join(full_dir, f'iter_{ITERS}.pth'))
