"""Train one config with several seeds and report each metric's mean, spread and per-seed values.

    python tools/analysis/seed_sweep.py CONFIG --work-dir work_dirs/sweep --seeds 0 1 2 \
        [--gpus 8] [--cfg-options KEY=VALUE ...]

One run of a recipe can move by several points with the seed alone (the demo's t2v R@1 was 91,
95 and 96 with seeds 0, 1 and 2: docs/user_guides/5_results_and_benchmarks.md), so a
comparison between two recipes means something only beside the spread of each.

Seed ``s`` trains in ``WORK_DIR/seed_<s>`` (``tools/train.py CONFIG --cfg-options
randomness.seed=<s> ...``; with ``--gpus N`` above 1, ``tools/dist_train.sh CONFIG N ...``)
and its last checkpoint is evaluated by ``tools/test.py ... --out WORK_DIR/seed_<s>/metrics.json``
(``tools/dist_test.sh``); the tools' output goes to ``WORK_DIR/seed_<s>/sweep.log``. A
seed whose metrics are written is not run again, and an interrupted one resumes from its newest
checkpoint, so running the same command again finishes a sweep; ``WORK_DIR/seed_<s>/sweep.json``
records the recipe (the config with the options merged, hashed), and a seed of another recipe
is refused, not mixed in. The table printed at the end, and ``WORK_DIR/summary.json``,
give each metric's mean, sample standard deviation, min, max and per-seed values.
"""

import argparse
import hashlib
import json
import math
import os
import os.path as osp
import statistics
import subprocess
import sys
from typing import Any, Dict, List, Optional, Sequence

from mmengine.config import Config, DictAction

from vtp.utils.atomic_file import write_atomically

TOOLS = osp.dirname(osp.dirname(osp.abspath(__file__)))
SEED_KEY = 'randomness.seed'
RESERVED = {
    SEED_KEY: 'set by --seeds',
    'work_dir': "each seed's folder under --work-dir",
    'resume': 'decided by the sweep (an interrupted seed resumes)',
}
"""Options the sweep sets itself, refused in ``--cfg-options``."""


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a config with several seeds')
    parser.add_argument('config', help='config file')
    parser.add_argument('--work-dir', required=True, help='one folder per seed goes here')
    parser.add_argument(
        '--seeds', type=int, nargs='+', default=[0, 1, 2], help='seeds to train (0 1 2)'
    )
    parser.add_argument(
        '--gpus',
        type=int,
        default=1,
        help='processes per run: above 1, through tools/dist_train.sh and dist_test.sh',
    )
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action='extend',
        default=[],
        help='config overrides given to every run, as tools/train.py takes them',
    )
    args = parser.parse_args(argv)
    if not osp.isfile(args.config):
        parser.error(f'config not found: {args.config}')
    if args.gpus < 1:
        parser.error(f'--gpus must be >= 1, got {args.gpus}')
    if osp.exists(args.work_dir) and not osp.isdir(args.work_dir):
        parser.error(f'--work-dir {args.work_dir}: a file, give a folder')
    if len(set(args.seeds)) != len(args.seeds):
        parser.error(f'--seeds lists a seed twice: {args.seeds}')
    options = argparse.ArgumentParser(prog='--cfg-options', add_help=False)
    options.add_argument('pairs', nargs='*', action=DictAction)
    try:
        args.options = options.parse_args(args.cfg_options).pairs or {}
    except (SystemExit, ValueError) as e:  # DictAction's own error, or argparse's exit
        parser.error(f'--cfg-options {" ".join(args.cfg_options)}: not KEY=VALUE pairs ({e})')
    for key in args.options:
        if key in RESERVED:
            parser.error(f'--cfg-options: {key} is {RESERVED[key]}')
    return args


def run_logged(command: List[str], log_path: str) -> None:
    """Run ``command``, appending its output to ``log_path``; a failure exits with the last
    lines that command printed."""
    with open(log_path, 'a', encoding='utf-8') as log:
        log.write(f'$ {" ".join(command)}\n')
        log.flush()
        start = log.tell()
        code = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT).returncode
    if code != 0:
        with open(log_path, 'rb') as log:
            log.seek(start)
            printed = log.read().decode('utf-8', 'replace').splitlines()
        tail = '\n'.join(printed[-15:]) or '(it printed nothing)'
        sys.exit(f'error: {command[1]} exited with {code} (whole output: {log_path}):\n{tail}')


def tool(args: argparse.Namespace, name: str, *positional: str) -> List[str]:
    """The command running ``tools/<name>.py`` with its positional arguments, in one process
    or, with ``--gpus`` above 1, through ``tools/dist_<name>.sh``."""
    if args.gpus > 1:
        return ['bash', osp.join(TOOLS, f'dist_{name}.sh'), *positional, str(args.gpus)]
    return [sys.executable, osp.join(TOOLS, f'{name}.py'), *positional]


def recipe(args: argparse.Namespace) -> Dict[str, Any]:
    """What a seed's metrics come from besides the seed: the config with the options merged,
    hashed in a canonical form (the same whatever the process, the option order or the
    formatter; plugins named by ``custom_imports`` are not imported here), and, to be read, the
    config's path and the options."""
    cfg = Config.fromfile(args.config, import_custom_modules=False)
    cfg.merge_from_dict(args.options)
    text = json.dumps(_canonical(cfg.to_dict()), sort_keys=True)
    return dict(
        config=args.config,
        cfg_options=args.cfg_options,
        config_sha256=hashlib.sha256(text.encode()).hexdigest(),
    )


def _canonical(value: Any) -> Any:
    """``value`` as plain JSON whose text does not depend on the process: sets sorted, keys as
    strings, classes and functions by their qualified names."""
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((_canonical(v) for v in value), key=repr)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, type) or callable(value):
        return f'{getattr(value, "__module__", "")}.{getattr(value, "__qualname__", value)}'
    return repr(value)


def check_recipe(run_dir: str, wanted: Dict[str, Any]) -> None:
    """Record ``wanted`` in ``run_dir/sweep.json``, or stop if the folder holds a run of
    another recipe (its checkpoints and metrics would be mixed into this sweep)."""
    path = osp.join(run_dir, 'sweep.json')
    if osp.isfile(path):
        try:
            with open(path, encoding='utf-8') as f:
                stored = json.load(f)
        except ValueError as e:  # not UTF-8 or not JSON
            sys.exit(f'error: {path} is damaged ({e}): delete {run_dir} to run the seed again')
        stored = stored if isinstance(stored, dict) else {}
        if stored.get('config_sha256') != wanted['config_sha256']:
            sys.exit(
                f'error: {run_dir} holds a run of another recipe (its config with the options '
                f'merged differs from the one recorded in {path}: config '
                f'{stored.get("config")}, options {stored.get("cfg_options")}): choose another '
                '--work-dir, or delete that folder to run the seed again'
            )
        return
    if os.listdir(run_dir):
        sys.exit(
            f'error: {run_dir} is not empty and has no {osp.basename(path)}: it was not made by '
            'this tool; choose another --work-dir'
        )
    write_atomically(path, lambda f: json.dump(wanted, f, indent=2))


def read_metrics(path: str) -> Optional[Dict[str, Any]]:
    """The ``metrics`` of a ``tools/test.py --out`` file; None when it is absent or not such
    a file (the seed is then tested again)."""
    try:
        with open(path, encoding='utf-8') as f:
            metrics = json.load(f).get('metrics')
    except (OSError, ValueError, AttributeError):
        return None
    return metrics if isinstance(metrics, dict) else None


def seed_metrics(args: argparse.Namespace, seed: int, wanted: Dict[str, Any]) -> Dict[str, Any]:
    """The test metrics of seed ``seed``: read back when written, else trained (resumed when
    the seed's folder holds a checkpoint) and tested."""
    run_dir = osp.join(args.work_dir, f'seed_{seed}')
    os.makedirs(run_dir, exist_ok=True)
    check_recipe(run_dir, wanted)
    out = osp.join(run_dir, 'metrics.json')
    metrics = read_metrics(out)
    if metrics is not None:
        print(f'seed {seed}: metrics already in {out}')
        return metrics
    log = osp.join(run_dir, 'sweep.log')
    last = osp.join(run_dir, 'last_checkpoint')
    resume = ['--resume', run_dir] if osp.isfile(last) else []
    print(f'seed {seed}: {"resuming" if resume else "training"} in {run_dir} (output: {log})')
    options = ['--cfg-options', f'{SEED_KEY}={seed}', *args.cfg_options]
    train = tool(args, 'train', args.config)
    run_logged(train + ['--work-dir', run_dir, *resume, *options], log)
    if not osp.isfile(last):
        sys.exit(f'error: training seed {seed} wrote no checkpoint in {run_dir} (see {log})')
    with open(last, encoding='utf-8') as f:
        checkpoint = f.read().strip()
    test = tool(args, 'test', args.config, checkpoint)
    run_logged(test + ['--work-dir', osp.join(run_dir, 'test'), '--out', out, *options], log)
    metrics = read_metrics(out)
    if metrics is None:
        sys.exit(f'error: tools/test.py wrote no metrics to {out} (see {log})')
    return metrics


def summarize(per_seed: Dict[int, Dict[str, Any]]) -> Dict[str, Dict[str, Any]]:
    """Per numeric metric: ``mean``, ``std`` (sample standard deviation; None from one seed),
    ``min``, ``max`` and ``values`` (seed -> value) over the seeds that report it."""
    names: List[str] = []
    for metrics in per_seed.values():
        names += [k for k, v in metrics.items() if _is_number(v) and k not in names]
    summary = {}
    for name in names:
        values = {s: m[name] for s, m in per_seed.items() if _is_number(m.get(name))}
        numbers = list(values.values())
        bad = [s for s, v in values.items() if not math.isfinite(v)]
        if bad:
            raise ValueError(f'{name} is not a finite number for seeds {bad}: {values}')
        summary[name] = dict(
            mean=statistics.fmean(numbers),
            std=statistics.stdev(numbers) if len(numbers) > 1 else None,
            min=min(numbers),
            max=max(numbers),
            values=values,
        )
    return summary


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def table(summary: Dict[str, Dict[str, Any]], seeds: Sequence[int]) -> str:
    """The summary as a Markdown table, one row per metric."""
    head = ['metric', 'mean', 'std', 'min', 'max', *[f'seed {s}' for s in seeds]]
    lines = ['| ' + ' | '.join(head) + ' |', '|' + ' --- |' * len(head)]
    for name, row in summary.items():
        cells = [name] + [_fmt(row[k]) for k in ('mean', 'std', 'min', 'max')]
        cells += [_fmt(row['values'].get(s)) for s in seeds]
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def _fmt(value: Optional[float]) -> str:
    return '' if value is None else f'{value:.4g}'


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    wanted = recipe(args)
    per_seed = {seed: seed_metrics(args, seed, wanted) for seed in args.seeds}
    try:
        summary = summarize(per_seed)
    except ValueError as e:
        sys.exit(f'error: {e}')
    path = osp.join(args.work_dir, 'summary.json')
    record = dict(wanted, seeds=args.seeds, metrics=summary)
    write_atomically(path, lambda f: json.dump(record, f, indent=2))
    print(table(summary, args.seeds))
    print(f'summary written to {path}')


if __name__ == '__main__':
    main()
