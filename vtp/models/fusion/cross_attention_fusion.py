"""Cross-attention fusion: text tokens attend to video tokens, layer by layer (ALBEF / VindLU)."""

import torch

from vtp.models.fusion.base_transformer_fusion import BaseTransformerFusion
from vtp.registry import MODELS


@MODELS.register_module()
class CrossAttentionFusion(BaseTransformerFusion):
    """Fuse video into text with self-attention over text and cross-attention to video.

    The arguments (sizes and speed switches) are those of :class:`BaseTransformerFusion`.
    """

    single_stream = False

    def forward(
        self, text_tokens: torch.Tensor, text_mask: torch.Tensor, video_tokens: torch.Tensor
    ) -> torch.Tensor:
        """Fuse each text with its paired video.

        Args:
            text_tokens: (B, L, D) text features.
            text_mask: (B, L) 1 for real tokens, 0 for padding.
            video_tokens: (B, N, Dv) video features of the paired clips.

        Returns:
            (B, L, D) fused text tokens; position 0 is the [CLS] summary of the pair.
        """
        context = self.video_proj(video_tokens)  # (B, N, D)
        padding = text_mask == 0
        x = text_tokens
        for block in self.blocks:
            x = block(x, padding_mask=padding, context=context)
        return self.norm(x)  # type: ignore[no-any-return]  # Module call
