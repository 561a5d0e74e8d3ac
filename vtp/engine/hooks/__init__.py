from .data_health_hook import DataHealthHook
from .rng_state_hook import RNGStateHook

__all__ = ['DataHealthHook', 'RNGStateHook']
