# Retrieval fine-tuning on the built-in moving-shapes world, from the `make demo` checkpoint:
#   python tools/train.py configs/retrieval/moving_shapes.py \
#       --cfg-options load_from=work_dirs/moving_shapes/iter_700.pth
# The model and data are the demo's; the MLM head is dropped (the checkpoint's is reported as
# unused) and evaluation re-scores the top 16 of the 100 candidates with the matching head.
_base_ = ['../pretrain/moving_shapes.py']
model = dict(
    heads=dict(
        _delete_=True,
        itc=dict(type='ITCHead', loss=dict(type='InfoNCELoss', loss_weight=1.0)),
        itm=dict(
            type='ITMHead',
            in_dims={{_base_.text_dims}},
            loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        ),
    ),
    test_cfg=dict(rerank_topk=16),
)
max_iters = 300
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
val_evaluator = [
    dict(type='RetrievalMetric', dsl_temperature=100.0),
    dict(type='TemporalOrderMetric'),
]
test_evaluator = val_evaluator
optim_wrapper = dict(optimizer=dict(lr=2e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=30),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=30, end=max_iters, eta_min_ratio=0.01),
]
