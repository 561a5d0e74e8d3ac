# The pre-training model at paper scale: Video Swin-B + BERT-base + cross-attention fusion,
# with contrastive, matching (hard negatives) and masked-language-modelling heads.
text_dims = 768
video_dims = 1024
model = dict(
    type='VideoTextPretrainer',
    data_preprocessor=dict(type='VideoTextDataPreprocessor'),
    video_encoder=dict(type='VideoSwinEncoder', arch='base', window_size=(8, 7, 7)),
    text_encoder=dict(type='BertTextEncoder', pretrained='bert-base-uncased'),
    fusion=dict(type='CrossAttentionFusion', text_dims=text_dims, video_dims=video_dims,
                num_layers=6, num_heads=12),
    embed_dim=256,
    heads=dict(
        itc=dict(type='ITCHead', loss=dict(type='InfoNCELoss', loss_weight=1.0)),
        itm=dict(type='ITMHead', in_dims=text_dims,
                 loss=dict(type='CrossEntropyLoss', loss_weight=1.0)),
        mlm=dict(type='MLMHead', in_dims=text_dims, vocab_size=30522,
                 loss=dict(type='CrossEntropyLoss', loss_weight=1.0)),
    ),
    test_cfg=dict(reverse_probe=False),
)
