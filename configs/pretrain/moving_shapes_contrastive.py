# Ablation of `make demo`: the same model, data and schedule with only the contrastive head (a
# dual encoder: no fusion, no matching, no MLM; all-MiniLM-L6-v2 keeps its 6 layers for text),
# run for as many iterations as fit in the demo's training time on the 2-core CPU machine: a
# demo step with matching and MLM costs 1.31 contrastive-only steps (medians of the two phases
# of a fresh-clone `make demo`, clips kept in memory): 450 + 950 x 1.31 = 1,694.5.
# docs/user_guides/5_results_and_benchmarks.md compares the two.
_base_ = [
    '../_base_/models/swin_minilm.py',
    '../_base_/datasets/moving_shapes.py',
    '../_base_/schedules/demo_pretrain_iter.py',
    '../_base_/default_runtime.py',
]
model = dict(
    fusion=None,
    heads=dict(itc=_base_.itc_head),
    test_cfg=dict(task='retrieval', reverse_probe=True),
)
train_cfg = dict(max_iters=1695)
