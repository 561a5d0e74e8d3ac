# Multiple choice on the moving-shapes clips (make_questions.py: each clip's true caption and
# four that change one attribute, the direction included). Training flips (FlipVideo swaps
# left/right in every option) and keeps all options.
_base_ = ['./defaults.py', './pipeline_parts.py', './moving_shapes_parts.py']
mc_train = dict(
    type='MultipleChoiceDataset',
    data_root=_base_.data_root,
    ann_file='train_mc.json',
    data_prefix=dict(video='videos'),
    pipeline=_base_.read_train + _base_.crop_train + _base_.flip + _base_.tokenize + _base_.pack,
)
train_dataloader = dict(_base_.train_loader, batch_size=8, dataset=mc_train)
val_dataloader = dict(
    num_workers=2,
    dataset=dict(
        mc_train,
        ann_file='test_mc.json',
        pipeline=_base_.read_test + _base_.crop_test + _base_.tokenize + _base_.pack,
        test_mode=True,
    ),
)
test_dataloader = val_dataloader
val_evaluator = dict(type='MultipleChoiceMetric')
test_evaluator = val_evaluator
