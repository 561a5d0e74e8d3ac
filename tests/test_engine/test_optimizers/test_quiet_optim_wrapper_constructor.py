"""``QuietOptimWrapperConstructor``: mmengine's parameter groups, one summary line of log."""
import logging

from mmengine.logging import MMLogger
from torch import nn

from vtp.registry import OPTIM_WRAPPER_CONSTRUCTORS


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_one_summary_line_with_frozen_count() -> None:
    model = nn.Sequential(nn.Linear(4, 4), nn.LayerNorm(4), nn.Linear(4, 2))
    for p in model[0].parameters():
        p.requires_grad = False  # 20 frozen parameters
    constructor = OPTIM_WRAPPER_CONSTRUCTORS.build(dict(
        type='QuietOptimWrapperConstructor',
        optim_wrapper_cfg=dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=1e-3,
                                                                   weight_decay=0.1)),
        paramwise_cfg=dict(norm_decay_mult=0.0, custom_keys={'2.': dict(lr_mult=0.5)})))
    logger = MMLogger.get_instance('test_quiet_optim', log_level='INFO')
    handler = Records()
    logger.addHandler(handler)
    optim_wrapper = constructor(model)
    logger.removeHandler(handler)
    messages = [r.getMessage() for r in handler.records]
    assert messages == ['optimizer AdamW: 0.00M at lr=0.0005 wd=0.1, 0.00M at lr=0.001 wd=0, '
                        '0.00M frozen']  # no warning per frozen parameter
    groups = [(g['lr'], g['weight_decay']) for g in optim_wrapper.optimizer.param_groups]
    assert sorted(groups) == [(0.0005, 0.1), (0.0005, 0.1), (0.001, 0.0), (0.001, 0.0)]
