"""Evaluate a checkpoint: ``python tools/test.py CONFIG CHECKPOINT [--out results.json]``.

``--show-dir DIR`` also draws the predictions (a PNG strip per query or question and an
``index.html`` per task, see :func:`vtp.visualization.write_prediction_pages`)."""

import argparse
import json
import os
import os.path as osp
import sys
import tempfile

from mmengine.config import DictAction
from mmengine.runner import Runner

from vtp.registry import RUNNERS
from vtp.utils.atomic_file import write_atomically
from vtp.utils.config_file import ConfigError, read_config
from vtp.utils.data_check import DataNotFoundError, check_data
from vtp.utils.dist import close_process_group
from vtp.visualization import write_prediction_pages


def positive_int(value: str) -> int:
    """An argparse type: an integer of at least 1."""
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f'must be at least 1, got {number}')
    return number


def unwritable(path: str) -> str:
    """Why the JSON file ``path`` could not be written, or ``''``, after creating its folder:
    checked before evaluating, so a bad ``--out`` does not lose the run."""
    if not path:
        return 'empty, give a file name'
    if path.endswith(('/', os.sep)) or osp.isdir(path):
        return 'is a directory, give a file name'
    folder = osp.dirname(osp.realpath(path))  # where write_atomically puts it
    try:
        os.makedirs(folder, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        return f'cannot create its folder {folder}: a file is in the way'
    except OSError as e:
        return f'cannot create its folder {folder} ({e.strerror or e})'
    try:  # the file is written beside its target and renamed: the folder must take a file
        tempfile.TemporaryFile(dir=folder).close()  # its own name: safe on every rank
    except OSError as e:
        return f'cannot be written ({e.strerror or e})'
    return ''


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test a vtp model')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint file (.pth or .safetensors)')
    parser.add_argument('--work-dir', help='where logs go')
    parser.add_argument(
        '--out',
        help='write the metrics (and, where the loop or a metric keeps '
        'them, the per-query or per-question predictions) to this JSON file',
    )
    parser.add_argument(
        '--show-dir',
        help='draw the predictions here: per caption the top clips with the ground truth '
        'framed, per question the clip and the answers (PNG strips and index.html)',
    )
    parser.add_argument(
        '--show-topk', type=positive_int, default=5, help='clips shown per caption (at most 10)'
    )
    parser.add_argument(
        '--show-limit', type=positive_int, default=100, help='queries or questions drawn per task'
    )
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config entries, e.g. test_dataloader.batch_size=8',
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
        help='only check that the checkpoint and the test data exist, then exit',
    )
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if args.out is not None:
        problem = unwritable(args.out)
        if problem:
            parser.error(f'--out {args.out}: {problem}')
    if args.show_dir is not None and osp.exists(args.show_dir) and not osp.isdir(args.show_dir):
        parser.error(f'--show-dir {args.show_dir}: is a file, give a folder')
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main() -> None:
    args = parse_args()
    try:
        cfg = read_config(args.config)
    except ConfigError as e:
        sys.exit(f'error: {e}')
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('work_dirs', osp.splitext(osp.basename(args.config))[0])
    if '://' not in args.checkpoint:
        args.checkpoint = osp.expanduser(args.checkpoint)
    cfg.load_from = args.checkpoint
    cfg.resume = False
    if '://' not in args.checkpoint and not osp.isfile(args.checkpoint):
        sys.exit(f'error: checkpoint not found: {args.checkpoint}')
    try:
        check_data(cfg, ['test_dataloader'])
    except DataNotFoundError as e:
        sys.exit(f'error: {e}')
    if args.check_data:
        return
    runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)
    metrics = runner.test()
    if args.out and runner.rank == 0:
        result = dict(config=args.config, checkpoint=args.checkpoint, metrics=metrics)
        sources = [runner.test_loop, *runner.test_loop.evaluator.metrics]
        predictions = [p for source in sources if (p := getattr(source, 'predictions', None))]
        if predictions:  # per query / question, from the loop or a metric that keeps them
            result['predictions'] = predictions[0]
        # strict JSON: a non-finite number is an error here, not an -Infinity token readers reject
        text = json.dumps(result, indent=2, ensure_ascii=False, allow_nan=False)
        write_atomically(args.out, lambda f: f.write(text + '\n'))  # whole, even if killed
        runner.logger.info(f'metrics written to {args.out}')
    if args.show_dir and runner.rank == 0:
        pages = write_prediction_pages(runner, args.show_dir, args.show_topk, limit=args.show_limit)
        for page in pages:
            runner.logger.info(f'pictures of the predictions: {page}')
        if not pages:
            runner.logger.warning('--show-dir: this run kept no predictions to draw')


if __name__ == '__main__':
    main()
    close_process_group()
