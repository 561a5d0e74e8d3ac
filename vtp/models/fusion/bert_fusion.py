"""Fusion made of the text encoder's own upper BERT layers (ALBEF https://arxiv.org/abs/2107.07651,
VindLU https://arxiv.org/abs/2212.05051, UMT https://arxiv.org/abs/2303.16058).

The top ``num_layers`` layers of the pretrained BERT leave the text encoder (or, with
``copy_layers``, are copied from it) and become the fusion encoder, keeping their pretrained
self-attention and MLP weights; only what video adds starts from scratch (the video
projection, and a cross-attention sub-layer per layer, or the modality type embedding of the
single-stream form). Built on stock ``transformers`` modules.
"""

import copy
import functools
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Union

import torch
from mmengine.model import BaseModule
from torch import nn

from vtp.models.encoders.bert_text_encoder import BertTextEncoder
from vtp.models.utils import checkpoint_call, compile_module
from vtp.registry import MODELS

if TYPE_CHECKING:
    from transformers import BertConfig


def _cross_attention(config: 'BertConfig') -> nn.Module:
    """A new BERT cross-attention sub-layer (query from text, keys and values from video)."""
    from transformers.models.bert.modeling_bert import BertAttention

    # transformers leaves BertAttention's constructor unannotated.
    return BertAttention(config, is_cross_attention=True)  # type: ignore[no-untyped-call]


@MODELS.register_module()
class BertFusion(BaseModule):
    """Fusion encoder built from the upper layers of a :class:`BertTextEncoder`.

    Cross-attention form (``single_stream=False``, ALBEF / VindLU / UMT): each layer runs its
    pretrained self-attention over the text, a new cross-attention to the video tokens, then
    its pretrained MLP. Single-stream form (``single_stream=True``, the seed's Base-VTP): the
    layers run unchanged over ``[text tokens; video tokens]``, each modality marked by a
    learned type embedding; the output keeps the text positions.

    The model passes its text encoder (``VideoTextPretrainer`` does so for any fusion whose
    constructor takes ``text_encoder``); the layers move here, so the text encoder keeps the
    layers below them and a text-only forward costs no more than before (with ``copy_layers``
    copies come here and the text encoder keeps all its layers).

    Args:
        text_encoder: the model's :class:`BertTextEncoder`; gives its top ``num_layers`` layers.
        video_dims: width of the video tokens, projected to the text width D.
        num_layers: layers taken from the top of the text encoder (3 of BERT-base's 12 as
            VindLU and UMT, 6 as ALBEF).
        single_stream: joint self-attention over text and video instead of cross-attention.
        copy_layers: the text encoder keeps all its layers (the contrastive path runs every
            one) and the fusion starts from copies of the top ``num_layers``, trained apart
            (BLIP-style depth for text, ALBEF-style separate weights); the fusion then reads
            the text encoder's last layer. A text encoder with few layers (the demo's 6)
            loses less of its contrastive strength this way.
        fused_attention: attention on ``F.scaled_dot_product_attention`` (transformers'
            ``'sdpa'``, fused kernels) in the given layers and the new cross-attention; False
            uses transformers' ``'eager'`` attention. Independent of the text encoder's
            choice; same weights.
        checkpointing: recompute each fusion layer's activations in backward
            (:func:`~vtp.models.utils.checkpoint_call`).
        compile: ``torch.compile`` this module's forward
            (:func:`~vtp.models.utils.compile_module`).
        init_cfg: mmengine init config.
    """

    def __init__(
        self,
        text_encoder: BertTextEncoder,
        video_dims: int,
        num_layers: int = 3,
        single_stream: bool = False,
        copy_layers: bool = False,
        fused_attention: bool = True,
        checkpointing: bool = False,
        compile: Union[bool, Dict[str, Any]] = False,
        init_cfg: Optional[Dict[str, Any]] = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        # transformers' attention modules look up their implementation in their config at
        # every call: the layers taken from the text encoder get this fusion's own config
        config = copy.deepcopy(text_encoder.bert.config)
        config._attn_implementation = 'sdpa' if fused_attention else 'eager'
        self.config = config
        self.embed_dims = config.hidden_size
        self.single_stream = single_stream
        self.checkpointing = checkpointing
        self.layers = text_encoder.split_layers(num_layers, copy=copy_layers)
        for layer in self.layers:
            layer.attention.self.config = config  # type: ignore[union-attr]
        self.video_proj = nn.Linear(video_dims, self.embed_dims)
        if single_stream:
            self.type_embed = nn.Parameter(torch.zeros(2, self.embed_dims))
            new: List[nn.Module] = [self.video_proj]
        else:
            self.cross_attention = nn.ModuleList(
                _cross_attention(config) for _ in range(num_layers)
            )
            new = [self.video_proj, self.cross_attention]
        for module in new:
            for m in module.modules():  # BERT's initialisation for the new weights
                if isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, std=config.initializer_range)
                    nn.init.zeros_(m.bias)
        if single_stream:
            nn.init.normal_(self.type_embed, std=config.initializer_range)
        compile_module(self, compile)

    def init_weights(self) -> None:
        """Weights are set at construction (pretrained layers, BERT's init for the new ones)."""

    def forward(
        self, text_tokens: torch.Tensor, text_mask: torch.Tensor, video_tokens: torch.Tensor
    ) -> torch.Tensor:
        """Fuse each text with its paired video.

        Args:
            text_tokens: (B, L, D) text features from the text encoder's lower layers.
            text_mask: (B, L) 1 for real tokens, 0 for padding.
            video_tokens: (B, N, Dv) video features of the paired clips.

        Returns:
            (B, L, D) fused text tokens; position 0 is the [CLS] summary of the pair.
        """
        from transformers.masking_utils import create_bidirectional_mask

        video = self.video_proj(video_tokens)  # (B, N, D)
        if self.single_stream:
            length = text_tokens.shape[1]
            x = torch.cat([text_tokens + self.type_embed[0], video + self.type_embed[1]], 1)
            mask = torch.cat([text_mask, text_mask.new_ones(video.shape[:2])], 1)  # (B, L + N)
        else:
            x, mask = text_tokens, text_mask
        # the mask in the form the attention implementation takes: (B, 1, S, S) additive for
        # 'eager', boolean for 'sdpa'; None when no text is padded
        mask = create_bidirectional_mask(config=self.config, inputs_embeds=x, attention_mask=mask)
        run_layer = (
            functools.partial(checkpoint_call, self._run_layer)
            if self.checkpointing
            else self._run_layer
        )
        for i in range(len(self.layers)):
            x = run_layer(i, x, mask, video)
        return x[:, :length] if self.single_stream else x

    def _run_layer(
        self, index: int, x: torch.Tensor, mask: Optional[torch.Tensor], video: torch.Tensor
    ) -> torch.Tensor:
        """Fusion layer ``index``: self-attention over (B, S, D) ``x`` (mask from
        ``create_bidirectional_mask``), cross-attention to (B, N, D) ``video`` in the
        cross-attention form, then the MLP; returns (B, S, D)."""
        # torch types a submodule's attribute as Tensor | Module; BertLayer's parts are modules.
        layer = self.layers[index]
        x = layer.attention(x, attention_mask=mask)[0]  # type: ignore[operator]
        if not self.single_stream:
            x = self.cross_attention[index](x, encoder_hidden_states=video)[0]
        return layer.output(layer.intermediate(x), x)  # type: ignore[no-any-return,operator]
