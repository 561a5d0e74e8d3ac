# Multiple-choice QA on MSRVTT-MC as released (2,990 clips, 5 captions each; VindLU json
# layout, tools/data/msrvtt): each clip's options are its texts. MSRVTT-MC has no training
# split: fine-tuning trains for retrieval on MSR-VTT 9k.
_base_ = ['./defaults.py', './pipeline_parts.py', './bert_224_parts.py']
train_pipeline = (
    _base_.read_train + _base_.crop_train + _base_.flip + _base_.tokenize_one + _base_.pack
)
test_pipeline = _base_.read_test + _base_.crop_test + _base_.tokenize + _base_.pack
msrvtt = dict(_base_.videos_folder, data_root='data/msrvtt')
train_dataloader = dict(
    dataset=dict(
        msrvtt,
        type='MSRVTTDataset',
        ann_file='MSRVTT_data.json',
        split_file='MSRVTT_train.9k.csv',
        pipeline=train_pipeline,
    )
)
val_dataloader = dict(
    dataset=dict(
        msrvtt,
        type='MultipleChoiceDataset',
        ann_file='annotations/msrvtt_mc_test.json',
        pipeline=test_pipeline,
        test_mode=True,
    )
)
test_dataloader = val_dataloader
val_evaluator = dict(type='MultipleChoiceMetric')
test_evaluator = val_evaluator
