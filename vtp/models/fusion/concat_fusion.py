"""Single-stream fusion: text and video tokens concatenated in one transformer (Base-VTP)."""

from typing import Any, Dict, Optional, Union

import torch
from mmengine.model import BaseModule
from torch import nn

from vtp.models.layers import TransformerBlock
from vtp.models.utils import checkpoint_modules, compile_module
from vtp.registry import MODELS


@MODELS.register_module()
class ConcatFusion(BaseModule):
    """Fuse by joint self-attention over ``[text tokens; video tokens]``.

    Each modality gets a learned type embedding; the output keeps the text positions.

    Args:
        text_dims: width D of the text tokens; the fused output has this width.
        video_dims: width of the video tokens, projected to D.
        num_layers: transformer blocks.
        num_heads: attention heads.
        mlp_ratio: MLP hidden width / D.
        dropout: dropout in the blocks.
        fused_attention: attention on ``F.scaled_dot_product_attention`` (fused kernels);
            False forms the attention weights explicitly (a reference). Same parameters.
        checkpointing: recompute each block's activations in backward instead of storing them
            (less memory, about one more forward of compute).
        compile: ``torch.compile`` this module's forward: True, or a dict of
            ``torch.compile`` arguments (``dict(mode='max-autotune')``).
        init_cfg: mmengine init config.
    """

    def __init__(
        self,
        text_dims: int,
        video_dims: int,
        num_layers: int = 2,
        num_heads: int = 8,
        mlp_ratio: float = 4.0,
        dropout: float = 0.1,
        fused_attention: bool = True,
        checkpointing: bool = False,
        compile: Union[bool, Dict[str, Any]] = False,
        init_cfg: Optional[Dict[str, Any]] = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        self.embed_dims = text_dims
        self.video_proj = nn.Linear(video_dims, text_dims)
        self.type_embed = nn.Parameter(torch.zeros(2, text_dims))
        nn.init.normal_(self.type_embed, std=0.02)
        self.blocks = nn.ModuleList(
            TransformerBlock(
                text_dims, num_heads, mlp_ratio, dropout=dropout, fused_attention=fused_attention
            )
            for _ in range(num_layers)
        )
        self.norm = nn.LayerNorm(text_dims)
        if checkpointing:
            checkpoint_modules(self.blocks)
        compile_module(self, compile)

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
