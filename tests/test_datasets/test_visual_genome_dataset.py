"""Tests for ``VisualGenomeDataset``: region phrases per image, the two image folders, errors."""

import json
import os.path as osp
from pathlib import Path

import pytest

from vtp.datasets import AnnotationError, VisualGenomeDataset
from vtp.registry import DATASETS
from vtp.testing import check_annotation_error


def build(ann_file: Path, prefix: Path, **kwargs) -> VisualGenomeDataset:
    return DATASETS.build(
        dict(
            type='VisualGenomeDataset',
            ann_file=str(ann_file),
            data_prefix=dict(img=str(prefix)),
            pipeline=[],
            **kwargs,
        )
    )


def write_json(tmp_path: Path, entries) -> Path:
    """Pretty-printed: ``[`` on line 1, each image object starts at a line ``  {``."""
    path = tmp_path / 'region_descriptions.json'
    path.write_text(json.dumps(entries, indent=2), encoding='utf-8')
    return path


def entry_line(path: Path, index: int) -> int:
    """Line on which the ``index``-th top-level object of a pretty-printed list starts."""
    lines = path.read_text(encoding='utf-8').splitlines()
    return [n for n, line in enumerate(lines, start=1) if line == '  {'][index]


def touch(path: Path) -> None:
    """An image file: only its name matters at start-up."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b'\xff\xd8jpeg')


def image(image_id: int, *phrases: str) -> dict:
    return dict(
        id=image_id,
        regions=[
            dict(
                region_id=100 * image_id + r,
                image_id=image_id,
                phrase=phrase,
                x=0,
                y=0,
                width=8,
                height=8,
            )
            for r, phrase in enumerate(phrases)
        ],
    )


def infos(dataset) -> dict:
    return {
        info['image_id']: info for info in (dataset.get_data_info(i) for i in range(len(dataset)))
    }


ENTRIES = [
    image(1, ' a red ball ', 'grass'),
    image(2, 'a tree'),
    image(3, 'a cloud'),
    image(4),
    image(5, 'a boat', 'water ', 'sky'),
]


def test_images_found_in_either_folder(tmp_path):
    root = tmp_path / 'vg'
    touch(root / 'VG_100K' / '1.jpg')
    touch(root / 'VG_100K_2' / '2.jpg')
    touch(root / 'VG_100K_2' / '5.jpg')
    dataset = build(write_json(tmp_path, ENTRIES), root)
    assert isinstance(dataset, VisualGenomeDataset)
    by_id = infos(dataset)
    assert sorted(by_id) == [1, 2, 3, 5]  # image 4 has no regions
    assert by_id[1]['filename'] == osp.join(str(root), 'VG_100K', '1.jpg')
    assert by_id[2]['filename'] == osp.join(str(root), 'VG_100K_2', '2.jpg')
    assert by_id[5]['filename'] == osp.join(str(root), 'VG_100K_2', '5.jpg')
    # Found in neither folder: read from the first one (and reported missing when read).
    assert by_id[3]['filename'] == osp.join(str(root), 'VG_100K', '3.jpg')
    assert by_id[1]['text'] == ['a red ball', 'grass']
    assert by_id[5]['text'] == ['a boat', 'water', 'sky']
    assert dataset[0] == dataset.get_data_info(0)


def test_image_in_both_folders_is_read_from_the_first(tmp_path):
    root = tmp_path / 'vg'
    touch(root / 'VG_100K' / '2.jpg')
    touch(root / 'VG_100K_2' / '2.jpg')
    by_id = infos(build(write_json(tmp_path, [image(2, 'a tree')]), root))
    assert by_id[2]['filename'] == osp.join(str(root), 'VG_100K', '2.jpg')


def test_missing_folders_are_fine(tmp_path):
    root = tmp_path / 'vg'  # neither folder exists
    by_id = infos(build(write_json(tmp_path, [image(7, 'x')]), root))
    assert by_id[7]['filename'] == osp.join(str(root), 'VG_100K', '7.jpg')


def test_custom_image_dirs(tmp_path):
    root = tmp_path / 'vg'
    touch(root / 'part_b' / '1.jpg')
    touch(root / 'part_a' / '2.jpg')
    by_id = infos(
        build(
            write_json(tmp_path, [image(1, 'x'), image(2, 'y'), image(3, 'z')]),
            root,
            image_dirs=('part_a', 'part_b'),
        )
    )
    assert by_id[1]['filename'] == osp.join(str(root), 'part_b', '1.jpg')
    assert by_id[2]['filename'] == osp.join(str(root), 'part_a', '2.jpg')
    assert by_id[3]['filename'] == osp.join(str(root), 'part_a', '3.jpg')


def test_empty_phrase_loads(tmp_path):
    by_id = infos(build(write_json(tmp_path, [image(1, 'a dog', '  ')]), tmp_path))
    assert by_id[1]['text'] == ['a dog', '']


def test_no_image_with_regions_is_an_error(tmp_path):
    path = write_json(tmp_path, [image(1), image(2)])
    with pytest.raises(AnnotationError) as excinfo:
        build(path, tmp_path)
    check_annotation_error(excinfo, path, 1, '<root>')


@pytest.mark.parametrize(
    'bad, field',
    [
        (
            dict(id=9, regions=[dict(region_id=1, phrase='ok'), dict(region_id=2)]),
            'regions[1].phrase',
        ),
        (dict(id=9, regions=[dict(region_id=1, phrase=None)]), 'regions[0].phrase'),
        (dict(id=9, regions=[dict(region_id=1, phrase=4)]), 'regions[0].phrase'),
        (dict(id=9, regions=['a bare phrase']), 'regions[0].phrase'),
        (dict(id=9), 'regions'),
        (dict(id=9, regions=None), 'regions'),
        (dict(id=9, regions=dict(phrase='x')), 'regions'),
        (dict(id=9, regions='a tree'), 'regions'),
        (dict(regions=[dict(phrase='x')]), 'id'),
        (dict(id='9', regions=[dict(phrase='x')]), 'id'),
        (dict(id=None, regions=[dict(phrase='x')]), 'id'),
    ],
)
def test_bad_entry_names_file_line_and_field(tmp_path, bad, field):
    path = write_json(tmp_path, ENTRIES[:3] + [bad] + ENTRIES[3:])
    line = entry_line(path, 3)
    assert line > 30
    with pytest.raises(AnnotationError) as excinfo:
        build(path, tmp_path)
    check_annotation_error(excinfo, path, line, field)


def test_entry_not_an_object(tmp_path):
    path = write_json(tmp_path, ENTRIES[:2] + [[1, 2]])
    line = path.read_text().splitlines().index('  [') + 1
    with pytest.raises(AnnotationError) as excinfo:
        build(path, tmp_path)
    check_annotation_error(excinfo, path, line, '<entry>')


def test_root_not_a_list(tmp_path):
    path = tmp_path / 'region_descriptions.json'
    path.write_text('\n' + json.dumps(dict(images=ENTRIES)), encoding='utf-8')
    with pytest.raises(AnnotationError) as excinfo:
        build(path, tmp_path)
    check_annotation_error(excinfo, path, 2, '<root>')
