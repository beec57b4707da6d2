"""OTA updates of a device over SMP (``update_client(device)``), judged from the device's own
evidence, and the packages the harness uploads (``package_for``)."""

from hil.update.client import UpdateClient, UpdateResult, update_client
from hil.update.packages import (
    KEY_CHOICES,
    SELF_TEST,
    app_binary,
    check_app_size,
    package_for,
)

__all__ = [
    "KEY_CHOICES",
    "SELF_TEST",
    "UpdateClient",
    "UpdateResult",
    "app_binary",
    "check_app_size",
    "package_for",
    "update_client",
]
