# `make demo`: pre-train on the built-in moving-shapes world (contrastive + matching + MLM) with
# a small Video Swin and the pretrained all-MiniLM-L6-v2 text encoder, then evaluate zero-shot
# retrieval (with and without re-ranking by the matching head) and the temporal-order probe on
# the held-out test clips.
_base_ = [
    '../_base_/models/swin_minilm.py',
    '../_base_/datasets/moving_shapes.py',
    '../_base_/schedules/demo_pretrain_iter.py',
    '../_base_/default_runtime.py',
]
model = dict(
    # Semi-hard matching negatives: the world has 100 captions' worth of meanings over 2,000
    # clips, so the hardest "negative" in a batch is often a paraphrase of the positive (a
    # false negative); at the paper temperature (0.07) the matching head stayed at the
    # all-"no match" accuracy (66.7%) for the first 200 iterations; at 0.3 it ends at 76%, and
    # with loss weight 2 at 88% (docs/user_guides/5_results_and_benchmarks.md). 0.3 is where
    # the schedule below ends; it starts at 1.0.
    # Matching and MLM see a random part of each batch of 32 (8 pairs, 8 texts): with all of it
    # a step cost 3.1x the contrastive head's alone; 16 pairs instead of 8 made a step 1.18x
    # slower for the same retrieval figures (bf16, batches in memory).
    heads=dict(
        itc=_base_.itc_head,
        itm=dict(
            _base_.itm_head,
            negative_temperature=0.3,
            num_pairs=8,
            loss=dict(type='CrossEntropyLoss', loss_weight=2.0),
        ),
        mlm=dict(_base_.mlm_head, num_samples=8),
    ),
    # The encoders learn from the contrastive loss alone; the fusion, matching and MLM learn on
    # top of them. Their gradients in the shared encoders cost the contrastive head 9 points of
    # t2v R@1 (the old 4 + 2 split: 79 with them, 88 without); with this and the 6 text layers
    # of `copy_layers`, 100 (docs/user_guides/5_results_and_benchmarks.md).
    fusion_grad_scale=0.0,
    # MiniLM stays as pretrained (no gradient, no dropout) and its features of each of the 1,872
    # training captions are kept after the first pass (at most 46 MiB): the video encoder learns
    # to meet MiniLM's sentence space, and a step runs no text layer but for MLM's masked
    # captions. In fp32 with the batch in memory, 189 ms a contrastive step and 392 ms with
    # matching and MLM, against 338 and 569 ms with the lower 4 layers frozen and no cache (t2v
    # R@1 99, re-ranked 98 there; docs/user_guides/5_results_and_benchmarks.md).
    text_encoder=dict(frozen_layers=6, frozen_cache_mb=64),
    test_cfg=dict(task='retrieval', reverse_probe=True, rerank_topk=16),
)
# The weights the fusion and the matching and MLM heads add (cross-attention, video projection,
# classifier, MLM transform) learn at 5x the base rate: they start from scratch, on a quarter of
# the steps (below).
new_weights = dict(lr_mult=5.0)
optim_wrapper = dict(
    paramwise_cfg=dict(
        custom_keys={
            'text_encoder': dict(lr_mult=0.33),
            'fusion.cross_attention': new_weights,
            'fusion.video_proj': new_weights,
            'heads.itm': new_weights,
            'heads.mlm': new_weights,
        }
    )
)
# The contrastive head trains alone for the first 350 iterations; matching and MLM join once the
# joint space tells clips apart (their hard negatives are then informative), on every 4th
# iteration only. With fusion_grad_scale=0 they give the encoders nothing, so what they cost is
# taken from the contrastive head's steps: on every iteration from 350 (1,100 iterations in the
# same time) the dual encoder reached t2v R@1 94.0 over 3 seeds (95 in seed 1 with the clip
# identity), against 100 for the contrastive head alone; on every 4th it ties (100).
# The matching negatives are drawn at temperature 1.0 at first (nearly any other clip of the
# batch: easy to tell apart), falling to the 0.3 above by iteration 1,100 (the near misses that
# re-ranking needs): at 0.3 throughout, the head, on its 288 steps, left the all-"no match"
# answer in seed 0 only; with this schedule it learns in seeds 0-2 (`acc_itm` 90.8, 77.1, 74.2
# at the end; docs/user_guides/5_results_and_benchmarks.md).
custom_hooks = _base_.custom_hooks + [
    dict(type='HeadScheduleHook', start_iters=dict(itm=350, mlm=350), every=dict(itm=4, mlm=4)),
    dict(
        type='AttributeScheduleHook',
        attribute='heads.itm.negative_temperature',
        points=[(350, 1.0), (1100, 0.3)],
    ),
]
# The schedule's 1,500 iterations take the time of moving_shapes_contrastive.py's 1,760:
# 350 + 1,150 x 1.22, where 1.22 is what an iteration with matching and MLM on every 4th one
# costs in contrastive-only steps.
find_unused_parameters = True  # DDP: the paused heads' parameters get no gradient
