"""Single-stream fusion: text and video tokens concatenated in one transformer (Base-VTP)."""

from typing import Tuple

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

    def block_inputs(
        self, text: torch.Tensor, padding: torch.Tensor, video: torch.Tensor
    ) -> Tuple[torch.Tensor, torch.Tensor, None]:
        """``[text; video]`` with their type embeddings added (S = L + N), no context."""
        x = torch.cat([text + self.type_embed[0], video + self.type_embed[1]], dim=1)  # (B, S, D)
        video_padding = padding.new_zeros(video.shape[:2])  # (B, N), no video token is padding
        return x, torch.cat([padding, video_padding], dim=1), None
