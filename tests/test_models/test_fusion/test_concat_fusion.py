"""Tests for ``ConcatFusion``: the fusion contract of ``vtp.testing.FusionContract``."""

from vtp.testing import FusionContract


class TestConcatFusion(FusionContract):
    fusion_cfg = dict(type='ConcatFusion', text_dims=32, video_dims=64, num_layers=1, num_heads=2)
