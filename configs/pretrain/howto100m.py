# Pre-training on HowTo100M narrated videos: clips at windows of ASR segments of at least 4 s.
_base_ = ['../_base_/tasks/swin_bert_pretrain.py', '../_base_/datasets/pretrain_corpora.py']
train_dataloader = dict(dataset=_base_.howto100m)
