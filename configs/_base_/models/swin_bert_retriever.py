# The retrieval model: the contrastive and matching heads. Evaluation scores all pairs with the
# dual encoder and re-scores the top 128 of each query with the matching head (the k of
# VindLU, UMT and Singularity).
_base_ = ['./swin_bert.py']
model = dict(
    heads=dict(itc=_base_.itc_head, itm=_base_.itm_head),
    test_cfg=dict(task='retrieval', rerank_topk=128),
)
