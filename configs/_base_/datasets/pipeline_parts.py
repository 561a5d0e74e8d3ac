# Pipeline parts that do not depend on sizes or text. A data set file adds them up with those
# of bert_224_parts.py or moving_shapes_parts.py, in order: read, crop, flip, tokenize, mask,
# pack (e.g. `read_train + crop_train + flip + tokenize_one + mask + pack`).
num_frames = 4

read_train = [
    dict(type='OpenVideo'),
    dict(type='SampleFrames', num_frames=num_frames),
    dict(type='DecodeVideo'),
]
read_test = [
    dict(type='OpenVideo'),
    dict(type='SampleFrames', num_frames=num_frames, test_mode=True),
    dict(type='DecodeVideo'),
]
read_image = [dict(type='LoadImage', num_frames=num_frames)]  # a static clip of num_frames
flip = [dict(type='FlipVideo', prob=0.5)]  # swaps the side words of the text too
# Packs every field a sample carries (vtp.structures.VideoTextDataSample): captions, answers,
# labels, question ids; no keys to list per task.
pack = [dict(type='PackVideoTextInputs')]
