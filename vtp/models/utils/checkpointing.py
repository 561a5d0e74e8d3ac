"""Activation checkpointing: keep a block's inputs, recompute its activations in backward.

One implementation for every vtp encoder (``checkpointing=True``): torch's non-reentrant
checkpoint, which works when no input needs a gradient (frozen lower layers), accepts keyword
arguments and replays the RNG state, so dropout and stochastic depth draw the same masks when a
block is recomputed and the gradients equal those of a run without checkpointing. A block's
activations are then not stored for backward (less memory), for about one more forward of
compute.
"""

import functools
from typing import Any, Callable, Iterable, TypeVar

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint

Output = TypeVar('Output')


def checkpoint_call(function: Callable[..., Output], *args: Any, **kwargs: Any) -> Output:
    """Call ``function(*args, **kwargs)``, storing only its inputs for backward.

    Without autograd (``torch.no_grad``, evaluation) there is nothing to save and the function
    runs as is.
    """
    if not torch.is_grad_enabled():
        return function(*args, **kwargs)
    return checkpoint(function, *args, use_reentrant=False, **kwargs)  # type: ignore[no-any-return]


def checkpoint_modules(modules: Iterable[nn.Module]) -> None:
    """Run each module's forward through :func:`checkpoint_call` from now on.

    The modules keep their parameters and state-dict keys (no wrapper module is added).
    """
    for module in modules:
        module.forward = functools.partial(checkpoint_call, module.forward)
