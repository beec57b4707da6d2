"""A firmware under test from its target profile on an engine (``device``), and ``hil init``'s
reading of a build folder (``scan``, ``init``). Above ``hil.profile`` and ``hil.oracle``."""
