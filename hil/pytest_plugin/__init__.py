"""pytest plugin of ota-hil (registered through the ``pytest11`` entry point).

One module per concern: ``options`` (command-line options), ``fixtures`` (platforms, firmware,
devices), ``markers`` (markers and skips), ``sharding`` (``--shard K/N``).
"""

pytest_plugins = [
    "hil.pytest_plugin.options",
    "hil.pytest_plugin.markers",
    "hil.pytest_plugin.fixtures",
    "hil.pytest_plugin.sharding",
]
