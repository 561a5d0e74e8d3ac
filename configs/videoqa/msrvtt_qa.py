# Open-ended video QA fine-tuning on MSRVTT-QA (243k questions, top 1,500 training answers as classes).
# From a pre-trained checkpoint: --cfg-options load_from=work_dirs/<pretraining>/iter_N.pth
_base_ = [
    '../_base_/models/swin_bert_qa.py',
    '../_base_/datasets/videoqa.py',
    '../_base_/schedules/finetune_iter.py',
    '../_base_/default_runtime.py',
]
train_dataloader = dict(dataset={{_base_.msrvtt_qa_train}})
val_dataloader = dict(dataset={{_base_.msrvtt_qa_test}})
test_dataloader = val_dataloader
val_evaluator = dict(type='VideoQAMetric')
test_evaluator = val_evaluator
val_cfg = dict(_delete_=True, type='ValLoop')
test_cfg = dict(_delete_=True, type='TestLoop')
max_iters = 8000
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=100),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=100, end=max_iters, eta_min_ratio=0.01),
]
