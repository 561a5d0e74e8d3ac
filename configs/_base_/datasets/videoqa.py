# Open-ended video QA sets as released (tools/data/videoqa/README.md). No horizontal flips: an
# answer such as "left" would become false. Accuracy counts every test question; answers outside
# answer_list.json (built from the training split) count as wrong.
_base_ = ['./default_dataloaders.py']
tokenizer = 'bert-base-uncased'
num_frames = 4
resize = 256
crop_size = 224
max_length = 30

train_pipeline = [
    dict(type='OpenVideo'),
    dict(type='SampleFrames', num_frames=num_frames),
    dict(type='DecodeVideo'),
    dict(type='Resize', scale=resize),
    dict(type='RandomCrop', size=crop_size),
    dict(type='TokenizeText', tokenizer=tokenizer, max_length=max_length),
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

msrvtt_qa = dict(
    type='VideoQADataset',
    data_root='data/msrvtt_qa',
    answer_list='answer_list.json',
    data_prefix=dict(video='videos'),
)
msrvtt_qa_train = dict(msrvtt_qa, ann_file='train_qa.json', pipeline=train_pipeline)
msrvtt_qa_test = dict(msrvtt_qa, ann_file='test_qa.json', pipeline=test_pipeline, test_mode=True)
msvd_qa = dict(
    type='VideoQADataset',
    data_root='data/msvd_qa',
    answer_list='answer_list.json',
    mapping_file='youtube_mapping.txt',
    video_template='{}.avi',
    data_prefix=dict(video='YouTubeClips'),
)
msvd_qa_train = dict(msvd_qa, ann_file='train_qa.json', pipeline=train_pipeline)
msvd_qa_test = dict(msvd_qa, ann_file='test_qa.json', pipeline=test_pipeline, test_mode=True)
