# Text-video retrieval fine-tuning on DiDeMo paragraph-to-video: a video's descriptions joined into one 64-token query.
# From a pre-trained checkpoint: --cfg-options load_from=work_dirs/<pretraining>/iter_N.pth
_base_ = ['../_base_/tasks/swin_bert_retrieval.py', '../_base_/datasets/retrieval.py']
train_dataloader = dict(dataset=_base_.didemo_train)
val_dataloader = dict(dataset=_base_.didemo_test)
test_dataloader = val_dataloader
train_cfg = dict(max_iters=500)
