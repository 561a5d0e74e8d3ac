# Iteration-based fine-tuning: the pre-training schedule at a tenth of the learning rate (ten
# times more for the fusion encoder and heads) with a short warm-up. `max_iters` is set per
# dataset (published epochs at 8 GPUs x 32 clips).
_base_ = ['./pretrain_iter.py']
warmup_iters = 100
train_cfg = dict(max_iters=3000)
optim_wrapper = dict(
    optimizer=dict(lr=1e-5),
    paramwise_cfg=dict(custom_keys={'fusion': dict(lr_mult=10.0), 'heads': dict(lr_mult=10.0)}),
)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=warmup_iters),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=warmup_iters, eta_min_ratio=0.01),
]
