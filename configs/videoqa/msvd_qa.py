# Open-ended video QA fine-tuning on MSVD-QA (50k questions, top 1,000 training answers as
# classes).
# From a pre-trained checkpoint: --cfg-options load_from=work_dirs/<pretraining>/iter_N.pth
_base_ = [
    '../_base_/models/swin_bert_qa.py',
    '../_base_/datasets/videoqa.py',
    '../_base_/schedules/finetune_iter.py',
    '../_base_/default_runtime.py',
]
model = dict(heads=dict(qa=dict(num_answers=1000)))
train_dataloader = dict(dataset={{_base_.msvd_qa_train}})
val_dataloader = dict(dataset={{_base_.msvd_qa_test}})
test_dataloader = val_dataloader
val_evaluator = dict(type='VideoQAMetric')
test_evaluator = val_evaluator
val_cfg = dict(_delete_=True, type='ValLoop')
test_cfg = dict(_delete_=True, type='TestLoop')
max_iters = 4000
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=100),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=100, end=max_iters, eta_min_ratio=0.01),
]
