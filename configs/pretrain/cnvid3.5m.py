# Pre-training on CNVid-3.5M (Chinese narrated videos, ASR captions) with a Chinese BERT.
_base_ = ['../_base_/tasks/swin_bert_pretrain.py', '../_base_/datasets/pretrain_corpora.py']
model = dict(
    text_encoder=dict(pretrained='bert-base-chinese'), heads=dict(mlm=dict(vocab_size=21128))
)
train_dataloader = dict(dataset=_base_.cnvid)
# Zero-shot retrieval on MSRVTT needs English text: no evaluation for the Chinese model.
val_dataloader = None
val_evaluator = None
val_cfg = None
test_dataloader = None
test_evaluator = None
test_cfg = None
