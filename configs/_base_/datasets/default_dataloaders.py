# Dataloaders shared by the public data sets' base files: an endless, resumable, shuffled
# training stream (vtp's InfiniteSampler) and ordered evaluation; a dataset file adds its
# `dataset=` entries.
train_dataloader = dict(
    batch_size=32,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
)
val_dataloader = dict(
    batch_size=32,
    num_workers=8,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
)
test_dataloader = val_dataloader
