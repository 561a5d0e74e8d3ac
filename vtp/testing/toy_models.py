"""Configs of the toy encoders that the model tests build with ``MODELS.build``.

Both build in milliseconds on one CPU thread and load no weights. Treat the dicts as
read-only: vary them with ``{**TOY_VIDEO, 'drop_path_rate': 0.0}``.
"""

from typing import Any, Dict

# Video Swin of two stages (width 32, then 64) with 2x4x4 windows: a (B, 3, 2, 32, 32) clip
# gives (B, 1 * 4 * 4, 64) tokens after its 2x4x4 patches and one 2x2 merge.
TOY_VIDEO = dict(type='VideoSwinEncoder', arch='toy', window_size=(2, 4, 4))
TOY_VIDEO_DIMS = 64  # width of the toy's last stage (2 x 32)

# BERT of two layers, width 32 and 2 heads, over the uncased WordPiece vocabulary (30522).
TOY_TEXT = dict(type='BertTextEncoder', arch='toy')
TOY_TEXT_DIMS = 32
TOY_TEXT_VOCAB = 30522


def toy_pretrainer(**overrides: Any) -> Dict[str, Any]:
    """Config of the toy pre-training model: the toy encoders, a one-layer cross-attention
    fusion and the contrastive, matching and MLM heads, in a 16-wide joint space; keyword
    arguments replace its top-level entries."""
    cfg: Dict[str, Any] = dict(
        type='VideoTextPretrainer',
        video_encoder=TOY_VIDEO,
        text_encoder=TOY_TEXT,
        fusion=dict(
            type='CrossAttentionFusion',
            text_dims=TOY_TEXT_DIMS,
            video_dims=TOY_VIDEO_DIMS,
            num_layers=1,
            num_heads=2,
        ),
        heads=dict(
            itc=dict(type='ITCHead'),
            itm=dict(type='ITMHead', in_dims=TOY_TEXT_DIMS),
            mlm=dict(type='MLMHead', in_dims=TOY_TEXT_DIMS, vocab_size=TOY_TEXT_VOCAB),
        ),
        embed_dim=16,
    )
    cfg.update(overrides)
    return cfg
