# Moving shapes for pre-training and retrieval: the WebVid-layout training CSV, and an
# MSRVTT-layout (mmaction2 / VindLU json) test split with one clip per attribute combination,
# evaluated by retrieval (re-ranked when the model sets `rerank_topk`) and the temporal-order
# probe.
_base_ = ['./defaults.py', './pipeline_parts.py', './moving_shapes_parts.py']
# Training visits each of the 2,000 clips about 22 times: each is decoded once and kept in
# memory (393 MiB; opening and decoding a clip cost 2.1 ms of the 2.9 ms its sample took).
read_train = [dict(_base_.read_train[0], cache_mb=512)] + _base_.read_train[1:]
# About 20 train clips show each of the 100 meanings, so a batch of 32 often holds two of one:
# train.csv's `meaning` column (the canonical caption) is each clip's identity, which makes them
# positives of each other in the contrastive loss and keeps them out of each other's matching
# negatives; a flip swaps its side words as it does the caption's (FlipVideo's `keys`).
train_pipeline = (
    read_train + _base_.crop_train + _base_.flip + _base_.tokenize_one + _base_.mask + _base_.pack
)
test_pipeline = _base_.read_test + _base_.crop_test + _base_.tokenize + _base_.pack

train_dataloader = dict(
    _base_.train_loader,
    dataset=dict(
        _base_.clips,
        type='WebVidDataset',
        ann_file='train.csv',
        identity_column='meaning',
        pipeline=train_pipeline,
    ),
)
val_dataloader = dict(
    _base_.val_loader,
    dataset=dict(
        _base_.clips,
        type='VideoTextJsonDataset',
        ann_file='test.json',
        pipeline=test_pipeline,
        test_mode=True,
    ),
)
test_dataloader = val_dataloader
val_evaluator = [dict(type='RetrievalMetric'), dict(type='TemporalOrderMetric')]
test_evaluator = val_evaluator
val_cfg = dict(type='RetrievalValLoop')
test_cfg = dict(type='RetrievalTestLoop')
