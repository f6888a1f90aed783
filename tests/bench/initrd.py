"""The guest's inputs: its kernel (Debian's, through scripts/guest-kernel.sh,
or the debug kernel scripts/debug-kernel.sh builds from Debian's source)
and the initramfs (scripts/mkinitramfs.sh: the tools, the modules, /init and
tests/guest/), rebuilt only when an input changed. One of each per kernel
series: --kernel-dir, --kver, --initrd and --module describe --kernel-series;
another series (--matrix) gets its kernel from guest-kernel.sh and its
modules from --series-module or build/<series>/."""

import os
import subprocess
import sys
import time
from pathlib import Path

from . import TOP
from .layout import DEBUG_SERIES

DEFAULT_KOS = [TOP / "lsi3108.ko", TOP / "src/lsi3108.ko"]   # where make module puts it


def series_build_dir(series):
    """Where scripts/check.sh builds lsi3108 for another kernel series (6.12)."""
    return TOP / "build" / series


def kernel_script(series):
    """The command that fetches (or builds) a series' kernel and prints KVER=, KDIR=, ...:
    scripts/debug-kernel.sh for the debug kernel, else scripts/guest-kernel.sh <series>."""
    if series == DEBUG_SERIES:
        return ["bash", str(TOP / "scripts/debug-kernel.sh")]
    return ["bash", str(TOP / "scripts/guest-kernel.sh"), series]


def boot_image(kdir):
    """What QEMU boots from a kernel dir: its bzImage where it has one (the
    debug kernel: KASAN cannot boot through the ELF's PVH entry), else the
    ELF vmlinux (Debian's kernels: ~3.5 s faster under TCG)."""
    return kdir / "bzImage" if (kdir / "bzImage").exists() else kdir / "vmlinux"


def kernel_info(args, series):
    """(kver, boot image path, module root) from --kernel-dir/--kver (for
    --kernel-series) or scripts/guest-kernel.sh."""
    own = series == args.kernel_series
    if own and args.kernel_dir:
        kdir = Path(args.kernel_dir)
        kver = args.kver or next(iter(os.listdir(kdir / "root/lib/modules")))
        return kver, boot_image(kdir), kdir / "root"
    out = subprocess.run(kernel_script(series), check=True, stdout=subprocess.PIPE, text=True).stdout
    info = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    if own and args.kver and args.kver != info["KVER"]:
        kdir = Path(info["KDIR"]).parent / f"kernel-{args.kver}"
        return args.kver, boot_image(kdir), kdir / "root"
    return info["KVER"], Path(info.get("IMAGE", info["VMLINUX"])), Path(info["MODROOT"])


def series_modules(args, series):
    """The extra .ko files for a series' initramfs: those given (--module for
    --kernel-series, --series-module SERIES=PATH for another), else the built
    lsi3108.ko (the checkout's, or build/<series>/'s) with lsi3108_test.ko
    (90-unit's KUnit module, which make module builds next to it)."""
    if series == args.kernel_series:
        given, defaults = args.module, DEFAULT_KOS
    else:
        given = [path for s, path in args.series_module if s == series]
        defaults = [series_build_dir(series) / "lsi3108.ko"]
    modules = [Path(m) for m in given]
    built = [ko for ko in defaults if ko.exists()]
    if not modules and built:
        modules = built[:1]
        if built[0].with_name("lsi3108_test.ko").exists():
            modules.append(built[0].with_name("lsi3108_test.ko"))
    if "lsi3108" in args.driver and not any(m.name == "lsi3108.ko" for m in modules):
        how = ("run make module, or pass --module PATH" if series == args.kernel_series else
               f"build it against that kernel's headers (make check does, for 6.12), or pass "
               f"--series-module {series}=PATH")
        sys.exit(f"runner: --driver lsi3108 needs lsi3108.ko for the {series} kernel: not found at "
                 f"{' or '.join(map(str, defaults))} ({how})")
    return modules


def build_initrd(args, series, kver, modroot):
    if args.initrd and series == args.kernel_series:
        return Path(args.initrd)
    modules = series_modules(args, series)
    # lz4: the kernel unpacks it ~2 s faster than gzip under TCG.
    out = TOP / f"build/initramfs-{kver}.cpio.lz4"
    t0 = time.monotonic()
    subprocess.run([str(TOP / "scripts/mkinitramfs.sh"), kver, str(out)] + [str(m) for m in modules],
                   check=True, env=dict(os.environ, MODROOT=str(modroot)))
    print(f"# initramfs {out} ready in {time.monotonic() - t0:.1f} s "
          f"({out.stat().st_size // 1024} KiB)", flush=True)
    return out


def guest_inputs(args, series):
    """(kver, vmlinux, initramfs) for a kernel series."""
    kver, vmlinux, modroot = kernel_info(args, series)
    return kver, vmlinux, build_initrd(args, series, kver, modroot)
