# Devices built into our qemu-system-x86_64 (QEMU 7.2, --without-default-devices).
# qemu/build.sh copies this to configs/devices/x86_64-softmmu/lsi3108.mak.
# Changing this file changes the cache key: the next build.sh run is a full build.

# Machines: q35 (PCIe, ICH9) and pc (i440fx)
CONFIG_Q35=y
CONFIG_I440FX=y
# intel-iommu, pcie-root-port
CONFIG_VTD=y
CONFIG_PCIE_PORT=y
# ISA 16550 UARTs (-serial ..., up to 4) and the ISA bus they sit on
CONFIG_ISA_BUS=y
CONFIG_SERIAL_ISA=y
# virtio-serial (virtconsole) and the virtio-pci transport
CONFIG_VIRTIO_PCI=y
CONFIG_VIRTIO_SERIAL=y
# SCSI core (scsi-hd, scsi-generic) and the reference MFI model (megasas, megasas-gen2)
CONFIG_SCSI=y
CONFIG_MEGASAS_SCSI_PCI=y
# virtio-scsi-pci: the bench's anchor (on a null-co backend, see scripts/bench.sh)
CONFIG_VIRTIO_SCSI=y
# Our model (hw/scsi/lsi3108*.c, registered by build.sh)
CONFIG_LSI3108=y
