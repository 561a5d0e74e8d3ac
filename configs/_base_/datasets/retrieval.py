# Text-video retrieval benchmarks as released (tools/data/<dataset>/README.md: where to get them
# and the layout under data/). A config in configs/retrieval/ picks the train and test sets.
# Test clips give `num_frames` frames at their segments' centres; every caption is a query.
_base_ = ['./default_dataloaders.py']
tokenizer = 'bert-base-uncased'
num_frames = 4
resize = 256
crop_size = 224
max_length = 40
paragraph_length = 64  # DiDeMo: a video's descriptions joined into one query

train_pipeline = [
    dict(type='OpenVideo'),
    dict(type='SampleFrames', num_frames=num_frames),
    dict(type='DecodeVideo'),
    dict(type='Resize', scale=resize),
    dict(type='RandomCrop', size=crop_size),
    dict(type='FlipVideo', prob=0.5),
    dict(type='TokenizeText', tokenizer=tokenizer, max_length=max_length, sample_one=True),
    dict(type='PackVideoTextInputs'),
]
test_pipeline = [
    dict(type='OpenVideo'),
    dict(type='SampleFrames', num_frames=num_frames, test_mode=True),
    dict(type='DecodeVideo'),
    dict(type='Resize', scale=resize),
    dict(type='CenterCrop', size=crop_size),
    dict(type='TokenizeText', tokenizer=tokenizer, max_length=max_length),
    dict(type='PackVideoTextInputs'),
]
paragraph_train_pipeline = train_pipeline[:6] + [
    dict(type='TokenizeText', tokenizer=tokenizer, max_length=paragraph_length),
    dict(type='PackVideoTextInputs'),
]
paragraph_test_pipeline = test_pipeline[:5] + [
    dict(type='TokenizeText', tokenizer=tokenizer, max_length=paragraph_length),
    dict(type='PackVideoTextInputs'),
]

msrvtt = dict(
    type='MSRVTTDataset',
    data_root='data/msrvtt',
    ann_file='MSRVTT_data.json',
    data_prefix=dict(video='videos'),
)
msrvtt_9k = dict(msrvtt, split_file='MSRVTT_train.9k.csv', pipeline=train_pipeline)
msrvtt_7k = dict(msrvtt, split_file='MSRVTT_train.7k.csv', pipeline=train_pipeline)
msrvtt_1k_test = dict(
    msrvtt, split_file='MSRVTT_JSFUSION_test.csv', pipeline=test_pipeline, test_mode=True
)
# Multiple choice (MSRVTT-MC, VindLU json): each clip's options are its texts.
msrvtt_mc_test = dict(
    type='MultipleChoiceDataset',
    data_root='data/msrvtt',
    ann_file='annotations/msrvtt_mc_test.json',
    data_prefix=dict(video='videos'),
    pipeline=test_pipeline,
    test_mode=True,
)
didemo = dict(type='DiDeMoDataset', data_root='data/didemo', data_prefix=dict(video='videos'))
didemo_train = dict(didemo, ann_file='train_data.json', pipeline=paragraph_train_pipeline)
didemo_test = dict(
    didemo, ann_file='test_data.json', pipeline=paragraph_test_pipeline, test_mode=True
)
msvd = dict(
    type='MSVDDataset',
    data_root='data/msvd',
    ann_file='raw-captions.pkl',
    data_prefix=dict(video='YouTubeClips'),
)
msvd_train = dict(msvd, split_file='train_list.txt', pipeline=train_pipeline)
msvd_test = dict(msvd, split_file='test_list.txt', pipeline=test_pipeline, test_mode=True)
vatex = dict(
    type='VATEXDataset', data_root='data/vatex', data_prefix=dict(video='videos'), language='en'
)
vatex_train = dict(vatex, ann_file='vatex_training_v1.0.json', pipeline=train_pipeline)
vatex_test = dict(
    vatex,
    ann_file='vatex_validation_v1.0.json',
    split_file='test_list.txt',
    pipeline=test_pipeline,
    test_mode=True,
)

val_evaluator = [dict(type='RetrievalMetric', dsl_temperature=100.0)]
test_evaluator = val_evaluator
