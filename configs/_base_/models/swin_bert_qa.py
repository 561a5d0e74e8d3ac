# The open-ended QA model: an answer head on the fused [CLS] token of each question with its
# clip; `predict` answers with it.
_base_ = ['./swin_bert.py']
model = dict(
    heads=dict(qa=dict(type='AnswerHead', in_dims=_base_.text_dims, num_answers=1500)),
    embed_dim=None,  # no contrastive head: the joint-space projections would go unused
    test_cfg=dict(task='qa', answer_head='qa'),
)
