# The retrieval model: the pre-training model (same class, so a pre-training checkpoint's keys
# load as they are) with the contrastive and matching heads. Evaluation scores all pairs with
# the dual encoder and re-scores the top 128 of each query with the matching head (the k of
# VindLU, UMT and Singularity).
_base_ = ['./swin_bert_pretrainer.py']
model = dict(
    heads=dict(
        _delete_=True,
        itc=dict(type='ITCHead', loss=dict(type='InfoNCELoss', loss_weight=1.0)),
        itm=dict(
            type='ITMHead',
            in_dims={{_base_.text_dims}},
            loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        ),
    ),
    test_cfg=dict(task='retrieval', rerank_topk=128),
)
