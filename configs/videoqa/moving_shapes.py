# Open-ended QA on the built-in moving-shapes world (colour, shape and direction questions made
# by tools/data/moving_shapes/make_questions.py), fine-tuned from the `make demo` checkpoint:
#   python tools/data/moving_shapes/make_questions.py --data-dir data/moving_shapes
#   python tools/train.py configs/videoqa/moving_shapes.py \
#       --cfg-options load_from=work_dirs/moving_shapes/iter_700.pth
_base_ = ['../pretrain/moving_shapes.py']
model = dict(
    heads=dict(
        _delete_=True, qa=dict(type='AnswerHead', in_dims={{_base_.text_dims}}, num_answers=14)
    ),
    embed_dim=None,
    test_cfg=dict(_delete_=True, task='qa', answer_head='qa'),
)
train_dataloader = dict(dataset={{_base_.qa_train}})
val_dataloader = dict(dataset={{_base_.qa_test}})
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='VideoQAMetric')
test_evaluator = val_evaluator
val_cfg = dict(type='ValLoop')  # the pre-training config re-ranks retrieval
test_cfg = dict(type='TestLoop')
max_iters = 300
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
optim_wrapper = dict(optimizer=dict(lr=2e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=30),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=30, end=max_iters, eta_min_ratio=0.01),
]
