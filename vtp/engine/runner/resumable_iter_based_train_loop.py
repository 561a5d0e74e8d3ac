"""Iteration-based training loop that resumes the data stream without re-reading it."""

import logging
from typing import Any, Dict, Optional, Union

from mmengine.logging import print_log
from mmengine.runner import IterBasedTrainLoop
from mmengine.runner.loops import _InfiniteDataloaderIterator
from torch import nn
from torch.utils.data import DataLoader

from vtp.registry import LOOPS
from vtp.utils.checks import require_int

LAYOUT_KEY = 'data_stream_layout'  # message hub runtime info, saved in checkpoints


@LOOPS.register_module()
class ResumableIterBasedTrainLoop(IterBasedTrainLoop):
    """mmengine's ``IterBasedTrainLoop``, resuming the sampler by position.

    mmengine resumes by loading and discarding every batch already trained on (decoding
    every video again). With a sampler that has ``set_start`` (vtp's ``InfiniteSampler``) this
    loop moves the sampler to ``iter * batch_size`` and restarts the data iterator instead.
    The iterator is restarted before the ``before_train`` hooks run, so the random state
    restored by ``RNGStateHook`` there is the one training continues with.

    A dataset that reads its samples in lanes, one per rank and worker
    (``VideoTextShardDataset``), is given the dataloader's batch size and worker count
    (``set_loader_layout``) before the workers start. A dataset whose sample for a stream
    position depends on that layout says so with ``stream_layout()`` (a dict of named
    integers); the loop keeps it in the message hub, so it is saved in every checkpoint, and a
    resumed run with another layout stops with an error naming the old and new values,
    unless ``allow_layout_change`` (then it warns: the run continues, but not with the samples
    the interrupted run would have read).

    Without ``val_interval`` it evaluates once, after the last iteration, so a config sets the
    length of a run with ``max_iters`` alone; other arguments are mmengine's.
    """

    def __init__(
        self,
        runner: Any,
        dataloader: Union['DataLoader[Any]', Dict[str, Any]],
        max_iters: int,
        val_interval: Optional[int] = None,
        allow_layout_change: bool = False,
        **kwargs: Any,
    ) -> None:
        require_int('train_cfg.max_iters', max_iters, 1)
        if val_interval is not None:  # 0 divided by zero after the first iteration
            require_int('train_cfg.val_interval', val_interval, 1)
        self.allow_layout_change = allow_layout_change
        # built here, so that the dataset gets its layout before the workers start
        loader: DataLoader[Any] = (
            runner.build_dataloader(
                dataloader,
                seed=runner.seed,
                diff_rank_seed=runner._randomness_cfg.get('diff_rank_seed', False),
            )
            if isinstance(dataloader, dict)
            else dataloader
        )
        set_layout = getattr(loader.dataset, 'set_loader_layout', None)
        if set_layout is not None:
            set_layout(loader.batch_size, loader.num_workers)
        super().__init__(
            runner,
            loader,
            max_iters,
            val_interval=max_iters if val_interval is None else val_interval,
            **kwargs,
        )

    def check_layout(self) -> None:
        """Compare the dataset's stream layout with the one the resumed checkpoint saved, then
        record the current one for the next checkpoints."""
        layout_of = getattr(self.dataloader.dataset, 'stream_layout', None)
        if layout_of is None:
            return
        layout: Dict[str, int] = layout_of()
        hub = self.runner.message_hub
        saved = hub.get_info(LAYOUT_KEY) if self._iter > 0 else None
        if saved is not None and saved != layout:
            changes = ', '.join(
                f'{name} {saved.get(name)} -> {layout.get(name)}'
                for name in sorted(set(saved) | set(layout))
                if saved.get(name) != layout.get(name)
            )
            message = (
                f'Resuming at iteration {self._iter} with another data layout than the '
                f"checkpoint's ({changes}): {type(self.dataloader.dataset).__name__} reads "
                'other samples for the same stream positions with it, so the run would not '
                "continue the interrupted one. Resume with the checkpoint's layout, or set "
                'train_cfg.allow_layout_change=True to continue anyway.'
            )
            if not self.allow_layout_change:
                raise ValueError(message)
            print_log(message, logger='current', level=logging.WARNING)
        hub.update_info(LAYOUT_KEY, layout)

    def run(self) -> nn.Module:
        """Launch training."""
        self.check_layout()
        sampler: object = getattr(self.dataloader, 'sampler', None)
        if self._iter > 0 and hasattr(sampler, 'set_start'):
            sampler.set_start(self._iter * self.dataloader.batch_size)
            self.dataloader_iterator = _InfiniteDataloaderIterator(self.dataloader)
            print_log(f'Resuming the data stream at iteration {self._iter}', logger='current')
        elif self._iter > 0:
            print_log(
                f'The sampler cannot seek: loading and skipping {self._iter} batches',
                logger='current',
                level=logging.WARNING,
            )
            for _ in range(self._iter):
                next(self.dataloader_iterator)
        self.runner.call_hook('before_train')
        self.runner.call_hook('before_train_epoch')
        while self._iter < self._max_iters and not self.stop_training:
            self.runner.model.train()
            self.run_iter(next(self.dataloader_iterator))
            self._decide_current_val_interval()
            if (
                self.runner.val_loop is not None
                and self._iter >= self.val_begin
                and (self._iter % self.val_interval == 0 or self._iter == self._max_iters)
            ):
                self.runner.val_loop.run()
        self.runner.call_hook('after_train_epoch')
        self.runner.call_hook('after_train')
        return self.runner.model  # type: ignore[no-any-return]  # mmengine is untyped
