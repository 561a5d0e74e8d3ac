"""Base of the fusion encoders made of vtp's own :class:`TransformerBlock` layers."""

from typing import Any, ClassVar, Dict, Optional, Tuple, Union

import torch
from mmengine.model import BaseModule
from torch import nn

from vtp.models.layers import TransformerBlock
from vtp.models.utils import checkpoint_modules, compile_module


class BaseTransformerFusion(BaseModule):
    """A randomly initialised fusion encoder: video projection, transformer blocks, final norm.

    A subclass chooses the stream form (``single_stream``) and how text and video form the
    blocks' input (:meth:`block_inputs`): single-stream (:class:`ConcatFusion`) runs
    self-attention over ``[text tokens; video tokens]``, each modality marked by a learned type
    embedding (``type_embed``, (2, D)); the cross-attention form (:class:`CrossAttentionFusion`)
    gives every block a cross-attention to the video tokens. :class:`BertFusion` offers both
    forms on pretrained BERT layers instead.

    Args:
        text_dims: width D of the text tokens; the fused output has this width.
        video_dims: width of the video tokens, projected to D.
        num_layers: transformer blocks.
        num_heads: attention heads.
        mlp_ratio: MLP hidden width / D.
        dropout: dropout in the blocks.
        fused_attention: attention on ``F.scaled_dot_product_attention`` (fused kernels);
            False forms the attention weights explicitly (a reference). Same parameters.
        checkpointing: recompute each block's activations in backward
            (:func:`~vtp.models.utils.checkpoint_modules`).
        compile: ``torch.compile`` this module's forward
            (:func:`~vtp.models.utils.compile_module`).
        init_cfg: mmengine init config.
    """

    single_stream: ClassVar[bool]

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
        if self.single_stream:
            self.type_embed = nn.Parameter(torch.zeros(2, text_dims))
            nn.init.normal_(self.type_embed, std=0.02)
        self.blocks = nn.ModuleList(
            TransformerBlock(
                text_dims,
                num_heads,
                mlp_ratio,
                cross_attention=not self.single_stream,
                dropout=dropout,
                fused_attention=fused_attention,
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
        video = self.video_proj(video_tokens)  # (B, N, D)
        x, padding, context = self.block_inputs(text_tokens, text_mask == 0, video)
        for block in self.blocks:
            x = block(x, padding_mask=padding, context=context)
        return self.norm(x[:, : text_tokens.shape[1]])  # type: ignore[no-any-return]  # Module call

    def block_inputs(
        self, text: torch.Tensor, padding: torch.Tensor, video: torch.Tensor
    ) -> Tuple[torch.Tensor, torch.Tensor, Optional[torch.Tensor]]:
        """The blocks' input, from the (B, L, D) text tokens, their (B, L) padding (True at
        padding) and the (B, N, D) projected video tokens.

        Returns:
            The (B, S, D) sequence whose first L positions are the text's, its (B, S) padding,
            and the (B, N, D) context of the cross-attention (None in the single-stream form).
        """
        raise NotImplementedError
