# Text-video retrieval fine-tuning on MSVD: 1200 training videos; 670 test videos with about 40 captions each, each a query.
# From a pre-trained checkpoint: --cfg-options load_from=work_dirs/<pretraining>/iter_N.pth
_base_ = ['../_base_/tasks/swin_bert_retrieval.py', '../_base_/datasets/retrieval.py']
train_dataloader = dict(dataset=_base_.msvd_train)
val_dataloader = dict(dataset=_base_.msvd_test)
test_dataloader = val_dataloader
train_cfg = dict(max_iters=1000)
