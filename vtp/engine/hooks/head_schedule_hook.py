"""Switch heads on at given iterations (a curriculum of objectives)."""

from typing import Any, Dict, Optional

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner

from vtp.registry import HOOKS


@HOOKS.register_module()
class HeadScheduleHook(Hook):
    """Train the named heads only from a given iteration on; before it they are paused
    (:meth:`VideoTextPretrainer.pause_heads`): their loss is not computed and costs nothing.

    Whether a head is on is a function of the iteration alone, so a resumed run trains the
    same heads at the same iterations as an uninterrupted one. Under DistributedDataParallel
    a paused head's parameters get no gradient, so the config must set
    ``find_unused_parameters = True`` (checked before training starts).

    Args:
        start_iters: head name -> the first iteration (0-based) at which it trains.
    """

    def __init__(self, start_iters: Dict[str, int]) -> None:
        for name, start in start_iters.items():
            if not isinstance(start, int) or isinstance(start, bool) or start < 0:
                raise ValueError(
                    f'HeadScheduleHook.start_iters[{name!r}] must be an iteration >= 0, '
                    f'got {start!r}'
                )
        self.start_iters = dict(start_iters)

    def before_train(self, runner: Runner) -> None:
        model = runner.model
        pauses = any(start > runner.iter for start in self.start_iters.values())
        if (
            pauses
            and is_model_wrapper(model)
            and not getattr(model, 'find_unused_parameters', True)
        ):
            raise ValueError(
                'HeadScheduleHook pauses heads, whose parameters then get no gradient: set '
                '`find_unused_parameters = True` in the config (or in its model_wrapper_cfg)'
            )
        unknown = sorted(set(self.start_iters) - set(self._model(runner).heads))
        if unknown:
            raise KeyError(
                f'HeadScheduleHook.start_iters names {unknown}, which are not heads of the '
                f'model: {", ".join(self._model(runner).heads)}'
            )

    def before_train_iter(
        self, runner: Runner, batch_idx: int, data_batch: Optional[Any] = None
    ) -> None:
        model = self._model(runner)
        paused = {name for name, start in self.start_iters.items() if runner.iter < start}
        if paused != model.paused_heads:
            model.pause_heads(paused)
            active = ', '.join(name for name in model.heads if name not in paused)
            runner.logger.info(f'iteration {runner.iter + 1}: training heads {active}')

    @staticmethod
    def _model(runner: Runner) -> Any:
        return runner.model.module if is_model_wrapper(runner.model) else runner.model
