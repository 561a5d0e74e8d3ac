"""Tests for ``QuietInitMixin``: one summary line instead of mmengine's per-parameter report."""

import logging

from mmengine.model import BaseModule
from torch import nn

from vtp.models.utils import QuietInitMixin
from vtp.testing import logged_lines


class Quiet(QuietInitMixin, BaseModule):
    def __init__(self) -> None:
        super().__init__()
        self.layer = nn.Linear(1000, 1000)  # 1,001,000 parameters
        self.frozen = nn.Linear(1000, 10)  # 10,010 parameters
        self.frozen.requires_grad_(False)


def test_init_weights_logs_one_summary_line():
    with logged_lines(level=logging.DEBUG) as lines:
        Quiet().init_weights()
    assert lines == ['Quiet: initialised 4 tensors, 1.01M parameters (1.00M trainable)']
