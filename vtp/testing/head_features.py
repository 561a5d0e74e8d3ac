"""A hand-made feature bundle, as the model computes it once per batch, for the tests of the
pre-training heads (ITC, ITM, MLM)."""

from typing import TYPE_CHECKING, Optional

import torch
import torch.nn.functional as F
from torch import nn

from vtp.registry import MODELS
from vtp.structures import VideoTextFeatures
from vtp.testing.toy_models import TOY_TEXT, TOY_TEXT_DIMS, TOY_TEXT_VOCAB

if TYPE_CHECKING:
    from vtp.models.encoders.bert_text_encoder import BertTextEncoder

FEATURES_VIDEO_DIMS = 24  # width Dv of the bundle's random visual tokens
FEATURES_EMBED_DIMS = 16  # width E of the bundle's joint embeddings


def random_ids(batch: int = 4, length: int = 6) -> torch.Tensor:
    """(B, L) random WordPiece ids of the toy text encoder, each text starting with [CLS]."""
    ids = torch.randint(1000, TOY_TEXT_VOCAB, (batch, length))
    ids[:, 0] = 101
    return ids


def make_features(
    input_ids: torch.Tensor,
    text_embed: Optional[torch.Tensor] = None,
    video_embed: Optional[torch.Tensor] = None,
    text_encoder: Optional['BertTextEncoder'] = None,
    fusion: Optional[nn.Module] = None,
    num_video: int = 3,
) -> VideoTextFeatures:
    """The bundle of (B, L) ``input_ids`` around a toy text encoder and a cross-attention fusion.

    Text 0 ends in 2 padding tokens; token 1 of every text and token 2 of the last are masked
    for MLM (``mlm_input_ids`` holds [MASK] there, ``mlm_labels`` the true ids, -100 elsewhere).
    Visual tokens (B, ``num_video``, ``FEATURES_VIDEO_DIMS``) are random and require grad; the
    (B, ``FEATURES_EMBED_DIMS``) embeddings are random unit vectors unless given.
    """
    batch, length = input_ids.shape
    text_encoder = text_encoder or MODELS.build(TOY_TEXT)
    fusion = fusion or MODELS.build(
        dict(
            type='CrossAttentionFusion',
            text_dims=TOY_TEXT_DIMS,
            video_dims=FEATURES_VIDEO_DIMS,
            num_layers=1,
            num_heads=2,
        )
    )
    mask = torch.ones(batch, length, dtype=torch.long)
    mask[0, -2:] = 0
    labels = torch.full((batch, length), -100)
    labels[:, 1] = input_ids[:, 1]
    labels[-1, 2] = input_ids[-1, 2]
    mlm_ids = input_ids.clone()
    mlm_ids[labels != -100] = 103  # [MASK]
    text_tokens, _ = text_encoder(input_ids, mask)
    return VideoTextFeatures(
        video_tokens=torch.randn(batch, num_video, FEATURES_VIDEO_DIMS, requires_grad=True),
        video_embed=(
            video_embed
            if video_embed is not None
            else F.normalize(torch.randn(batch, FEATURES_EMBED_DIMS), dim=-1)
        ),
        text_tokens=text_tokens,
        text_mask=mask,
        text_embed=(
            text_embed
            if text_embed is not None
            else F.normalize(torch.randn(batch, FEATURES_EMBED_DIMS), dim=-1)
        ),
        inputs=dict(
            input_ids=input_ids, attention_mask=mask, mlm_input_ids=mlm_ids, mlm_labels=labels
        ),
        fuse=fusion,
        encode_text=text_encoder,
        word_embeddings=text_encoder.word_embeddings,
    )
