#!/usr/bin/env python
"""Run a module as its own service, or bring it back: ``python scripts/extract_module.py --help``.

The work is done by the ``scripts.extraction`` package (one responsibility per file, see there).
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path[:1]:
    sys.path.insert(0, str(ROOT))  # run as a file, from anywhere: this project's packages come first

from scripts.extraction.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
