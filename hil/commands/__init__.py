"""Sub-commands of ``hil``; importing this package registers them with ``hil.cli``."""

from hil.commands import bench, boot, build, image, platforms, serve, update  # noqa: F401
