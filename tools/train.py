"""Train a vtp model: ``python tools/train.py CONFIG [--work-dir D] [--resume [CKPT]] [--amp]``."""

import argparse
import os
import os.path as osp
import sys
from typing import List, Optional

from mmengine.config import Config, DictAction
from mmengine.runner import Runner

from vtp.engine.runner.vtp_runner import latest_checkpoint
from vtp.registry import RUNNERS
from vtp.utils.config_file import ConfigError, read_config
from vtp.utils.data_check import DataNotFoundError, check_data
from vtp.utils.dist import close_process_group


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a vtp model')
    parser.add_argument('config', help='config file')
    parser.add_argument('--work-dir', help='where logs and checkpoints go')
    parser.add_argument(
        '--resume',
        nargs='?',
        const='auto',
        help='resume from CKPT, from the newest checkpoint in a directory, or (no value) from '
        'the newest in the work dir',
    )
    parser.add_argument(
        '--amp', action='store_true', help='mixed precision: bf16 autocast, on GPU or CPU'
    )
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config entries, e.g. train_cfg.max_iters=100',
    )
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher',
    )
    parser.add_argument(
        '--check-data',
        action='store_true',
        help='only check that the data the config reads exist, then exit',
    )
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def merge_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Fold the command-line options into the config: the launcher and ``--amp`` first (the
    options may refine them: ``optim_wrapper.dtype=auto``), then ``--cfg-options``, then
    ``--work-dir`` and ``--resume``, which win over the options, as in tools/test.py.

    ``--resume DIR`` resumes from the newest checkpoint in DIR even when the options set
    ``load_from`` (as a fine-tuning run's do). ``--resume`` alone resumes from the newest in the
    work dir; in a work dir without one, a ``load_from`` of the config or options is loaded
    (not resumed), so one command starts a fine-tuning run and restarts it after a kill.
    """
    cfg.launcher = args.launcher
    if args.amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.dtype = 'bfloat16'
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('work_dirs', osp.splitext(osp.basename(args.config))[0])
    if args.resume == 'auto':
        if latest_checkpoint(cfg.work_dir) is None and cfg.get('load_from'):
            cfg.resume = False  # nothing to resume yet: start from load_from
        else:
            cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        cfg.resume, cfg.load_from = True, args.resume
    return cfg


def start_problem(cfg: Config) -> Optional[str]:
    """One line naming what would stop the run after the model is built (on every rank): a
    work dir that is a file, a ``load_from`` / ``--resume`` checkpoint that does not exist, or a
    learning-rate schedule step that begins at or after ``train_cfg.max_iters`` (mmengine's
    error names neither); None when there is none."""
    if osp.isfile(cfg.work_dir):
        return f'work dir {cfg.work_dir} is a file'
    load_from = cfg.get('load_from')
    if load_from and '://' not in load_from:
        path = osp.expanduser(load_from)
        if not (osp.isfile(path) or (cfg.get('resume') and osp.isdir(path))):
            return f'checkpoint not found: {load_from} (set by --resume or load_from)'
    max_iters = (cfg.get('train_cfg') or {}).get('max_iters')
    schedules = cfg.get('param_scheduler') or []
    for i, step in enumerate([schedules] if isinstance(schedules, dict) else schedules):
        begin = step.get('begin', 0)
        if isinstance(max_iters, int) and not step.get('by_epoch', True) and begin >= max_iters:
            return (
                f'param_scheduler[{i}] ({step.get("type")}) begins at iteration {begin}, not '
                f'before train_cfg.max_iters={max_iters}: shorten what comes before it (the '
                'warm-up, in a config: a variable such as warmup_iters is read with the config, '
                'so --cfg-options cannot change it) or train longer'
            )
    return None


def main(argv: Optional[List[str]] = None) -> None:
    """Train with the command line ``argv`` (``sys.argv[1:]`` when None)."""
    args = parse_args(argv)
    try:
        cfg = merge_args(read_config(args.config), args)
    except ConfigError as e:
        sys.exit(f'error: {e}')
    loaders = ['train_dataloader'] + (['val_dataloader'] if cfg.get('val_cfg') else [])
    try:
        check_data(cfg, loaders)
    except DataNotFoundError as e:
        sys.exit(f'error: {e}')
    problem = start_problem(cfg)
    if problem:
        sys.exit(f'error: {problem}')
    if args.check_data:
        return
    runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)
    runner.train()


if __name__ == '__main__':
    main()
    close_process_group()
