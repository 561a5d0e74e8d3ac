# Multiple choice on the moving-shapes clips (make_questions.py: the true caption and four that
# change one attribute, the direction included). Options are scored by the matching head.
# Zero-shot from the demo checkpoint, then fine-tuned on the training clips' options:
#   python tools/test.py configs/multiple_choice/moving_shapes.py work_dirs/moving_shapes/iter_700.pth
#   python tools/train.py configs/multiple_choice/moving_shapes.py \
#       --cfg-options load_from=work_dirs/moving_shapes/iter_700.pth
_base_ = ['../pretrain/moving_shapes.py']
model = dict(
    heads=dict(_delete_=True, itm=dict(type='OptionMatchingHead', in_dims={{_base_.text_dims}})),
    embed_dim=None,
    test_cfg=dict(_delete_=True, task='multiple_choice', option_weights=dict(itm=1.0)),
)
train_dataloader = dict(batch_size=8, dataset={{_base_.mc_train}})
val_dataloader = dict(dataset={{_base_.mc_test}})
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='MultipleChoiceMetric')
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
