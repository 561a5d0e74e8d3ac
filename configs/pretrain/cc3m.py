# Pre-training on Conceptual Captions 3M (image-text), images downloaded with img2dataset.
_base_ = ['../_base_/tasks/swin_bert_pretrain.py', '../_base_/datasets/pretrain_corpora.py']
train_dataloader = dict(dataset=_base_.cc3m)
