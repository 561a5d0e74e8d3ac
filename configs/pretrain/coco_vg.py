# Pre-training on COCO Captions 2017 + Visual Genome (the seed's quick start; image-text
# only), drawn in proportion to their sizes.
_base_ = ['../_base_/tasks/swin_bert_pretrain.py', '../_base_/datasets/pretrain_corpora.py']
# MixedDataset shuffles each corpus itself and keeps every batch at the ratios.
train_dataloader = dict(
    sampler=dict(shuffle=False),
    dataset=dict(type='MixedDataset', datasets=[_base_.coco, _base_.vg], names=['coco', 'vg']),
)
