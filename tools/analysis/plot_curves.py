"""Draw loss and metric curves from a work dir's ``vis_data/scalars.json`` to a PNG.

``python tools/analysis/plot_curves.py WORK_DIR [--keys 'loss*' '*R1'] [--out curves.png]``

``WORK_DIR`` is a work dir (every run's ``<timestamp>/vis_data/scalars.json`` under it is read
in order, so a resumed run continues its curve) or one ``scalars.json``. Training lines (those
with ``iter``) are drawn at their step; validation lines at the training step they follow.
Keys containing ``loss`` share the first panel, the other keys the second. Prints one line per
curve: its key, points and last value.
"""

import argparse
import fnmatch
import glob
import json
import os.path as osp
import sys
from typing import Dict, List, Tuple

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402

DEFAULT_KEYS = ['loss*', '*R1', '*acc']

Curves = Dict[str, Tuple[List[float], List[float]]]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Plot loss and metric curves of a work dir')
    parser.add_argument('path', help='a work dir or a scalars.json file')
    parser.add_argument(
        '--keys', nargs='+', default=DEFAULT_KEYS, help='keys to draw (shell patterns)'
    )
    parser.add_argument('--out', help='PNG to write (default: WORK_DIR/curves.png)')
    parser.add_argument('--dpi', type=int, default=100, help='resolution of the PNG')
    args = parser.parse_args()
    if args.dpi < 1:
        parser.error('--dpi must be >= 1')
    if args.out is not None and osp.splitext(args.out)[1].lower() != '.png':
        parser.error(f'--out {args.out}: give a .png file')
    return args


def scalar_files(path: str) -> List[str]:
    """The scalars.json files of a work dir, oldest run first, or ``[path]`` for a file."""
    if osp.isfile(path):
        return [path]
    files = sorted(glob.glob(osp.join(path, '*', 'vis_data', 'scalars.json')))
    if not files:
        sys.exit(f'error: no */vis_data/scalars.json under {path}')
    return files


def read_curves(files: List[str], patterns: List[str]) -> Curves:
    """``key -> (steps, values)`` of every numeric key matching one of ``patterns``."""
    curves: Curves = {}
    step = 0.0  # the last training step seen: where a validation line is drawn
    for path in files:
        with open(path, encoding='utf-8', errors='replace') as f:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as e:
                    sys.exit(f'error: {path}, line {number}: not JSON ({e.msg})')
                if not isinstance(row, dict):
                    sys.exit(f'error: {path}, line {number}: not a JSON object of scalars')
                if 'iter' in row:
                    at = row.get('step', row['iter'])
                    if not isinstance(at, (int, float)) or isinstance(at, bool):
                        sys.exit(f'error: {path}, line {number}: step {at!r} is not a number')
                    step = float(at)
                for key, value in row.items():
                    if key in ('iter', 'step', 'epoch') or not isinstance(value, (int, float)):
                        continue
                    if any(fnmatch.fnmatchcase(key, p) for p in patterns):
                        xs, ys = curves.setdefault(key, ([], []))
                        xs.append(step)
                        ys.append(float(value))
    return curves


def plot(curves: Curves, out: str, dpi: int) -> None:
    """Losses on the first panel, the other curves on the second (a panel only if needed)."""
    groups = [
        sorted(k for k in curves if 'loss' in k),
        sorted(k for k in curves if 'loss' not in k),
    ]
    groups = [g for g in groups if g]
    fig, axes = plt.subplots(
        1, len(groups), figsize=(6 * len(groups), 4), squeeze=False, sharex=True
    )
    for ax, keys in zip(axes[0], groups):
        for key in keys:
            xs, ys = curves[key]
            ax.plot(xs, ys, marker='o' if len(xs) < 20 else None, label=key)
        ax.set_xlabel('step')
        ax.set_title('losses' if 'loss' in keys[0] else 'metrics')
        ax.grid(alpha=0.3)
        ax.legend(fontsize='small')
    fig.tight_layout()
    fig.savefig(out, dpi=dpi)
    plt.close(fig)


def main() -> None:
    args = parse_args()
    files = scalar_files(args.path)
    curves = read_curves(files, args.keys)
    if not curves:
        sys.exit(f'error: no key of {", ".join(files)} matches {" ".join(args.keys)}')
    out = args.out or osp.join(args.path if osp.isdir(args.path) else '.', 'curves.png')
    try:
        plot(curves, out, args.dpi)
    except OSError as e:
        sys.exit(f'error: cannot write {out} ({e.strerror or e})')
    for key, (xs, ys) in sorted(curves.items()):
        print(f'{key}: {len(xs)} points, last {ys[-1]:.4g} at step {xs[-1]:g}')
    print(f'curves written to {out}')


if __name__ == '__main__':
    main()
