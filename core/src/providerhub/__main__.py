"""``python -m providerhub``: the same command line as the ``providerhub`` script."""

import sys

from ._cli import main

if __name__ == "__main__":
    sys.exit(main())
