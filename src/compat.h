/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * lsi3108: differences between the kernels the driver builds against
 * (Debian 6.1 and 6.12). This is the only file that may test kernel versions
 * or the presence of kernel APIs.
 */
#ifndef LSI3108_COMPAT_H
#define LSI3108_COMPAT_H

#include <linux/module.h>
#include <linux/pci.h>
#include <linux/version.h>

/* PCI_IRQ_LEGACY became PCI_IRQ_INTX (6.8); the old name is gone in 6.12. */
#ifndef PCI_IRQ_INTX
#define PCI_IRQ_INTX		PCI_IRQ_LEGACY
#endif

/* Symbol namespaces are named by string literals from 6.13 on. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
#define LSI_IMPORT_KUNIT_NS()	MODULE_IMPORT_NS("EXPORTED_FOR_KUNIT_TESTING")
#else
#define LSI_IMPORT_KUNIT_NS()	MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING)
#endif

#endif /* LSI3108_COMPAT_H */
