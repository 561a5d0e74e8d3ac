# Open-ended QA on the moving-shapes clips (colour, shape and direction questions made by
# tools/data/moving_shapes/make_questions.py). No flips: an answer "left" would become false.
_base_ = ['./defaults.py', './pipeline_parts.py', './moving_shapes_parts.py']
qa_train = dict(
    type='VideoQADataset',
    data_root=_base_.data_root,
    ann_file='train_qa.json',
    answer_list='answer_list.json',
    video_template='{}',
    data_prefix=dict(video='videos'),
    pipeline=_base_.read_train + _base_.crop_train + _base_.tokenize + _base_.pack,
)
train_dataloader = dict(_base_.train_loader, dataset=qa_train)
val_dataloader = dict(
    num_workers=2,
    dataset=dict(
        qa_train,
        ann_file='test_qa.json',
        pipeline=_base_.read_test + _base_.crop_test + _base_.tokenize + _base_.pack,
        test_mode=True,
    ),
)
test_dataloader = val_dataloader
val_evaluator = dict(type='VideoQAMetric')
test_evaluator = val_evaluator
