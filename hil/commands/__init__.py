"""Sub-commands of ``hil``; importing this package registers them (``hil.commands.base``)."""

from hil.commands import (  # noqa: F401
    bench,
    boot,
    build,
    image,
    matrix,
    platforms,
    replay,
    report,
    serve,
    sweep,
    update,
)
