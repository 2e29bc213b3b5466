"""``python -m rnnsym``: the command line, as the ``rnnsym`` script runs it."""

from rnnsym.cli import main

raise SystemExit(main())
