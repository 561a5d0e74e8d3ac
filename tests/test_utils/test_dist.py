"""The contrastive loss on 2 processes with half the batch each equals 1 process on all of it."""
from pathlib import Path

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from vtp.models.losses import InfoNCELoss
from vtp.utils.dist import all_gather_with_grad

BATCH, IN_DIMS, EMBED_DIMS, WORLD = 8, 12, 6, 2
TOLERANCE = dict(rtol=1e-5, atol=1e-6)


class DualProjection(nn.Module):
    """Two linear maps to a normalised joint space, standing in for the two encoders."""

    def __init__(self) -> None:
        super().__init__()
        self.video = nn.Linear(IN_DIMS, EMBED_DIMS)
        self.text = nn.Linear(IN_DIMS, EMBED_DIMS)
        self.log_scale = nn.Parameter(torch.tensor(2.0))

    def forward(self, video: torch.Tensor, text: torch.Tensor) -> torch.Tensor:
        return InfoNCELoss()(F.normalize(self.video(video), dim=-1),
                             F.normalize(self.text(text), dim=-1), self.log_scale.exp())


def make_inputs() -> tuple:
    generator = torch.Generator().manual_seed(0)
    model = DualProjection()
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=generator))
    video = torch.randn(BATCH, IN_DIMS, generator=generator)
    text = video + 0.5 * torch.randn(BATCH, IN_DIMS, generator=generator)
    return model, video, text


def _worker(rank: int, init_file: str, out_dir: str) -> None:
    dist.init_process_group('gloo', init_method=f'file://{init_file}', rank=rank,
                            world_size=WORLD)
    model, video, text = make_inputs()
    ddp = DistributedDataParallel(model)
    part = slice(rank * BATCH // WORLD, (rank + 1) * BATCH // WORLD)
    loss = ddp(video[part], text[part])
    loss.backward()
    gathered = all_gather_with_grad(torch.full((2, 3), float(rank), requires_grad=True))
    torch.save(dict(loss=loss.detach(), gathered=gathered.detach(),
                    grads={n: p.grad for n, p in model.named_parameters()}),
               f'{out_dir}/rank{rank}.pth')
    dist.destroy_process_group()


def test_two_processes_equal_one(tmp_path: Path) -> None:
    mp.spawn(_worker, args=(str(tmp_path / 'init'), str(tmp_path)), nprocs=WORLD, join=True)
    ranks = [torch.load(tmp_path / f'rank{r}.pth') for r in range(WORLD)]

    model, video, text = make_inputs()
    loss = model(video, text)
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


def test_single_process_gather_is_identity() -> None:
    x = torch.randn(3, 4, requires_grad=True)
    assert all_gather_with_grad(x) is x
