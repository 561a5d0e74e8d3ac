# The public pre-training corpora as released (tools/data/<corpus>/README.md tells where to get
# them and the layout under data/), with shared pipelines: videos give `num_frames` frames,
# images enter as static clips of as many frames, so image and video samples share batches.
# A config in configs/pretrain/ picks corpora for `train_dataloader.dataset`, alone or in a
# MixedDataset with sampling ratios. Zero-shot MSRVTT 1k-A retrieval (the VindLU json layout)
# is the evaluation.
_base_ = ['./defaults.py', './pipeline_parts.py', './bert_224_parts.py']
# what follows reading, for videos and images alike
train_transforms = _base_.crop_train + _base_.flip + _base_.tokenize_one + _base_.mask + _base_.pack
video_train_pipeline = _base_.read_train + train_transforms
image_train_pipeline = _base_.read_image + train_transforms
video_test_pipeline = _base_.read_test + _base_.crop_test + _base_.tokenize + _base_.pack

coco = dict(
    type='CocoCaptionDataset',
    data_root='data/coco',
    ann_file='annotations/captions_train2017.json',
    data_prefix=dict(img='train2017'),
    pipeline=image_train_pipeline,
)
vg = dict(
    type='VisualGenomeDataset',
    data_root='data/vg',
    ann_file='region_descriptions.json',
    data_prefix=dict(img=''),
    pipeline=image_train_pipeline,
)
cc3m = dict(
    type='CC3MDataset',
    data_root='data/cc3m',
    ann_file='Train_GCC-training.tsv',
    data_prefix=dict(img='training'),
    pipeline=image_train_pipeline,
)
# video corpora: files under videos/ in the corpus folder
videos = dict(_base_.videos_folder, pipeline=video_train_pipeline)
webvid2m = dict(
    videos, type='WebVidDataset', data_root='data/webvid', ann_file='results_2M_train.csv'
)
# narrated videos: a sample is a window of ASR segments spanning at least 4 s
narrated = dict(videos, ann_file='caption.jsonl', min_duration=4.0)
howto100m = dict(narrated, type='HowTo100MDataset', data_root='data/howto100m')

# CNVid-3.5M: Chinese ASR text, a Chinese BERT vocabulary (21128 tokens), longer captions, and
# no flip (FlipVideo swaps English side words only).
chinese_tokenizer = 'bert-base-chinese'
cnvid = dict(
    narrated,
    type='CNVidDataset',
    data_root='data/cnvid',
    pipeline=_base_.read_train
    + _base_.crop_train
    + [
        dict(type='TokenizeText', tokenizer=chinese_tokenizer, max_length=50, sample_one=True),
        dict(type='MaskTokens', tokenizer=chinese_tokenizer, mask_prob=0.15),
    ]
    + _base_.pack,
)

# The same corpora as WebDataset-layout tar shards (tools/data/make_shards.py, or video2dataset
# and img2dataset downloads with a manifest from `make_shards.py --count`); a shard dataset
# orders its samples itself: use it with InfiniteSampler(shuffle=False).
shards = dict(type='VideoTextShardDataset', manifest='manifest.json')
webvid2m_shards = dict(shards, data_root='data/webvid_shards', pipeline=video_train_pipeline)
cc3m_shards = dict(shards, data_root='data/cc3m_shards', pipeline=image_train_pipeline)

# Images and videos mixed in every batch, half and half; MixedDataset shuffles each corpus
# itself and keeps every batch at the ratios: use it with InfiniteSampler(shuffle=False).
cc3m_webvid2m = dict(
    type='MixedDataset', datasets=[cc3m, webvid2m], ratios=[1, 1], names=['cc3m', 'webvid2m']
)
cc3m_webvid2m_shards = dict(cc3m_webvid2m, datasets=[cc3m_shards, webvid2m_shards])

val_dataloader = dict(
    dataset=dict(
        _base_.videos_folder,
        type='VideoTextJsonDataset',
        data_root='data/msrvtt',
        ann_file='annotations/msrvtt_ret_test1k.json',
        pipeline=video_test_pipeline,
        test_mode=True,
    ),
)
test_dataloader = val_dataloader
val_evaluator = [dict(type='RetrievalMetric')]
test_evaluator = val_evaluator
