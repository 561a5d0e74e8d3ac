"""Tests for ``CrossAttentionFusion``: the fusion contract of ``vtp.testing.FusionContract``."""

from vtp.testing import FusionContract


class TestCrossAttentionFusion(FusionContract):
    fusion_cfg = dict(
        type='CrossAttentionFusion', text_dims=32, video_dims=64, num_layers=1, num_heads=2
    )
