# Text-video retrieval benchmarks as released (tools/data/<dataset>/README.md: where to get them
# and the layout under data/). A config in configs/retrieval/ picks the train and test sets.
# Test clips give `num_frames` frames at their segments' centres; every caption is a query.
# Evaluation scores all pairs with the dual encoder and re-scores each query's top
# `rerank_topk` (a model setting) with the matching head, with and without dual softmax.
_base_ = ['./defaults.py', './pipeline_parts.py', './bert_224_parts.py']
train_pipeline = (
    _base_.read_train + _base_.crop_train + _base_.flip + _base_.tokenize_one + _base_.pack
)
test_pipeline = _base_.read_test + _base_.crop_test + _base_.tokenize + _base_.pack
# DiDeMo: a video's descriptions joined into one 64-token query
tokenize_paragraph = [dict(type='TokenizeText', tokenizer=_base_.tokenizer, max_length=64)]
paragraph_train_pipeline = (
    _base_.read_train + _base_.crop_train + _base_.flip + tokenize_paragraph + _base_.pack
)
paragraph_test_pipeline = _base_.read_test + _base_.crop_test + tokenize_paragraph + _base_.pack

msrvtt = dict(
    _base_.videos_folder, type='MSRVTTDataset', data_root='data/msrvtt', ann_file='MSRVTT_data.json'
)
msrvtt_9k = dict(msrvtt, split_file='MSRVTT_train.9k.csv', pipeline=train_pipeline)
msrvtt_7k = dict(msrvtt, split_file='MSRVTT_train.7k.csv', pipeline=train_pipeline)
msrvtt_1k_test = dict(
    msrvtt, split_file='MSRVTT_JSFUSION_test.csv', pipeline=test_pipeline, test_mode=True
)
didemo = dict(_base_.videos_folder, type='DiDeMoDataset', data_root='data/didemo')
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
vatex = dict(_base_.videos_folder, type='VATEXDataset', data_root='data/vatex', language='en')
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
val_cfg = dict(type='RetrievalValLoop')
test_cfg = dict(type='RetrievalTestLoop')
