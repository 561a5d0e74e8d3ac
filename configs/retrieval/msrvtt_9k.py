# Text-video retrieval fine-tuning on MSR-VTT, trained on the 9k split (CLIP4Clip, UMT), tested on 1k-A (JSFusion).
# From a pre-trained checkpoint: --cfg-options load_from=work_dirs/<pretraining>/iter_N.pth
_base_ = ['../_base_/tasks/swin_bert_retrieval.py', '../_base_/datasets/retrieval.py']
train_dataloader = dict(dataset=_base_.msrvtt_9k)
val_dataloader = dict(dataset=_base_.msrvtt_1k_test)
test_dataloader = val_dataloader
train_cfg = dict(max_iters=3500)
