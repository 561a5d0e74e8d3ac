# The open-ended QA model: the pre-training model (same class, so a pre-training or retrieval
# checkpoint loads as it is) with an answer head on the fused [CLS] token of each question with
# its clip; `predict` answers with it.
_base_ = ['./swin_bert_pretrainer.py']
num_answers = 1500
model = dict(
    heads=dict(
        _delete_=True,
        qa=dict(type='AnswerHead', in_dims={{_base_.text_dims}}, num_answers=num_answers),
    ),
    embed_dim=None,  # no contrastive head: the joint-space projections would go unused
    test_cfg=dict(_delete_=True, task='qa', answer_head='qa'),
)
