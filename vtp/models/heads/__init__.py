from .answer_head import AnswerHead
from .itc_head import ITCHead
from .itm_head import ITMHead
from .mlm_head import MLMHead
from .option_matching_head import OptionMatchingHead

__all__ = ['AnswerHead', 'ITCHead', 'ITMHead', 'MLMHead', 'OptionMatchingHead']
