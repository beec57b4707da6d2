"""``python -m hil``: the ``hil`` command."""

from hil.cli import main

raise SystemExit(main())
