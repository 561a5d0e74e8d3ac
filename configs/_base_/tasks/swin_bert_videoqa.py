# Open-ended QA fine-tuning at paper scale: the model of swin_bert.py with an answer head on the
# fused [CLS] token of each question with its clip (`predict` answers with it), the fine-tuning
# schedule and the runtime. A config in configs/videoqa/ adds ../datasets/videoqa.py and picks
# its sets, its number of answers and of iterations.
_base_ = ['../models/swin_bert.py', '../schedules/finetune_iter.py', '../default_runtime.py']
model = dict(
    heads=dict(qa=dict(type='AnswerHead', in_dims=_base_.text_dims, num_answers=1500)),
    embed_dim=None,  # no contrastive head: the joint-space projections would go unused
    test_cfg=dict(task='qa', answer_head='qa'),
)
