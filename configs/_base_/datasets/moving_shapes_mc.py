# Multiple choice on the moving-shapes clips (make_questions.py: each clip's true caption and
# four that change one attribute, the direction included). Training flips (FlipVideo swaps
# left/right in every option) and keeps all options.
_base_ = ['./defaults.py', './pipeline_parts.py', './moving_shapes_parts.py']
train_pipeline = _base_.read_train + _base_.crop_train + _base_.flip + _base_.tokenize + _base_.pack
test_pipeline = _base_.read_test + _base_.crop_test + _base_.tokenize + _base_.pack
mc_train = dict(
    _base_.clips, type='MultipleChoiceDataset', ann_file='train_mc.json', pipeline=train_pipeline
)
mc_test = dict(mc_train, ann_file='test_mc.json', pipeline=test_pipeline, test_mode=True)
train_dataloader = dict(_base_.train_loader, batch_size=8, dataset=mc_train)
val_dataloader = dict(_base_.val_loader, dataset=mc_test)
test_dataloader = val_dataloader
val_evaluator = dict(type='MultipleChoiceMetric')
test_evaluator = val_evaluator
