# Pre-training on Conceptual Captions 3M (image-text), images downloaded with img2dataset.
_base_ = [
    '../_base_/models/swin_bert_pretrainer.py',
    '../_base_/datasets/pretrain_corpora.py',
    '../_base_/schedules/pretrain_iter.py',
    '../_base_/default_runtime.py',
]
train_dataloader = dict(dataset=_base_.cc3m)
