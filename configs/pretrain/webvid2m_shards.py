# Pre-training on WebVid-2M stored as tar shards (docs/user_guides/2_data_preparation.md#tar-shards).
_base_ = ['../_base_/tasks/swin_bert_pretrain.py', '../_base_/datasets/pretrain_corpora.py']
# The shard dataset orders its samples itself (one lane of shards per rank and worker).
train_dataloader = dict(sampler=dict(shuffle=False), dataset=_base_.webvid2m_shards)
