from .resumable_iter_based_train_loop import ResumableIterBasedTrainLoop
from .vtp_runner import VTPRunner

__all__ = ['ResumableIterBasedTrainLoop', 'VTPRunner']
