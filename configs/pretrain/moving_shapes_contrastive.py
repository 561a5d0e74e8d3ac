# Ablation of `make demo`: the same model, data and schedule with only the contrastive head (a
# dual encoder: no fusion, no matching, no MLM; all-MiniLM-L6-v2 frozen, its caption features
# kept, as in the demo), run for as many iterations as fit in the demo's training time: on the
# 2-core CPU machine without native bf16 (fp32), a demo step with matching and MLM cost 1.88
# contrastive-only steps (medians of the two phases of a fresh-clone `make demo`: 0.410 and
# 0.218 s): 350 + 750 x 1.88 = 1,760.
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
    text_encoder=dict(frozen_layers=6, frozen_cache_mb=64),
    test_cfg=dict(task='retrieval', reverse_probe=True),
)
train_cfg = dict(max_iters=1760)
