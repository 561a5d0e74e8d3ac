# Pipeline parts that do not depend on sizes or text. A data set file adds them up with those
# of bert_224_parts.py or moving_shapes_parts.py, in order: read, crop, flip, tokenize, mask,
# pack (e.g. `read_train + crop_train + flip + tokenize_one + mask + pack`).
# Each task's samples carry their own meta keys (`pack_qa`, `pack_mc`): one tuple per task.
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

qa_keys = ('sample_idx', 'video_id', 'text', 'answer', 'label', 'question_id', 'question_type')
mc_keys = ('sample_idx', 'video_id', 'text', 'answer', 'question_id')
pack = [dict(type='PackVideoTextInputs')]
pack_qa = [dict(type='PackVideoTextInputs', meta_keys=qa_keys)]
pack_mc = [dict(type='PackVideoTextInputs', meta_keys=mc_keys)]
