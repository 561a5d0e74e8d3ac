# Pre-training on WebVid-2M (video-text).
_base_ = [
    '../_base_/models/swin_bert_pretrainer.py',
    '../_base_/datasets/pretrain_corpora.py',
    '../_base_/schedules/pretrain_iter.py',
    '../_base_/default_runtime.py',
]
train_dataloader = dict(dataset=_base_.webvid2m)
