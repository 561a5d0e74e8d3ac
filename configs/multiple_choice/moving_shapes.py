# Multiple choice on the moving-shapes clips (make_questions.py: the true caption and four that
# change one attribute, the direction included). Options are scored by the matching head.
# Zero-shot from the demo checkpoint, then fine-tuned on the training clips' options:
#   python tools/test.py configs/multiple_choice/moving_shapes.py work_dirs/moving_shapes/iter_1500.pth
#   python tools/train.py configs/multiple_choice/moving_shapes.py \
#       --cfg-options load_from=work_dirs/moving_shapes/iter_1500.pth
_base_ = [
    '../_base_/models/swin_minilm.py',
    '../_base_/datasets/moving_shapes_mc.py',
    '../_base_/schedules/demo_finetune_iter.py',
    '../_base_/default_runtime.py',
]
model = dict(
    heads=dict(itm=dict(type='OptionMatchingHead', in_dims=_base_.text_dims)),
    embed_dim=None,
    test_cfg=dict(task='multiple_choice', option_weights=dict(itm=1.0)),
)
