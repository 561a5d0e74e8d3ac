# The model at paper scale, without heads: Video Swin-B (mmaction2's Kinetics-400 checkpoint) +
# BERT-base, whose upper 3 layers become the cross-attention fusion encoder (the VindLU / UMT
# split: 9 layers encode text alone). The task files in ../tasks/ pick their heads from those
# below; all share this class, so a checkpoint of one loads into another. swin_minilm.py makes
# it small for the demo.
text_dims = 768
video_dims = 1024
video_pretrained = (
    'https://download.openmmlab.com/mmaction/v1.0/recognition/swin/'
    'swin-base-p244-w877_in1k-pre_8xb8-amp-32x2x1-30e_kinetics400-rgb/'
    'swin-base-p244-w877_in1k-pre_8xb8-amp-32x2x1-30e_kinetics400-rgb_20220930-182ec6cc.pth'
)
model = dict(
    type='VideoTextPretrainer',
    data_preprocessor=dict(type='VideoTextDataPreprocessor'),
    video_encoder=dict(
        type='VideoSwinEncoder', arch='base', window_size=(8, 7, 7), pretrained=video_pretrained
    ),
    text_encoder=dict(type='BertTextEncoder', pretrained='bert-base-uncased'),
    fusion=dict(type='BertFusion', video_dims=video_dims, num_layers=3),
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
