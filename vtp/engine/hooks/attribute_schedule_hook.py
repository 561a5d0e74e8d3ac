"""Change a float of the model during training, piecewise-linearly by iteration."""

from typing import Any, List, Optional, Sequence, Tuple

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner

from vtp.registry import HOOKS
from vtp.utils.checks import is_int, require_int, require_number


@HOOKS.register_module()
class AttributeScheduleHook(Hook):
    """Set a float attribute of the model before every training iteration, following
    ``points``: the first point's value up to its iteration, straight lines between points,
    the last point's value after it.

    The value is a function of the iteration alone, so a resumed run sets the same values as
    an uninterrupted one; it equals a point's value at that point's iteration and lies between
    two points' values in between. It is logged beside the losses under the ``attribute``
    path, as set at the logged iteration. Every point's value is assigned to the attribute once
    before training, so an attribute that checks what it is given
    (``ITMHead.negative_temperature`` must be a positive number) refuses a bad point before
    the first step, and is left as it was. Int attributes (counts, indices) are refused: a
    straight line between two ints is not an int.

    Args:
        attribute: dotted path from the model, e.g. ``'heads.itm.negative_temperature'``.
        points: ``[(iteration, value), ...]`` with 0-based iterations in increasing order
            and finite values, e.g. ``[(350, 1.0), (1100, 0.3)]``.
    """

    def __init__(self, attribute: str, points: Sequence[Tuple[int, float]]) -> None:
        if not isinstance(attribute, str) or not all(
            part.isidentifier() for part in attribute.split('.')
        ):
            raise ValueError(
                'AttributeScheduleHook.attribute must be a dotted path of attribute names such '
                "as 'heads.itm.negative_temperature' (no list indices such as '.0'), got "
                f'{attribute!r}'
            )
        self.attribute = attribute
        self.points = self._checked(points)

    def _checked(self, points: Sequence[Tuple[int, float]]) -> List[Tuple[int, float]]:
        where = f'AttributeScheduleHook({self.attribute!r}).points'
        if not isinstance(points, (list, tuple)) or not points:
            raise ValueError(
                f'{where} must be a non-empty list of (iteration, value), got {points!r}'
            )
        checked: List[Tuple[int, float]] = []
        for index, point in enumerate(points):
            if not isinstance(point, (list, tuple)) or len(point) != 2:
                raise ValueError(
                    f'{where}[{index}] must be a pair (iteration, value), got {point!r}'
                )
            iteration = require_int(f'{where}[{index}]: the iteration', point[0], 0)
            value = require_number(f'{where}[{index}]: the value', point[1])
            if checked and iteration <= checked[-1][0]:
                raise ValueError(
                    f'{where}[{index}]: iterations must increase, got {iteration} after '
                    f'{checked[-1][0]}'
                )
            checked.append((iteration, value))
        return checked

    def value(self, iteration: int) -> float:
        """The attribute's value at the 0-based ``iteration``."""
        if iteration <= self.points[0][0]:
            return self.points[0][1]
        for (a, value_a), (b, value_b) in zip(self.points, self.points[1:]):
            if iteration < b:
                t = (iteration - a) / (b - a)  # exact at both ends, cannot overflow
                value = (1 - t) * value_a + t * value_b
                return min(max(value, min(value_a, value_b)), max(value_a, value_b))
        return self.points[-1][1]

    def before_train(self, runner: Runner) -> None:
        owner, name = self._owner(runner)
        current = getattr(owner, name)
        if not isinstance(current, float):
            kind = 'an int' if is_int(current) else f'a {type(current).__name__}'
            raise TypeError(
                f'AttributeScheduleHook schedules float attributes; model.{self.attribute} is '
                f'{kind}'
            )
        for index, (_, value) in enumerate(self.points):
            try:
                setattr(owner, name, value)
            except Exception as error:
                if index:  # an earlier point was set: put the attribute back
                    setattr(owner, name, current)
                raise ValueError(
                    f'AttributeScheduleHook({self.attribute!r}).points[{index}]: {error}'
                ) from error
        setattr(owner, name, self.value(runner.iter))
        # logged as set, never averaged over the window (mmengine averages keys with "loss")
        log_processor = getattr(runner, 'log_processor', None)
        current_value = dict(data_src=self.attribute, method_name='current')
        if log_processor is not None and current_value not in log_processor.custom_cfg:
            log_processor.custom_cfg.append(current_value)

    def before_train_iter(
        self, runner: Runner, batch_idx: int, data_batch: Optional[Any] = None
    ) -> None:
        owner, name = self._owner(runner)
        value = self.value(runner.iter)
        setattr(owner, name, value)
        runner.message_hub.update_scalar(f'train/{self.attribute}', value)

    def _owner(self, runner: Runner) -> Tuple[Any, str]:
        """The object holding the attribute, and the attribute's name."""
        owner = runner.model.module if is_model_wrapper(runner.model) else runner.model
        parts = self.attribute.split('.')
        for depth, part in enumerate(parts):
            if not hasattr(owner, part):
                raise AttributeError(
                    f'AttributeScheduleHook: {".".join(["model", *parts[:depth]])} '
                    f'({type(owner).__name__}) has no attribute {part!r}'
                )
            if depth < len(parts) - 1:
                owner = getattr(owner, part)
        return owner, parts[-1]
