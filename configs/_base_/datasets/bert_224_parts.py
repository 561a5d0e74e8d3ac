# The public data sets' sizes and text: frames resized to 256 px and cropped to 224 px, text in
# BERT's uncased vocabulary, up to `max_length` tokens (`tokenize_one`: one caption a sample,
# drawn at random; `tokenize`: all of them).
tokenizer = 'bert-base-uncased'
resize = 256
crop_size = 224
max_length = 40

crop_train = [dict(type='Resize', scale=resize), dict(type='RandomCrop', size=crop_size)]
crop_test = [dict(type='Resize', scale=resize), dict(type='CenterCrop', size=crop_size)]
tokenize = [dict(type='TokenizeText', tokenizer=tokenizer, max_length=max_length)]
tokenize_one = [
    dict(type='TokenizeText', tokenizer=tokenizer, max_length=max_length, sample_one=True)
]
mask = [dict(type='MaskTokens', tokenizer=tokenizer, mask_prob=0.15)]
