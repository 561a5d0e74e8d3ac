# Multiple-choice QA on MSRVTT-MC (2,990 clips, 5 captions each; VindLU json layout): each
# option is scored by its similarity with the clip plus the matching head's score. Usually
# zero-shot from a retrieval checkpoint:
#   python tools/test.py configs/multiple_choice/msrvtt_mc.py work_dirs/msrvtt_9k/iter_3500.pth
# MSRVTT-MC has no training split: training fine-tunes for retrieval on MSR-VTT 9k.
_base_ = [
    '../_base_/models/swin_bert.py',
    '../_base_/datasets/multiple_choice.py',
    '../_base_/schedules/finetune_iter.py',
    '../_base_/default_runtime.py',
]
model = dict(
    heads=dict(itc=_base_.itc_head, itm=_base_.itm_head),
    test_cfg=dict(task='multiple_choice', option_weights=dict(itc=1.0, itm=1.0)),
)
train_cfg = dict(max_iters=3500)
