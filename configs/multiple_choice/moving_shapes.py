# Multiple choice on the moving-shapes test clips (make_questions.py: the true caption and four
# that change one attribute, the direction included), scored by similarity + matching score.
# Zero-shot from the demo or the retrieval checkpoint:
#   python tools/test.py configs/multiple_choice/moving_shapes.py work_dirs/moving_shapes/iter_700.pth
# Training fine-tunes for retrieval on the moving-shapes clips and evaluates multiple choice.
_base_ = ['../retrieval/moving_shapes.py']
model = dict(test_cfg=dict(option_weights=dict(itc=1.0, itm=1.0)))
val_dataloader = dict(dataset={{_base_.mc_test}})
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='MultipleChoiceMetric')
test_evaluator = val_evaluator
val_cfg = dict(_delete_=True, type='ValLoop')
test_cfg = dict(_delete_=True, type='TestLoop')
