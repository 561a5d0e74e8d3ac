# Multiple-choice QA on MSRVTT-MC as released (2,990 clips, 5 captions each; VindLU json
# layout, tools/data/msrvtt): each clip's options are its texts. MSRVTT-MC has no training
# split: fine-tuning trains for retrieval on MSR-VTT 9k.
_base_ = ['./defaults.py', './pipeline_parts.py', './bert_224_parts.py']
train_dataloader = dict(
    dataset=dict(
        type='MSRVTTDataset',
        data_root='data/msrvtt',
        ann_file='MSRVTT_data.json',
        split_file='MSRVTT_train.9k.csv',
        data_prefix=dict(video='videos'),
        pipeline=_base_.read_train
        + _base_.crop_train
        + _base_.flip
        + _base_.tokenize_one
        + _base_.pack,
    )
)
val_dataloader = dict(
    dataset=dict(
        type='MultipleChoiceDataset',
        data_root='data/msrvtt',
        ann_file='annotations/msrvtt_mc_test.json',
        data_prefix=dict(video='videos'),
        pipeline=_base_.read_test + _base_.crop_test + _base_.tokenize + _base_.pack,
        test_mode=True,
    )
)
test_dataloader = val_dataloader
val_evaluator = dict(type='MultipleChoiceMetric')
test_evaluator = val_evaluator
