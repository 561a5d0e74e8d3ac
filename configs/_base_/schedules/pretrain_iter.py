# Iteration-based pre-training: AdamW, linear warm-up, then cosine decay until the last
# iteration, and evaluation after it. The cosine schedule has no `end`: mmengine's Runner ends
# it at `train_cfg.max_iters`, so a config changes the length with `train_cfg` alone.
warmup_iters = 2000
train_cfg = dict(type='ResumableIterBasedTrainLoop', max_iters=100000)

optim_wrapper = dict(
    type='OptimWrapper',
    constructor='QuietOptimWrapperConstructor',
    optimizer=dict(type='AdamW', lr=1e-4, betas=(0.9, 0.98), weight_decay=0.02, fused=True),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0),
    clip_grad=dict(max_norm=5.0),
)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=warmup_iters),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=warmup_iters, eta_min_ratio=0.01),
]
