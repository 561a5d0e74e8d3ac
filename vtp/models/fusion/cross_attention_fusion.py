"""Cross-attention fusion: text tokens attend to video tokens, layer by layer (ALBEF / VindLU)."""

from typing import Tuple

import torch

from vtp.models.fusion.base_transformer_fusion import BaseTransformerFusion
from vtp.registry import MODELS


@MODELS.register_module()
class CrossAttentionFusion(BaseTransformerFusion):
    """Fuse video into text with self-attention over text and cross-attention to video.

    The arguments (sizes and speed switches) are those of :class:`BaseTransformerFusion`.
    """

    single_stream = False

    def block_inputs(
        self, text: torch.Tensor, padding: torch.Tensor, video: torch.Tensor
    ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The text alone (S = L); the video is the context of every block's cross-attention."""
        return text, padding, video
