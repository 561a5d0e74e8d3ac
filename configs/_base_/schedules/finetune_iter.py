# Iteration-based fine-tuning: AdamW, short linear warm-up, cosine decay, evaluation at the end.
# `max_iters` is set per dataset (published epochs at 8 GPUs x 32 clips).
max_iters = 3000
warmup_iters = 100
train_cfg = dict(type='ResumableIterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='RetrievalValLoop')
test_cfg = dict(type='RetrievalTestLoop')

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
    dict(
        type='CosineAnnealingLR',
        by_epoch=False,
        begin=warmup_iters,
        end=max_iters,
        eta_min_ratio=0.01,
    ),
]
