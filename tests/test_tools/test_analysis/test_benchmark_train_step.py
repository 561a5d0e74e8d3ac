"""tools/analysis/benchmark_train_step.py: the table of a toy run, FLOPs against a hand count,
clear errors for switches a model does not take, --cfg-options, a variant out of memory."""

import re
import subprocess
import sys
from pathlib import Path

from vtp.testing import repo_root, run_tool, write_toy_config

TOOL = 'tools/analysis/benchmark_train_step.py'
TINY = ['--frames', '2', '--size', '32', '--length', '12', '--iters', '1', '--warmup', '1']
COLUMNS = ['variant', 'step ms', 'samples/s', 'speed-up', 'peak MiB', 'TFLOP/s', 'MFU']

# A model made of one bias-free linear layer over all the pixels of a clip (which, asked to,
# runs out of CUDA memory under autocast).
PLUGIN = """
import torch
from mmengine.model import BaseModel
from torch import nn

from vtp.registry import MODELS


@MODELS.register_module()
class FlattenLinear(nn.Module):
    def __init__(self, in_dims, out_dims, oom_under_autocast=False):
        super().__init__()
        self.linear = nn.Linear(in_dims, out_dims, bias=False)
        self.oom_under_autocast = oom_under_autocast

    def forward(self, video):
        if self.oom_under_autocast and torch.is_autocast_enabled('cpu'):
            raise torch.cuda.OutOfMemoryError('CUDA out of memory (simulated)')
        return self.linear(video.flatten(1))


@MODELS.register_module()
class LinearProbe(BaseModel):
    def __init__(self, video_encoder):
        super().__init__(data_preprocessor=dict(type='VideoTextDataPreprocessor'))
        self.video_encoder = MODELS.build(video_encoder)

    def forward(self, inputs, data_samples=None, mode='loss'):
        return dict(loss=self.video_encoder(inputs['video']).pow(2).mean())
"""
LINEAR_CONFIG = """
default_scope = 'vtp'
custom_imports = dict(imports=['vtp_bench_plugin'], allow_failed_imports=False)
model = dict(
    type='LinearProbe',
    video_encoder=dict(type='FlattenLinear', in_dims={in_dims}, out_dims={out_dims}),
)
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1))
"""


def table(stdout: str) -> dict:
    """variant -> its row of cells, after checking the header."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith('variant'))
    assert re.split(r'\s{2,}', lines[start].strip()) == COLUMNS
    rows = [line.split() for line in lines[start + 1 :] if line.strip()]
    return {row[0]: row[1:] for row in rows}


def flops_per_sample(stdout: str) -> float:
    line = next(line for line in stdout.splitlines() if line.startswith('FLOPs per sample'))
    return float(line.split(': ')[1].split()[0].replace(',', ''))


def test_toy_model_baseline_and_amp_side_by_side(tmp_path: Path) -> None:
    config = write_toy_config(tmp_path / 'toy.py', 'configs/pretrain/webvid2m.py')
    out = run_tool(TOOL, str(config), '--batch', '2', *TINY, '--variants', 'amp', '--device', 'cpu')
    rows = table(out.stdout)
    assert list(rows) == ['baseline', 'amp']  # the baseline is always measured first
    assert rows['baseline'][2] == '1.00x' and rows['amp'][-1] == 'n/a'  # no CPU peak
    assert flops_per_sample(out.stdout) > 0
    step_ms, samples_per_s = float(rows['amp'][0]), float(rows['amp'][1])
    assert abs(samples_per_s - 2e3 / step_ms) <= 0.01 * samples_per_s + 0.01


def linear_run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    (tmp_path / 'vtp_bench_plugin.py').write_text(PLUGIN)
    config = tmp_path / 'linear.py'
    config.write_text(LINEAR_CONFIG.format(in_dims=3 * 2 * 32 * 32, out_dims=8))
    env = {'PYTHONPATH': f'{tmp_path}:{repo_root()}'}
    return subprocess.run(
        [sys.executable, str(repo_root() / TOOL), str(config), *TINY, '--device', 'cpu', *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_flops_per_sample_equal_the_hand_count_and_mfu_uses_the_peak(tmp_path: Path) -> None:
    out = linear_run(tmp_path, '--batch', '3', '--peak-tflops', '1e-6')
    assert out.returncode == 0, out.stderr
    # forward (B, P) x (P, 8) and the weight's gradient (8, B) x (B, P), 2 FLOPs per
    # multiply-add; the clips need no gradient
    assert flops_per_sample(out.stdout) == 2 * 2 * (3 * 2 * 32 * 32) * 8
    cells = table(out.stdout)['baseline']
    tflops, mfu = float(cells[4]), float(cells[5].rstrip('%'))
    assert abs(mfu - 100 * tflops / 1e-6) <= 0.01 * mfu + 0.1


def test_switch_the_model_does_not_take_fails_naming_the_key(tmp_path: Path) -> None:
    out = linear_run(tmp_path, '--batch', '2', '--variants', 'baseline,checkpointing')
    assert out.returncode != 0
    assert 'model.video_encoder.checkpointing, but FlattenLinear takes no argument' in out.stderr
    out = linear_run(tmp_path, '--batch', '2', '--variants', 'amp+fast')
    assert out.returncode != 0 and "unknown switch 'fast' in variant 'amp+fast'" in out.stderr


def test_cfg_options_reach_the_model_and_a_variant_out_of_memory_keeps_the_others(
    tmp_path: Path,
) -> None:
    out = linear_run(
        tmp_path,
        *('--batch', '2', '--variants', 'baseline,amp'),
        *('--cfg-options', 'model.video_encoder.out_dims=5'),
        'model.video_encoder.oom_under_autocast=True',
    )
    assert out.returncode == 0, out.stderr
    assert flops_per_sample(out.stdout) == 2 * 2 * (3 * 2 * 32 * 32) * 5
    lines = out.stdout.splitlines()
    assert re.fullmatch(r'amp\s+out of memory', next(x for x in lines if x.startswith('amp')))
    baseline = next(x for x in lines if x.startswith('baseline')).split()
    assert baseline[3] == '1.00x' and float(baseline[1]) > 0
