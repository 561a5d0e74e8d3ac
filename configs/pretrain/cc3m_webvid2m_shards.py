# Pre-training on CC3M images and WebVid-2M videos, both as tar shards, half and half in
# every batch.
_base_ = ['../_base_/tasks/swin_bert_pretrain.py', '../_base_/datasets/pretrain_corpora.py']
train_dataloader = dict(
    sampler=dict(shuffle=False),
    dataset=dict(
        type='MixedDataset',
        datasets=[_base_.cc3m_shards, _base_.webvid2m_shards],
        ratios=[1, 1],
        names=['cc3m', 'webvid2m'],
    ),
)
