"""pytest plugin of ota-hil (registered through the ``pytest11`` entry point)."""
