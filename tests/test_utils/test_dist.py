"""The contrastive loss on 2 processes with half the batch each equals 1 process on all of it,
with one clip in the batch twice (once on each process), whose copies are positives of each
other; the matching head's negatives never come from the same clip, on either process; the data
preprocessor trims caption padding to the same length on both."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from vtp.models.losses import InfoNCELoss
from vtp.utils.dist import all_gather_with_grad

BATCH, IN_DIMS, EMBED_DIMS, WORLD = 8, 12, 6, 2
CLIP_IDS = torch.tensor([10, 11, 12, 13, 10, 15, 16, 17])  # clip 10 on rank 0 and rank 1
TOLERANCE = dict(rtol=1e-5, atol=1e-6)


class DualProjection(nn.Module):
    """Two linear maps to a normalised joint space, standing in for the two encoders."""

    def __init__(self) -> None:
        super().__init__()
        self.video = nn.Linear(IN_DIMS, EMBED_DIMS)
        self.text = nn.Linear(IN_DIMS, EMBED_DIMS)
        self.log_scale = nn.Parameter(torch.tensor(2.0))

    def forward(
        self, video: torch.Tensor, text: torch.Tensor, clip_ids: torch.Tensor
    ) -> torch.Tensor:
        return InfoNCELoss()(
            F.normalize(self.video(video), dim=-1),
            F.normalize(self.text(text), dim=-1),
            self.log_scale.exp(),
            clip_ids,
        )


def make_inputs() -> tuple:
    generator = torch.Generator().manual_seed(0)
    model = DualProjection()
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=generator))
    video = torch.randn(BATCH, IN_DIMS, generator=generator)
    text = video + 0.5 * torch.randn(BATCH, IN_DIMS, generator=generator)
    return model, video, text


def test_two_processes_equal_one(tmp_path: Path) -> None:
    """Two gloo processes (separate interpreters, so no test state leaks into them)."""
    here = Path(__file__).resolve().parent
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        'PYTHONPATH': os.pathsep.join([str(here), str(here.parents[1])]),
        'OMP_NUM_THREADS': '1',
    }
    logs = [open(tmp_path / f'rank{r}.log', 'w') for r in range(WORLD)]
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                str(here / 'contrastive_worker.py'),
                str(r),
                str(WORLD),
                str(port),
                str(tmp_path / f'rank{r}.pth'),
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        for r, log in enumerate(logs)
    ]
    for r, (proc, log) in enumerate(zip(procs, logs)):
        proc.wait(timeout=90)
        log.close()
        assert proc.returncode == 0, (tmp_path / f'rank{r}.log').read_text()[-3000:]
    ranks = [torch.load(tmp_path / f'rank{r}.pth') for r in range(WORLD)]

    model, video, text = make_inputs()
    loss = model(video, text, CLIP_IDS)
    loss.backward()

    # The global loss is the mean of the ranks' losses (equal local batches).
    torch.testing.assert_close(sum(r['loss'] for r in ranks) / WORLD, loss.detach(), **TOLERANCE)
    # DDP averages gradients; through the gather they equal the single-process ones.
    for name, param in model.named_parameters():
        for r in ranks:
            torch.testing.assert_close(r['grads'][name], param.grad, **TOLERANCE)
    expected = torch.cat([torch.full((2, 3), float(r)) for r in range(WORLD)])
    for r in ranks:
        torch.testing.assert_close(r['gathered'], expected)
    # matching negatives, drawn on each rank from the global batch, never share the clip
    for r, result in enumerate(ranks):
        own = CLIP_IDS[r * BATCH // WORLD : (r + 1) * BATCH // WORLD]
        assert (CLIP_IDS[result['negatives']] != own).all()
    # tokens gathered across ranks need one length: the longest real caption of any rank
    assert [r['text_length'] for r in ranks] == [5, 5]


def test_single_process_gather_is_identity() -> None:
    x = torch.randn(3, 4, requires_grad=True)
    assert all_gather_with_grad(x) is x
