"""Text encoder on transformers' ``BertModel`` (BERT, https://arxiv.org/abs/1810.04805).

Loads any local directory, hub name or ``pkg://`` model with ``from_pretrained``, or builds
from a config for random init. The adapter stays small: vtp depends on transformers rather than
copying BERT.
"""

from copy import deepcopy
from typing import Any, Dict, List, Optional, Tuple, Union

import torch
from mmengine.logging import MMLogger
from mmengine.model import BaseModule
from torch import nn

from vtp.models.utils import QuietInitMixin, checkpoint_modules, compile_module
from vtp.models.utils.frozen_cache import FrozenFeatureCache
from vtp.registry import MODELS
from vtp.utils.checks import require_number
from vtp.utils.pretrained import resolve_pretrained, torch_safe_globals_only

# Sizes for tests and toy data (uncased WordPiece vocabulary of 30522 tokens).
ARCHS = {
    'toy': dict(
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        vocab_size=30522,
        max_position_embeddings=128,
    ),
    'base': dict(
        hidden_size=768,
        num_hidden_layers=12,
        num_attention_heads=12,
        intermediate_size=3072,
        vocab_size=30522,
    ),
}


@MODELS.register_module()
class BertTextEncoder(QuietInitMixin, BaseModule):
    """BERT encoder returning token features and a sentence feature.

    Args:
        pretrained: a local directory, a hub name (``bert-base-uncased``; needs the hub cache
            or network) or ``pkg://<module>`` (see :func:`vtp.utils.pretrained.resolve_pretrained`).
            Weights come from there; ``arch`` and ``config`` are ignored.
        arch: ``'toy'`` or ``'base'`` for random init when ``pretrained`` is None.
        config: ``BertConfig`` fields overriding ``arch`` (random init).
        pooling: the sentence feature: ``'cls'`` (the [CLS] token, as BERT is pre-trained) or
            ``'mean'`` (mean of the real tokens, as sentence-transformers models such as
            all-MiniLM-L6-v2 are trained).
        frozen_layers: freeze the embeddings and the first ``frozen_layers`` transformer
            layers (-1: train everything; 0: freeze only the embeddings). Frozen parts stay in
            eval mode (no dropout) while the model trains, and build no autograd graph.
        frozen_cache_mb: MiB of the frozen part's features to keep per caption
            (:class:`~vtp.models.utils.frozen_cache.FrozenFeatureCache`; 0 keeps none): a
            caption met again (every pass over a corpus) then runs only the layers that train.
            Needs ``frozen_layers`` >= 0. Real tokens' features and the pooled feature are
            those without the cache; features at padding positions are not (nothing in vtp
            reads them). The kept features are dropped whenever a frozen weight changes.
        fused_attention: attention on ``F.scaled_dot_product_attention`` (transformers'
            ``attn_implementation='sdpa'``, fused kernels); False uses transformers' ``'eager'``
            attention, which forms every (heads, L, L) attention matrix. Same weights.
        checkpointing: recompute each BERT layer's activations in backward
            (:func:`~vtp.models.utils.checkpoint_modules`).
        compile: ``torch.compile`` this encoder's forward
            (:func:`~vtp.models.utils.compile_module`).
        init_cfg: mmengine init config.
    """

    def __init__(
        self,
        pretrained: Optional[str] = None,
        arch: str = 'base',
        config: Optional[Dict[str, Any]] = None,
        pooling: str = 'cls',
        frozen_layers: int = -1,
        frozen_cache_mb: float = 0,
        fused_attention: bool = True,
        checkpointing: bool = False,
        compile: Union[bool, Dict[str, Any]] = False,
        init_cfg: Optional[Dict[str, Any]] = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        if pooling not in ('cls', 'mean'):
            raise ValueError(f"BertTextEncoder: pooling must be 'cls' or 'mean', got {pooling!r}")
        self.pooling = pooling
        from transformers import BertConfig, BertModel
        from transformers.utils import logging as hf_logging

        attn_implementation = 'sdpa' if fused_attention else 'eager'
        verbosity, progress_bar = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
        hf_logging.set_verbosity_error()  # type: ignore[no-untyped-call]  # transformers: untyped
        # no progress bar for loading ~100 tensors in a millisecond; transformers is untyped
        hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        try:
            if pretrained is not None:
                with torch_safe_globals_only():
                    self.bert = BertModel.from_pretrained(
                        resolve_pretrained(pretrained),
                        add_pooling_layer=False,
                        attn_implementation=attn_implementation,
                    )
                MMLogger.get_current_instance().info(f'BertTextEncoder: loaded {pretrained}')
            else:
                if arch not in ARCHS:
                    raise KeyError(f'BertTextEncoder: unknown arch {arch!r}, use {sorted(ARCHS)}')
                if 'attn_implementation' in (config or {}):
                    raise ValueError(
                        'BertTextEncoder: choose the attention with fused_attention, not '
                        'config.attn_implementation'
                    )
                fields = {
                    **ARCHS[arch],
                    **(config or {}),
                    'attn_implementation': attn_implementation,
                }
                self.bert = BertModel(BertConfig(**fields), add_pooling_layer=False)
        finally:
            hf_logging.set_verbosity(verbosity)
            if progress_bar:
                hf_logging.enable_progress_bar()  # type: ignore[no-untyped-call]
        self.embed_dims = self.bert.config.hidden_size
        # a plain list: the modules stay registered (and in the state dict) under self.bert only
        self._frozen: List[nn.Module] = (
            [self.bert.embeddings, *self.bert.encoder.layer[:frozen_layers]]
            if frozen_layers >= 0
            else []
        )
        for module in self._frozen:
            module.requires_grad_(False).eval()
        frozen_cache_mb = require_number(
            'BertTextEncoder: frozen_cache_mb (MiB)', frozen_cache_mb, minimum=0
        )
        if frozen_cache_mb and frozen_layers < 0:
            raise ValueError(
                'BertTextEncoder: frozen_cache_mb keeps the features of frozen layers; set '
                f'frozen_layers >= 0 (got {frozen_layers})'
            )
        if frozen_cache_mb and self.bert.config.is_decoder:
            raise ValueError(
                'BertTextEncoder: frozen_cache_mb runs BERT layers with a bidirectional mask; '
                'a decoder (config.is_decoder) is not supported'
            )
        self.frozen_cache = (
            FrozenFeatureCache(int(frozen_cache_mb * 2**20)) if frozen_cache_mb else None
        )
        if checkpointing:
            checkpoint_modules(self.bert.encoder.layer)
        compile_module(self, compile)

    def train(self, mode: bool = True) -> 'BertTextEncoder':
        """Set the training mode; frozen parts stay in eval mode."""
        super().train(mode)
        for module in self._frozen:
            module.eval()
        return self

    def init_weights(self) -> None:
        """Weights are set at construction (pretrained or transformers' init); keep them."""

    def split_layers(self, num_layers: int, copy: bool = False) -> nn.ModuleList:
        """Return the top ``num_layers`` transformer layers (with their pretrained weights), for
        a fusion encoder built from them. By default they leave the text encoder (ALBEF /
        VindLU): it keeps the layers below, so a text-only forward never runs the ones given
        away. With ``copy`` the text encoder keeps every layer and the fusion gets trainable
        copies of the top ones (even of frozen layers), which then train apart from the text
        path. The fusion encoder calls the parts of each layer itself, under its own switches
        (attention implementation, checkpointing, compile).
        """
        layers = self.bert.encoder.layer
        keep = len(layers) - num_layers
        if not 0 < num_layers <= len(layers) - (0 if copy else 1):
            raise ValueError(
                f'BertTextEncoder: cannot {"copy" if copy else "give"} {num_layers} of its '
                f'{len(layers)} layers to fusion' + ('' if copy else '; keep at least one for text')
            )
        if not copy and len(self._frozen) - 1 > keep:
            raise ValueError(
                f'BertTextEncoder: frozen_layers={len(self._frozen) - 1} reaches the layers given '
                f'to fusion (it keeps {keep} of {len(layers)}): freeze fewer or copy them'
            )
        if copy:
            copies = nn.ModuleList(deepcopy(layer) for layer in layers[keep:])
            return copies.requires_grad_(True)  # the fusion trains even where text is frozen
        top = nn.ModuleList(layers[keep:])
        self.bert.encoder.layer = nn.ModuleList(layers[:keep])
        self.bert.config.num_hidden_layers = keep
        return top

    @property
    def word_embeddings(self) -> nn.Embedding:
        """The (vocab_size, D) input word embeddings, tied to the MLM prediction head."""
        return self.bert.embeddings.word_embeddings

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, cache: bool = True
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """Encode token ids.

        Args:
            input_ids: (B, L) token ids.
            attention_mask: (B, L) 1 for real tokens, 0 for padding.
            cache: whether these captions may be kept (``frozen_cache_mb``); text met once
                (MLM's randomly masked captions) would only take room.

        Returns:
            tokens: (B, L, D) last hidden states.
            pooled: (B, D) the sentence feature (see ``pooling``).
        """
        if self.frozen_cache is not None and cache:
            tokens = self._encode_cached(input_ids, attention_mask)
        else:
            tokens = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        if self.pooling == 'cls':
            return tokens, tokens[:, 0]
        weights = attention_mask.unsqueeze(-1).to(tokens.dtype)  # (B, L, 1)
        return tokens, (tokens * weights).sum(1) / weights.sum(1).clamp(min=1)

    def _encode_cached(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """The last hidden states, the frozen part's features coming from the cache."""
        assert self.frozen_cache is not None
        weights = [w for module in self._frozen for w in module.parameters()]
        x: torch.Tensor = self.frozen_cache(
            input_ids, attention_mask, self._frozen_features, weights
        )
        trained = self.bert.encoder.layer[len(self._frozen) - 1 :]
        if len(trained):
            mask = self._layer_mask(x, attention_mask)
            for layer in trained:
                x = layer(x, mask)
        return x

    def _frozen_features(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor
    ) -> torch.Tensor:
        """(B, L, D) output of the embeddings and the frozen layers."""
        with torch.no_grad():
            x = self.bert.embeddings(input_ids=input_ids)
            mask = self._layer_mask(x, attention_mask)
            for layer in self.bert.encoder.layer[: len(self._frozen) - 1]:
                x = layer(x, mask)
        return x  # type: ignore[no-any-return]

    def _layer_mask(self, x: torch.Tensor, attention_mask: torch.Tensor) -> Optional[torch.Tensor]:
        """The padding mask in the form BERT's layers take under this attention implementation."""
        from transformers.masking_utils import create_bidirectional_mask

        return create_bidirectional_mask(  # type: ignore[no-any-return]
            config=self.bert.config, inputs_embeds=x, attention_mask=attention_mask
        )
