# Ablation of `make demo`: the same model, data and schedule with only the contrastive head (a
# dual encoder: no fusion, no matching, no MLM; all-MiniLM-L6-v2 keeps its 6 layers for text),
# run for as many iterations as fit in the demo's training time on the 2-core CPU machine
# (a step costs about 0.53 of a demo step). docs/user_guides/5_results_and_benchmarks.md
# compares the two.
_base_ = ['./moving_shapes.py']
model = dict(
    fusion=None,
    heads=dict(
        _delete_=True, itc=dict(type='ITCHead', loss=dict(type='InfoNCELoss', loss_weight=1.0))
    ),
    test_cfg=dict(rerank_topk=0),
)
max_iters = 1350
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end={{_base_.warmup_iters}}),
    dict(
        type='CosineAnnealingLR',
        by_epoch=False,
        begin={{_base_.warmup_iters}},
        end=max_iters,
        eta_min_ratio=0.01,
    ),
]
