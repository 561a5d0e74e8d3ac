# Multiple-choice QA on MSRVTT-MC (2,990 clips, 5 captions each; VindLU json layout): each
# option is scored by its similarity with the clip plus the matching head's score. Usually
# zero-shot from a retrieval checkpoint:
#   python tools/test.py configs/multiple_choice/msrvtt_mc.py work_dirs/msrvtt_9k/iter_3500.pth
# Training (tools/train.py) fine-tunes for retrieval on MSR-VTT 9k and evaluates on MSRVTT-MC.
_base_ = ['../retrieval/msrvtt_9k.py']
model = dict(test_cfg=dict(option_weights=dict(itc=1.0, itm=1.0)))
val_dataloader = dict(_delete_=True, batch_size=32, num_workers=8, persistent_workers=False,
                      sampler=dict(type='DefaultSampler', shuffle=False),
                      collate_fn=dict(type='pseudo_collate'), dataset={{_base_.msrvtt_mc_test}})
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='MultipleChoiceMetric')
test_evaluator = val_evaluator
val_cfg = dict(_delete_=True, type='ValLoop')
test_cfg = dict(_delete_=True, type='TestLoop')
