"""Helpers for tests that run the tools: toy versions of the shipped configs, running a tool.

These need the source checkout of vtp (its ``configs/`` and ``tools/``), found by
:func:`repo_root`: install vtp editable (``pip install -e .``) to run them.
"""

import glob
import importlib.util
import json
import os
import os.path as osp
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any, Dict, List, Optional

from mmengine.config import Config, ConfigDict

from vtp.registry import RUNNERS


def repo_root() -> Path:
    """The source checkout this ``vtp`` is imported from: the folder holding ``vtp/``,
    ``configs/`` and ``tools/``.

    Raises:
        FileNotFoundError: ``vtp`` is imported from an installed copy (``pip install .``, not
            ``-e``), which carries neither the shipped configs nor the tools.
    """
    root = Path(__file__).resolve().parents[2]
    missing = [name for name in ('configs', 'tools') if not (root / name).is_dir()]
    if missing:
        raise FileNotFoundError(
            f'vtp.testing needs the vtp source checkout, but {root} (where vtp is imported '
            f'from) has no {" or ".join(f"{name}/" for name in missing)}: install vtp from its '
            'checkout with `pip install -e .` to run the tests and tools'
        )
    return root


# Config overrides that shrink any shipped config to a toy model on tiny data (a few seconds
# per iteration budget on 2 cores). Written as a config file fragment so that subprocess tests
# can inherit from the real config with `_base_`.
# candidates per query that the toy retrieval runs of the tests re-rank with the matching head
TOY_RERANK_TOPK = 2
TOY_MODEL = """
model = dict(
    video_encoder=dict(arch='toy', window_size=(2, 4, 4), pretrained=None),
    text_encoder=dict(_delete_=True, type='BertTextEncoder', arch='toy',
                      config=dict(vocab_size={vocab_size})),
    heads=dict({heads}),{fusion}{embed_dim}
)
train_cfg = dict(max_iters={iters}, val_interval={iters})
param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=False)]
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval={ckpt_interval}))
log_processor = dict(window_size=1)
"""
TOY_TRAIN_DATA = """
train_dataloader = dict(batch_size=4, num_workers={workers}, persistent_workers=False{train_set})
"""
TOY_EVAL_DATA = """
val_dataloader = dict(batch_size=4, num_workers=0, persistent_workers=False{val_set})
test_dataloader = val_dataloader
"""


def write_toy_config(
    path: Path,
    base: str,
    data_root: Optional[str] = None,
    iters: int = 2,
    ckpt_interval: int = 1,
    workers: int = 0,
    val_size: int = 8,
    vocab_size: int = 30522,
    num_answers: Optional[int] = None,
    extra: str = '',
) -> Path:
    """Write a config inheriting ``base`` (a path under configs/) with the toy overrides.

    With ``data_root`` the train and evaluation datasets read from it (and evaluate the first
    ``val_size`` clips); without it the config's own data paths are kept, relative to the
    working directory of the run. ``num_answers`` sizes an answer head (QA configs).
    """
    base_path = repo_root() / base
    base_cfg = Config.fromfile(str(base_path))
    head_sizes = dict(
        itm='itm=dict(in_dims=32)',
        mlm=f'mlm=dict(in_dims=32, vocab_size={vocab_size})',
        qa=f'qa=dict(in_dims=32, num_answers={num_answers})',
    )
    heads = ', '.join(head_sizes[name] for name in base_cfg.model.heads if name in head_sizes)
    train_set = val_set = ''
    if data_root is not None:
        train_set = f", dataset=dict(data_root='{data_root}')"
        val_set = f", dataset=dict(data_root='{data_root}', indices={val_size})"
    text = f"_base_ = ['{base_path}']\n" + TOY_MODEL.format(
        iters=iters,
        ckpt_interval=ckpt_interval,
        vocab_size=vocab_size,
        heads=heads,
        fusion=''
        if base_cfg.model.get('fusion') is None
        else "\n    fusion=dict(_delete_=True, type='BertFusion', video_dims=64, num_layers=1),",
        embed_dim='' if base_cfg.model.get('embed_dim', 256) is None else '\n    embed_dim=16,',
    )
    text += TOY_TRAIN_DATA.format(workers=workers, train_set=train_set)
    text += _toy_hooks(base_cfg.get('custom_hooks', []))
    if base_cfg.get('val_dataloader') is not None:
        text += TOY_EVAL_DATA.format(val_set=val_set)
    path.write_text(text + extra)
    return path


def train_toy_demo(
    tmp_path: Path, data_root: str, hooks: List[Dict[str, Any]]
) -> List[Dict[str, Any]]:
    """Train 3 iterations of the toy demo config (``configs/pretrain/moving_shapes.py``) on
    ``data_root`` in this process, with ``hooks`` as its only custom hooks, and return what it
    logged (:func:`read_scalars`: one line per iteration)."""
    config = write_toy_config(
        tmp_path / 'toy.py',
        'configs/pretrain/moving_shapes.py',
        data_root,
        iters=3,
        ckpt_interval=3,
        extra=f'custom_hooks = {hooks!r}\n',
    )
    cfg = Config.fromfile(str(config))
    cfg.work_dir = str(tmp_path / 'work')
    RUNNERS.build(cfg).train()
    return read_scalars(cfg.work_dir)


def _toy_hooks(hooks: List[ConfigDict]) -> str:
    """The config line ``custom_hooks = [...]``: the base config's hooks, a ``HeadScheduleHook``
    training every head on every iteration from the first (a toy run of a few iterations trains
    all of them). An ``extra`` adds hooks with ``custom_hooks = custom_hooks + [...]``."""
    toy_hooks = [
        dict(hook.to_dict(), start_iters={}, every={})
        if hook['type'] == 'HeadScheduleHook'
        else hook.to_dict()
        for hook in hooks
    ]
    return f'custom_hooks = {toy_hooks!r}\n'


def tool_command(script: str, *args: str) -> List[str]:
    """The command line running a script from tools/: a ``.sh`` with bash, else with this
    interpreter."""
    path = str(repo_root() / script)
    return ['bash', path, *args] if script.endswith('.sh') else [sys.executable, path, *args]


def run_tool(
    *args: str, env: Optional[Dict[str, str]] = None, cwd: Optional[Path] = None, timeout: int = 300
) -> subprocess.CompletedProcess[str]:
    """Run a script from tools/ (a path relative to the repository; see :func:`tool_command`)
    in ``cwd`` (default: the repository root); fail with its output on error."""
    root = repo_root()
    full_env = {**os.environ, 'PYTHONPATH': str(root), **(env or {})}
    result = subprocess.run(
        tool_command(*args),
        cwd=root if cwd is None else cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise AssertionError(
            f'{args} failed ({result.returncode}):\n{result.stdout[-3000:]}\n'
            f'{result.stderr[-5000:]}'
        )
    return result


def kill_tool_when(
    path: Path,
    *args: str,
    env: Optional[Dict[str, str]] = None,
    cwd: Optional[Path] = None,
    timeout: int = 300,
) -> None:
    """Run a script from tools/ as :func:`run_tool` does, in a session of its own, and kill it
    and every process it started (dataloader workers, ``torchrun``'s ranks) with SIGKILL as
    soon as ``path`` exists (a checkpoint: vtp writes them under a temporary name, renamed
    when complete). Fails if the run ends or ``timeout`` s pass first."""
    root = repo_root()
    full_env = {**os.environ, 'PYTHONPATH': str(root), **(env or {})}
    with tempfile.TemporaryFile('w+') as log:
        proc = subprocess.Popen(
            tool_command(*args),
            cwd=root if cwd is None else cwd,
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.time() + timeout
        while not path.exists() and proc.poll() is None and time.time() < deadline:
            time.sleep(0.02)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        if not path.exists():
            log.seek(0)
            raise AssertionError(
                f'{args}: {path} never appeared (exit code {proc.returncode}):\n'
                f'{log.read()[-5000:]}'
            )


def import_tool(script: str) -> ModuleType:
    """The module of a script from tools/ (a path relative to the repository), imported
    in this process, so a test can call its ``main(argv)`` without starting an interpreter."""
    path = repo_root() / script
    name = f'vtp_tool_{path.stem}'  # registered, so that its functions pickle (worker pools)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def read_scalars(work_dir: str) -> List[Dict[str, Any]]:
    """Every line of every run's scalars.json in ``work_dir``, in run order."""
    rows = []
    for path in sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))):
        with open(path) as f:
            rows += [json.loads(line) for line in f if line.strip()]
    return rows
