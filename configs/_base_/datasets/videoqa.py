# Open-ended video QA sets as released (tools/data/videoqa/README.md), questions of up to 30
# tokens. No horizontal flips: an answer such as "left" would become false. Accuracy counts
# every test question; answers outside answer_list.json (built from the training split) count
# as wrong.
_base_ = ['./defaults.py', './pipeline_parts.py', './bert_224_parts.py']
tokenize_question = [dict(type='TokenizeText', tokenizer=_base_.tokenizer, max_length=30)]
train_pipeline = _base_.read_train + _base_.crop_train + tokenize_question + _base_.pack
test_pipeline = _base_.read_test + _base_.crop_test + tokenize_question + _base_.pack

# Both sets in the layout of tools/data/videoqa: {train,test}_qa.json and answer_list.json
qa_train = dict(
    type='VideoQADataset',
    ann_file='train_qa.json',
    answer_list='answer_list.json',
    pipeline=train_pipeline,
)
qa_test = dict(qa_train, ann_file='test_qa.json', pipeline=test_pipeline, test_mode=True)

msrvtt_qa = dict(_base_.videos_folder, data_root='data/msrvtt_qa')
msrvtt_qa_train = dict(qa_train, **msrvtt_qa)
msrvtt_qa_test = dict(qa_test, **msrvtt_qa)
# MSVD-QA's questions name clips vid<N>; youtube_mapping.txt gives their YouTube ids, the
# file names of the MSVD release
msvd_qa = dict(
    data_root='data/msvd_qa',
    mapping_file='youtube_mapping.txt',
    video_template='{}.avi',
    data_prefix=dict(video='YouTubeClips'),
)
msvd_qa_train = dict(qa_train, **msvd_qa)
msvd_qa_test = dict(qa_test, **msvd_qa)
val_evaluator = dict(type='VideoQAMetric')
test_evaluator = val_evaluator
