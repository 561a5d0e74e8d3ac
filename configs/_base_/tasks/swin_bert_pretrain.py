# Pre-training at paper scale: the model of swin_bert.py with contrastive, matching (hard
# negatives) and masked-language-modelling heads, the pre-training schedule and the runtime.
# A config in configs/pretrain/ adds ../datasets/pretrain_corpora.py and picks its corpora.
_base_ = ['../models/swin_bert.py', '../schedules/pretrain_iter.py', '../default_runtime.py']
model = dict(
    heads=dict(itc=_base_.itc_head, itm=_base_.itm_head, mlm=_base_.mlm_head),
    test_cfg=dict(task='retrieval'),
)
