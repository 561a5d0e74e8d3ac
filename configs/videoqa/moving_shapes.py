# Open-ended QA on the built-in moving-shapes world (colour, shape and direction questions made
# by tools/data/moving_shapes/make_questions.py), fine-tuned from the `make demo` checkpoint:
#   python tools/data/moving_shapes/make_questions.py --data-dir data/moving_shapes
#   python tools/train.py configs/videoqa/moving_shapes.py \
#       --cfg-options load_from=work_dirs/moving_shapes/iter_1500.pth
_base_ = [
    '../_base_/models/swin_minilm.py',
    '../_base_/datasets/moving_shapes_qa.py',
    '../_base_/schedules/demo_finetune_iter.py',
    '../_base_/default_runtime.py',
]
model = dict(
    heads=dict(qa=dict(type='AnswerHead', in_dims=_base_.text_dims, num_answers=14)),
    embed_dim=None,
    test_cfg=dict(task='qa', answer_head='qa'),
)
