# Multiple-choice QA on MSRVTT-MC (2,990 clips, 5 captions each; VindLU json layout): each
# option is scored by its similarity with the clip plus the matching head's score. Usually
# zero-shot from a retrieval checkpoint:
#   python tools/test.py configs/multiple_choice/msrvtt_mc.py work_dirs/msrvtt_9k/iter_3500.pth
# MSRVTT-MC has no training split: training fine-tunes for retrieval on MSR-VTT 9k.
_base_ = [
    '../_base_/models/swin_bert_retriever.py',
    '../_base_/datasets/retrieval.py',
    '../_base_/schedules/finetune_iter.py',
    '../_base_/default_runtime.py',
]
model = dict(
    test_cfg=dict(_delete_=True, task='multiple_choice', option_weights=dict(itc=1.0, itm=1.0))
)
train_dataloader = dict(dataset={{_base_.msrvtt_9k}})
val_dataloader = dict(dataset={{_base_.msrvtt_mc_test}})
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='MultipleChoiceMetric')
test_evaluator = val_evaluator
val_cfg = dict(_delete_=True, type='ValLoop')
test_cfg = dict(_delete_=True, type='TestLoop')
max_iters = 3500
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=100),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=100, end=max_iters, eta_min_ratio=0.01),
]
