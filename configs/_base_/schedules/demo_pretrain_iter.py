# `make demo`: the pre-training schedule for the small model trained from scratch beside the
# pretrained text encoder (a third of its learning rate where it trains; the demo freezes it),
# in bf16 autocast where the device computes bf16 natively, else in fp32 (vtp's
# AmpOptimWrapper, dtype 'auto'; losses and contrastive logits stay fp32). On a 2-core CPU with
# AVX512-BF16, bf16 makes a step about 2.4x faster than fp32; on one without (a 2-core AMD EPYC),
# emulated bf16 made it 15x slower. At 5e-4 and 1e-3 the contrastive loss fell more slowly than
# at 3e-4 (docs/user_guides/5_results_and_benchmarks.md).
_base_ = ['./pretrain_iter.py']
warmup_iters = 50
train_cfg = dict(max_iters=1500)
optim_wrapper = dict(
    type='AmpOptimWrapper',
    dtype='auto',
    optimizer=dict(lr=3e-4),
    paramwise_cfg=dict(custom_keys={'text_encoder': dict(lr_mult=0.33)}),
)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=warmup_iters),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=warmup_iters, eta_min_ratio=0.01),
]
