"""Tests for listing and opening shards: brace patterns, list files, manifests, URLs."""

import json
import sys

import pytest

from vtp.datasets.shard_files import expand_braces, join, list_shards, open_binary, read_manifest


def test_brace_ranges_keep_zero_padding_and_lists_combine():
    assert expand_braces('s-{00008..00011}.tar') == [f's-{i:05d}.tar' for i in range(8, 12)]
    assert expand_braces('{a,b}/{1..2}.tar') == ['a/1.tar', 'a/2.tar', 'b/1.tar', 'b/2.tar']
    assert expand_braces('plain.tar') == ['plain.tar']


def test_list_file_lines_are_relative_to_the_list(tmp_path):
    (tmp_path / 'part').mkdir()
    (tmp_path / 'part' / 'shards.txt').write_text('# train\na.tar\n\n/abs/b.tar\ns3://x/c.tar\n')
    assert list_shards('part/shards.txt', str(tmp_path)) == [
        str(tmp_path / 'part' / 'a.tar'),
        '/abs/b.tar',
        's3://x/c.tar',
    ]
    assert list_shards(['x-{0..1}.tar', 'y.tar'], 'r') == ['r/x-0.tar', 'r/x-1.tar', 'r/y.tar']
    assert join('s3://bucket/corpus/', 'a.tar') == 's3://bucket/corpus/a.tar'
    assert join('s3://bucket/corpus', '/abs/./list.txt') == '/abs/list.txt'


def test_manifest_names_are_relative_to_its_folder(tmp_path):
    path = tmp_path / 'manifest.json'
    path.write_text(json.dumps(dict(shards=[dict(shard='a.tar', samples=3)])))
    assert read_manifest(str(path)) == {str(tmp_path / 'a.tar'): 3}
    path.write_text(json.dumps(dict(shards=[dict(name='a.tar')])))
    with pytest.raises(ValueError, match=r'manifest.json: shard entry 0 .*"shard" must be a file'):
        read_manifest(str(path))
    path.write_text(json.dumps(dict(counts=[])))
    with pytest.raises(ValueError, match='manifest.json: not a shard manifest'):
        read_manifest(str(path))


@pytest.mark.parametrize('samples', [-1, True, 2.0, '3', None, 10**9 + 1, 2**64])
def test_manifest_counts_are_integers_at_least_zero(tmp_path, samples):
    path = tmp_path / 'manifest.json'
    entries = [dict(shard='a.tar', samples=1), dict(shard='b.tar', samples=samples)]
    path.write_text(json.dumps(dict(shards=entries)))
    with pytest.raises(
        ValueError,
        match=r'manifest.json: shard entry 1 \(\{"shard": "b.tar", .*"samples" must be an integer',
    ):
        read_manifest(str(path))


@pytest.mark.parametrize('second', ['a.tar', './a.tar', 'sub/../a.tar'])
def test_a_shard_listed_twice_in_a_manifest_is_an_error(tmp_path, second):
    path = tmp_path / 'manifest.json'
    entries = [dict(shard='a.tar', samples=1), dict(shard=second, samples=2)]
    path.write_text(json.dumps(dict(shards=entries)))
    with pytest.raises(
        ValueError, match=rf'manifest.json: shard entry 1 .*{second} is listed twice'
    ):
        read_manifest(str(path))


def test_a_manifest_entry_with_a_key_given_twice_is_an_error(tmp_path):
    """``json`` would keep the last "shard" and read another shard than the first names."""
    path = tmp_path / 'manifest.json'
    path.write_text('{"shards": [{"shard": "a.tar", "samples": 2, "shard": "b.tar"}]}')
    with pytest.raises(
        ValueError, match="manifest.json: not a shard manifest .*duplicate key 'shard'"
    ):
        read_manifest(str(path))


@pytest.mark.parametrize(
    'shards, message',
    [
        (
            'list.txt',
            r'list.txt, line 3: shard .*a.tar is listed twice \(first: .*list.txt, line 1\)',
        ),
        (['a.tar', '{a,b}.tar'], r"shards entry '\{a,b\}.tar': shard .*a.tar is listed twice"),
        (
            ['list.txt', 'sub/../b.tar'],
            r"shards entry 'sub/../b.tar': shard .*b.tar is listed twice",
        ),
    ],
)
def test_a_shard_listed_twice_is_an_error_naming_both_places(tmp_path, shards, message):
    """Read twice in every pass otherwise."""
    (tmp_path / 'list.txt').write_text('a.tar\n# comment\n./a.tar\n')
    if shards != 'list.txt':
        (tmp_path / 'list.txt').write_text('b.tar\n')
    with pytest.raises(ValueError, match=message):
        list_shards(shards, str(tmp_path))


def test_a_manifest_or_list_not_in_utf8_names_the_file(tmp_path):
    (tmp_path / 'manifest.json').write_bytes(b'{"shards": [], "note": "\xff"}')
    with pytest.raises(ValueError, match=r'manifest.json: not UTF-8 \(invalid start byte at byte'):
        read_manifest(str(tmp_path / 'manifest.json'))
    (tmp_path / 'shards.txt').write_bytes(b'a.tar\n\xffb.tar\n')
    with pytest.raises(ValueError, match=r'shards.txt: not UTF-8'):
        list_shards('shards.txt', str(tmp_path))


def test_urls_go_through_fsspec():
    fsspec = pytest.importorskip('fsspec')
    with fsspec.open('memory://vtp-test/a.bin', 'wb') as f:
        f.write(b'bytes')
    with open_binary('memory://vtp-test/a.bin') as f:
        assert f.read() == b'bytes'


def test_a_url_without_fsspec_names_the_package(monkeypatch):
    monkeypatch.setitem(sys.modules, 'fsspec', None)
    with pytest.raises(ImportError, match=r'reading s3://b/a.tar needs fsspec \(pip install'):
        open_binary('s3://b/a.tar')
