# Retrieval fine-tuning at paper scale: the model of swin_bert.py with the contrastive and
# matching heads, the fine-tuning schedule and the runtime. Evaluation scores all pairs with the
# dual encoder and re-scores the top 128 of each query with the matching head (the k of VindLU,
# UMT and Singularity). A config in configs/retrieval/ adds ../datasets/retrieval.py and picks
# its training and test sets and its number of iterations.
_base_ = ['../models/swin_bert.py', '../schedules/finetune_iter.py', '../default_runtime.py']
model = dict(
    heads=dict(itc=_base_.itc_head, itm=_base_.itm_head),
    test_cfg=dict(task='retrieval', rerank_topk=128),
)
