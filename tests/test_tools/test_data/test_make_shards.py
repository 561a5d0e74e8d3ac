"""tools/data/make_shards.py: a corpus of files to shards read back identically, resumable.
The tool's ``main`` runs in this process (its worker pool forks it)."""

import io
import json
import os
from pathlib import Path
from typing import Any, Dict, Tuple

import decord
import pytest

from vtp.datasets import VideoTextShardDataset, WebVidDataset
from vtp.datasets.tar_samples import TarSamples
from vtp.testing import import_tool, write_asr_corpus, write_shard_corpus, write_webvid

make_shards = import_tool('tools/data/make_shards.py')


def webvid_corpus(root: Path, num: int) -> Tuple[Dict[str, Any], Path]:
    """A WebVid-layout corpus of ``num`` clips under ``root``: (its dataset config, a config
    file whose train dataloader reads it)."""
    write_webvid(root, num=num)
    corpus = dict(
        type='WebVidDataset',
        data_root=str(root),
        ann_file='results_2M_train.csv',
        data_prefix=dict(video='videos'),
    )
    config = root / 'corpus.py'
    config.write_text(f'train_dataloader = dict(dataset={corpus!r})\n')
    return corpus, config


def test_round_trip_of_ids_captions_and_bytes(tmp_path: Path, capsys) -> None:
    corpus, config = webvid_corpus(tmp_path, num=7)
    os.remove(tmp_path / 'videos' / '000001_000051' / '1004.mp4')  # a dead link
    out = tmp_path / 'shards'
    args = [str(config), '--out-dir', str(out), '--samples-per-shard', '3']
    make_shards.main(args + ['--workers', '2'])
    first = capsys.readouterr()
    assert '1004.mp4' in first.err and '6 samples written' in first.out
    manifest = json.loads((out / 'manifest.json').read_text())
    assert [s['samples'] for s in manifest['shards']] == [3, 2, 1]

    files = WebVidDataset(**{k: v for k, v in corpus.items() if k != 'type'})
    expected = [files.get_data_info(i) for i in range(7) if i != 4]
    shards = VideoTextShardDataset(data_root=str(out), manifest='manifest.json', shuffle=False)
    read = [shards[i] for i in range(len(shards))]
    assert [r['text'] for r in read] == [e['text'] for e in expected]
    assert [r['media_bytes'] for r in read] == [Path(e['filename']).read_bytes() for e in expected]
    _, members = TarSamples(str(out / 'shard-00000.tar')).read()
    meta = json.loads(members['json'])
    assert (meta['video_id'], meta['texts']) == ('1000', [expected[0]['text']])
    assert [r['video_id'] for r in read] == [f'{i:09d}' for i in range(7) if i != 4]

    (out / 'shard-00000.tar').write_bytes(b'kept')  # finished shards are not redone
    make_shards.main(args)
    assert '3 already done' in capsys.readouterr().out
    assert (out / 'shard-00000.tar').read_bytes() == b'kept'

    # finishing with another layout would repeat samples (shard 1 held 3-5, would hold 2-3)
    os.remove(out / 'shard-00002.tar')
    with pytest.raises(
        SystemExit,
        match=r'shard-00000.tar was written with other settings .*now .*samples.: \[0, 2\]',
    ):
        make_shards.main([str(config), '--out-dir', str(out), '--samples-per-shard', '2'])
    assert not (out / 'shard-00002.tar').exists()


def test_count_writes_the_manifest_of_existing_shards(tmp_path: Path, capsys) -> None:
    write_shard_corpus(tmp_path, [2, 0, 3], manifest=False)
    make_shards.main(['--count', str(tmp_path / 'shard-{00000..00002}.tar')])
    assert '5 samples in 3 shards' in capsys.readouterr().out
    manifest = json.loads((tmp_path / 'manifest.json').read_text())
    assert [(s['shard'], s['samples']) for s in manifest['shards']] == [
        ('shard-00000.tar', 2),
        ('shard-00001.tar', 0),
        ('shard-00002.tar', 3),
    ]


def test_count_names_each_broken_shard_and_writes_no_manifest(tmp_path: Path, capsys) -> None:
    write_shard_corpus(tmp_path, [2, 1, 3, 2, 4], manifest=False)
    os.remove(tmp_path / 'shard-00001.tar')
    (tmp_path / 'shard-00002.tar').write_bytes(b'<html>403 Forbidden</html>' * 40)
    joined = (tmp_path / 'shard-00000.tar').read_bytes() * 2  # cat a.tar a.tar
    (tmp_path / 'shard-00003.tar').write_bytes(joined)
    data = (tmp_path / 'shard-00004.tar').read_bytes()
    (tmp_path / 'shard-00004.tar').write_bytes(data[: len(data) // 2])  # counted, reported
    pattern = str(tmp_path / 'shard-{00000..00004}.tar')
    with pytest.raises(SystemExit, match='3 of 5 shards cannot be counted') as exit_:
        make_shards.main(['--count', pattern])
    assert exit_.value.code != 0
    lines = [x for x in capsys.readouterr().err.splitlines() if x.startswith(str(tmp_path))]
    assert [line.split(' (')[0] for line in lines] == [
        f'{tmp_path}/shard-00001.tar: missing shard',
        f'{tmp_path}/shard-00002.tar: unreadable shard',
        f'{tmp_path}/shard-00003.tar: unreadable shard',
        f'{tmp_path}/shard-00004.tar: truncated shard',
    ]
    assert 'end-of-archive marker' in lines[2]
    assert not (tmp_path / 'manifest.json').exists()

    make_shards.main(['--count', str(tmp_path / 'shard-{00000,00004}.tar'), '--workers', '2'])
    captured = capsys.readouterr()
    assert 'shard-00004.tar: truncated shard (' in captured.err
    manifest = json.loads((tmp_path / 'manifest.json').read_text())
    assert [s['samples'] for s in manifest['shards']][0] == 2


def test_videos_reencoded_on_the_way_in(tmp_path: Path, capsys) -> None:
    _, config = webvid_corpus(tmp_path, num=3)  # 64x48 clips of 8 frames at 8 fps
    (tmp_path / 'videos' / '000000_000050' / '1001.mp4').write_text('not a video')
    out = tmp_path / 'shards'
    make_shards.main([str(config), '--out-dir', str(out), '--short-side', '24', '--fps', '4'])
    captured = capsys.readouterr()
    assert '2 samples written' in captured.out and '1001.mp4: ' in captured.err
    shards = VideoTextShardDataset(data_root=str(out), manifest='manifest.json', shuffle=False)
    read = [shards[i] for i in range(len(shards))]
    assert [r['text'] for r in read] == ['a clip of scene 0', 'a clip of scene 2']
    for sample in read:
        reader = decord.VideoReader(io.BytesIO(sample['media_bytes']))
        assert reader[0].shape == (24, 32, 3) and abs(reader.get_avg_fps() - 4.0) < 1e-6


def test_segments_of_longer_videos_are_cut_while_reencoding(tmp_path: Path, capsys) -> None:
    write_asr_corpus(tmp_path, [f'step {i}' for i in range(6)])  # 2 videos of 4 s, 1 s segments
    corpus = dict(
        type='HowTo100MDataset',
        data_root=str(tmp_path),
        ann_file='caption.jsonl',
        data_prefix=dict(video='videos'),
        min_duration=1.0,
    )
    config = tmp_path / 'corpus.py'
    config.write_text(f'train_dataloader = dict(dataset={corpus!r})\n')
    make_shards.main([str(config), '--out-dir', str(tmp_path / 'uncut')])
    assert 'segment of a longer video (start/end): --short-side cuts it' in capsys.readouterr().err
    out = tmp_path / 'cut'
    make_shards.main([str(config), '--out-dir', str(out), '--short-side', '24', '--fps', '4'])
    assert '6 samples written' in capsys.readouterr().out
    shards = VideoTextShardDataset(data_root=str(out), manifest='manifest.json', shuffle=False)
    read = [shards[i] for i in range(len(shards))]
    assert [r['text'] for r in read] == [f'step {i}' for i in range(6)]
    for sample in read:  # each 1 s segment alone, from time 0
        reader = decord.VideoReader(io.BytesIO(sample['media_bytes']))
        assert len(reader) == 4 and reader.get_frame_timestamp(0)[0] == 0.0


def test_finishing_with_another_corpus_of_the_same_size_is_refused(tmp_path: Path) -> None:
    """Shards of two corpora would be mixed: each shard keeps its first and last sample."""
    _, config = webvid_corpus(tmp_path, num=6)
    out = tmp_path / 'shards'
    args = [str(config), '--out-dir', str(out), '--samples-per-shard', '3', '--workers', '0']
    make_shards.main(args)
    os.remove(out / 'shard-00001.tar')  # interrupted
    table = tmp_path / 'results_2M_train.csv'
    lines = table.read_text().splitlines()
    lines[1] = lines[1].replace('a clip of scene 0', 'another clip')
    table.write_text('\n'.join(lines) + '\n')
    with pytest.raises(SystemExit, match='shard-00000.tar was written with other settings'):
        make_shards.main(args)
    (out / 'shard-00000_stats.json').write_text('{"samples": 3, "lay')  # damaged: written again
    make_shards.main(args)
    assert json.loads((out / 'shard-00000_stats.json').read_text())['samples'] == 3
