/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * lsi3108: differences between the kernels the driver builds against
 * (Debian 6.1 and 6.12). This is the only file that may test kernel versions
 * or the presence of kernel APIs.
 */
#ifndef LSI3108_COMPAT_H
#define LSI3108_COMPAT_H

#include <linux/pci.h>

/* PCI_IRQ_LEGACY became PCI_IRQ_INTX (6.8); the old name is gone in 6.12. */
#ifndef PCI_IRQ_INTX
#define PCI_IRQ_INTX		PCI_IRQ_LEGACY
#endif

#endif /* LSI3108_COMPAT_H */
