"""Log the evaluation protocol once, before the first evaluation."""

from mmengine.hooks import Hook
from mmengine.runner import Runner

from vtp.evaluation.protocol_card import format_card, protocol_card
from vtp.registry import HOOKS


@HOOKS.register_module()
class ProtocolCardHook(Hook):
    """Log the config's protocol card (:func:`vtp.evaluation.protocol_card.protocol_card`:
    frames and sampling at train and test time, resolution, splits, re-ranking, DSL) in one
    line, once per run, before the first validation or test."""

    def __init__(self) -> None:
        self.logged = False

    def _log(self, runner: Runner) -> None:
        if not self.logged:
            runner.logger.info(format_card(protocol_card(runner.cfg)))
            self.logged = True

    def before_val(self, runner: Runner) -> None:
        self._log(runner)

    def before_test(self, runner: Runner) -> None:
        self._log(runner)
