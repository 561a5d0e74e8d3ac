"""Checkpointing that never deletes the last good checkpoint before a new one is complete."""

from typing import Any

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook
from mmengine.runner import Runner

from vtp.registry import HOOKS


@HOOKS.register_module()
class SafeCheckpointHook(CheckpointHook):
    """mmengine's ``CheckpointHook``, pruning old checkpoints only after a save succeeds.

    With ``max_keep_ckpts`` mmengine removes the oldest kept checkpoint *before* writing the
    new one, so with ``max_keep_ckpts=1`` a failed write (a full disk, an unwritable work dir)
    leaves no checkpoint at all. Here the new checkpoint is written first (atomically, see
    :class:`vtp.engine.runner.VTPRunner`), then the oldest beyond ``max_keep_ckpts`` go.
    Arguments are ``CheckpointHook``'s.
    """

    max_keep_ckpts: int  # set by CheckpointHook.__init__

    def _save_checkpoint_with_step(self, runner: Runner, step: int, meta: dict[str, Any]) -> None:
        keep, self.max_keep_ckpts = self.max_keep_ckpts, -1  # the parent's pruning is off
        try:
            super()._save_checkpoint_with_step(runner, step, meta)
        finally:
            self.max_keep_ckpts = keep
        if keep <= 0 or (self.keep_ckpt_ids and self.keep_ckpt_ids[-1] == step):
            return
        kept = [*self.keep_ckpt_ids, step]
        for old in kept[:-keep]:
            path = self.file_backend.join_path(self.out_dir, self.filename_tmpl.format(old))
            if is_main_process() and self.file_backend.isfile(path):
                self.file_backend.remove(path)
        self.keep_ckpt_ids.clear()
        self.keep_ckpt_ids.extend(kept[-keep:])
        runner.message_hub.update_info('keep_ckpt_ids', list(self.keep_ckpt_ids))
