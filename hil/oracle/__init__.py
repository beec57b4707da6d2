"""The outside oracle: flash, core and engine read without the firmware's help."""

from hil.oracle.image import SlotImage, image_hash, slot_image
from hil.oracle.oracle import Observation, Oracle, ResetRecord, events
from hil.oracle.trailer import Flag, Magic, Trailer, decode

__all__ = [
    "Flag",
    "Magic",
    "Observation",
    "Oracle",
    "ResetRecord",
    "SlotImage",
    "Trailer",
    "decode",
    "events",
    "image_hash",
    "slot_image",
]
