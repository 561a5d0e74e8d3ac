"""Pictures of a test run: per caption the top clips with the ground truth framed (added below
when it ranks lower), per question the clip framed when answered right, per multiple-choice
clip a row per option with the true one framed."""

import re
from types import SimpleNamespace

import numpy as np
from PIL import Image

from vtp.engine.runner.retrieval_loop import RetrievalTestLoop
from vtp.evaluation.metrics import MultipleChoiceMetric, VideoQAMetric
from vtp.testing import write_mp4
from vtp.visualization import strip_size, write_prediction_pages
from vtp.visualization.result_strip import MARK, PAD, THUMB_SIZE, TITLE_HEIGHT


def marked_rows(path) -> set:
    """The rows of a strip framed in the mark colour."""
    image = np.asarray(Image.open(path).convert('RGB'))
    ys = np.nonzero(np.all(image == MARK, axis=2))[0]
    return {int((y - TITLE_HEIGHT + PAD // 2) // (THUMB_SIZE[0] + PAD)) for y in ys}


class Dataset:
    """The data infos of a test set."""

    def __init__(self, infos):
        self.infos = infos

    def __len__(self):
        return len(self.infos)

    def get_data_info(self, i):
        return self.infos[i]


def fake_runner(predictions, metrics, infos):
    """What write_prediction_pages reads of a runner after test()."""
    loop = RetrievalTestLoop.__new__(RetrievalTestLoop)  # no runner needed to hold results
    loop.predictions = predictions
    loop.evaluator = SimpleNamespace(metrics=metrics)
    return SimpleNamespace(test_loop=loop, test_dataloader=SimpleNamespace(dataset=Dataset(infos)))


def test_retrieval_strips_frame_the_ground_truth(tmp_path):
    videos = [write_mp4(tmp_path / f'v{i}.mp4') for i in range(3)]
    infos = [dict(video_id=f'v{i}', filename=videos[i], text=[f'clip {i}']) for i in range(3)]
    predictions = [
        dict(caption='clip 0', video_id='v0', missing=False, top10=['v0', 'v1', 'v2'],
             scores=[0.9, 0.5, 0.1]),
        dict(caption='clip 1', video_id='v1', missing=False, top10=['v2', 'v0', 'v1'],
             scores=[0.8, 0.4, 0.3]),
    ]  # fmt: skip
    runner = fake_runner(predictions, [], infos)
    [index] = write_prediction_pages(runner, str(tmp_path / 'show'), topk=2, num_frames=3)
    assert index == str(tmp_path / 'show' / 'retrieval' / 'index.html')
    strips = [tmp_path / 'show' / 'retrieval' / f'000{i}.png' for i in range(2)]
    assert Image.open(strips[0]).size == strip_size(2, 3) and marked_rows(strips[0]) == {0}
    # the ground truth ranks 3rd: a third row, framed
    assert Image.open(strips[1]).size == strip_size(3, 3) and marked_rows(strips[1]) == {2}
    text = open(index, encoding='utf-8').read()
    assert re.findall(r'<img src="([^"]+)"', text) == ['0000.png', '0001.png']
    assert 'ground truth at rank 1' in text and 'ground truth at rank 3' in text


def test_qa_and_multiple_choice_strips_frame_what_is_right(tmp_path):
    video = write_mp4(tmp_path / 'v.mp4')
    infos = [
        dict(question_id=0, filename=video, text='what colour?'),
        dict(question_id=1, filename=video, text='what shape?'),
        dict(question_id=2, filename=video, text=['a', 'b', 'c']),
    ]
    qa, mc = VideoQAMetric(), MultipleChoiceMetric()
    qa.predictions = [
        dict(question_id=0, question='what colour?', answer='red', prediction='red', correct=True),
        dict(question_id=1, question='what shape?', answer='ring', prediction='box', correct=False),
    ]
    mc.predictions = [dict(question_id=2, answer=1, prediction=2, scores=[0.1, 0.2, 0.7],
                           correct=False)]  # fmt: skip
    runner = fake_runner([], [qa, mc], infos)
    pages = write_prediction_pages(runner, str(tmp_path / 'show'), num_frames=2)
    assert [p.split('/')[-2] for p in pages] == ['qa', 'multiple_choice']
    qa_dir, mc_dir = tmp_path / 'show' / 'qa', tmp_path / 'show' / 'multiple_choice'
    assert marked_rows(qa_dir / '0000.png') == {0} and marked_rows(qa_dir / '0001.png') == set()
    assert Image.open(mc_dir / '0000.png').size == strip_size(3, 2)
    assert marked_rows(mc_dir / '0000.png') == {1}


def test_a_caption_whose_clip_could_not_be_read_is_not_ranked(tmp_path):
    """The loop leaves a missing clip out of every top10 and gives its own caption none: its
    strip is the clip alone, framed, and the page says it was not ranked (not a rank)."""
    video = write_mp4(tmp_path / 'v0.mp4')
    infos = [
        dict(video_id='v0', filename=video, text=['clip 0']),
        dict(video_id='v1', filename=str(tmp_path / 'gone.mp4'), text=['clip 1']),
    ]
    predictions = [
        dict(caption='clip 0', video_id='v0', missing=False, top10=['v0'], scores=[0.9]),
        dict(caption='clip 1', video_id='v1', missing=True, top10=[], scores=[]),
    ]
    runner = fake_runner(predictions, [], infos)
    [index] = write_prediction_pages(runner, str(tmp_path / 'show'), topk=2, num_frames=2)
    strip = tmp_path / 'show' / 'retrieval' / '0001.png'
    assert Image.open(strip).size == strip_size(1, 2) and marked_rows(strip) == {0}
    notes = re.findall(r'<p>(.*?)</p>', open(index, encoding='utf-8').read())
    assert notes[1:] == ['ground truth at rank 1', 'not ranked (its clip could not be read)']
