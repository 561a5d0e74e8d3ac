"""Save and restore the random state of the training process with each checkpoint."""

import random
from typing import Any, Dict, Optional

import numpy as np
import torch
from mmengine.hooks import Hook
from mmengine.runner import Runner

from vtp.registry import HOOKS


def get_rng_state() -> Dict[str, Any]:
    """Python, NumPy, torch (and CUDA) generator states, as tensors and builtins only."""
    legacy = np.random.get_state()
    assert isinstance(legacy, tuple)  # the global generator is MT19937, whose state is a tuple
    name, keys, pos, has_gauss, gauss = legacy
    state: Dict[str, Any] = dict(
        python=random.getstate(),
        torch=torch.get_rng_state(),
        numpy=(name, torch.from_numpy(keys.astype(np.int64)), pos, has_gauss, gauss),
    )
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: Dict[str, Any]) -> None:
    """Inverse of :func:`get_rng_state`."""
    random.setstate(state['python'])
    torch.set_rng_state(state['torch'])
    name, keys, pos, has_gauss, gauss = state['numpy']
    np.random.set_state((name, keys.numpy().astype(np.uint32), pos, has_gauss, gauss))
    if 'cuda' in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state['cuda'])


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Make a resumed run draw the same random numbers as an uninterrupted one.

    The state is saved in every checkpoint and restored when training resumes (not when a
    checkpoint is only loaded as initial weights). Validation runs between training
    iterations with its own copy of the state, so evaluating, or not, at a resume point
    does not change training.
    """

    priority = 'VERY_LOW'

    def __init__(self) -> None:
        self._loaded: Optional[Dict[str, Any]] = None
        self._before_val: Optional[Dict[str, Any]] = None

    def before_save_checkpoint(self, runner: Runner, checkpoint: Dict[str, Any]) -> None:
        checkpoint['rng_state'] = get_rng_state()

    def after_load_checkpoint(self, runner: Runner, checkpoint: Dict[str, Any]) -> None:
        self._loaded = checkpoint.get('rng_state')

    def before_train(self, runner: Runner) -> None:
        if runner.iter > 0 and self._loaded is not None:
            set_rng_state(self._loaded)
        self._loaded = None

    def before_val(self, runner: Runner) -> None:
        self._before_val = get_rng_state()

    def after_val(self, runner: Runner) -> None:
        if self._before_val is not None:
            set_rng_state(self._before_val)
            self._before_val = None
