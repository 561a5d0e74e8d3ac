"""Tests for ``CocoCaptionDataset``: the COCO 2017 captions json, Karpathy's json, and errors."""

import json
import os.path as osp
from pathlib import Path

import pytest

from vtp.datasets import AnnotationError, CocoCaptionDataset
from vtp.registry import DATASETS
from vtp.testing import HEIGHT, WIDTH, check_annotation_error, write_jpg


def build(ann_file: Path, prefix: str = 'images', **kwargs) -> CocoCaptionDataset:
    return DATASETS.build(
        dict(
            type='CocoCaptionDataset',
            ann_file=str(ann_file),
            data_prefix=dict(img=prefix),
            pipeline=[],
            **kwargs,
        )
    )


def write_json(tmp_path: Path, content: dict, name: str = 'captions.json') -> Path:
    """Pretty-printed with ``indent=2``: each element of a top-level list starts at ``    {``."""
    path = tmp_path / name
    path.write_text(json.dumps(content, indent=2), encoding='utf-8')
    return path


def element_line(path: Path, key: str, index: int) -> int:
    """Line on which the ``index``-th element of the top-level list ``key`` starts."""
    lines = path.read_text(encoding='utf-8').splitlines()
    starts = []
    for number in range(lines.index(f'  "{key}": [') + 2, len(lines) + 1):
        line = lines[number - 1]
        if line in ('  ]', '  ],'):
            break
        if line.startswith('    ') and line[4] != ' ' and line.strip() not in ('}', '},'):
            starts.append(number)
    return starts[index]


def infos(dataset) -> dict:
    """``image_id -> data info`` of every sample."""
    return {
        info['image_id']: info for info in (dataset.get_data_info(i) for i in range(len(dataset)))
    }


def coco2017(images=None, annotations=None) -> dict:
    images = (
        [
            dict(id=1, file_name='000000000001.jpg', height=48, width=64),
            dict(id=2, file_name='000000000002.jpg', height=48, width=64),
            dict(id=3, file_name='000000000003.jpg', height=48, width=64),
        ]
        if images is None
        else images
    )
    annotations = (
        [
            dict(id=10, image_id=2, caption=' A cat on a mat. '),
            dict(id=11, image_id=1, caption='A dog runs.\n'),
            dict(id=12, image_id=2, caption='The cat sleeps'),
        ]
        if annotations is None
        else annotations
    )
    return dict(
        info=dict(year=2017),
        licenses=[dict(id=1, name='x')],
        images=images,
        annotations=annotations,
    )


def karpathy(images=None) -> dict:
    def image(cocoid, split, folder='train2014'):
        return dict(
            filepath=folder,
            filename=f'COCO_{folder}_{cocoid:012d}.jpg',
            cocoid=cocoid,
            split=split,
            imgid=cocoid,
            sentids=[],
            sentences=[
                dict(raw=f' photo {cocoid} one ', tokens=['photo']),
                dict(raw=f'photo {cocoid} two', tokens=['photo']),
            ],
        )

    images = (
        [
            image(1, 'train'),
            image(2, 'restval', 'val2014'),
            image(3, 'val', 'val2014'),
            image(4, 'test', 'val2014'),
            image(5, 'train'),
        ]
        if images is None
        else images
    )
    return dict(images=images, dataset='coco')


# --- COCO 2017 captions json ---------------------------------------------------------------


def test_2017_one_sample_per_captioned_image(tmp_path):
    prefix = str(tmp_path / 'train2017')
    dataset = build(write_json(tmp_path, coco2017()), prefix)
    assert isinstance(dataset, CocoCaptionDataset)
    assert len(dataset) == 2  # image 3 has no caption
    by_id = infos(dataset)
    assert set(by_id) == {1, 2}
    assert by_id[1]['filename'] == osp.join(prefix, '000000000001.jpg')
    assert by_id[2]['filename'] == osp.join(prefix, '000000000002.jpg')
    assert by_id[1]['text'] == ['A dog runs.']
    assert by_id[2]['text'] == ['A cat on a mat.', 'The cat sleeps']
    # With an empty pipeline the sample is the data info itself.
    assert dataset[0] == dataset.get_data_info(0)


def test_2017_annotations_before_images(tmp_path):
    content = coco2017()
    content = dict(annotations=content['annotations'], images=content['images'])
    by_id = infos(build(write_json(tmp_path, content), 'p'))
    assert by_id[2]['text'] == ['A cat on a mat.', 'The cat sleeps']
    assert by_id[1]['filename'] == osp.join('p', '000000000001.jpg')


def test_2017_compact_json_on_one_line(tmp_path):
    path = tmp_path / 'captions.json'
    path.write_text(json.dumps(coco2017()), encoding='utf-8')
    assert infos(build(path))[2]['text'] == ['A cat on a mat.', 'The cat sleeps']


@pytest.mark.parametrize('caption', ['', '   '])
def test_2017_empty_caption_loads(tmp_path, caption):
    annotations = [dict(image_id=1, caption='fine'), dict(image_id=2, caption=caption)]
    by_id = infos(build(write_json(tmp_path, coco2017(annotations=annotations))))
    assert by_id[2]['text'] == ['']
    assert by_id[1]['text'] == ['fine']


def test_2017_missing_image_is_replaced_when_read(tmp_path):
    prefix = tmp_path / 'train2017'
    write_jpg(prefix / '000000000001.jpg')  # image 2 was never downloaded
    dataset = DATASETS.build(
        dict(
            type='CocoCaptionDataset',
            ann_file=str(write_json(tmp_path, coco2017())),
            data_prefix=dict(img=str(prefix)),
            pipeline=[dict(type='LoadImage', num_frames=2)],
        )
    )
    index = [dataset.get_data_info(i)['image_id'] for i in range(2)].index(2)
    sample = dataset[index]
    assert sample['image_id'] == 1
    assert sample['imgs'].shape == (2, HEIGHT, WIDTH, 3)
    assert sample['failures'] == [
        dict(path=str(prefix / '000000000002.jpg'), reason='missing file')
    ]


@pytest.mark.parametrize(
    'bad, field',
    [
        (dict(id=20, image_id=1), 'caption'),
        (dict(id=20, image_id=1, caption=None), 'caption'),
        (dict(id=20, image_id=1, caption=7), 'caption'),
        (dict(id=20, image_id=1, caption=['a', 'b']), 'caption'),
        (dict(id=20, caption='text'), 'image_id'),
        (dict(id=20, image_id='1', caption='text'), 'image_id'),
        (dict(id=20, image_id=True, caption='text'), 'image_id'),
        (dict(id=20, image_id=99, caption='text'), 'image_id'),  # not in images
    ],
)
def test_2017_bad_annotation_names_file_line_and_field(tmp_path, bad, field):
    content = coco2017()
    content['annotations'].insert(2, bad)
    path = write_json(tmp_path, content)
    line = element_line(path, 'annotations', 2)
    assert line > 20  # well below the images
    with pytest.raises(AnnotationError) as excinfo:
        build(path)
    check_annotation_error(excinfo, path, line, field)


@pytest.mark.parametrize(
    'bad, field',
    [
        (dict(file_name='x.jpg'), 'id'),
        (dict(id='4', file_name='x.jpg'), 'id'),
        (dict(id=4), 'file_name'),
        (dict(id=4, file_name=''), 'file_name'),
        (dict(id=4, file_name=5), 'file_name'),
    ],
)
def test_2017_bad_image_names_file_line_and_field(tmp_path, bad, field):
    content = coco2017()
    content['images'].insert(1, bad)
    path = write_json(tmp_path, content)
    line = element_line(path, 'images', 1)
    with pytest.raises(AnnotationError) as excinfo:
        build(path)
    check_annotation_error(excinfo, path, line, field)


def test_2017_two_images_with_one_id_is_an_error(tmp_path):
    """The captions of ``id`` 2 would otherwise go to whichever file came last."""
    content = coco2017()
    content['images'].append(dict(id=2, file_name='000000000099.jpg', height=48, width=64))
    path = write_json(tmp_path, content)
    with pytest.raises(AnnotationError, match=r'duplicate id 2 \(first at line \d+\)') as excinfo:
        build(path)
    check_annotation_error(excinfo, path, element_line(path, 'images', 3), 'id')
    assert f'(first at line {element_line(path, "images", 1)})' in str(excinfo.value)


def test_2017_many_captions_of_one_image_are_not_duplicates(tmp_path):
    content = coco2017()
    content['annotations'] += [dict(id=20 + i, image_id=1, caption=f'dog {i}') for i in range(4)]
    by_id = infos(build(write_json(tmp_path, content)))
    assert by_id[1]['text'] == ['A dog runs.'] + [f'dog {i}' for i in range(4)]


def test_2017_annotation_not_an_object(tmp_path):
    content = coco2017()
    content['annotations'].insert(1, 'a caption without its record')
    path = write_json(tmp_path, content)
    line = path.read_text().splitlines().index('    "a caption without its record",') + 1
    with pytest.raises(AnnotationError) as excinfo:
        build(path)
    check_annotation_error(excinfo, path, line, 'annotations')


@pytest.mark.parametrize('key', ['images', 'annotations'])
def test_2017_list_that_is_not_a_list(tmp_path, key):
    content = coco2017()
    content[key] = {'0': content[key][0]}
    path = write_json(tmp_path, content)
    with pytest.raises(AnnotationError) as excinfo:
        build(path)
    line = next(
        i
        for i, text in enumerate(path.read_text().splitlines(), 1)
        if text.strip().startswith(f'"{key}"')
    )
    check_annotation_error(excinfo, path, line, key)


def test_no_images_key(tmp_path):
    path = write_json(tmp_path, dict(annotations=[dict(image_id=1, caption='x')]))
    with pytest.raises(AnnotationError) as excinfo:
        build(path)
    check_annotation_error(excinfo, path, 1, 'images')


def test_invalid_json_names_its_line(tmp_path):
    path = tmp_path / 'captions.json'
    text = json.dumps(coco2017(), indent=2)
    lines = text.splitlines()
    cut = lines.index('  "annotations": [') + 3
    path.write_text('\n'.join(lines[:cut]) + '\n    "caption": oops\n', encoding='utf-8')
    with pytest.raises(AnnotationError) as excinfo:
        build(path)
    check_annotation_error(excinfo, path, cut + 1, '<json>')


# --- Karpathy's dataset_coco.json -----------------------------------------------------------


def test_karpathy_default_splits_train_and_restval(tmp_path):
    prefix = str(tmp_path / 'coco')
    dataset = build(write_json(tmp_path, karpathy(), 'dataset_coco.json'), prefix)
    by_id = infos(dataset)
    assert sorted(by_id) == [1, 2, 5]
    assert by_id[1]['filename'] == osp.join(prefix, 'train2014', 'COCO_train2014_000000000001.jpg')
    assert by_id[2]['filename'] == osp.join(prefix, 'val2014', 'COCO_val2014_000000000002.jpg')
    assert by_id[1]['text'] == ['photo 1 one', 'photo 1 two']


@pytest.mark.parametrize(
    'splits, ids', [(('test',), [4]), (('val', 'test'), [3, 4]), (['train'], [1, 5])]
)
def test_karpathy_only_configured_splits(tmp_path, splits, ids):
    dataset = build(write_json(tmp_path, karpathy()), splits=splits)
    assert sorted(infos(dataset)) == ids


def test_karpathy_no_image_in_splits_is_an_error(tmp_path):
    path = write_json(tmp_path, karpathy())
    with pytest.raises(AnnotationError) as excinfo:
        build(path, splits=('unknown',))
    check_annotation_error(excinfo, path, 1, '<root>')


def test_karpathy_empty_sentence_loads(tmp_path):
    content = karpathy()
    content['images'][0]['sentences'][1]['raw'] = ''
    assert infos(build(write_json(tmp_path, content)))[1]['text'] == ['photo 1 one', '']


@pytest.mark.parametrize(
    'change, field',
    [
        (dict(sentences=[dict(raw='ok'), dict(tokens=['no', 'raw'])]), 'sentences[1].raw'),
        (dict(sentences=[dict(raw=3)]), 'sentences[0].raw'),
        (dict(sentences=[dict(raw='ok'), dict(raw=None)]), 'sentences[1].raw'),
        (dict(sentences=['a bare string']), 'sentences[0].raw'),
        (dict(sentences=None), 'sentences'),
        (dict(sentences='a photo'), 'sentences'),
        (dict(sentences=[]), 'sentences'),
        (dict(split=None), 'split'),
        (dict(split=1), 'split'),
        (dict(filepath=None), 'filepath'),
        (dict(filename=7), 'filename'),
        (dict(cocoid='3'), 'cocoid'),
    ],
)
def test_karpathy_bad_image_names_file_line_and_field(tmp_path, change, field):
    content = karpathy()
    content['images'][4].update(change)  # a 'train' image, after images of other splits
    content['images'][4] = {k: v for k, v in content['images'][4].items() if v is not None}
    path = write_json(tmp_path, content)
    line = element_line(path, 'images', 4)
    assert line > 40
    with pytest.raises(AnnotationError) as excinfo:
        build(path)
    check_annotation_error(excinfo, path, line, field)


def test_karpathy_images_of_other_splits_are_not_checked(tmp_path):
    content = karpathy()
    content['images'][3]['sentences'] = [dict(tokens=[])]  # split 'test', not read
    assert sorted(infos(build(write_json(tmp_path, content)))) == [1, 2, 5]


def test_karpathy_two_kept_images_with_one_cocoid_is_an_error(tmp_path):
    content = karpathy()
    content['images'][4]['cocoid'] = 1  # the train image 1 again, under another file name
    path = write_json(tmp_path, content)
    with pytest.raises(AnnotationError, match='duplicate id 1') as excinfo:
        build(path)
    check_annotation_error(excinfo, path, element_line(path, 'images', 4), 'cocoid')
