# Open-ended video QA fine-tuning on MSVD-QA (50k questions, top 1,000 training answers as
# classes).
# From a pre-trained checkpoint: --cfg-options load_from=work_dirs/<pretraining>/iter_N.pth
_base_ = ['../_base_/tasks/swin_bert_videoqa.py', '../_base_/datasets/videoqa.py']
model = dict(heads=dict(qa=dict(num_answers=1000)))
train_dataloader = dict(dataset=_base_.msvd_qa_train)
val_dataloader = dict(dataset=_base_.msvd_qa_test)
test_dataloader = val_dataloader
train_cfg = dict(max_iters=4000)
