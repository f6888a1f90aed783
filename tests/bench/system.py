"""The Debian system: a real server's life on the bench (tests/system/).

A Debian 12 root file system (scripts/debian-image.sh: debootstrap with systemd, udev,
initramfs-tools, dkms, the kernel and its headers) on LD 0, copy-on-write over the cached image;
/boot on a small SATA disk (the ICH9 AHCI of q35), because the model has no option ROM to boot from. Before every
boot the runner reads the kernel and initramfs off that disk — the ones the guest's own
update-initramfs wrote — so a driver switch made in the guest takes effect at its next boot, as
on a server. systemd starts lsi3108-bench.service, which fetches the bench from QEMU's fw_cfg
(guest-init, lib.sh, tests/system/, and the driver's sources for DKMS) and runs the tests with
the usual control channel; boots, power cuts and reboots work as for the initramfs bench.

The LDs: root (LD 0), data (LD 1, empty: the journey makes its file system and lists it in
fstab by /dev/disk/by-id with x-systemd.automount) and hot (LD 2, not present at boot: a file
system labelled "hotdata" holding a known file, hot-added by the journey and mounted by the
image's udev rule)."""

import copy
import hashlib
import io
import os
import subprocess
import tarfile
from pathlib import Path

from . import TOP
from .layout import LogicalDrive, MiB, ld_device, lsi_params
from .suite import Suite

SYSTEM_DRIVER = "debian"        # the suite's label: the journey switches drivers itself
BOOT_STALL_S = 900              # systemd under TCG takes minutes to reach the bench service
PHASE_TIMEOUT_S = 2400         # phase 1 builds the driver with DKMS, under TCG
HOT_FILE = "hotdata.bin"        # the known file on the hot-added LD (1 MiB, seeded below)


def image_env():
    """scripts/debian-image.sh's output: IMAGE_DIR, ROOT_UUID, BOOT_UUID, IMAGE_KVER."""
    out = subprocess.run([str(TOP / "scripts/debian-image.sh")], check=True,
                         stdout=subprocess.PIPE, text=True).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def hot_data():
    """1 MiB the host writes onto the hot LD and the guest reads back (deterministic)."""
    block = bytes(range(256)) * 16
    return b"".join(block[i % 4096:] + block[:i % 4096] for i in range(256))


def debugfs(image, request):
    return subprocess.run(["debugfs", "-R", request, str(image)], check=True,
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout


def newest_kernel(boot_img):
    """(vmlinuz name, initrd name) of the newest kernel on the /boot disk."""
    names = debugfs(boot_img, "ls -p /").split("\n")
    files = {ln.split("/")[5] for ln in names if ln.count("/") >= 6}
    kvers = sorted((n[len("vmlinuz-"):] for n in files if n.startswith("vmlinuz-")),
                   key=lambda v: [int(x) if x.isdigit() else x for x in v.replace("-", ".").split(".")])
    for kver in reversed(kvers):
        if f"initrd.img-{kver}" in files:
            return f"vmlinuz-{kver}", f"initrd.img-{kver}"
    raise RuntimeError(f"no vmlinuz-*/initrd.img-* pair on {boot_img}: {sorted(files)}")


def bench_tar():
    """The bench the guest fetches from fw_cfg: guest-init, tests/ (lib.sh and tests/system/),
    and lsi3108/ (what `make dkms-install` needs: the module's sources, scripts and the man
    page it installs)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        def keep(ti):
            if ti.name.endswith((".o", ".ko", ".cmd", ".mod", ".mod.c", ".symvers", ".order")):
                return None
            if ti.isfile() and ti.name.endswith((".sh", "guest-init", "lsi3108-ctl")):
                ti.mode |= 0o755
            return ti

        def add(src, name):
            tar.add(str(TOP / src), arcname=name, filter=keep)
        add("scripts/guest-init", "guest-init")
        add("tests/guest/lib.sh", "tests/lib.sh")
        for t in sorted((TOP / "tests/system").glob("[0-9][0-9]-*.sh")):
            add(t.relative_to(TOP), f"tests/{t.name}")
        for f in ("Makefile", "Kbuild", "dkms.conf", "src", "include",
                  "scripts/lib.sh", "scripts/dkms-install.sh", "scripts/lsi3108-ctl",
                  "docs/lsi3108-ctl.8"):
            add(f, f"lsi3108/{f}")
    return buf.getvalue()


class SystemSuite(Suite):
    """The journey's boots, on the Debian system instead of the test initramfs."""

    def __init__(self, args, results, workdir):
        self.image = image_env()
        image_dir = Path(self.image["IMAGE_DIR"])
        root = image_dir / "root.raw"
        args = copy.copy(args)
        args.layout, args.tests = "standard", "all"
        args.boot_stall = max(args.boot_stall, BOOT_STALL_S)
        args.timeout = max(args.timeout, PHASE_TIMEOUT_S)
        super().__init__(args, SYSTEM_DRIVER, None, None, results, workdir)
        self.lds = [
            LogicalDrive(0, 0, root.stat().st_size, "qcow2", "LSI3108SYSROOT01", "root",
                         write_back=True, backing=root),
            LogicalDrive(1, 1, 256 * MiB, "raw", "LSI3108SYSDATA02", "data", write_back=True),
            LogicalDrive(2, 2, 64 * MiB, "raw", "LSI3108SYSHOT003", "hot", present=False),
        ]
        self.params = lsi_params(SYSTEM_DRIVER, self.ctrl, self.lds, {}, args.machine_variant)
        self.params.update(self.system_params())
        self.boot_img = workdir / "boot.raw"

    def system_params(self):
        return {"lds": "2", "root_uuid": self.image["ROOT_UUID"], "hot_file": HOT_FILE,
                "hot_sha": hashlib.sha256(hot_data()).hexdigest(),
                "hot_device": ld_device(self.ctrl, self.lds[2])}

    def create_disks(self):
        super().create_disks()
        subprocess.run(["cp", "--sparse=always", str(Path(self.image["IMAGE_DIR"]) / "boot.raw"),
                        str(self.boot_img)], check=True)
        seed = self.workdir / "hot-seed"
        seed.mkdir(exist_ok=True)
        (seed / HOT_FILE).write_bytes(hot_data())
        subprocess.run(["mke2fs", "-q", "-F", "-t", "ext4", "-L", "hotdata", "-d", str(seed),
                        str(self.workdir / "ld2.raw")], check=True)
        (self.workdir / "bench.tar").write_bytes(bench_tar())

    def first_tests(self):
        return ",".join(p.stem for p in sorted((TOP / "tests/system").glob("[0-9][0-9]-*.sh")))

    def boot_files(self, number):
        vmlinuz, initrd = newest_kernel(self.boot_img)
        for name in (vmlinuz, initrd):
            out = self.workdir / f"boot{number}-{name}"
            debugfs(self.boot_img, f"dump -p /{name} {out}")
            if not out.exists() or out.stat().st_size == 0:
                raise RuntimeError(f"could not read /{name} off {self.boot_img}")
        print(f"# [{SYSTEM_DRIVER}] boot {number}: {vmlinuz}, {initrd} from the guest's /boot",
              flush=True)
        return (self.workdir / f"boot{number}-{vmlinuz}", self.workdir / f"boot{number}-{initrd}",
                [f"root=UUID={self.image['ROOT_UUID']}", "ro"],
                ["-drive", f"file={self.boot_img},format=raw,if=ide",
                 "-fw_cfg", f"name=opt/lsi3108/bench.tar,file={self.workdir / 'bench.tar'}"])
