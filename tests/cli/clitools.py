"""The script runner for tests outside this folder that import it from here; it lives in ``support.cli``."""

from support.cli import Script as CLI
from support.cli import one_error_line

__all__ = ["CLI", "one_error_line"]
