# Pre-training on WebVid-2M (video-text).
_base_ = ['../_base_/tasks/swin_bert_pretrain.py', '../_base_/datasets/pretrain_corpora.py']
train_dataloader = dict(dataset=_base_.webvid2m)
