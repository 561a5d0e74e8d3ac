# Fine-tuning on moving shapes from the `make demo` checkpoint: the demo's schedule (bf16
# autocast where the device has native bf16, else fp32) at a lower learning rate, 300 iterations.
_base_ = ['./pretrain_iter.py']
warmup_iters = 30
train_cfg = dict(max_iters=300)
optim_wrapper = dict(
    type='AmpOptimWrapper',
    dtype='auto',
    optimizer=dict(lr=2e-4),
    paramwise_cfg=dict(custom_keys={'text_encoder': dict(lr_mult=0.2)}),
)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=warmup_iters),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=warmup_iters, eta_min_ratio=0.01),
]
