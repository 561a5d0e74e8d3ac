"""The contract every fusion encoder keeps, as a base class for its test class.

A fusion encoder maps ``(text_tokens (B, L, D), text_mask (B, L), video_tokens (B, N, Dv))``
to fused text tokens ``(B, L, D)``. Subclass :class:`FusionContract` in a ``Test*`` class and
set ``fusion_cfg`` (text width 32, video width 64) to run these checks on a new fusion::

    class TestConcatFusion(FusionContract):
        fusion_cfg = dict(type='ConcatFusion', text_dims=32, video_dims=64, num_layers=1)
"""

from typing import Any, Dict, Tuple

import torch
from torch import nn

from vtp.registry import MODELS

TEXT_DIMS, VIDEO_DIMS = 32, 64


class FusionContract:
    """Shape, padding invariance, per-sample video dependence and gradients of a fusion."""

    fusion_cfg: Dict[str, Any]

    def build_fusion(self) -> nn.Module:
        fusion: nn.Module = MODELS.build(self.fusion_cfg)
        return fusion.eval()

    @staticmethod
    def inputs(
        batch: int = 3, length: int = 6, num_video: int = 5
    ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(B, L, D) text, (B, L) mask with padding in samples 0 and 2, (B, N, Dv) video."""
        text = torch.randn(batch, length, TEXT_DIMS)
        mask = torch.ones(batch, length, dtype=torch.long)
        mask[0, 4:] = 0
        mask[2, 2:] = 0
        video = torch.randn(batch, num_video, VIDEO_DIMS)
        return text, mask, video

    def test_output_shape(self) -> None:
        fusion = self.build_fusion()
        assert fusion.embed_dims == TEXT_DIMS
        text, mask, video = self.inputs()
        with torch.no_grad():
            out = fusion(text, mask, video)
        assert out.shape == (3, 6, TEXT_DIMS)
        assert torch.isfinite(out).all()

    def test_padding_does_not_change_real_positions(self) -> None:
        fusion = self.build_fusion()
        text, mask, video = self.inputs()
        padded = mask == 0
        other_text = text.clone()
        other_text[padded] = 10 * torch.randn(int(padded.sum()), TEXT_DIMS)
        with torch.no_grad():
            out = fusion(text, mask, video)
            out_other = fusion(other_text, mask, video)
        real = mask.bool()
        torch.testing.assert_close(out_other[real], out[real])
        assert not torch.allclose(out_other[padded], out[padded])

    def test_padding_invariance_with_gradients(self) -> None:
        """The same check on the training path (autograd on, no fast attention kernel)."""
        fusion = self.build_fusion()
        text, mask, video = self.inputs()
        other_text = text.clone()
        other_text[mask == 0] = 5.0
        out = fusion(text.requires_grad_(), mask, video)
        out_other = fusion(other_text, mask, video)
        torch.testing.assert_close(out_other[mask.bool()], out[mask.bool()].detach())
        # no gradient reaches padded inputs from real outputs
        out[mask.bool()].sum().backward()
        assert text.grad is not None
        assert torch.count_nonzero(text.grad[mask == 0]) == 0
        assert torch.count_nonzero(text.grad[mask.bool()]) > 0

    def test_output_depends_on_the_video(self) -> None:
        fusion = self.build_fusion()
        text, mask, video = self.inputs()
        other_video = video.clone()
        other_video[1] = torch.randn_like(video[1])
        with torch.no_grad():
            out = fusion(text, mask, video)
            out_other = fusion(text, mask, other_video)
        # only sample 1 changes
        assert not torch.allclose(out_other[1], out[1])
        torch.testing.assert_close(out_other[0], out[0])
        torch.testing.assert_close(out_other[2], out[2])

    def test_every_parameter_gets_a_gradient(self) -> None:
        fusion = self.build_fusion().train()
        text, mask, video = self.inputs()
        fusion(text, mask, video)[:, 0].sum().backward()
        missing = [n for n, p in fusion.named_parameters() if p.grad is None]
        assert not missing
