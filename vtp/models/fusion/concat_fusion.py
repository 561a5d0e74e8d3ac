"""Single-stream fusion: text and video tokens concatenated in one transformer (Base-VTP)."""

import torch

from vtp.models.fusion.base_transformer_fusion import BaseTransformerFusion
from vtp.registry import MODELS


@MODELS.register_module()
class ConcatFusion(BaseTransformerFusion):
    """Fuse by joint self-attention over ``[text tokens; video tokens]``.

    Each modality gets a learned type embedding; the output keeps the text positions. The
    arguments (sizes and speed switches) are those of :class:`BaseTransformerFusion`.
    """

    single_stream = True

    def forward(
        self, text_tokens: torch.Tensor, text_mask: torch.Tensor, video_tokens: torch.Tensor
    ) -> torch.Tensor:
        """Fuse each text with its paired video.

        Args:
            text_tokens: (B, L, D) text features.
            text_mask: (B, L) 1 for real tokens, 0 for padding.
            video_tokens: (B, N, Dv) video features of the paired clips.

        Returns:
            (B, L, D) fused text positions; position 0 is the [CLS] summary of the pair.
        """
        length = text_tokens.shape[1]
        video = self.video_proj(video_tokens) + self.type_embed[1]  # (B, N, D)
        x = torch.cat([text_tokens + self.type_embed[0], video], dim=1)  # (B, L + N, D)
        video_padding = text_mask.new_zeros(video.shape[:2], dtype=torch.bool)
        padding = torch.cat([text_mask == 0, video_padding], dim=1)  # (B, L + N)
        for block in self.blocks:
            x = block(x, padding_mask=padding)
        return self.norm(x[:, :length])  # type: ignore[no-any-return]  # Module call
