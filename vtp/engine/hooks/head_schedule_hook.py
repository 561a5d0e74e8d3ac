"""Switch heads on at given iterations, and run them on every k-th one (a curriculum of
objectives)."""

import math
from typing import Any, Dict, Iterable, List, Mapping, Optional

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner

from vtp.registry import HOOKS
from vtp.utils.checks import require_int


@HOOKS.register_module()
class HeadScheduleHook(Hook):
    """Train the named heads only from a given iteration on, and optionally only on every
    k-th iteration after it; on the other iterations they are paused
    (:meth:`VideoTextPretrainer.pause_heads`): their loss is not computed and costs nothing.

    Whether a head is on is a function of the iteration alone, so a resumed run trains the
    same heads at the same iterations as an uninterrupted one. Under DistributedDataParallel
    a paused head's parameters get no gradient, so the config must set
    ``find_unused_parameters = True`` (checked before training starts). A schedule that leaves
    an iteration of the run without any head is refused before training, naming it.

    Args:
        start_iters: head name -> the first iteration (0-based) at which it trains; heads not
            named start at 0.
        every: head name -> k: from its start on, the head trains on every k-th iteration only
            (``start``, ``start + k``, ...) and costs nothing on the others; heads not named
            train on every iteration. A head named here without a start starts at 0.
    """

    def __init__(
        self,
        start_iters: Optional[Dict[str, int]] = None,
        every: Optional[Dict[str, int]] = None,
    ) -> None:
        schedule = {}
        for field, values, least in (('start_iters', start_iters, 0), ('every', every, 1)):
            if values is not None and not isinstance(values, Mapping):
                raise TypeError(
                    f'HeadScheduleHook.{field} must be a dict of head name -> int, got {values!r}'
                )
            schedule[field] = dict(values or {})
            for name, value in schedule[field].items():
                if not isinstance(name, str):
                    raise TypeError(f'HeadScheduleHook.{field}: head names are str, got {name!r}')
                schedule[field][name] = require_int(
                    f'HeadScheduleHook.{field}[{name!r}]', value, least
                )
        every = schedule['every']
        self.start_iters = {name: 0 for name in every}
        self.start_iters.update(schedule['start_iters'])
        self.every = every
        self._logged: Optional[List[str]] = None

    def _trains(self, name: str, iteration: int) -> bool:
        offset = iteration - self.start_iters.get(name, 0)
        return offset >= 0 and offset % self.every.get(name, 1) == 0

    def _first_idle_iteration(
        self, heads: Iterable[str], begin: int, max_iters: Optional[int]
    ) -> Optional[int]:
        """The first iteration in ``[begin, max_iters)`` at which no head trains, if any: the
        schedule repeats once every head has started, with the period of their intervals."""
        heads = list(heads)
        if any(self._trains(name, begin) and self.every.get(name, 1) == 1 for name in heads):
            return None  # a head on every iteration from here
        period = math.lcm(*(self.every.get(name, 1) for name in heads))
        end = max(begin, *(self.start_iters.get(name, 0) for name in heads)) + period
        if max_iters is not None:
            end = min(end, max_iters)
        return next(
            (i for i in range(begin, end) if not any(self._trains(n, i) for n in heads)), None
        )

    def before_train(self, runner: Runner) -> None:
        model = runner.model
        pauses = any(start > runner.iter for start in self.start_iters.values()) or any(
            k > 1 for k in self.every.values()
        )
        if (
            pauses
            and is_model_wrapper(model)
            and not getattr(model, 'find_unused_parameters', True)
        ):
            raise ValueError(
                'HeadScheduleHook pauses heads, whose parameters then get no gradient: set '
                '`find_unused_parameters = True` in the config (or in its model_wrapper_cfg)'
            )
        heads = self._model(runner).heads
        for field, values in (('every', self.every), ('start_iters', self.start_iters)):
            unknown = sorted(set(values) - set(heads))
            if unknown:
                raise KeyError(
                    f'HeadScheduleHook.{field} names {unknown}, which are not heads of the '
                    f'model: {", ".join(heads)}'
                )
        max_iters = getattr(runner, 'max_iters', None)
        never = sorted(
            n for n, start in self.start_iters.items() if max_iters and start >= max_iters
        )
        if never:
            runner.logger.warning(
                f'HeadScheduleHook: {", ".join(never)} start at or after max_iters={max_iters} '
                f'(start_iters={self.start_iters}): they never train, and what evaluates them '
                '(re-ranking, QA, multiple choice) reports untrained heads'
            )
        idle = self._first_idle_iteration(heads, runner.iter, max_iters)
        if idle is not None:
            raise ValueError(
                f'HeadScheduleHook trains no head at iteration {idle + 1} (start_iters='
                f'{self.start_iters}, every={self.every}): that step would have no loss'
            )

    def before_train_iter(
        self, runner: Runner, batch_idx: int, data_batch: Optional[Any] = None
    ) -> None:
        model = self._model(runner)
        paused = {name for name in self.start_iters if not self._trains(name, runner.iter)}
        if paused != model.paused_heads:
            model.pause_heads(paused)
        started = [name for name in model.heads if self.start_iters.get(name, 0) <= runner.iter]
        if started != self._logged:
            self._logged = started
            active = ', '.join(
                name + (f' (every {self.every[name]} iterations)' if name in self.every else '')
                for name in started
            )
            runner.logger.info(f'iteration {runner.iter + 1}: training heads {active}')

    @staticmethod
    def _model(runner: Runner) -> Any:
        return runner.model.module if is_model_wrapper(runner.model) else runner.model
