"""VideoQuestionInferencer (the base of the QA and multiple-choice inferencers): a model of
the wrong task, a missing video and malformed inputs fail naming them; each video is read once
for all its questions; an unreadable video is reported in its questions' results."""

from pathlib import Path

import pytest

from vtp.apis import MultipleChoiceInferencer, VideoQAInferencer


@pytest.fixture(scope='module')
def qa(toy_question_models):
    toy = toy_question_models['qa']
    return VideoQAInferencer(toy['config'], toy['checkpoint'], show_progress=False)


@pytest.fixture(scope='module')
def video(qa):
    dataset = qa.cfg.test_dataloader.dataset
    return f'{dataset.data_root}/videos/test/00000.mp4'


def test_a_model_of_another_task_is_refused_naming_the_config(toy_question_models, toy_gallery):
    qa_config = toy_question_models['qa']['config']
    with pytest.raises(ValueError, match=f"test_cfg.task is 'multiple_choice', but {qa_config}"):
        MultipleChoiceInferencer(qa_config, show_progress=False)
    retrieval = toy_gallery['config']
    with pytest.raises(ValueError, match=f"{retrieval} sets model.test_cfg.task='retrieval'"):
        VideoQAInferencer(retrieval, toy_gallery['checkpoint'], show_progress=False)


def test_missing_videos_and_malformed_inputs_are_named(qa, video, tmp_path):
    missing = str(tmp_path / 'nowhere.mp4')
    with pytest.raises(FileNotFoundError, match=f'video not found: {missing}'):
        qa([video, missing], 'what colour?')
    with pytest.raises(FileNotFoundError, match=f'video not found: {missing}'):
        qa([(missing, 'what colour?')])
    with pytest.raises(ValueError, match=r"give \(video, question\) pairs.*got '"):
        qa([video])
    with pytest.raises(ValueError, match='no videos given'):
        qa([], 'what colour?')
    folder = tmp_path / 'clip.mp4'
    folder.mkdir()
    with pytest.raises(FileNotFoundError, match=f'not a file: {folder}'):
        qa([str(folder)], 'what colour?')


def test_bytes_and_pathlib_paths_are_videos(qa, video):
    """A bytes path was read as the text "b'...'" and not found."""
    expected = qa.queries([(video, 'what colour?')])
    assert qa.queries([(video.encode(), 'what colour?')]) == expected
    assert qa.queries([Path(video)], 'what colour?') == expected


def test_each_video_is_read_once_for_all_its_questions(qa, video):
    other = video.replace('00000', '00001')
    queries = qa.queries([(video, ['q one', 'q two']), (other, 'q three'), (video, 'q four')])
    assert [q['text'] for q in queries] == ['q one', 'q two', 'q three', 'q four']
    (batch,) = qa.preprocess(queries, batch_size=4)
    read = batch['batch']['read']
    assert [b['item']['filename'] for b in read] == [video, other]
    assert [[i for i, _ in b['item']['queries']] for b in read] == [[0, 1, 3], [2]]


def test_an_unreadable_video_is_reported_in_its_results(qa, video, tmp_path, monkeypatch):
    broken = tmp_path / 'broken.mp4'
    broken.write_bytes(b'not a video')
    warnings = []
    monkeypatch.setattr(qa.logger, 'warning', warnings.append)
    results = qa([(video, 'what colour?'), (str(broken), 'what shape?'), (str(broken), 'where?')])
    assert 'answer' in results[0]
    assert results[1]['question'] == 'what shape?' and str(broken) in results[1]['error']
    assert results[2]['question'] == 'where?' and results[2]['error'] == results[1]['error']
    assert warnings == [f'unreadable video: {results[1]["error"]}']  # once per video
