"""Iteration-based training loop that resumes the data stream without re-reading it."""

import logging
from typing import Any, Dict, Optional, Union

from mmengine.logging import print_log
from mmengine.runner import IterBasedTrainLoop
from mmengine.runner.loops import _InfiniteDataloaderIterator
from torch import nn
from torch.utils.data import DataLoader

from vtp.registry import LOOPS


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
    (``set_loader_layout``) before the workers start.

    Without ``val_interval`` it evaluates once, after the last iteration, so a config sets the
    length of a run with ``max_iters`` alone; other arguments are mmengine's.
    """

    def __init__(
        self,
        runner: Any,
        dataloader: Union['DataLoader[Any]', Dict[str, Any]],
        max_iters: int,
        val_interval: Optional[int] = None,
        **kwargs: Any,
    ) -> None:
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

    def run(self) -> nn.Module:
        """Launch training."""
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
