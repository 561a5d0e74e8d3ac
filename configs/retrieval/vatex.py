# Text-video retrieval fine-tuning on VATEX, English captions, tested on the validation ids in test_list.txt.
# From a pre-trained checkpoint: --cfg-options load_from=work_dirs/<pretraining>/iter_N.pth
_base_ = ['../_base_/tasks/swin_bert_retrieval.py', '../_base_/datasets/retrieval.py']
train_dataloader = dict(dataset=_base_.vatex_train)
val_dataloader = dict(dataset=_base_.vatex_test)
test_dataloader = val_dataloader
train_cfg = dict(max_iters=3000)
