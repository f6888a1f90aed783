# SPDX-License-Identifier: GPL-2.0-only
#
# lsi3108: Linux driver for the LSI MegaRAID SAS3108 and its QEMU bench.
#
#   make run      build everything, boot the model with the driver, show disks
#   make check    build everything and run the whole test suite
#   make check-debug  only the suite on the debug kernel (scripts/debug-kernel.sh), all of it
#   make module   build lsi3108.ko (KDIR=/path/to/kernel/build to choose)
#   make lint     sparse (C=2, endian), W=1 and checkpatch --strict
#   make bench    side-by-side performance runs: lsi3108 vs megaraid_sas
#
# Kbuild (next to this file) lists the module's objects; when the kernel's
# build system re-enters this directory with M=, it reads Kbuild, not this.

SHELL := /bin/bash
export LSI3108_CACHE ?= $(HOME)/.cache/lsi3108

# Kernel to build against: the running kernel's headers when present,
# otherwise the Debian 6.1 guest kernel's headers.
KDIR ?= $(firstword $(wildcard /lib/modules/$(shell uname -r)/build) \
		    $(wildcard /lib/modules/6.1.*-amd64/build))

.PHONY: all module modules clean run check check-debug lint bench qemu guest \
	install dkms-install dkms-remove

all: module

module modules:
	@test -n "$(KDIR)" || { echo "no kernel build dir: set KDIR=" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

install: module
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules_install
	install -D -m 755 scripts/lsi3108-ctl $(DESTDIR)/usr/local/sbin/lsi3108-ctl
	install -D -m 644 docs/lsi3108-ctl.8 $(DESTDIR)/usr/local/share/man/man8/lsi3108-ctl.8

dkms-install:
	bash scripts/dkms-install.sh

dkms-remove:
	bash scripts/dkms-install.sh --remove

clean:
	@if [ -n "$(KDIR)" ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean; fi
	rm -rf build

qemu:
	flock /tmp/lsi3108-qemu.lock bash qemu/build.sh

guest:
	bash scripts/guest-kernel.sh 6.1

run:
	bash scripts/run.sh

check:
	bash scripts/check.sh

check-debug:
	bash scripts/check.sh debug

lint:
	bash scripts/lint.sh

bench:
	bash scripts/bench.sh
