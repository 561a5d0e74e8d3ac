# Open-ended video QA fine-tuning on MSRVTT-QA (243k questions, top 1,500 training answers as classes).
# From a pre-trained checkpoint: --cfg-options load_from=work_dirs/<pretraining>/iter_N.pth
_base_ = ['../_base_/tasks/swin_bert_videoqa.py', '../_base_/datasets/videoqa.py']
train_dataloader = dict(dataset=_base_.msrvtt_qa_train)
val_dataloader = dict(dataset=_base_.msrvtt_qa_test)
test_dataloader = val_dataloader
train_cfg = dict(max_iters=8000)
