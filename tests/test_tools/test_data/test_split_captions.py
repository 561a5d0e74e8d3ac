"""tools/data/howto100m/split_captions.py: caption.json streamed into JSON lines."""

import json
import sys
from pathlib import Path

import pytest

from vtp.testing import repo_root, run_tool

ROOT = repo_root()
sys.path.insert(0, str(ROOT / 'tools' / 'data' / 'howto100m'))
import split_captions  # noqa: E402

from vtp.registry import DATASETS  # noqa: E402

CAPTIONS = {
    f'vid{v}': dict(start=[0.0, 2.5], end=[2.5, 6.0], text=[f'first {v}', 'second 我'])
    for v in range(5)
}


def test_jsonl_holds_every_video_and_reads_like_the_json(tmp_path: Path, monkeypatch) -> None:
    src = tmp_path / 'caption.json'
    src.write_text(json.dumps(CAPTIONS, indent=2, ensure_ascii=False), encoding='utf-8')
    monkeypatch.setattr(split_captions, 'CHUNK', 64)  # members span many reads
    dst = tmp_path / 'caption.jsonl'
    run_tool('tools/data/howto100m/split_captions.py', str(src), str(dst))
    lines = [json.loads(line) for line in dst.read_text(encoding='utf-8').splitlines()]
    assert {line.pop('video_id'): line for line in lines} == CAPTIONS
    with open(src, encoding='utf-8') as f:
        assert dict(split_captions.iter_members(f)) == CAPTIONS

    def samples(ann_file: Path) -> list:
        dataset = DATASETS.build(
            dict(type='HowTo100MDataset', ann_file=str(ann_file), min_duration=1.0, pipeline=[])
        )
        return [dataset.get_data_info(i) for i in range(len(dataset))]

    assert samples(dst) == samples(src)


def test_keeps_only_downloaded_videos_and_resumes(tmp_path: Path) -> None:
    src = tmp_path / 'caption.json'
    src.write_text(json.dumps(CAPTIONS))
    videos = tmp_path / 'videos'
    videos.mkdir()
    for v in (0, 2, 3, 4):
        (videos / f'vid{v}.mp4').write_bytes(b'x')
    dst = tmp_path / 'caption.jsonl'
    # An interrupted run wrote vid0 and half of vid2's line.
    first = json.dumps(dict(video_id='vid0', **CAPTIONS['vid0']))
    Path(str(dst) + '.partial').write_text(first + '\n{"video_id": "vid2", "sta')
    result = run_tool(
        'tools/data/howto100m/split_captions.py', str(src), str(dst), '--videos', str(videos)
    )
    ids = [json.loads(line)['video_id'] for line in dst.read_text().splitlines()]
    assert ids == ['vid0', 'vid2', 'vid3', 'vid4']
    assert '4 videos written' in result.stdout and '1 without a file' in result.stdout
    assert not Path(str(dst) + '.partial').exists()


def test_truncated_file_is_an_error(tmp_path: Path) -> None:
    src = tmp_path / 'caption.json'
    src.write_text(json.dumps(CAPTIONS)[:-40])
    with open(src) as f, pytest.raises(ValueError, match='malformed or truncated JSON'):
        list(split_captions.iter_members(f))


@pytest.mark.parametrize(
    'text, message',
    [
        ('{"a": {} "b": {}}', r"expected '}' after video 'a', found '\"'"),
        ('{"a": {},, "b": {}}', 'malformed or truncated JSON'),
        ('{"a": {}, }', "a comma after the last video 'a'"),
        ('{"a": {}} [', 'text after the JSON object'),
        ('{"a": {}, "a": {}}', "video 'a' is given twice"),
        ('{"a": {"video_id": "b"}}', 'video \'a\' has a "video_id" of its own'),
        ('', "expected '{' at the start"),
    ],
)
def test_json_that_json_load_refuses_or_misreads_is_refused(tmp_path, text, message):
    """The stream read a missing comma, extra commas and trailing text as if valid, and kept a
    video given twice twice (json.load keeps the last)."""
    src = tmp_path / 'caption.json'
    src.write_text(text)
    with pytest.raises(SystemExit, match=f'^error: .*{message}'):
        split_captions.main([str(src), str(tmp_path / 'out.jsonl')])


def test_resuming_from_another_input_or_filter_is_refused(tmp_path: Path) -> None:
    """A partial file begun with --videos {vid1}: without --videos the first video kept is vid0,
    not its vid1 (it lost vid0 and wrote vid1 twice)."""
    src = tmp_path / 'caption.json'
    src.write_text(json.dumps(CAPTIONS))
    dst = tmp_path / 'caption.jsonl'
    partial = Path(str(dst) + '.partial')
    partial.write_text(json.dumps(dict(video_id='vid1', **CAPTIONS['vid1'])) + '\n')
    with pytest.raises(SystemExit, match=r"line 1 is video 'vid1', where this run keeps 'vid0'"):
        split_captions.main([str(src), str(dst)])
    assert partial.exists() and not dst.exists()


@pytest.mark.parametrize('src, dst', [('c.json', 'c.json'), ('c.jsonl.partial', 'c.jsonl')])
def test_the_input_as_output_is_refused(tmp_path, capsys, src, dst):
    (tmp_path / src).write_text(json.dumps(CAPTIONS))
    with pytest.raises(SystemExit):
        split_captions.main([str(tmp_path / src), str(tmp_path / dst)])
    assert 'the input itself' in capsys.readouterr().err
    assert json.loads((tmp_path / src).read_text()) == CAPTIONS
