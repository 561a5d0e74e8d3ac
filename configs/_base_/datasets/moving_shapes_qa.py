# Open-ended QA on the moving-shapes clips (colour, shape and direction questions made by
# tools/data/moving_shapes/make_questions.py). No flips: an answer "left" would become false.
_base_ = ['./defaults.py', './pipeline_parts.py', './moving_shapes_parts.py']
train_pipeline = _base_.read_train + _base_.crop_train + _base_.tokenize + _base_.pack
test_pipeline = _base_.read_test + _base_.crop_test + _base_.tokenize + _base_.pack
qa_train = dict(
    _base_.clips,
    type='VideoQADataset',
    ann_file='train_qa.json',
    answer_list='answer_list.json',
    video_template='{}',
    pipeline=train_pipeline,
)
qa_test = dict(qa_train, ann_file='test_qa.json', pipeline=test_pipeline, test_mode=True)
train_dataloader = dict(_base_.train_loader, dataset=qa_train)
val_dataloader = dict(_base_.val_loader, dataset=qa_test)
test_dataloader = val_dataloader
val_evaluator = dict(type='VideoQAMetric')
test_evaluator = val_evaluator
