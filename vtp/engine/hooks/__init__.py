from .attribute_schedule_hook import AttributeScheduleHook
from .data_health_hook import DataHealthHook
from .finite_loss_hook import FiniteLossHook
from .head_schedule_hook import HeadScheduleHook
from .protocol_card_hook import ProtocolCardHook
from .rng_state_hook import RNGStateHook
from .safe_checkpoint_hook import SafeCheckpointHook

__all__ = [
    'AttributeScheduleHook',
    'DataHealthHook',
    'FiniteLossHook',
    'HeadScheduleHook',
    'ProtocolCardHook',
    'RNGStateHook',
    'SafeCheckpointHook',
]
