default_scope = 'vtp'
runner_type = 'VTPRunner'

default_hooks = dict(
    runtime_info=dict(type='RuntimeInfoHook'),
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=20),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='SafeCheckpointHook', by_epoch=False, interval=500, max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'),
)
custom_hooks = [
    dict(type='RNGStateHook'),
    dict(type='DataHealthHook', max_failure_ratio=0.1),
    dict(type='FiniteLossHook'),
    dict(type='ProtocolCardHook'),
]

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
    # a rank that raises stops the others within `interval` s; one silent for `timeout` s
    # (killed) too. None: off (the others then wait for the collective timeout)
    rank_watchdog=dict(timeout=300, interval=2),
)
log_processor = dict(type='LogProcessor', window_size=20, by_epoch=False)
log_level = 'INFO'
randomness = dict(seed=0)
load_from = None
resume = False
