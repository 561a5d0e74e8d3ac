# Pre-training on CC3M images and WebVid-2M videos, both as tar shards, half and half in
# every batch.
_base_ = ['../_base_/tasks/swin_bert_pretrain.py', '../_base_/datasets/pretrain_corpora.py']
# MixedDataset shuffles each corpus itself and keeps every batch at the ratios.
train_dataloader = dict(sampler=dict(shuffle=False), dataset=_base_.cc3m_webvid2m_shards)
