# Retrieval fine-tuning on the built-in moving-shapes world, from the `make demo` checkpoint:
#   python tools/train.py configs/retrieval/moving_shapes.py \
#       --cfg-options load_from=work_dirs/moving_shapes/iter_1500.pth
# The demo's model and data without the MLM head (the checkpoint's is reported as unused);
# evaluation re-scores the top 16 of the 100 candidates with the matching head, with and
# without dual softmax.
_base_ = [
    '../_base_/models/swin_minilm.py',
    '../_base_/datasets/moving_shapes.py',
    '../_base_/schedules/demo_finetune_iter.py',
    '../_base_/default_runtime.py',
]
model = dict(
    heads=dict(itc=_base_.itc_head, itm=_base_.itm_head),
    test_cfg=dict(task='retrieval', reverse_probe=True, rerank_topk=16),
)
val_evaluator = [
    dict(type='RetrievalMetric', dsl_temperature=100.0),
    dict(type='TemporalOrderMetric'),
]
test_evaluator = val_evaluator
