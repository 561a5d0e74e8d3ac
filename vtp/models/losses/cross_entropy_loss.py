"""Cross-entropy with a weight and an ignore index, for the matching and MLM heads."""

import torch
import torch.nn.functional as F
from torch import nn

from vtp.registry import MODELS


@MODELS.register_module()
class CrossEntropyLoss(nn.Module):
    """Mean cross-entropy over the targets that are not ``ignore_index``, computed in fp32
    (bf16 or fp16 logits from an autocast forward are cast up first).

    Args:
        loss_weight: factor on the loss.
        ignore_index: target value that contributes nothing.
    """

    def __init__(self, loss_weight: float = 1.0, ignore_index: int = -100) -> None:
        super().__init__()
        self.loss_weight = loss_weight
        self.ignore_index = ignore_index

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Compute the loss.

        Args:
            logits: (M, K) unnormalised class scores.
            target: (M,) class indices, ``ignore_index`` where there is no target.

        Returns:
            () the weighted fp32 loss; 0 (with gradient) when every target is ignored.
        """
        logits = logits.float()
        if not (target != self.ignore_index).any():
            return logits.sum() * 0.0
        return self.loss_weight * F.cross_entropy(logits, target, ignore_index=self.ignore_index)
