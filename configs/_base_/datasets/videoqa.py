# Open-ended video QA sets as released (tools/data/videoqa/README.md), questions of up to 30
# tokens. No horizontal flips: an answer such as "left" would become false. Accuracy counts
# every test question; answers outside answer_list.json (built from the training split) count
# as wrong.
_base_ = ['./defaults.py', './pipeline_parts.py', './bert_224_parts.py']
tokenize_question = [dict(type='TokenizeText', tokenizer=_base_.tokenizer, max_length=30)]
train_pipeline = _base_.read_train + _base_.crop_train + tokenize_question + _base_.pack
test_pipeline = _base_.read_test + _base_.crop_test + tokenize_question + _base_.pack

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
val_evaluator = dict(type='VideoQAMetric')
test_evaluator = val_evaluator
