# Multiple-choice QA on MSRVTT-MC (2,990 clips, 5 captions each; VindLU json layout): each
# option is scored by its similarity with the clip plus the matching head's score. Usually
# zero-shot from a retrieval checkpoint:
#   python tools/test.py configs/multiple_choice/msrvtt_mc.py work_dirs/msrvtt_9k/iter_3500.pth
# MSRVTT-MC has no training split: training fine-tunes for retrieval on MSR-VTT 9k.
_base_ = ['../_base_/tasks/swin_bert_retrieval.py', '../_base_/datasets/multiple_choice.py']
model = dict(
    test_cfg=dict(_delete_=True, task='multiple_choice', option_weights=dict(itc=1.0, itm=1.0))
)
train_cfg = dict(max_iters=3500)
