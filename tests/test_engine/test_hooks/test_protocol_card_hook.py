"""Tests for ``ProtocolCardHook``: the protocol card is logged once per run."""

from types import SimpleNamespace
from unittest.mock import MagicMock

from mmengine.config import Config

from vtp.evaluation.protocol_card import format_card, protocol_card
from vtp.registry import HOOKS
from vtp.testing import repo_root


def test_card_logged_once_before_the_first_validation_or_test():
    cfg = Config.fromfile(str(repo_root() / 'configs/retrieval/msrvtt_7k.py'))
    runner = SimpleNamespace(cfg=cfg, logger=MagicMock())
    hook = HOOKS.build(dict(type='ProtocolCardHook'))
    hook.before_val(runner)
    hook.before_val(runner)
    hook.before_test(runner)
    runner.logger.info.assert_called_once_with(format_card(protocol_card(cfg)))
