#!/usr/bin/env python3
"""`make soak N=2000 RATE=4`: the fault soak (tests/faults/soak.py) from the repository root."""

from __future__ import annotations

import sys
from pathlib import Path

# tests/faults is a package of the checkout, not an installed one.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.faults.soak import main

if __name__ == "__main__":
    sys.exit(main())
