"""Open-ended QA head: classify the fused question-clip [CLS] token over an answer vocabulary."""

from typing import Any, Dict, List, Optional

import torch
from mmengine.model import BaseModule
from torch import nn

from vtp.registry import MODELS
from vtp.structures import VideoTextDataSample, VideoTextFeatures


@MODELS.register_module()
class AnswerHead(BaseModule):
    """An MLP over the fused [CLS] token of each question with its clip (VindLU, ALPRO style
    classification over the top-K training answers).

    Labels come from each data sample's ``label`` (``-1``: the answer is outside the
    vocabulary, ignored by the loss). ``predict`` sets ``pred_label``, ``pred_score`` and
    ``answer_scores`` (every answer's probability, for top-k answers).

    Args:
        in_dims: width D of the fused tokens.
        num_answers: size K of the answer vocabulary.
        hidden_dims: width of the hidden layer; ``2 * in_dims`` when None.
        loss: config of the classification loss (``ignore_index=-1``).
        init_cfg: mmengine init config.
    """

    def __init__(
        self,
        in_dims: int,
        num_answers: int,
        hidden_dims: Optional[int] = None,
        loss: Dict[str, Any] = dict(type='CrossEntropyLoss', ignore_index=-1),
        init_cfg: Optional[Dict[str, Any]] = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        hidden_dims = hidden_dims or 2 * in_dims
        self.classifier = nn.Sequential(
            nn.Linear(in_dims, hidden_dims),
            nn.GELU(),
            nn.LayerNorm(hidden_dims),
            nn.Linear(hidden_dims, num_answers),
        )
        self.loss_module = MODELS.build(loss)

    def forward(self, fused_cls: torch.Tensor) -> torch.Tensor:
        """(B, D) fused [CLS] tokens -> (B, K) answer logits."""
        return self.classifier(fused_cls)  # type: ignore[no-any-return]  # Module call

    def loss(
        self, feats: VideoTextFeatures, data_samples: List[VideoTextDataSample]
    ) -> Dict[str, torch.Tensor]:
        """Returns ``loss_qa`` and the diagnostic ``acc_qa`` (percent of in-vocabulary
        questions answered right)."""
        logits = self(feats.fused_positives[:, 0])  # (B, K)
        labels = torch.tensor([int(s.label) for s in data_samples], device=logits.device)
        known = labels >= 0
        acc = (
            (logits.argmax(1)[known] == labels[known]).float().mean() * 100
            if known.any()
            else logits.new_zeros(())
        )
        return dict(loss_qa=self.loss_module(logits, labels), acc_qa=acc.detach())

    @torch.no_grad()
    def predict(
        self, feats: VideoTextFeatures, data_samples: List[VideoTextDataSample]
    ) -> List[VideoTextDataSample]:
        """Sets ``answer_scores`` (K,) (the softmax probability of every answer),
        ``pred_label`` (int, the most probable) and ``pred_score`` (its probability)."""
        probs = self(feats.fused_positives[:, 0]).float().softmax(dim=1)  # (B, K)
        scores, labels = probs.max(dim=1)
        for sample, label, score, answer_scores in zip(
            data_samples, labels.tolist(), scores.tolist(), probs
        ):
            sample.pred_label, sample.pred_score = label, score
            sample.answer_scores = answer_scores
        return data_samples
