"""The host side of the test bench: boots the guest under QEMU (TCG), serves
its control channel and collects TAP results. tests/runner.py is the entry
point; docs/testing.md describes the pieces.

Modules, one job each (standard library only):
  layout   the bench: LDs, controller and QEMU arguments, machine variants,
           the tests and the check matrix
  expect   what legitimately differs between benches and drivers
  qmp      a QMP client for QEMU's monitor socket
  results  the one Results list, TAP parsing, per-test bookkeeping
  boot     one QEMU run: the control protocol and the host requests
  suite    every boot of the test list for one driver
  host     host-side tests (tests/host/*.sh)
  initrd   the guest kernel and the initramfs
  cli      the command line and main()
"""

from pathlib import Path

TOP = Path(__file__).resolve().parent.parent.parent    # the checkout
