/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The megaraid management ioctl ABI, as user space sees it: the layout the
 * tools that drive megaraid_sas (smartctl -d megaraid,N, storcli-class
 * tools) put in their ioctl argument. Shared by the driver (src/ioctl.c) and
 * the test tool (tests/tools/mrioctl.c).
 *
 * Facts (layouts, numbers, limits) from upstream Linux
 * drivers/scsi/megaraid/megaraid_sas.h (struct megasas_iocpacket,
 * struct compat_megasas_iocpacket, struct megasas_aen, MAX_IOCTL_SGE,
 * MEGASAS_IOC_FIRMWARE, MEGASAS_IOC_GET_AEN); the names here are ours.
 *
 * A packet is a 20-byte head (which controller, where in the frame the
 * driver writes the SGL and the sense address, how many buffers, how much
 * sense), a 128-byte MFI frame the tool built, and up to 16 user buffers
 * as iovecs: 16 bytes each for a 64-bit process, 8 for a 32-bit one. The
 * command number encodes the packet size, so the two layouts have
 * different numbers.
 */
#ifndef LSI3108_IOCTL_H
#define LSI3108_IOCTL_H

#include <linux/ioctl.h>
#include <linux/types.h>
/* (User space defines __packed before including this: tests/tools/mrioctl.c.) */

/* The character device's name in /proc/devices (tools mknod from it). */
#define LSI_IOC_CHRDEV_NAME	"megaraid_sas_ioctl"
/* The node the tools create: /dev/megaraid_sas_ioctl_node. */
#define LSI_IOC_NODE_NAME	"megaraid_sas_ioctl_node"

#define LSI_IOC_MAX_SGE		16	/* upstream MAX_IOCTL_SGE */

/* MFI command classes only tools send (the others: lsi3108_hw.h) */
#define LSI_MFI_CMD_SMP		0x07	/* SAS management protocol */
#define LSI_MFI_CMD_STP		0x08	/* SATA tunneled protocol */
#define LSI_IOC_FRAME_SIZE	128	/* two 64-byte MFI frames */

struct lsi_ioc_head {
	__u16	host_no;	/* the SCSI host number of the controller */
	__u16	pad;
	__u32	sgl_off;	/* where in the frame the SGL goes */
	__u32	sge_count;	/* user buffers in sgl[] */
	__u32	sense_off;	/* where in the frame the sense address goes */
	__u32	sense_len;	/* 0: no sense wanted */
	__u8	frame[LSI_IOC_FRAME_SIZE];
} __packed;

/* struct iovec of a 64-bit process */
struct lsi_ioc_iov64 {
	__u64	base;
	__u64	len;
} __packed;

/* struct iovec of a 32-bit process (struct compat_iovec) */
struct lsi_ioc_iov32 {
	__u32	base;
	__u32	len;
} __packed;

struct lsi_iocpacket64 {
	struct lsi_ioc_head	head;
	struct lsi_ioc_iov64	sgl[LSI_IOC_MAX_SGE];
} __packed;

struct lsi_iocpacket32 {
	struct lsi_ioc_head	head;
	struct lsi_ioc_iov32	sgl[LSI_IOC_MAX_SGE];
} __packed;

/* Offset of the frame's cmd_status in either packet (the driver writes it back). */
#define LSI_IOC_CMD_STATUS_OFF	(sizeof(struct lsi_ioc_head) - LSI_IOC_FRAME_SIZE + 2)

/* Asynchronous event notification: SIGIO for events from seq_num on. */
struct lsi_ioc_aen {
	__u16	host_no;
	__u16	pad;
	__u32	seq_num;
	__u32	class_locale;	/* LSI_EVT_CLASS_LOCALE() of lsi3108_hw.h */
} __packed;

#define LSI_IOC_FIRMWARE64	_IOWR('M', 1, struct lsi_iocpacket64)
#define LSI_IOC_FIRMWARE32	_IOWR('M', 1, struct lsi_iocpacket32)
#define LSI_IOC_GET_AEN		_IOW('M', 3, struct lsi_ioc_aen)

#endif /* LSI3108_IOCTL_H */
