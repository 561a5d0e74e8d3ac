# The pre-training model at paper scale: contrastive, matching (hard negatives) and
# masked-language-modelling heads.
_base_ = ['./swin_bert.py']
model = dict(
    heads=dict(itc=_base_.itc_head, itm=_base_.itm_head, mlm=_base_.mlm_head),
    test_cfg=dict(task='retrieval'),
)
