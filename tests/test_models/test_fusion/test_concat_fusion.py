"""Tests for ``ConcatFusion``: the fusion contract of ``vtp.testing.FusionContract`` and its speed
switches (``vtp.testing.switch_checks.FusionSwitchChecks``)."""

from vtp.testing import FusionContract
from vtp.testing.switch_checks import FusionSwitchChecks


class TestConcatFusion(FusionContract):
    fusion_cfg = dict(type='ConcatFusion', text_dims=32, video_dims=64, num_layers=1, num_heads=2)


class TestConcatFusionSwitches(FusionSwitchChecks):
    fusion_cfg = dict(type='ConcatFusion', text_dims=32, video_dims=64, num_layers=2, num_heads=2)
