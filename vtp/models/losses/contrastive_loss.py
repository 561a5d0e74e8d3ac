"""Symmetric InfoNCE between paired video and text embeddings (CLIP, https://arxiv.org/abs/2103.00020)."""
import torch
import torch.nn.functional as F
from torch import nn

from vtp.registry import MODELS
from vtp.utils.dist import all_gather_with_grad, get_rank


@MODELS.register_module()
class InfoNCELoss(nn.Module):
    """Symmetric InfoNCE over the global batch, gathered across ranks with gradient.

    Each rank scores its B local videos against all W*B texts (and its texts against all
    videos); the positives are the pairs with the same global index. With equal local batches
    the mean of the ranks' losses, and the DDP-averaged gradients, equal one process's on the
    whole batch.

    Args:
        loss_weight: factor on the loss.
    """

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, video_embed: torch.Tensor, text_embed: torch.Tensor,
                logit_scale: torch.Tensor) -> torch.Tensor:
        """Compute the loss.

        Args:
            video_embed: (B, D) L2-normalised local video embeddings.
            text_embed: (B, D) L2-normalised local text embeddings, row i paired with video i.
            logit_scale: () inverse temperature (already exponentiated).

        Returns:
            () the weighted loss.
        """
        all_video = all_gather_with_grad(video_embed)  # (W*B, D)
        all_text = all_gather_with_grad(text_embed)  # (W*B, D)
        batch = video_embed.shape[0]
        labels = torch.arange(batch, device=video_embed.device) + get_rank() * batch
        logits_v2t = logit_scale * video_embed @ all_text.t()  # (B, W*B)
        logits_t2v = logit_scale * text_embed @ all_video.t()  # (B, W*B)
        loss = (F.cross_entropy(logits_v2t, labels) + F.cross_entropy(logits_t2v, labels)) / 2
        return self.loss_weight * loss
