"""Masked language modelling (MLM) head on the fused tokens, tied to the word embeddings."""

from typing import Any, Dict, List, Optional

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import nn

from vtp.registry import MODELS
from vtp.structures import VideoTextDataSample, VideoTextFeatures


@MODELS.register_module()
class MLMHead(BaseModule):
    """Predict masked tokens from the fusion of the masked text with its clip (BERT-style).

    The decoder's weight is the text encoder's word embedding matrix (tied); the head owns the
    transform (dense, GELU, LayerNorm) and the output bias. Logits are computed only at masked
    positions.

    Args:
        in_dims: width D of the fused tokens (= the word embedding width).
        vocab_size: vocabulary size of the tied word embeddings.
        num_samples: predict the masked tokens of only the first ``num_samples`` local samples
            (a random subset when the sampler shuffles): the cost of re-encoding and fusing the
            masked texts scales with it. None: every sample.
        loss: config of the classification loss (``ignore_index`` marks unmasked tokens).
        init_cfg: mmengine init config.
    """

    def __init__(
        self,
        in_dims: int,
        vocab_size: int,
        num_samples: Optional[int] = None,
        loss: Dict[str, Any] = dict(type='CrossEntropyLoss'),
        init_cfg: Optional[Dict[str, Any]] = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_samples is not None and num_samples < 1:
            raise ValueError(f'MLMHead: num_samples must be None or at least 1, got {num_samples}')
        self.num_samples = num_samples
        self.transform = nn.Sequential(
            nn.Linear(in_dims, in_dims), nn.GELU(), nn.LayerNorm(in_dims)
        )
        self.bias = nn.Parameter(torch.zeros(vocab_size))
        self.loss_module = MODELS.build(loss)

    def forward(self, tokens: torch.Tensor, word_embeddings: nn.Embedding) -> torch.Tensor:
        """(M, D) fused token features -> (M, vocab) logits."""
        return F.linear(self.transform(tokens), word_embeddings.weight, self.bias)

    def loss(
        self, feats: VideoTextFeatures, data_samples: List[VideoTextDataSample]
    ) -> Dict[str, torch.Tensor]:
        """Returns ``loss_mlm`` and the diagnostic ``acc_mlm`` (percent of masked tokens)."""
        feats.require_pairs('MLMHead')
        n = self.num_samples  # None slices every sample
        labels = feats.inputs['mlm_labels'][:n]  # (n, L), -100 where not masked
        text_mask = feats.text_mask[:n]
        tokens, _ = feats.encode_text(feats.inputs['mlm_input_ids'][:n], text_mask)
        fused = feats.fuse(tokens, text_mask, feats.video_tokens[:n])  # (n, L, D)
        selected = labels != self.loss_module.ignore_index
        logits = self(fused[selected], feats.word_embeddings)  # (M, vocab)
        target = labels[selected]
        acc = (
            (logits.argmax(1) == target).float().mean() * 100
            if target.numel()
            else logits.new_zeros(())
        )
        return dict(loss_mlm=self.loss_module(logits, target), acc_mlm=acc.detach())
