"""Video-text matching (VTM) head with hard negatives mined from contrastive similarities."""

from typing import Any, Dict, List, Optional, Tuple

import torch
from mmengine.model import BaseModule
from torch import nn

from vtp.registry import MODELS
from vtp.structures import VideoTextDataSample, VideoTextFeatures
from vtp.utils.checks import require_number
from vtp.utils.dist import all_gather_no_grad, all_gather_with_grad, get_rank


@MODELS.register_module()
class ITMHead(BaseModule):
    """Binary matching on the fused [CLS] token (ALBEF, https://arxiv.org/abs/2107.07651).

    For each of the B local pairs the head builds one positive, one negative text for the
    clip and one negative clip for the text. Negatives are drawn from the whole global batch
    (all ranks) with probability ``softmax(similarity / negative_temperature)``, never a
    positive: not the pair itself, not another pair of the same clip (``clip_ids`` in the
    inputs), and not a (clip, text) pair shown anywhere in the global batch (a text identical to
    one of the clip's captions there, as when two clips share a caption and one of them
    appears twice); a pair with no such negative in the global batch (one clip or one caption
    throughout) adds its positive alone to the loss. Positives and negatives use the same
    unmasked texts, so masking cannot give the answer away. Non-finite similarities (a diverged
    model) draw uniformly, so that the NaN loss reaches ``FiniteLossHook``, which names the
    iteration.

    Args:
        in_dims: width D of the fused tokens.
        negative_temperature: temperature of the hard-negative sampling distribution (a
            positive number; ``AttributeScheduleHook`` can change it during training).
        num_pairs: match only the first ``num_pairs`` local pairs (a random subset when the
            sampler shuffles), still drawing their negatives from the whole global batch: the
            head's fusion cost (3 pairs each) scales with it. None: every pair.
        loss: config of the classification loss.
        init_cfg: mmengine init config.
    """

    def __init__(
        self,
        in_dims: int,
        negative_temperature: float = 0.07,
        num_pairs: Optional[int] = None,
        loss: Dict[str, Any] = dict(type='CrossEntropyLoss'),
        init_cfg: Optional[Dict[str, Any]] = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_pairs is not None and num_pairs < 1:
            raise ValueError(f'ITMHead: num_pairs must be None or at least 1, got {num_pairs}')
        self.classifier = nn.Linear(in_dims, 2)
        self.negative_temperature = negative_temperature
        self.num_pairs = num_pairs
        self.loss_module = MODELS.build(loss)

    @property
    def negative_temperature(self) -> float:
        return self._negative_temperature

    @negative_temperature.setter
    def negative_temperature(self, value: float) -> None:
        self._negative_temperature = require_number(
            'ITMHead: negative_temperature', value, positive=True
        )

    def forward(self, fused_cls: torch.Tensor) -> torch.Tensor:
        """(M, D) fused [CLS] tokens -> (M, 2) logits of (no match, match)."""
        return self.classifier(fused_cls)  # type: ignore[no-any-return]  # Module call

    def match_margin(self, fused_cls: torch.Tensor) -> torch.Tensor:
        """(M, D) fused [CLS] tokens -> (M,) ``logit(match) - logit(no match)``, the score that
        ranks candidates (re-ranking, multiple-choice options)."""
        logits: torch.Tensor = self(fused_cls)  # (M, 2)
        return logits[:, 1] - logits[:, 0]

    @torch.no_grad()
    def _sample_negatives(
        self, feats: VideoTextFeatures
    ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Global indices of one hard negative text and one hard negative clip per local pair,
        and (2, B) whether the pair has a true negative text (row 0) and clip (row 1); a draw
        without one is to be ignored."""
        video_embed, text_embed = feats.video_embed, feats.text_embed
        if video_embed is None or text_embed is None:
            raise ValueError(
                'ITMHead draws negatives by joint-space similarity: set model.embed_dim'
            )
        batch = video_embed.shape[0]
        all_video = all_gather_no_grad(video_embed)  # (W*B, E)
        all_text = all_gather_no_grad(text_embed)  # (W*B, E)
        ids = feats.inputs['input_ids']
        all_ids = all_gather_no_grad(ids)  # (W*B, L)
        if all_ids.shape[0] < 2:
            raise ValueError('ITMHead needs a global batch of at least 2 pairs to draw negatives')
        own = torch.arange(batch, device=ids.device) + get_rank() * batch
        # A (clip, caption) of the global batch is a positive when the clip is shown with that
        # caption anywhere in the batch: clips and captions numbered, and which clip has which.
        clip_ids = feats.inputs.get('clip_ids')
        if clip_ids is None:  # every pair its own clip
            clip = torch.arange(all_ids.shape[0], device=ids.device)
        else:
            clip = torch.unique(all_gather_no_grad(clip_ids), return_inverse=True)[1]  # (W*B,)
        caption = torch.unique(all_ids, dim=0, return_inverse=True)[1]  # (W*B,) one per text
        # (clip, caption) as one number; the pairs of the batch, sorted: O(W*B) memory
        width = int(caption.max()) + 1
        shown = torch.unique(clip * width + caption)
        same_clip = clip[own][:, None] == clip[None]  # (B, W*B)
        text_blocked = same_clip | torch.isin(clip[own][:, None] * width + caption[None], shown)
        video_blocked = same_clip | torch.isin(clip[None] * width + caption[own][:, None], shown)
        valid = torch.stack([~text_blocked.all(1), ~video_blocked.all(1)])  # (2, B)
        rows = torch.arange(batch, device=ids.device)

        def draw(sim: torch.Tensor, blocked: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
            blocked = blocked.clone()
            blocked[~valid] = False  # nothing to draw from: any other pair, left out of the loss
            blocked[rows, own] = True
            logits = (sim.float() / self.negative_temperature).masked_fill(blocked, float('-inf'))
            probs = logits.softmax(dim=1)
            diverged = ~torch.isfinite(probs).all(1)
            probs[diverged] = (~blocked[diverged]).float()
            return torch.multinomial(probs, 1).squeeze(1)  # (B,)

        return (
            draw(video_embed @ all_text.t(), text_blocked, valid[0]),
            draw(text_embed @ all_video.t(), video_blocked, valid[1]),
            valid,
        )

    def loss(
        self, feats: VideoTextFeatures, data_samples: List[VideoTextDataSample]
    ) -> Dict[str, torch.Tensor]:
        """Returns ``loss_itm`` and the diagnostic ``acc_itm`` (percent)."""
        feats.require_pairs('ITMHead')
        neg_text, neg_video, valid = self._sample_negatives(feats)
        batch = feats.video_tokens.shape[0]
        n = batch if self.num_pairs is None else min(self.num_pairs, batch)
        all_text_tokens = all_gather_with_grad(feats.text_tokens)  # (W*B, L, D)
        all_text_mask = all_gather_no_grad(feats.text_mask)  # (W*B, L)
        all_video_tokens = all_gather_with_grad(feats.video_tokens)  # (W*B, N, Dv)
        text_tokens, text_mask = feats.text_tokens[:n], feats.text_mask[:n]
        video_tokens = feats.video_tokens[:n]
        # the 2n negative pairs: n clips with a negative text, then n texts with a negative clip
        texts = [all_text_tokens[neg_text[:n]], text_tokens]
        masks = [all_text_mask[neg_text[:n]], text_mask]
        videos = [video_tokens, all_video_tokens[neg_video[:n]]]
        if n == batch:  # every positive: the fusion shared with other heads
            positives = feats.fused_positives[:, 0]
            negatives = feats.fuse(torch.cat(texts), torch.cat(masks), torch.cat(videos))
            fused_cls = torch.cat([positives, negatives[:, 0]])
        else:  # the n positives and the negatives in one fusion call of 3n pairs
            fused_cls = feats.fuse(
                torch.cat([text_tokens, *texts]),
                torch.cat([text_mask, *masks]),
                torch.cat([video_tokens, *videos]),
            )[:, 0]
        keep = torch.cat([torch.ones_like(valid[0, :n]), valid[0, :n], valid[1, :n]])
        logits = self(fused_cls)[keep]  # (3n, 2) less the invalid negatives: positives first
        labels = torch.zeros(len(logits), dtype=torch.long, device=logits.device)
        labels[:n] = 1
        acc = (logits.argmax(1) == labels).float().mean() * 100
        return dict(loss_itm=self.loss_module(logits, labels), acc_itm=acc.detach())
