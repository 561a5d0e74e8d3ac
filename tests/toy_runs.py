"""Helpers for tests that run the tools: toy versions of the shipped configs, running a tool."""
import glob
import json
import os.path as osp
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Config overrides that shrink any shipped config to a toy model on tiny data (a few seconds
# per iteration budget on 2 cores). Written as a config file fragment so that subprocess tests
# can inherit from the real config with `_base_`.
TOY_OVERRIDES = """
model = dict(
    video_encoder=dict(arch='toy', window_size=(2, 4, 4)),
    text_encoder=dict(_delete_=True, type='BertTextEncoder', arch='toy'),
    fusion=dict(text_dims=32, video_dims=64, num_layers=1, num_heads=2),
    heads=dict(itm=dict(in_dims=32), mlm=dict(in_dims=32)),
    embed_dim=16,
)
train_dataloader = dict(batch_size=4, num_workers={workers}, persistent_workers=False,
                        dataset=dict(data_root='{data_root}'))
val_dataloader = dict(batch_size=4, num_workers=0, persistent_workers=False,
                      dataset=dict(data_root='{data_root}', indices={val_size}))
test_dataloader = val_dataloader
train_cfg = dict(max_iters={iters}, val_interval={iters})
param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=False)]
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval={ckpt_interval}))
log_processor = dict(window_size=1)
"""


def write_toy_config(path: Path, base: str, data_root: str, iters: int = 2,
                     ckpt_interval: int = 1, workers: int = 0, val_size: int = 8,
                     extra: str = '') -> Path:
    """Write a config inheriting ``base`` (a path under configs/) with the toy overrides."""
    text = f"_base_ = ['{ROOT / base}']\n" + TOY_OVERRIDES.format(
        data_root=data_root, iters=iters, ckpt_interval=ckpt_interval, workers=workers,
        val_size=val_size) + extra
    path.write_text(text)
    return path


def run_tool(*args: str, env: dict = None, timeout: int = 300) -> subprocess.CompletedProcess:
    """Run a script from tools/ with this interpreter; fail with its output on error."""
    import os
    full_env = {**os.environ, 'PYTHONPATH': str(ROOT), **(env or {})}
    result = subprocess.run([sys.executable, *args], cwd=ROOT, env=full_env,
                            capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise AssertionError(f'{args} failed ({result.returncode}):\n{result.stdout[-3000:]}\n'
                             f'{result.stderr[-5000:]}')
    return result


def read_scalars(work_dir: str) -> list:
    """Every line of every run's scalars.json in ``work_dir``, in run order."""
    rows = []
    for path in sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))):
        with open(path) as f:
            rows += [json.loads(line) for line in f if line.strip()]
    return rows
