"""Distributed helpers. The one differentiable all-gather of vtp lives here."""

import gc
from typing import Any, List

import torch
import torch.distributed as dist


def get_world_size() -> int:
    """Number of processes in the default group, 1 when not distributed."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_world_size()
    return 1


def get_rank() -> int:
    """Rank of this process in the default group, 0 when not distributed."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank()
    return 0


def close_process_group() -> None:
    """Wait for every rank, then destroy the default group (no-op when not distributed).

    Call after a successful run, once the objects that use the group (a runner, a DDP model)
    are out of scope: they are collected first, while the group still exists. Leaving a gloo
    group to the interpreter's exit lets one rank tear its transport down while another still
    talks to it, which aborts that rank ("terminate called without an active exception"), and a
    DDP model freed after the group is destroyed can hang.
    """
    if dist.is_available() and dist.is_initialized():
        gc.collect()
        dist.barrier()
        dist.destroy_process_group()


class _AllGatherWithGrad(torch.autograd.Function):
    """All-gather whose backward gives each rank the gradient of its slice, summed over ranks."""

    @staticmethod
    def forward(ctx: Any, tensor: torch.Tensor) -> torch.Tensor:
        gathered = [torch.empty_like(tensor) for _ in range(dist.get_world_size())]
        dist.all_gather(gathered, tensor.contiguous())
        ctx.batch = tensor.shape[0]
        return torch.cat(gathered, dim=0)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> torch.Tensor:
        grad = grad.contiguous()
        dist.all_reduce(grad)
        start = dist.get_rank() * ctx.batch
        return grad[start : start + ctx.batch]


def all_gather_with_grad(tensor: torch.Tensor) -> torch.Tensor:
    """Concatenate ``tensor`` from every rank along dim 0, keeping the autograd graph.

    Every rank must pass the same shape. The loss of every rank depends on every rank's slice,
    so the backward all-reduces the incoming gradient and each rank keeps its own slice: the
    gradients equal those of one process computing the loss on the whole batch (when each rank's
    loss is the same global mean).

    Args:
        tensor: (B, ...) local slice.

    Returns:
        (world_size * B, ...) the slices of rank 0, 1, ... in order; ``tensor`` itself when not
        distributed.
    """
    if get_world_size() == 1:
        return tensor
    # torch's Function.apply is unannotated.
    return _AllGatherWithGrad.apply(tensor)  # type: ignore[no-any-return, no-untyped-call]


def all_gather_no_grad(tensor: torch.Tensor) -> torch.Tensor:
    """Concatenate ``tensor`` from every rank along dim 0 without gradient (same shape on all)."""
    if get_world_size() == 1:
        return tensor
    gathered: List[torch.Tensor] = [torch.empty_like(tensor) for _ in range(get_world_size())]
    dist.all_gather(gathered, tensor.contiguous())
    return torch.cat(gathered, dim=0)
