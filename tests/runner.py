#!/usr/bin/env python3
"""Boot the test guest under QEMU (TCG) and collect TAP from it.

The guest (scripts/guest-init + tests/guest/*.sh) talks to this runner over its
second serial port, connected to a unix socket: see docs/testing.md for the
line protocol. The work is done by the package tests/bench/ (one module per
job, standard library only); this script is its entry point.
"""

import sys

from bench.cli import main

if __name__ == "__main__":
    sys.exit(main())
