"""Stop training at the first NaN or infinite loss, naming what broke and where to restart."""

import math
import os.path as osp
from typing import Any, Optional

import torch
from mmengine.dist import all_reduce
from mmengine.hooks import Hook
from mmengine.runner import Runner

from vtp.registry import HOOKS


@HOOKS.register_module()
class FiniteLossHook(Hook):
    """Raise ``FloatingPointError`` as soon as a loss term is NaN or infinite.

    The message names the iteration, every loss term with its value and the last checkpoint
    saved before it (from ``work_dir/last_checkpoint``), which holds finite weights: this hook
    runs before ``CheckpointHook``, so a broken model is never saved. All processes stop at
    the same iteration (the verdict is reduced over ranks), so none is left waiting.
    """

    priority = 'HIGH'

    def after_train_iter(
        self,
        runner: Runner,
        batch_idx: int,
        data_batch: Optional[dict[str, Any]] = None,
        outputs: Optional[dict[str, Any]] = None,
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
        marker = osp.join(runner.work_dir, 'last_checkpoint')
        last = open(marker).read().strip() if osp.isfile(marker) else 'none saved yet'
        values = ', '.join(f'{key}={value:.4g}' for key, value in terms.items())
        raise FloatingPointError(
            f'non-finite loss at iteration {runner.iter + 1} (on this process: {values}); '
            f'training stopped. Last good checkpoint: {last}'
        )
