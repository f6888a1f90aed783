"""The guest's inputs: its kernel (Debian's, through scripts/guest-kernel.sh)
and the initramfs (scripts/mkinitramfs.sh: the tools, the modules, /init and
tests/guest/), rebuilt only when an input changed."""

import os
import subprocess
import sys
import time
from pathlib import Path

from . import TOP

DEFAULT_KOS = [TOP / "lsi3108.ko", TOP / "src/lsi3108.ko"]   # where make module puts it


def kernel_info(args):
    """(kver, vmlinux path, module root) from --kernel-dir/--kver or scripts/guest-kernel.sh."""
    if args.kernel_dir:
        kdir = Path(args.kernel_dir)
        kver = args.kver or next(iter(os.listdir(kdir / "root/lib/modules")))
        return kver, kdir / "vmlinux", kdir / "root"
    out = subprocess.run([str(TOP / "scripts/guest-kernel.sh"), args.kernel_series],
                         check=True, stdout=subprocess.PIPE, text=True).stdout
    info = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    if args.kver and args.kver != info["KVER"]:
        kdir = Path(info["KDIR"]).parent / f"kernel-{args.kver}"
        return args.kver, kdir / "vmlinux", kdir / "root"
    return info["KVER"], Path(info["VMLINUX"]), Path(info["MODROOT"])


def build_initrd(args, kver, modroot):
    if args.initrd:
        return Path(args.initrd)
    modules = [Path(m) for m in args.module]
    built = [ko for ko in DEFAULT_KOS if ko.exists()]
    if not modules and built:
        modules = built[:1]
        # 90-unit's KUnit module, which make module builds next to it.
        if built[0].with_name("lsi3108_test.ko").exists():
            modules.append(built[0].with_name("lsi3108_test.ko"))
    if "lsi3108" in args.driver and not any(m.name == "lsi3108.ko" for m in modules):
        sys.exit(f"runner: --driver lsi3108 needs lsi3108.ko: not found at "
                 f"{' or '.join(map(str, DEFAULT_KOS))} (run make module, or pass --module PATH)")
    # lz4: the kernel unpacks it ~2 s faster than gzip under TCG.
    out = TOP / f"build/initramfs-{kver}.cpio.lz4"
    t0 = time.monotonic()
    subprocess.run([str(TOP / "scripts/mkinitramfs.sh"), kver, str(out)] + [str(m) for m in modules],
                   check=True, env=dict(os.environ, MODROOT=str(modroot)))
    print(f"# initramfs {out} ready in {time.monotonic() - t0:.1f} s "
          f"({out.stat().st_size // 1024} KiB)", flush=True)
    return out
