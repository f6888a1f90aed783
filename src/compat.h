/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * lsi3108: differences between the kernels the driver builds against
 * (Debian 6.1 and 6.12). This is the only file that may test kernel versions
 * or the presence of kernel APIs.
 */
#ifndef LSI3108_COMPAT_H
#define LSI3108_COMPAT_H

#include <linux/pci.h>
#include <linux/version.h>
#include <scsi/scsi_host.h>

/* PCI_IRQ_LEGACY became PCI_IRQ_INTX (6.8); the old name is gone in 6.12. */
#ifndef PCI_IRQ_INTX
#define PCI_IRQ_INTX		PCI_IRQ_LEGACY
#endif

/*
 * .eh_timed_out returned a blk_eh_timer_return before 6.3, where
 * BLK_EH_DONE meant "not handled: abort it"; it returns a
 * scsi_timeout_action since. (An enum: only the version tells.)
 */
#if KERNEL_VERSION(6, 3, 0) <= LINUX_VERSION_CODE
#define lsi_timeout_ret		enum scsi_timeout_action
#define LSI_TIMEOUT_EXTEND	SCSI_EH_RESET_TIMER
#define LSI_TIMEOUT_ABORT	SCSI_EH_NOT_HANDLED
#else
#define lsi_timeout_ret		enum blk_eh_timer_return
#define LSI_TIMEOUT_EXTEND	BLK_EH_RESET_TIMER
#define LSI_TIMEOUT_ABORT	BLK_EH_DONE
#endif

#endif /* LSI3108_COMPAT_H */
