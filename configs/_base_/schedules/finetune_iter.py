# Iteration-based fine-tuning: pretrain_iter.py's optimizer and schedule at a tenth of the
# learning rate (ten times more for the fusion encoder and heads) with a short warm-up. `max_iters`
# is set per dataset (published epochs at 8 GPUs x 32 clips). Complete in itself, not built on
# pretrain_iter.py, so that the task bases in ../tasks/ stay within 3 levels of `_base_`.
warmup_iters = 100
train_cfg = dict(type='ResumableIterBasedTrainLoop', max_iters=3000)

optim_wrapper = dict(
    type='OptimWrapper',
    constructor='QuietOptimWrapperConstructor',
    optimizer=dict(type='AdamW', lr=1e-5, betas=(0.9, 0.98), weight_decay=0.02, fused=True),
    paramwise_cfg=dict(
        norm_decay_mult=0.0,
        bias_decay_mult=0.0,
        custom_keys={'fusion': dict(lr_mult=10.0), 'heads': dict(lr_mult=10.0)},
    ),
    clip_grad=dict(max_norm=5.0),
)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=warmup_iters),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=warmup_iters, eta_min_ratio=0.01),
]
