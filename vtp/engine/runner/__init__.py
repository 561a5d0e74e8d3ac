from .resumable_iter_based_train_loop import ResumableIterBasedTrainLoop
from .retrieval_loop import RetrievalTestLoop, RetrievalValLoop
from .vtp_runner import VTPRunner

__all__ = ['ResumableIterBasedTrainLoop', 'RetrievalTestLoop', 'RetrievalValLoop', 'VTPRunner']
