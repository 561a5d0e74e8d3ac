"""A pre-norm transformer block with optional cross-attention, shared by the fusion encoders."""

from typing import Optional

import torch
from torch import nn


class TransformerBlock(nn.Module):
    """Self-attention, optional cross-attention to a context sequence, then an MLP.

    Args:
        dims: width D of the sequence.
        num_heads: attention heads.
        mlp_ratio: MLP hidden width / D.
        cross_attention: add a cross-attention sub-layer over a context of width D.
        dropout: dropout on attention weights and residual branches.
        fused_attention: attend with ``F.scaled_dot_product_attention`` (fused kernels; the
            ``need_weights=False`` path of ``nn.MultiheadAttention``); False forms the
            (B, heads, L, S) attention weights explicitly (its ``need_weights=True`` path), as
            a reference. Same parameters either way.
    """

    def __init__(
        self,
        dims: int,
        num_heads: int,
        mlp_ratio: float = 4.0,
        cross_attention: bool = False,
        dropout: float = 0.0,
        fused_attention: bool = True,
    ) -> None:
        super().__init__()
        self.fused_attention = fused_attention
        self.norm_self = nn.LayerNorm(dims)
        self.self_attn = nn.MultiheadAttention(dims, num_heads, dropout=dropout, batch_first=True)
        if cross_attention:
            self.norm_cross = nn.LayerNorm(dims)
            self.cross_attn: Optional[nn.MultiheadAttention] = nn.MultiheadAttention(
                dims, num_heads, dropout=dropout, batch_first=True
            )
        else:
            self.cross_attn = None
        self.norm_mlp = nn.LayerNorm(dims)
        hidden = int(dims * mlp_ratio)
        self.mlp = nn.Sequential(
            nn.Linear(dims, hidden), nn.GELU(), nn.Dropout(dropout), nn.Linear(hidden, dims)
        )
        self.drop = nn.Dropout(dropout)

    def forward(
        self,
        x: torch.Tensor,
        padding_mask: Optional[torch.Tensor] = None,
        context: Optional[torch.Tensor] = None,
        context_padding_mask: Optional[torch.Tensor] = None,
    ) -> torch.Tensor:
        """Run the block.

        Args:
            x: (B, L, D) sequence.
            padding_mask: (B, L) True where ``x`` is padding.
            context: (B, N, D) sequence to cross-attend to (needs ``cross_attention=True``).
            context_padding_mask: (B, N) True where ``context`` is padding.

        Returns:
            (B, L, D) updated sequence.
        """
        h = self.norm_self(x)
        x = x + self.drop(
            self.self_attn(
                h, h, h, key_padding_mask=padding_mask, need_weights=not self.fused_attention
            )[0]
        )
        if self.cross_attn is not None:
            h = self.norm_cross(x)
            x = x + self.drop(
                self.cross_attn(
                    h,
                    context,
                    context,
                    key_padding_mask=context_padding_mask,
                    need_weights=not self.fused_attention,
                )[0]
            )
        # torch types Module.__call__ as returning Any.
        return x + self.drop(self.mlp(self.norm_mlp(x)))  # type: ignore[no-any-return]
