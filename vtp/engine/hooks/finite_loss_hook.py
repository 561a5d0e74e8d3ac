"""Stop training at the first NaN or infinite loss, naming what broke and where to restart."""

import math
import os.path as osp
from typing import Any, Dict, Optional

import torch
from mmengine.dist import all_reduce
from mmengine.hooks import Hook
from mmengine.runner import Runner

from vtp.registry import HOOKS


def _last_checkpoint(runner: Runner) -> Optional[str]:
    """What ``work_dir/last_checkpoint`` names, if it exists."""
    marker = osp.join(runner.work_dir, 'last_checkpoint')
    if not osp.isfile(marker):
        return None
    with open(marker) as f:
        return f.read().strip()


@HOOKS.register_module()
class FiniteLossHook(Hook):
    """Raise ``FloatingPointError`` as soon as a loss term is NaN or infinite, or a checkpoint
    would hold non-finite weights.

    The message names the iteration, every loss term with its value (or the non-finite
    tensors) and the last good checkpoint: the last one this run saved (``work_dir/
    last_checkpoint`` once this run wrote it; one an earlier run left there is not this run's),
    else the one it resumed from, else none. A broken model is never saved: a loss is checked
    before ``CheckpointHook`` saves (this hook runs first), and the weights themselves before
    every save, so a step whose gradient was NaN while its loss was finite (the weights broken,
    the loss not yet) stops there too. All processes stop at the same iteration on a loss (the
    verdict is reduced over ranks); a save runs on the first process, and the rank watchdog
    stops the others.
    """

    priority = 'HIGH'

    def before_train(self, runner: Runner) -> None:
        self._marker_at_start = _last_checkpoint(runner)
        self._resumed_from = runner._load_from if runner._resume else None

    def _last_good(self, runner: Runner) -> str:
        marker = _last_checkpoint(runner)
        if marker is not None and marker != getattr(self, '_marker_at_start', None):
            return marker
        resumed = getattr(self, '_resumed_from', None)
        return f'{resumed} (the one this run resumed from)' if resumed else 'none saved by this run'

    def after_train_iter(
        self,
        runner: Runner,
        batch_idx: int,
        data_batch: Optional[Dict[str, Any]] = None,
        outputs: Optional[Dict[str, Any]] = None,
    ) -> None:
        terms = {
            key: float(torch.as_tensor(value).detach())
            for key, value in (outputs or {}).items()
            if 'loss' in key
        }
        broken = torch.tensor(float(any(not math.isfinite(v) for v in terms.values())))
        all_reduce(broken, op='max')
        if not broken.item():
            return
        values = ', '.join(f'{key}={value:.4g}' for key, value in terms.items())
        raise FloatingPointError(
            f'non-finite loss at iteration {runner.iter + 1} (on this process: {values}); '
            f'training stopped. Last good checkpoint: {self._last_good(runner)}'
        )

    def before_save_checkpoint(self, runner: Runner, checkpoint: Dict[str, Any]) -> None:
        state = checkpoint.get('state_dict') or {}
        broken = [
            name
            for name, value in state.items()
            if torch.is_tensor(value) and value.is_floating_point() and not value.isfinite().all()
        ]
        if broken:
            shown = ', '.join(broken[:3]) + (', ...' if len(broken) > 3 else '')
            raise FloatingPointError(
                f'non-finite weights at iteration {runner.iter} ({len(broken)} of {len(state)} '
                f'tensors: {shown}; a NaN gradient under a finite loss?); not saved, training '
                f'stopped. Last good checkpoint: {self._last_good(runner)}'
            )
