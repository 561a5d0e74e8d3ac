# What every data set file starts from: an endless, resumable, shuffled training stream (vtp's
# InfiniteSampler), ordered evaluation, and mmengine's evaluation loops (the retrieval files
# choose vtp's re-ranking loops instead). A data set file adds its `dataset=` entries and
# evaluators.
train_dataloader = dict(
    batch_size=32,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
)
# evaluation loads as training does, in order, with workers started for each pass
val_dataloader = dict(
    train_dataloader,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
)
test_dataloader = val_dataloader
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
# where the clips lie in the layout of tools/data/<data set>/README.md: <data_root>/videos/
videos_folder = dict(data_prefix=dict(video='videos'))
