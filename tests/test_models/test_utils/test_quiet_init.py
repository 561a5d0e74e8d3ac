"""Tests for ``QuietInitMixin``: one summary line instead of mmengine's per-parameter report."""

import logging

from mmengine.logging import MMLogger
from mmengine.model import BaseModule
from torch import nn

from vtp.models.utils import QuietInitMixin


class Quiet(QuietInitMixin, BaseModule):
    def __init__(self) -> None:
        super().__init__()
        self.layer = nn.Linear(1000, 1000)  # 1,001,000 parameters
        self.frozen = nn.Linear(1000, 10)  # 10,010 parameters
        self.frozen.requires_grad_(False)


class _Messages(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def test_init_weights_logs_one_summary_line():
    logger = MMLogger.get_current_instance()
    handler, level = _Messages(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        Quiet().init_weights()
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert handler.messages == ['Quiet: initialised 4 tensors, 1.01M parameters (1.00M trainable)']
