"""Checkpointing that never deletes the last good checkpoint before a new one is complete."""

import inspect
from collections import deque
from typing import Any

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook
from mmengine.runner import Runner

from vtp.registry import HOOKS
from vtp.utils.checks import is_int, require_int


@HOOKS.register_module()
class SafeCheckpointHook(CheckpointHook):
    """mmengine's ``CheckpointHook``, pruning old checkpoints only after a save succeeds.

    With ``max_keep_ckpts`` mmengine removes the oldest kept checkpoint *before* writing the
    new one, so with ``max_keep_ckpts=1`` a failed write (a full disk, an unwritable work dir)
    leaves no checkpoint at all. Here the new checkpoint is written first (atomically, see
    :class:`vtp.engine.runner.VTPRunner`), then the oldest beyond ``max_keep_ckpts`` go.

    Each checkpoint lists itself among the kept ones, so a run resumed from it prunes it in
    turn (mmengine's list, updated after the save, left the resumed file behind for good).
    Resuming deletes nothing before the next save, and only ``iter_N.pth`` / ``epoch_N.pth``
    files of whole ``N`` from the checkpoint's list (never a directory). Arguments are
    ``CheckpointHook``'s, checked when the hook is built: ``interval`` an int >= 1 or -1 (no
    periodic checkpoint; 0 saved none, silently), ``max_keep_ckpts`` an int, and no other
    keyword (mmengine passes unknown ones to ``save_checkpoint``, which refused them at the
    first save, after ``interval`` iterations of training).
    """

    max_keep_ckpts: int  # set by CheckpointHook.__init__

    def __init__(self, interval: int = -1, max_keep_ckpts: int = -1, **kwargs: Any) -> None:
        if interval != -1:
            require_int('default_hooks.checkpoint.interval (-1: none)', interval, 1)
        require_int('default_hooks.checkpoint.max_keep_ckpts (-1: all)', max_keep_ckpts, -1)
        known = set(inspect.signature(CheckpointHook.__init__).parameters) - {'self', 'kwargs'}
        unknown = sorted(set(kwargs) - known)
        if unknown:
            raise ValueError(
                f'default_hooks.checkpoint: unknown argument {", ".join(unknown)}; '
                f'CheckpointHook takes {", ".join(sorted(known))}'
            )
        super().__init__(interval=interval, max_keep_ckpts=max_keep_ckpts, **kwargs)

    def before_train(self, runner: Runner) -> None:
        keep, self.max_keep_ckpts = self.max_keep_ckpts, -1  # the parent's pruning is off
        try:
            super().before_train(runner)
        finally:
            self.max_keep_ckpts = keep
        saved = runner.message_hub.runtime_info.get('keep_ckpt_ids', [])
        self.keep_ckpt_ids = deque(
            step for step in (saved if isinstance(saved, (list, tuple)) else []) if is_int(step)
        )

    def _save_checkpoint_with_step(self, runner: Runner, step: int, meta: dict[str, Any]) -> None:
        keep, self.max_keep_ckpts = self.max_keep_ckpts, -1  # the parent's pruning is off
        kept = [s for s in self.keep_ckpt_ids if s != step] + [step]
        if keep > 0:  # saved with the checkpoint: it lists itself
            runner.message_hub.update_info('keep_ckpt_ids', kept[-keep:])
        try:
            super()._save_checkpoint_with_step(runner, step, meta)
        finally:
            self.max_keep_ckpts = keep
        if keep <= 0:
            return
        for old in kept[:-keep]:
            path = self.file_backend.join_path(self.out_dir, self.filename_tmpl.format(old))
            if is_main_process() and self.file_backend.isfile(path):
                self.file_backend.remove(path)
        self.keep_ckpt_ids = deque(kept[-keep:])
