"""``python -m hil``: the ``hil`` command."""

from hil.launch import run

run()
