/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * LSI/Broadcom MegaRAID SAS3108 ("Invader") Fusion host interface.
 *
 * One definition of the wire format, shared by the Linux driver (src/) and
 * the QEMU model of the controller (qemu/). Everything here is a fact about
 * the hardware: register offsets, bit fields, frame and descriptor layouts,
 * opcodes and status codes. All multi-byte fields are little-endian.
 *
 * The interface in one paragraph: the host allocates a pool of 256-byte
 * request frames indexed by SMID (System Message ID, from 1), one reply
 * descriptor queue per MSI-X vector, and sense buffers, and hands their
 * addresses to the firmware with IOC INIT. To issue a command it fills the
 * frame for a free SMID and writes a 64-bit request descriptor naming that
 * SMID to the request queue port. The firmware writes the status into the
 * frame itself (RAID context), then posts an 8-byte reply descriptor with the
 * SMID on the reply queue the descriptor asked for and raises that vector.
 * Management commands are older MFI frames, carried inside an MPI
 * pass-through frame.
 *
 * Sources of the facts: drivers/scsi/megaraid (Linux), mfii (OpenBSD),
 * mrsas (FreeBSD), lmrc (illumos); collected with citations in
 * docs/3108-interface.md of the project's shared notes.
 */
#ifndef LSI3108_HW_H
#define LSI3108_HW_H

#include <linux/types.h>
#ifdef __KERNEL__
#include <linux/bits.h>
#include <linux/build_bug.h>
#else
#include <assert.h>
#endif
#ifndef BIT
#define BIT(nr)		(1UL << (nr))
#endif

#define LSI_SIZE_CHECK(type, size) \
	static_assert(sizeof(type) == (size), #type " must be " #size " bytes")
#define LSI_OFFSET_CHECK(type, field, off) \
	static_assert(__builtin_offsetof(type, field) == (off), \
		      #type "." #field " must be at " #off)

/* ------------------------------------------------------------------ */
/* PCI identity                                                        */
/* ------------------------------------------------------------------ */

#define LSI_PCI_VENDOR_ID		0x1000
#define LSI_PCI_DEVICE_ID_3108		0x005d
#define LSI_PCI_SUBSYS_ID_9361_8I	0x9361
#define LSI_PCI_CLASS_RAID		0x0104

/* The registers live in the first memory BAR: BAR1 (BAR0 is I/O space). */
#define LSI_REG_BAR			1
#define LSI_REG_BAR_SIZE		0x10000
#define LSI_MSIX_TABLE_OFFSET		0xe000
#define LSI_MSIX_PBA_OFFSET		0xf000
#define LSI_MAX_MSIX_VECTORS		96

/* ------------------------------------------------------------------ */
/* Registers (byte offsets into the register BAR)                      */
/* ------------------------------------------------------------------ */

#define LSI_REG_DOORBELL		0x000	/* W: LSI_DB_*; R: bit 0 = busy */
#define LSI_REG_WRITE_SEQ		0x004	/* MPI2 WriteSequence */
#define LSI_REG_HOST_DIAG		0x008	/* MPI2 HostDiagnostic */
#define LSI_REG_OUTBOUND_INTR_STATUS	0x030
#define LSI_REG_OUTBOUND_INTR_MASK	0x034
#define LSI_REG_REPLY_POST_HOST_INDEX	0x06c
#define LSI_REG_SCRATCH_PAD0		0x0b0	/* firmware status */
#define LSI_REG_SCRATCH_PAD1		0x0b4	/* capabilities */
#define LSI_REG_SCRATCH_PAD2		0x0b8	/* dual queue depth */
#define LSI_REG_SCRATCH_PAD3		0x0bc
#define LSI_REG_REQ_DESC_LOW		0x0c0
#define LSI_REG_REQ_DESC_HIGH		0x0c4
/*
 * MFI inbound queue port. Before IOC INIT (state READY) the firmware also
 * takes polled MFI frames here: value = frame address | (extra 64-byte
 * frames << 1) | 1. SeaBIOS's megasas driver uses it on the 3108 (through
 * the I/O BAR) to list and boot from LDs.
 */
#define LSI_REG_MFI_QUEUE_PORT		0x040
#define LSI_MFI_QUEUE_PORT_VALID	0x00000001
#define LSI_MFI_QUEUE_PORT_COUNT_MASK	0x0000001e
#define LSI_MFI_QUEUE_PORT_ADDR_MASK	(~0x1fULL)
/* Combined reply queue mode (> 8 vectors): register n serves 8n..8n+7. */
#define LSI_REG_SUP_REPLY_POST_HOST_INDEX(n)	(0x30c + 0x10 * (n))
#define LSI_SUP_REPLY_POST_REGS		16

#define LSI_DOORBELL_BUSY		0x00000001

/* Host index registers: vector in bits 31:24, index in the low bits. */
#define LSI_REPLY_HOST_INDEX_MSIX_SHIFT	24
#define LSI_REPLY_HOST_INDEX_MASK	0x00ffffff

/* Interrupt status / mask bits */
#define LSI_INTR_DOORBELL		0x00000001	/* firmware state change */
#define LSI_INTR_REPLY			0x00000008	/* reply descriptor posted */
#define LSI_INTR_ALL			(LSI_INTR_DOORBELL | LSI_INTR_REPLY)

/* Host diagnostic register and the write sequence that unlocks it */
#define LSI_HOST_DIAG_RESET_ADAPTER	0x00000004
#define LSI_HOST_DIAG_WRITE_ENABLE	0x00000080
#define LSI_WRITE_SEQ_FLUSH		0x0
#define LSI_WRITE_SEQ_KEYS		{ 0xf, 0x4, 0xb, 0x2, 0x7, 0xd }
#define LSI_WRITE_SEQ_NKEYS		6

/* Doorbell commands (written to LSI_REG_DOORBELL) */
#define LSI_DB_ABORT			0x01
#define LSI_DB_READY			0x02
#define LSI_DB_MFIMODE			0x04
#define LSI_DB_CLEAR_HANDSHAKE		0x08
#define LSI_DB_HOTPLUG			0x10
#define LSI_DB_STOP_ADAPTER		0x20
#define LSI_DB_RESET_FLAGS		(LSI_DB_READY | LSI_DB_MFIMODE | LSI_DB_ABORT)
#define LSI_DB_FORCE_FAULT		0x80

/* Scratch pad 0: firmware status */
#define LSI_FW_STATE_MASK		0xf0000000
#define LSI_FW_STATE_SHIFT		28
#define LSI_FW_STATE_UNDEFINED		0x0
#define LSI_FW_STATE_BB_INIT		0x1
#define LSI_FW_STATE_FW_INIT		0x4
#define LSI_FW_STATE_WAIT_HANDSHAKE	0x6
#define LSI_FW_STATE_FW_INIT_2		0x7
#define LSI_FW_STATE_DEVICE_SCAN	0x8
#define LSI_FW_STATE_BOOT_MSG_PENDING	0x9
#define LSI_FW_STATE_FLUSH_CACHE	0xa
#define LSI_FW_STATE_READY		0xb
#define LSI_FW_STATE_OPERATIONAL	0xc
#define LSI_FW_STATE_FAULT		0xf
#define LSI_FW_MSIX_CAPABLE		0x04000000
#define LSI_FW_MAX_CMDS_MASK		0x0000ffff
#define LSI_FW_FAULT_CODE_MASK		0x0fff0000
#define LSI_FW_FAULT_CODE_SHIFT		16
#define LSI_FW_FAULT_SUBCODE_MASK	0x0000ff00
#define LSI_FW_FAULT_SUBCODE_SHIFT	8
#define LSI_FW_RESET_REQUIRED		0x00000001
#define LSI_FW_RESET_ADAPTER		0x00000002	/* in FAULT: chip reset allowed */

/* Scratch pad 1: capabilities */
#define LSI_CAP_CHAIN_SIZE_MASK		0x000003e0
#define LSI_CAP_CHAIN_SIZE_SHIFT	5
#define LSI_CAP_REPLY_QUEUES_MASK	0x003fc000	/* max reply queues - 1 */
#define LSI_CAP_REPLY_QUEUES_SHIFT	14
#define LSI_CAP_CHAIN_UNITS_1MB		0x00400000	/* chain units 512 B, else 128 B */
#define LSI_CAP_RDPQ			0x00800000
#define LSI_CAP_SYNC_CACHE		0x01000000	/* firmware handles SYNCHRONIZE CACHE */
#define LSI_CAP_64BIT_DMA		0x02000000
#define LSI_CAP_INTR_COALESCING		0x04000000
#define LSI_CHAIN_UNIT_SMALL		128
#define LSI_CHAIN_UNIT_LARGE		512
#define LSI_MIN_CHAIN_FRAME_SIZE	1024

/* Scratch pad 2 (pre-Ventura): second ("dual") queue depth */
#define LSI_PAD2_QUEUE_DEPTH_MASK	0x0000ffff

/* ------------------------------------------------------------------ */
/* Request and reply descriptors                                       */
/* ------------------------------------------------------------------ */

/* RequestFlags byte values (the MPI type, already shifted left by one) */
#define LSI_REQ_DESC_SCSI_IO		0x00	/* non-RW, MFI pass-through */
#define LSI_REQ_DESC_MFA		0x02	/* IOC INIT only */
#define LSI_REQ_DESC_NO_LOCK		0x04	/* LD read/write, firmware path */
#define LSI_REQ_DESC_HIGH_PRIORITY	0x06	/* task management */
#define LSI_REQ_DESC_FP_IO		0x0c	/* fast path */
#define LSI_REQ_DESC_LD_IO		0x0e	/* LD read/write with region lock */
#define LSI_REQ_DESC_TYPE_MASK		0x1e

struct lsi_req_desc {
	__u8	flags;
	__u8	msix_index;
	__le16	smid;
	__le16	lmid;
	__le16	dev_handle;
};

LSI_SIZE_CHECK(struct lsi_req_desc, 8);

/* Reply descriptor; a slot of all-ones is empty. */
#define LSI_RPY_TYPE_MASK		0x0f
#define LSI_RPY_TYPE_SCSI_IO_SUCCESS	0x00
#define LSI_RPY_TYPE_UNUSED		0x0f
#define LSI_RPY_EMPTY			(~0ULL)

struct lsi_reply_desc {
	__u8	flags;
	__u8	msix_index;
	__le16	smid;
	__le16	task_tag;
	__le16	reserved;
};

LSI_SIZE_CHECK(struct lsi_reply_desc, 8);

/* ------------------------------------------------------------------ */
/* The 256-byte request frame (MPI2 RAID SCSI IO request)              */
/* ------------------------------------------------------------------ */

#define LSI_FRAME_SIZE			256
#define LSI_FRAME_SGE_SLOTS		8
#define LSI_SGE_SIZE			16
#define LSI_CHAIN_OFFSET_IO		15	/* slot 8 holds the chain element */
#define LSI_CHAIN_OFFSET_MFI		8	/* slot 1: the MFI frame address */
#define LSI_SGL_OFFSET0			32	/* SGL at 0x80, in dwords */
#define LSI_SENSE_BUFFER_SIZE		96

/* Function byte */
#define LSI_FUNC_SCSI_IO		0x00	/* fast path */
#define LSI_FUNC_SCSI_TASK_MGMT		0x01
#define LSI_FUNC_IOC_INIT		0x02
#define LSI_FUNC_MFI_PASSTHRU		0xf0
#define LSI_FUNC_LD_IO			0xf1	/* firmware path: LDs and syspd */

/* DevHandle of a firmware-path frame that names no device handle (syspd) */
#define LSI_DEV_HANDLE_NONE		0xffff

#define LSI_SGL_FLAGS_64BIT		0x0002
#define LSI_IO_FLAGS_CDB_LEN_MASK	0x01ff
#define LSI_IO_FLAGS_FAST_PATH		0x4000

/* Control: data direction */
#define LSI_CONTROL_WRITE		0x01000000
#define LSI_CONTROL_READ		0x02000000

/* IEEE 64-bit SGE */
#define LSI_SGE_FLAGS_CHAIN		0x80
#define LSI_SGE_FLAGS_END_OF_LIST	0x40
#define LSI_SGE_FLAGS_ADDR_MASK		0x03
#define LSI_SGE_FLAGS_IOCPLBNTA		0x03

struct lsi_sge {
	__le64	addr;
	__le32	length;
	__le16	reserved;
	__u8	next_chain_offset;
	__u8	flags;
};

LSI_SIZE_CHECK(struct lsi_sge, 16);

/* RAID context (Invader layout), frame offset 0x60 */
#define LSI_RAID_CTX_TYPE_CUDA		0x2
#define LSI_RAID_CTX_TYPE_NSEG_RW	0x12	/* type CUDA, nseg 1 */
#define LSI_REG_LOCK_SEQ_NUM_ENABLE	0x08
#define LSI_RAID_FLAGS_IO_SUBTYPE_MASK	0x30
#define LSI_RAID_FLAGS_SYSPD		0x10	/* sub-type 1: system PD */

struct lsi_raid_context {
	__u8	type_nseg;
	__u8	resvd0;
	__le16	timeout;		/* seconds */
	__u8	reg_lock_flags;
	__u8	resvd1;
	__le16	ld_target_id;
	__le64	reg_lock_row_lba;
	__le32	reg_lock_length;
	__le16	next_lmid;
	__u8	ex_status;		/* by firmware: SCSI status */
	__u8	status;			/* by firmware: MFI status */
	__u8	raid_flags;
	__u8	num_sge;
	__le16	config_seq_num;
	__u8	span_arm;
	__u8	priority;
	__u8	num_sge_ext;
	__u8	resvd2;
};

LSI_SIZE_CHECK(struct lsi_raid_context, 32);

struct lsi_io_frame {
	__le16	dev_handle;
	__u8	chain_offset;
	__u8	function;
	__le16	reserved1;
	__u8	reserved2;
	__u8	msg_flags;
	__u8	vp_id;
	__u8	vf_id;
	__le16	reserved3;
	__le32	sense_addr_low;
	__le16	sgl_flags;
	__u8	sense_length;
	__u8	reserved4;
	__u8	sgl_offset[4];
	__le32	skip_count;
	__le32	data_length;		/* by firmware: bytes moved, on 0x2d */
	__le32	bidi_data_length;
	__le16	io_flags;
	__le16	eedp_flags;
	__le32	eedp_block_size;
	__le32	secondary_ref_tag;
	__le16	secondary_app_tag;
	__le16	app_tag_mask;
	__u8	lun[8];
	__le32	control;
	__u8	cdb[32];
	struct lsi_raid_context raid_context;
	struct lsi_sge sgl[LSI_FRAME_SGE_SLOTS];
};

LSI_SIZE_CHECK(struct lsi_io_frame, LSI_FRAME_SIZE);
LSI_OFFSET_CHECK(struct lsi_io_frame, sense_addr_low, 0x0c);
LSI_OFFSET_CHECK(struct lsi_io_frame, data_length, 0x1c);
LSI_OFFSET_CHECK(struct lsi_io_frame, io_flags, 0x24);
LSI_OFFSET_CHECK(struct lsi_io_frame, lun, 0x34);
LSI_OFFSET_CHECK(struct lsi_io_frame, control, 0x3c);
LSI_OFFSET_CHECK(struct lsi_io_frame, cdb, 0x40);
LSI_OFFSET_CHECK(struct lsi_io_frame, raid_context, 0x60);
LSI_OFFSET_CHECK(struct lsi_io_frame, raid_context.ex_status, 0x76);
LSI_OFFSET_CHECK(struct lsi_io_frame, raid_context.status, 0x77);
LSI_OFFSET_CHECK(struct lsi_io_frame, sgl, 0x80);

/* Task management request: the MPI2 request in the first 128 bytes */
#define LSI_TM_ABORT_TASK		0x01
#define LSI_TM_TARGET_RESET		0x03
#define LSI_TM_LUN_RESET		0x05
#define LSI_TM_FLAG_LD			0x00000001
#define LSI_TM_FLAG_PD			0x00000002

/* TM reply ResponseCode (MPI2 SCSITASKMGMT_RSP_*) */
#define LSI_TM_RSP_COMPLETE		0x00
#define LSI_TM_RSP_INVALID_FRAME	0x02
#define LSI_TM_RSP_NOT_SUPPORTED	0x04
#define LSI_TM_RSP_FAILED		0x05
#define LSI_TM_RSP_SUCCEEDED		0x08
#define LSI_TM_RSP_INVALID_LUN		0x09

/*
 * The TM reply the firmware writes at frame offset 0x80. It overlays the
 * request's flag word (a union in the firmware interface). MegaRAID's layout
 * has ResponseCode at byte 4, not where MPI2 proper puts it.
 */
struct lsi_tm_reply {
	__le16	dev_handle;
	__u8	msg_length;
	__u8	function;
	__u8	response_code;
	__u8	task_type;
	__u8	reserved1;
	__u8	msg_flags;
	__u8	vp_id;
	__u8	vf_id;
	__le16	reserved2;
	__le16	reserved3;
	__le16	ioc_status;
	__le32	ioc_log_info;
	__le32	termination_count;
	__le32	response_info;
};

LSI_SIZE_CHECK(struct lsi_tm_reply, 0x1c);
LSI_OFFSET_CHECK(struct lsi_tm_reply, response_code, 0x04);
LSI_OFFSET_CHECK(struct lsi_tm_reply, ioc_status, 0x0e);

struct lsi_tm_request {
	__le16	dev_handle;
	__u8	chain_offset;
	__u8	function;
	__u8	reserved1;
	__u8	task_type;
	__u8	reserved2;
	__u8	msg_flags;
	__u8	vp_id;
	__u8	vf_id;
	__le16	reserved3;
	__u8	lun[8];
	__le32	reserved4[7];
	__le16	task_mid;
	__le16	reserved5;
	__u8	reserved6[76];
	union {				/* frame offset 0x80 */
		__le32	tm_flags;	/* by the host: LSI_TM_FLAG_* */
		struct lsi_tm_reply reply;	/* by firmware, on completion */
		__u8	reply_area[128];
	};
};

LSI_SIZE_CHECK(struct lsi_tm_request, LSI_FRAME_SIZE);
LSI_OFFSET_CHECK(struct lsi_tm_request, lun, 0x0c);
LSI_OFFSET_CHECK(struct lsi_tm_request, task_mid, 0x30);
LSI_OFFSET_CHECK(struct lsi_tm_request, tm_flags, 0x80);
LSI_OFFSET_CHECK(struct lsi_tm_request, reply, 0x80);

/* ------------------------------------------------------------------ */
/* IOC INIT                                                            */
/* ------------------------------------------------------------------ */

#define LSI_WHOINIT_HOST_DRIVER		0x04
#define LSI_MPI2_VERSION		0x0200
#define LSI_MPI2_HEADER_VERSION		0x1000
#define LSI_IOCINIT_MSGFLAG_RDPQ	0x01
#define LSI_IOC_INIT_FRAME_SIZE		4096
#define LSI_HOST_PAGE_SHIFT		12

struct lsi_ioc_init_request {
	__u8	who_init;
	__u8	reserved1;
	__u8	chain_offset;
	__u8	function;		/* LSI_FUNC_IOC_INIT */
	__le16	reserved2;
	__u8	reserved3;
	__u8	msg_flags;
	__u8	vp_id;
	__u8	vf_id;
	__le16	reserved4;
	__le16	msg_version;
	__le16	header_version;
	__le32	reserved5;
	__le16	reserved6;
	__u8	host_page_size;
	__u8	host_msix_vectors;	/* number of reply queues */
	__le16	reserved8;
	__le16	system_request_frame_size;	/* in dwords: 64 */
	__le16	reply_descriptor_post_queue_depth;
	__le16	reply_free_queue_depth;
	__le32	sense_buffer_address_high;
	__le32	system_reply_address_high;
	__le64	system_request_frame_base_address;
	__le64	reply_descriptor_post_queue_address;
	__le64	reply_free_queue_address;
	__le64	time_stamp;		/* ms since the epoch */
};

LSI_SIZE_CHECK(struct lsi_ioc_init_request, 72);
LSI_OFFSET_CHECK(struct lsi_ioc_init_request, host_msix_vectors, 0x17);
LSI_OFFSET_CHECK(struct lsi_ioc_init_request, reply_descriptor_post_queue_depth, 0x1c);
LSI_OFFSET_CHECK(struct lsi_ioc_init_request, system_request_frame_base_address, 0x28);
LSI_OFFSET_CHECK(struct lsi_ioc_init_request, time_stamp, 0x40);

/* RDPQ array entry (RDPQ mode) */
struct lsi_rdpq_entry {
	__le64	base;
	__le32	reserved1;
	__le32	reserved2;
};

LSI_SIZE_CHECK(struct lsi_rdpq_entry, 16);
#define LSI_RDPQ_MAX_ENTRIES		128

/* Driver capability bits in the MFI INIT frame (driver_operations) */
#define LSI_DRVCAP_FP_REMOTE_LUN	BIT(0)
#define LSI_DRVCAP_ADDITIONAL_MSIX	BIT(1)	/* > 8 vectors */
#define LSI_DRVCAP_MAX_255_LDS		BIT(3)
#define LSI_DRVCAP_NDRIVE_R1_LB		BIT(4)
#define LSI_DRVCAP_SECURITY_PROTOCOL	BIT(6)
#define LSI_DRVCAP_EXT_QUEUE_DEPTH	BIT(7)
#define LSI_DRVCAP_EXT_IO_SIZE		BIT(8)	/* chain frames > 1 KiB */
#define LSI_DRVCAP_64BIT_MODE		BIT(13)

/* ------------------------------------------------------------------ */
/* MFI frames (management commands)                                    */
/* ------------------------------------------------------------------ */

#define LSI_MFI_FRAME_SIZE		256

/* MFI command byte */
#define LSI_MFI_CMD_INIT		0x00
#define LSI_MFI_CMD_LD_READ		0x01
#define LSI_MFI_CMD_LD_WRITE		0x02
#define LSI_MFI_CMD_LD_SCSI_IO		0x03
#define LSI_MFI_CMD_PD_SCSI_IO		0x04
#define LSI_MFI_CMD_DCMD		0x05
#define LSI_MFI_CMD_ABORT		0x06

/* MFI header flags */
#define LSI_MFI_FLAG_DONT_POST		0x0001
#define LSI_MFI_FLAG_SGL64		0x0002
#define LSI_MFI_FLAG_SENSE64		0x0004
#define LSI_MFI_FLAG_DIR_WRITE		0x0008
#define LSI_MFI_FLAG_DIR_READ		0x0010
#define LSI_MFI_FLAG_DIR_MASK		0x0018
#define LSI_MFI_FLAG_IEEE_SGL		0x0020

struct lsi_mfi_header {
	__u8	cmd;
	__u8	sense_len;
	__u8	cmd_status;		/* host writes 0xff, firmware the result */
	__u8	scsi_status;
	__u8	target_id;
	__u8	lun;
	__u8	cdb_len;
	__u8	sge_count;
	__le32	context;
	__le32	pad0;
	__le16	flags;
	__le16	timeout;
	__le32	data_xfer_len;
};

LSI_SIZE_CHECK(struct lsi_mfi_header, 0x18);

struct lsi_mfi_init_frame {
	__u8	cmd;
	__u8	reserved0;
	__u8	cmd_status;
	__u8	reserved1;
	__le32	driver_operations;	/* LSI_DRVCAP_* */
	__le32	context;
	__le32	pad0;
	__le16	flags;
	__le16	replyqueue_mask;
	__le32	data_xfer_len;
	__le32	queue_info_new_lo;	/* address of struct lsi_ioc_init_request */
	__le32	queue_info_new_hi;
	__le32	queue_info_old_lo;
	__le32	queue_info_old_hi;
	__le32	reserved4[2];
	__le32	system_info_lo;
	__le32	system_info_hi;
	__le32	reserved5[2];
};

LSI_SIZE_CHECK(struct lsi_mfi_init_frame, 64);

/* MFI scatter-gather forms; addresses split so no packing is needed */
struct lsi_mfi_sge32 {
	__le32	addr;
	__le32	length;
};

struct lsi_mfi_sge64 {
	__le32	addr_lo;
	__le32	addr_hi;
	__le32	length;
};

LSI_SIZE_CHECK(struct lsi_mfi_sge64, 12);

struct lsi_mfi_sge_ieee {
	__le32	addr_lo;
	__le32	addr_hi;
	__le32	length;
	__le32	flags;
};

#define LSI_DCMD_MBOX_SIZE		12

struct lsi_mfi_dcmd_frame {
	struct lsi_mfi_header hdr;
	__le32	opcode;
	__u8	mbox[LSI_DCMD_MBOX_SIZE];
	union {
		struct lsi_mfi_sge32 sge32[3];
		struct lsi_mfi_sge64 sge64[2];
		struct lsi_mfi_sge_ieee sge_ieee[1];
	} sgl;
};

LSI_SIZE_CHECK(struct lsi_mfi_dcmd_frame, 64);
LSI_OFFSET_CHECK(struct lsi_mfi_dcmd_frame, opcode, 0x18);
LSI_OFFSET_CHECK(struct lsi_mfi_dcmd_frame, sgl, 0x28);

/* SCSI pass-through (cmd LD_SCSI_IO / PD_SCSI_IO); MFI mode only */
struct lsi_mfi_pthru_frame {
	struct lsi_mfi_header hdr;
	__le32	sense_addr_lo;
	__le32	sense_addr_hi;
	__u8	cdb[16];
	union {
		struct lsi_mfi_sge32 sge32[2];
		struct lsi_mfi_sge64 sge64[1];
	} sgl;
};

LSI_OFFSET_CHECK(struct lsi_mfi_pthru_frame, cdb, 0x20);
LSI_OFFSET_CHECK(struct lsi_mfi_pthru_frame, sgl, 0x30);

struct lsi_mfi_abort_frame {
	struct lsi_mfi_header hdr;
	__le32	abort_context;
	__le32	pad1;
	__le32	abort_mfi_addr_lo;
	__le32	abort_mfi_addr_hi;
	__le32	reserved[6];
};

LSI_SIZE_CHECK(struct lsi_mfi_abort_frame, 64);

/* MFI status codes (MFI cmd_status, and RAID context status) */
#define LSI_MFI_STAT_OK			0x00
#define LSI_MFI_STAT_INVALID_CMD	0x01
#define LSI_MFI_STAT_INVALID_DCMD	0x02
#define LSI_MFI_STAT_INVALID_PARAMETER	0x03
#define LSI_MFI_STAT_ABORT_NOT_POSSIBLE	0x05
#define LSI_MFI_STAT_DEVICE_NOT_FOUND	0x0c
#define LSI_MFI_STAT_FLUSH_FAILED	0x15
#define LSI_MFI_STAT_LD_INIT_IN_PROGRESS 0x18
#define LSI_MFI_STAT_LD_LBA_OUT_OF_RANGE 0x19
#define LSI_MFI_STAT_MEMORY_NOT_AVAILABLE 0x20
#define LSI_MFI_STAT_NOT_FOUND		0x23
#define LSI_MFI_STAT_SCSI_DONE_WITH_ERROR 0x2d
#define LSI_MFI_STAT_SCSI_IO_FAILED	0x2e
#define LSI_MFI_STAT_SHUTDOWN_FAILED	0x30
#define LSI_MFI_STAT_WRONG_STATE	0x32
#define LSI_MFI_STAT_LD_OFFLINE		0x33
#define LSI_MFI_STAT_CONFIG_SEQ_MISMATCH 0x67
#define LSI_MFI_STAT_INVALID_STATUS	0xff

/*
 * RAID context ex_status that firmware pairs with SCSI_IO_FAILED or
 * LD_INIT_IN_PROGRESS to mean CHECK CONDITION (Linux map_cmd_status).
 */
#define LSI_EX_STATUS_CHECK_CONDITION	0xf0

/* DCMD opcodes */
#define LSI_DCMD_CTRL_GET_INFO		0x01010000
#define LSI_DCMD_CTRL_EVENT_GET_INFO	0x01040100
#define LSI_DCMD_CTRL_EVENT_GET		0x01040300
#define LSI_DCMD_CTRL_EVENT_WAIT	0x01040500
#define LSI_DCMD_CTRL_SHUTDOWN		0x01050000
#define LSI_DCMD_HIBERNATE_SHUTDOWN	0x01060000
#define LSI_DCMD_CTRL_CACHE_FLUSH	0x01101000
#define LSI_DCMD_CTRL_DEVICE_LIST_GET	0x01190600
#define LSI_DCMD_PD_LIST_QUERY		0x02010100
#define LSI_DCMD_PD_GET_INFO		0x02020000
#define LSI_DCMD_SYSTEM_PD_MAP_GET_INFO	0x0200e102
#define LSI_DCMD_LD_GET_LIST		0x03010000
#define LSI_DCMD_LD_LIST_QUERY		0x03010100
#define LSI_DCMD_LD_GET_INFO		0x03020000
#define LSI_DCMD_LD_GET_PROPERTIES	0x03030000
#define LSI_DCMD_LD_SET_PROPERTIES	0x03040000
#define LSI_DCMD_LD_MAP_GET_INFO	0x0300e101

/* CACHE_FLUSH mailbox byte 0 */
#define LSI_FLUSH_CTRL_CACHE		0x01
#define LSI_FLUSH_DISK_CACHE		0x02
/* LD_LIST_QUERY mailbox byte 0 */
#define LSI_LD_QUERY_EXPOSED_TO_HOST	0x01
/* PD_LIST_QUERY mailbox byte 0 */
#define LSI_PD_QUERY_EXPOSED_TO_HOST	0x05
/* LD_MAP_GET_INFO mailbox byte 1: hold until the configuration changes */
#define LSI_DCMD_MBOX_PEND		0x01

/* ------------------------------------------------------------------ */
/* DCMD payloads                                                       */
/* ------------------------------------------------------------------ */

#define LSI_MAX_LDS			256
#define LSI_MAX_LDS_LEGACY		64
#define LSI_MAX_PDS			256

struct lsi_image_component {
	char	name[8];
	char	version[32];
	char	build_date[16];
	char	build_time[16];
};

LSI_SIZE_CHECK(struct lsi_image_component, 72);

/* ctrl_info host_interface bits */
#define LSI_HOST_IF_PCIE		0x02
#define LSI_HOST_IF_SRIOV		0x10
/* ctrl_info properties.on_off_properties */
#define LSI_CTRL_PROP_DISABLE_OCR	BIT(10)
#define LSI_CTRL_PROP_ENABLE_JBOD	BIT(13)
/* ctrl_info adapter_operations3 */
#define LSI_ADAPTER_OPS3_MAX_EXT_LDS	BIT(5)

/* MR_DCMD_CTRL_GET_INFO payload: only the fields drivers read are named. */
struct lsi_ctrl_info {
	__le16	pci_vendor_id;			/* 0x000 */
	__le16	pci_device_id;
	__le16	pci_sub_vendor_id;
	__le16	pci_sub_device_id;
	__u8	reserved0[24];
	__u8	host_interface;			/* 0x020 */
	__u8	reserved1[7];
	__u8	device_interface;		/* 0x028 */
	__u8	reserved2[135];
	__le32	image_check_word;		/* 0x0b0 */
	__le32	image_component_count;		/* 0x0b4 */
	struct lsi_image_component image_component[8];	/* 0x0b8 */
	__le32	pending_image_component_count;	/* 0x2f8 */
	__u8	reserved3[576];
	__u8	max_arms;			/* 0x53c */
	__u8	max_spans;
	__u8	max_arrays;
	__u8	max_lds;			/* 0x53f */
	char	product_name[80];		/* 0x540 */
	char	serial_no[32];			/* 0x590 */
	__u8	hw_present;			/* 0x5b0 */
	__u8	reserved4[7];
	__le16	max_concurrent_cmds;		/* 0x5b8 */
	__le16	max_sge_count;			/* 0x5ba */
	__le32	max_request_size;		/* 0x5bc: sectors */
	__le16	ld_present_count;		/* 0x5c0 */
	__le16	ld_degraded_count;
	__le16	ld_offline_count;
	__le16	pd_present_count;
	__le16	pd_disk_present_count;
	__le16	pd_disk_pred_failure_count;
	__le16	pd_disk_failed_count;
	__le16	nvram_size;
	__le16	memory_size;			/* 0x5d0: MiB of cache */
	__le16	flash_size;
	__le16	mem_correctable_error_count;
	__le16	mem_uncorrectable_error_count;
	__u8	cluster_permitted;		/* 0x5d8 */
	__u8	cluster_active;
	__le16	max_strips_per_io;		/* 0x5da */
	__le32	raid_levels;			/* 0x5dc */
	__le32	adapter_operations;		/* 0x5e0 */
	__le32	ld_operations;			/* 0x5e4 */
	__u8	stripe_size_min;		/* 0x5e8: log2 of sectors */
	__u8	stripe_size_max;
	__u8	reserved5[54];		/* properties start at 0x600 */
	__le32	on_off_properties;		/* 0x620 */
	__le16	on_off_properties2;		/* 0x624 */
	__u8	reserved8[26];
	char	package_version[96];		/* 0x640 */
	__u8	reserved9[260];
	__le32	adapter_operations2;		/* 0x7a4 */
	__u8	reserved10[64];
	__le32	adapter_operations3;		/* 0x7e8 */
	__u8	reserved11[16];
	__le16	adapter_operations4;		/* 0x7fc */
	__u8	reserved12[74];
	__le32	adapter_operations5;		/* 0x848 */
	__u8	reserved13[255];
	__u8	task_abort_timeout;		/* 0x94b: seconds */
	__u8	max_reset_timeout;		/* 0x94c: seconds */
	__u8	reserved14[3];
};

LSI_SIZE_CHECK(struct lsi_ctrl_info, 0x950);
LSI_OFFSET_CHECK(struct lsi_ctrl_info, host_interface, 0x020);
LSI_OFFSET_CHECK(struct lsi_ctrl_info, image_component, 0x0b8);
LSI_OFFSET_CHECK(struct lsi_ctrl_info, pending_image_component_count, 0x2f8);
LSI_OFFSET_CHECK(struct lsi_ctrl_info, max_lds, 0x53f);
LSI_OFFSET_CHECK(struct lsi_ctrl_info, product_name, 0x540);
LSI_OFFSET_CHECK(struct lsi_ctrl_info, serial_no, 0x590);
LSI_OFFSET_CHECK(struct lsi_ctrl_info, max_concurrent_cmds, 0x5b8);
LSI_OFFSET_CHECK(struct lsi_ctrl_info, max_request_size, 0x5bc);
LSI_OFFSET_CHECK(struct lsi_ctrl_info, memory_size, 0x5d0);
LSI_OFFSET_CHECK(struct lsi_ctrl_info, max_strips_per_io, 0x5da);
LSI_OFFSET_CHECK(struct lsi_ctrl_info, stripe_size_min, 0x5e8);
LSI_OFFSET_CHECK(struct lsi_ctrl_info, on_off_properties, 0x620);
LSI_OFFSET_CHECK(struct lsi_ctrl_info, on_off_properties2, 0x624);
LSI_OFFSET_CHECK(struct lsi_ctrl_info, package_version, 0x640);
LSI_OFFSET_CHECK(struct lsi_ctrl_info, adapter_operations2, 0x7a4);
LSI_OFFSET_CHECK(struct lsi_ctrl_info, adapter_operations3, 0x7e8);
LSI_OFFSET_CHECK(struct lsi_ctrl_info, adapter_operations4, 0x7fc);
LSI_OFFSET_CHECK(struct lsi_ctrl_info, adapter_operations5, 0x848);
LSI_OFFSET_CHECK(struct lsi_ctrl_info, task_abort_timeout, 0x94b);

/* MR_DCMD_LD_GET_LIST payload */
#define LSI_LD_STATE_OFFLINE		0
#define LSI_LD_STATE_OPTIMAL		3

struct lsi_ld_list_entry {
	__u8	target_id;
	__u8	reserved0;
	__le16	seq_num;
	__u8	state;
	__u8	reserved1[3];
	__le64	size;			/* sectors */
};

LSI_SIZE_CHECK(struct lsi_ld_list_entry, 16);

struct lsi_ld_list {
	__le32	ld_count;
	__le32	reserved;
	struct lsi_ld_list_entry ld[LSI_MAX_LDS];
};

LSI_SIZE_CHECK(struct lsi_ld_list, 4104);

/* MR_DCMD_LD_LIST_QUERY payload */
struct lsi_ld_targetid_list {
	__le32	size;
	__le32	count;
	__u8	pad[3];
	__u8	target_id[LSI_MAX_LDS];
};

LSI_OFFSET_CHECK(struct lsi_ld_targetid_list, target_id, 0x0b);
#define LSI_LD_TARGETID_LIST_SIZE	267	/* bytes the firmware fills */

/* MR_DCMD_PD_LIST_QUERY payload */
struct lsi_pd_address {
	__le16	device_id;
	__le16	encl_device_id;
	__u8	encl_index;
	__u8	slot_number;
	__u8	scsi_dev_type;
	__u8	connected_port_bitmap;
	__le64	sas_addr[2];
};

LSI_SIZE_CHECK(struct lsi_pd_address, 24);

struct lsi_pd_list {
	__le32	size;
	__le32	count;
	struct lsi_pd_address addr[];
};

/* MR_DCMD_LD_MAP_GET_INFO, pended ("map sync"): the host's view, per LD */
struct lsi_ld_target_sync {
	__u8	target_id;
	__u8	reserved;
	__le16	seq_num;
};

LSI_SIZE_CHECK(struct lsi_ld_target_sync, 4);

/* MR_DCMD_LD_GET_PROPERTIES payload; cache policy bits */
#define LSI_LD_CACHE_WRITE_BACK		0x01
#define LSI_LD_CACHE_READ_AHEAD		0x04

struct lsi_ld_properties {
	__u8	target_id;
	__u8	reserved0;
	__le16	seq_num;
	char	name[16];
	__u8	default_cache_policy;
	__u8	access_policy;
	__u8	disk_cache_policy;
	__u8	current_cache_policy;
	__u8	no_bgi;
	__u8	reserved1[7];
};

LSI_SIZE_CHECK(struct lsi_ld_properties, 32);

/* MR_DCMD_LD_GET_INFO payload (mbox b[0] = target id) */
struct lsi_ld_params {
	__u8	primary_raid_level;
	__u8	raid_level_qualifier;
	__u8	secondary_raid_level;
	__u8	stripe_size;		/* log2 of sectors */
	__u8	num_drives;
	__u8	span_depth;
	__u8	state;			/* LSI_LD_STATE_* */
	__u8	init_state;
	__u8	is_consistent;
	__u8	reserved[23];
};

LSI_SIZE_CHECK(struct lsi_ld_params, 32);

struct lsi_ld_span {
	__le64	start_block;
	__le64	num_blocks;
	__le16	array_ref;
	__u8	reserved[6];
};

LSI_SIZE_CHECK(struct lsi_ld_span, 24);

struct lsi_ld_info {
	struct lsi_ld_properties properties;
	struct lsi_ld_params params;
	struct lsi_ld_span span[8];
	__le64	size;			/* sectors */
	__u8	progress[36];
	__le16	cluster_owner;
	__u8	reconstruct_active;
	__u8	reserved1;
	__u8	vpd_page83[64];
	__u8	reserved2[16];
};

LSI_SIZE_CHECK(struct lsi_ld_info, 384);
LSI_OFFSET_CHECK(struct lsi_ld_info, size, 0x100);
LSI_OFFSET_CHECK(struct lsi_ld_info, vpd_page83, 0x130);

/* Events */
#define LSI_EVT_CLASS_DEBUG		(-2)
#define LSI_EVT_CLASS_PROGRESS		(-1)
#define LSI_EVT_CLASS_INFO		0
#define LSI_EVT_CLASS_WARNING		1
#define LSI_EVT_CLASS_CRITICAL		2
#define LSI_EVT_CLASS_FATAL		3
#define LSI_EVT_CLASS_DEAD		4
#define LSI_EVT_LOCALE_LD		0x0001
#define LSI_EVT_LOCALE_ALL		0xffff
/* class/locale word: locale bits 15:0, class (signed) bits 31:24 */
#define LSI_EVT_CLASS_LOCALE(cls, loc) \
	((((__u32)(__u8)(cls)) << 24) | ((loc) & 0xffff))

#define LSI_EVT_CFG_CLEARED		0x0004
#define LSI_EVT_CTRL_SHUTDOWN		0x002a
#define LSI_EVT_LD_STATE_CHANGE		0x0051
#define LSI_EVT_LD_CREATED		0x008a
#define LSI_EVT_LD_DELETED		0x008b
#define LSI_EVT_FOREIGN_CFG_IMPORTED	0x00db
#define LSI_EVT_LD_OFFLINE		0x00fc
#define LSI_EVT_HOST_BUS_SCAN_REQUESTED	0x0152

/*
 * evt_detail arg_type: which member of the args union the event carries
 * (enum MR_EVT_ARGS in megaraid_sas.h, FreeBSD mfireg.h, illumos lmrc). The
 * LD reference {target id, index} opens the args of LD, LD_COUNT, LD_OWNER,
 * LD_PROG and LD_STATE; LD_LBA and LD_STRIP put a 64-bit value first.
 */
#define LSI_EVT_ARG_NONE		0x00
#define LSI_EVT_ARG_CDB_SENSE		0x01
#define LSI_EVT_ARG_LD			0x02
#define LSI_EVT_ARG_LD_COUNT		0x03
#define LSI_EVT_ARG_LD_LBA		0x04
#define LSI_EVT_ARG_LD_OWNER		0x05
#define LSI_EVT_ARG_LD_LBA_PD_LBA	0x06
#define LSI_EVT_ARG_LD_PROG		0x07
#define LSI_EVT_ARG_LD_STATE		0x08
#define LSI_EVT_ARG_LD_STRIP		0x09
#define LSI_EVT_ARG_PD			0x0a
#define LSI_EVT_ARG_PD_ERR		0x0b
#define LSI_EVT_ARG_PD_LBA		0x0c
#define LSI_EVT_ARG_PD_LBA_LD		0x0d
#define LSI_EVT_ARG_PD_PROG		0x0e
#define LSI_EVT_ARG_PD_STATE		0x0f
#define LSI_EVT_ARG_PCI			0x10
#define LSI_EVT_ARG_RATE		0x11
#define LSI_EVT_ARG_STR			0x12
#define LSI_EVT_ARG_TIME		0x13
#define LSI_EVT_ARG_ECC			0x14
#define LSI_EVT_ARG_LD_PROP		0x15
#define LSI_EVT_ARG_PD_SPARE		0x16
#define LSI_EVT_ARG_PD_INDEX		0x17
#define LSI_EVT_ARG_DIAG_PASS		0x18
#define LSI_EVT_ARG_DIAG_FAIL		0x19
#define LSI_EVT_ARG_PD_LBA_LBA		0x1a
#define LSI_EVT_ARG_PORT_PHY		0x1b
#define LSI_EVT_ARG_PD_MISSING		0x1c
#define LSI_EVT_ARG_PD_ADDRESS		0x1d
#define LSI_EVT_ARG_BITMAP		0x1e
#define LSI_EVT_ARG_CONNECTOR		0x1f
#define LSI_EVT_ARG_PD_PD		0x20
#define LSI_EVT_ARG_PD_FRU		0x21
#define LSI_EVT_ARG_PD_PATHINFO		0x22
#define LSI_EVT_ARG_PD_POWER_STATE	0x23
#define LSI_EVT_ARG_GENERIC		0x24

/* evt_detail time_stamp: with these bits set, bits 23:0 are seconds since boot */
#define LSI_EVT_TIMESTAMP_BOOT		0xff000000

struct lsi_evt_log_info {
	__le32	newest_seq_num;
	__le32	oldest_seq_num;
	__le32	clear_seq_num;
	__le32	shutdown_seq_num;
	__le32	boot_seq_num;
};

LSI_SIZE_CHECK(struct lsi_evt_log_info, 20);

struct lsi_evt_detail {
	__le32	seq_num;
	__le32	time_stamp;
	__le32	code;
	__le32	class_locale;
	__u8	arg_type;
	__u8	reserved1[15];
	union {
		struct {
			__le16	target_id;
			__u8	ld_index;
			__u8	reserved;
		} ld;
		__u8	raw[96];
	} args;
	char	description[128];
};

LSI_SIZE_CHECK(struct lsi_evt_detail, 256);
LSI_OFFSET_CHECK(struct lsi_evt_detail, args, 0x20);
LSI_OFFSET_CHECK(struct lsi_evt_detail, description, 0x80);

/*
 * CTRL_EVENT_GET's data: the logged events with sequence number >= mbox w[0]
 * whose class/locale match mbox w[1] (as for EVENT_WAIT), oldest first, as
 * many as fit; MFI status NOT_FOUND when there is none (FreeBSD mfi's log
 * reader stops on it).
 */
struct lsi_evt_list {
	__le32	count;
	__le32	reserved;
	struct lsi_evt_detail event[];
};

LSI_SIZE_CHECK(struct lsi_evt_list, 8);

/* ------------------------------------------------------------------ */
/* RAID map, legacy format (max_lds <= 64, no extended-LD support)      */
/* ------------------------------------------------------------------ */

#define LSI_MAP_MAX_ARRAYS		128
#define LSI_MAP_MAX_ROW_SIZE		32
#define LSI_MAP_MAX_SPAN_DEPTH		8
#define LSI_MAP_MAX_PHYS_DEV		256
#define LSI_MAP_INVALID_LD		0xff
#define LSI_MAP_INVALID_DEV_HANDLE	0xffff

/* MR_LD_RAID capability bits */
#define LSI_LD_CAP_FP_CAPABLE		BIT(0)
#define LSI_LD_CAP_TM_CAPABLE		BIT(25)

struct lsi_map_dev_handle_info {
	__le16	cur_dev_handle;
	__u8	valid_handles;
	__u8	interface_type;
	__le16	dev_handle[2];
};

LSI_SIZE_CHECK(struct lsi_map_dev_handle_info, 8);

struct lsi_map_ld_raid {
	__le32	capability;
	__le32	reserved1;
	__le64	size;			/* sectors */
	__u8	span_depth;
	__u8	level;
	__u8	stripe_shift;
	__u8	row_size;
	__u8	row_data_size;
	__u8	write_mode;		/* 1 write-back, 0 write-through */
	__u8	prl;
	__u8	srl;
	__le16	target_id;
	__u8	ld_state;
	__u8	reg_type_req_on_write;
	__u8	mod_factor;
	__u8	reg_type_req_on_read;
	__le16	seq_num;
	__le32	flags;
	__u8	lun[8];
	__u8	fp_io_timeout_for_ld;
	__u8	reserved2[3];
	__le32	logical_block_length;
	__le32	reserved3;
	__le32	cpu_affinity;
	__u8	reserved4[68];
};

LSI_SIZE_CHECK(struct lsi_map_ld_raid, 128);
LSI_OFFSET_CHECK(struct lsi_map_ld_raid, target_id, 0x18);
LSI_OFFSET_CHECK(struct lsi_map_ld_raid, seq_num, 0x1e);
LSI_OFFSET_CHECK(struct lsi_map_ld_raid, lun, 0x24);
LSI_OFFSET_CHECK(struct lsi_map_ld_raid, logical_block_length, 0x30);

#define LSI_MAP_SPAN_BLOCK_SIZE		296
struct lsi_map_ld_span_map {
	struct lsi_map_ld_raid ld_raid;
	__u8	data_arm_map[LSI_MAP_MAX_ROW_SIZE];
	__u8	span_block[LSI_MAP_MAX_SPAN_DEPTH][LSI_MAP_SPAN_BLOCK_SIZE];
};

LSI_SIZE_CHECK(struct lsi_map_ld_span_map, 2528);

struct lsi_raid_map {
	__le32	total_size;		/* header + ld_count * span map */
	__le32	validation[5];
	__le32	ld_count;
	__le32	reserved;
	__u8	ld_tgt_id_to_ld[LSI_MAP_MAX_ARRAYS];
	__u8	fp_pd_io_timeout_sec;
	__u8	reserved2[7];
	__le16	ar_map_info[LSI_MAP_MAX_ARRAYS][LSI_MAP_MAX_ROW_SIZE];
	struct lsi_map_dev_handle_info dev_hndl_info[LSI_MAP_MAX_PHYS_DEV];
	struct lsi_map_ld_span_map ld_span_map[];
};

LSI_OFFSET_CHECK(struct lsi_raid_map, ld_tgt_id_to_ld, 0x20);
LSI_OFFSET_CHECK(struct lsi_raid_map, ar_map_info, 0xa8);
LSI_OFFSET_CHECK(struct lsi_raid_map, dev_hndl_info, 0x20a8);
LSI_OFFSET_CHECK(struct lsi_raid_map, ld_span_map, 0x28a8);
#define LSI_RAID_MAP_SIZE(nld) \
	(sizeof(struct lsi_raid_map) + (nld) * sizeof(struct lsi_map_ld_span_map))

/* ------------------------------------------------------------------ */
/* Cache protection: BBU / CacheVault, LD cache policy                 */
/* ------------------------------------------------------------------ */

/*
 * MR_DCMD_BBU_GET_STATUS (mfireg.h in OpenBSD and FreeBSD). Firmware without
 * a battery or CacheVault module answers it with MFI status NO_HW_PRESENT.
 */
#define LSI_DCMD_BBU_GET_STATUS		0x05010000
#define LSI_MFI_STAT_NO_HW_PRESENT	0x22

/* battery_type */
#define LSI_BBU_TYPE_NONE		0
#define LSI_BBU_TYPE_IBBU		1
#define LSI_BBU_TYPE_BBU		2

/* fw_status bits */
#define LSI_BBU_STATE_PACK_MISSING	0x0001
#define LSI_BBU_STATE_VOLTAGE_LOW	0x0002
#define LSI_BBU_STATE_TEMPERATURE_HIGH	0x0004
#define LSI_BBU_STATE_CHARGE_ACTIVE	0x0008
#define LSI_BBU_STATE_DISCHARGE_ACTIVE	0x0010
#define LSI_BBU_STATE_LEARN_CYC_REQ	0x0020
#define LSI_BBU_STATE_LEARN_CYC_ACTIVE	0x0040
#define LSI_BBU_STATE_LEARN_CYC_FAIL	0x0080
#define LSI_BBU_STATE_LEARN_CYC_TIMEOUT	0x0100
#define LSI_BBU_STATE_I2C_ERR_DETECT	0x0200
#define LSI_BBU_STATE_REPLACE_PACK	0x0400
#define LSI_BBU_STATE_CAPACITY_LOW	0x0800
#define LSI_BBU_STATE_LEARN_REQUIRED	0x1000
/*
 * The states in which the module cannot be relied on to keep the cache
 * through a power loss: the wider (iBBU / CacheVault) set OpenBSD mfii and
 * mfi treat as "bad", which includes a learn cycle (the module is being
 * discharged on purpose).
 */
#define LSI_BBU_STATE_NOT_PROTECTING	(LSI_BBU_STATE_PACK_MISSING | \
					 LSI_BBU_STATE_VOLTAGE_LOW | \
					 LSI_BBU_STATE_DISCHARGE_ACTIVE | \
					 LSI_BBU_STATE_LEARN_CYC_REQ | \
					 LSI_BBU_STATE_LEARN_CYC_ACTIVE | \
					 LSI_BBU_STATE_REPLACE_PACK | \
					 LSI_BBU_STATE_CAPACITY_LOW)

struct lsi_bbu_status {
	__u8	battery_type;		/* LSI_BBU_TYPE_* */
	__u8	reserved;
	__le16	voltage;		/* mV */
	__le16	current_ma;		/* signed, mA */
	__le16	temperature;		/* degrees C */
	__le32	fw_status;		/* LSI_BBU_STATE_* */
	__u8	pad[20];
	__u8	detail[32];		/* per battery type; unused here */
};

LSI_SIZE_CHECK(struct lsi_bbu_status, 64);
LSI_OFFSET_CHECK(struct lsi_bbu_status, fw_status, 8);

/* ctrl_info hw_present and adapter_operations bits (mfireg.h) */
#define LSI_HW_PRESENT_BBU		0x01
#define LSI_HW_PRESENT_NVRAM		0x04
#define LSI_ADAPTER_OPS_BBU		0x0080

/*
 * More cache policy bits (default/current_cache_policy of LD properties):
 * WRITE_CACHE_BAD_BBU is "always write back": keep write-back when the BBU
 * cannot protect the cache.
 */
#define LSI_LD_CACHE_WRITE_CACHE_BAD_BBU	0x10
/* disk_cache_policy */
#define LSI_LD_DISK_CACHE_UNCHANGED	0
#define LSI_LD_DISK_CACHE_ENABLE	1
#define LSI_LD_DISK_CACHE_DISABLE	2

/* Event locale and codes for cache protection (LSI's MR_EVT enum) */
#define LSI_EVT_LOCALE_BBU		0x0008
#define LSI_EVT_LD_CACHE_POLICY_CHANGE	0x0036
#define LSI_EVT_BBU_PRESENT		0x008d
#define LSI_EVT_BBU_NOT_PRESENT		0x008e
#define LSI_EVT_BBU_RELEARN_STARTED	0x0097
#define LSI_EVT_BBU_RELEARN_COMPLETE	0x0099
#define LSI_EVT_BBU_GOOD		0x00c2
#define LSI_EVT_BBU_BAD			0x00c3

/* ------------------------------------------------------------------ */
/* Physical disks (PDs): lists, info, configuration, pass-through      */
/* ------------------------------------------------------------------ */

/*
 * The PD DCMDs. PD_GET_LIST lists every PD the firmware sees (smartctl's
 * --scan uses it); PD_LIST_QUERY filters by mailbox byte 0 (ALL, or
 * EXPOSED_TO_HOST: only the system PDs / JBODs the host may address).
 * Both answer struct lsi_pd_list; its size field is the bytes the whole
 * list needs, so a caller with a short buffer can ask again.
 */
#define LSI_DCMD_PD_GET_LIST		0x02010000
#define LSI_PD_QUERY_ALL		0x00
#define LSI_PD_QUERY_STATE		0x01
#define LSI_PD_QUERY_MEDIA_TYPE		0x03

/* PD firmware states (fw_state of PD info; PD list query by state) */
#define LSI_PD_STATE_UNCONFIGURED_GOOD	0x00
#define LSI_PD_STATE_UNCONFIGURED_BAD	0x01
#define LSI_PD_STATE_HOT_SPARE		0x02
#define LSI_PD_STATE_OFFLINE		0x10
#define LSI_PD_STATE_FAILED		0x11
#define LSI_PD_STATE_REBUILD		0x14
#define LSI_PD_STATE_ONLINE		0x18
#define LSI_PD_STATE_COPYBACK		0x20
#define LSI_PD_STATE_SYSTEM		0x40	/* JBOD: exposed to the host */

/* LD states between OFFLINE (0) and OPTIMAL (3) */
#define LSI_LD_STATE_PARTIALLY_DEGRADED	1
#define LSI_LD_STATE_DEGRADED		2

/*
 * PD interface type: bits 15:12 of the DDF type word (pd_type) of PD info;
 * Linux picks a system PD's queue depth from it.
 */
#define LSI_PD_INTF_UNKNOWN		0
#define LSI_PD_INTF_PARALLEL_SCSI	1
#define LSI_PD_INTF_SAS			2
#define LSI_PD_INTF_SATA		3
#define LSI_PD_INTF_FC			4
#define LSI_PD_INTF_NVME		5
#define LSI_PD_TYPE_INTF_SHIFT		12
/* The other DDF type bits */
#define LSI_PD_TYPE_IN_VD		BIT(1)
#define LSI_PD_TYPE_GLOBAL_SPARE	BIT(2)
#define LSI_PD_TYPE_SPARE		BIT(3)

/* Bytes in a PD list answer with n entries */
#define LSI_PD_LIST_SIZE(n) \
	(sizeof(struct lsi_pd_list) + (n) * sizeof(struct lsi_pd_address))
#define LSI_MAX_PDS			256

/* MR_DCMD_PD_GET_INFO payload (mbox w[0] low half = device id), 512 bytes */
struct lsi_pd_path_info {
	__u8	count;			/* valid SAS addresses */
	__u8	flags;			/* path broken 3:0, wide port 7 */
	__u8	connector_index[2];
	__u8	reserved0[4];
	__le64	sas_addr[2];
	__u8	reserved1[16];
};

LSI_SIZE_CHECK(struct lsi_pd_path_info, 40);

struct lsi_pd_progress {
	__le32	active;			/* bit 0 rebuild, 1 patrol, 2 clear ... */
	__le16	rebuild_progress;	/* 0xffff = 100% */
	__le16	rebuild_elapsed_secs;
	__le32	patrol;
	__le32	clear;
	__le32	pause;
	__le32	reserved[3];
};

LSI_SIZE_CHECK(struct lsi_pd_progress, 32);

struct lsi_pd_info {
	__le16	device_id;
	__le16	seq_num;
	__u8	inquiry_data[96];	/* the disk's standard INQUIRY data */
	__u8	vpd_page83[64];
	__u8	not_supported;
	__u8	scsi_dev_type;
	__u8	connected_port_bitmap;
	__u8	device_speed;
	__le32	media_err_count;
	__le32	other_err_count;
	__le32	pred_fail_count;
	__le32	last_pred_fail_event_seq;
	__le16	fw_state;		/* LSI_PD_STATE_* */
	__u8	disabled_for_removal;
	__u8	link_speed;
	__le16	pd_type;		/* DDF type bits, interface in 15:12 */
	__le16	reserved0;
	struct lsi_pd_path_info path_info;
	__le64	raw_size;		/* sectors */
	__le64	non_coerced_size;
	__le64	coerced_size;
	__le16	encl_device_id;
	__u8	encl_index;
	__u8	slot_number;
	struct lsi_pd_progress prog_info;
	__u8	bad_block_table_full;
	__u8	unusable_in_current_config;
	__u8	vpd_page83_ext[64];
	__u8	power_state;		/* 0 active */
	__u8	encl_position;
	__le32	allowed_ops;
	__le16	copyback_partner_id;
	__le16	encl_partner_device_id;
	__le16	security;
	__u8	media_type;		/* 0 rotating, 1 SSD */
	__u8	not_certified;
	__u8	bridge_vendor[8];
	__u8	bridge_product_id[16];
	__u8	bridge_product_rev[4];
	__u8	sat_bridge_exists;
	__u8	interface_type;
	__u8	temperature;		/* degrees C */
	__u8	emulated_block_size;
	__le16	user_data_block_size;
	__le16	reserved1;
	__le32	properties;
	__le32	shield_diag_completion_time[2];	/* a u64, unaligned */
	__u8	shield_counter;
	__u8	link_speed_other;
	__u8	reserved2[2];
	__le32	bbm_err;
	__u8	reserved3[84];
};

LSI_SIZE_CHECK(struct lsi_pd_info, 512);
LSI_OFFSET_CHECK(struct lsi_pd_info, inquiry_data, 0x04);
LSI_OFFSET_CHECK(struct lsi_pd_info, media_err_count, 0xa8);
LSI_OFFSET_CHECK(struct lsi_pd_info, fw_state, 0xb8);
LSI_OFFSET_CHECK(struct lsi_pd_info, pd_type, 0xbc);
LSI_OFFSET_CHECK(struct lsi_pd_info, path_info, 0xc0);
LSI_OFFSET_CHECK(struct lsi_pd_info, raw_size, 0xe8);
LSI_OFFSET_CHECK(struct lsi_pd_info, coerced_size, 0xf8);
LSI_OFFSET_CHECK(struct lsi_pd_info, encl_device_id, 0x100);
LSI_OFFSET_CHECK(struct lsi_pd_info, prog_info, 0x104);
LSI_OFFSET_CHECK(struct lsi_pd_info, allowed_ops, 0x168);
LSI_OFFSET_CHECK(struct lsi_pd_info, interface_type, 0x191);
LSI_OFFSET_CHECK(struct lsi_pd_info, properties, 0x198);
LSI_OFFSET_CHECK(struct lsi_pd_info, bbm_err, 0x1a8);

/*
 * MR_DCMD_CFG_READ: the whole RAID configuration. A header, then
 * array_count arrays (each array_size bytes), log_drv_count LD configs
 * (log_drv_size bytes each), spares_count spares, packed in that order;
 * size is the bytes the whole answer needs.
 */
#define LSI_DCMD_CFG_READ		0x04010000
#define LSI_CFG_MAX_ROW_SIZE		32
#define LSI_CFG_MAX_SPAN_DEPTH		8
#define LSI_PD_MISSING			0xffff	/* array member slot left empty */

struct lsi_cfg_header {
	__le32	size;
	__le16	array_count;
	__le16	array_size;
	__le16	log_drv_count;
	__le16	log_drv_size;
	__le16	spares_count;
	__le16	spares_size;
	__u8	reserved[16];
};

LSI_SIZE_CHECK(struct lsi_cfg_header, 32);

struct lsi_cfg_array_member {
	__le16	device_id;		/* LSI_PD_MISSING when empty */
	__le16	seq_num;
	__le16	fw_state;		/* LSI_PD_STATE_* */
	__u8	encl_index;
	__u8	slot_number;
};

LSI_SIZE_CHECK(struct lsi_cfg_array_member, 8);

struct lsi_cfg_array {
	__le64	size;			/* sectors each member gives the array */
	__u8	num_drives;
	__u8	reserved0;
	__le16	array_ref;
	__u8	pad[20];
	struct lsi_cfg_array_member pd[LSI_CFG_MAX_ROW_SIZE];
};

LSI_SIZE_CHECK(struct lsi_cfg_array, 288);

/* An LD of the configuration: the same properties/params/spans as LD info */
struct lsi_cfg_ld {
	struct lsi_ld_properties properties;
	struct lsi_ld_params params;
	struct lsi_ld_span span[LSI_CFG_MAX_SPAN_DEPTH];
};

LSI_SIZE_CHECK(struct lsi_cfg_ld, 256);

/* A hot spare of the configuration: global (no arrays) or dedicated */
#define LSI_CFG_SPARE_ARRAYS		16
#define LSI_SPARE_DEDICATED		BIT(0)
#define LSI_SPARE_REVERTIBLE		BIT(1)

struct lsi_cfg_spare {
	__le16	device_id;
	__le16	seq_num;
	__u8	spare_type;		/* LSI_SPARE_*; 0: global */
	__u8	reserved[2];
	__u8	array_count;
	__le16	array_ref[LSI_CFG_SPARE_ARRAYS];
};

LSI_SIZE_CHECK(struct lsi_cfg_spare, 40);

/* RAID level numbers of lsi_ld_params.primary_raid_level */
#define LSI_RAID_LEVEL_0		0
#define LSI_RAID_LEVEL_1		1
#define LSI_RAID_LEVEL_5		5
/* RAID 10 is RAID 1 arrays spanned: primary 1, span_depth > 1 */

/*
 * MFI_CMD_PD_SCSI_IO: a SCSI command for a PD, in a struct lsi_mfi_pthru_frame
 * (hdr.target_id = device id, hdr.lun 0). A missing device id is answered with
 * LSI_MFI_STAT_DEVICE_NOT_FOUND (smartctl: "Device N does not exist");
 * a CHECK CONDITION with LSI_MFI_STAT_SCSI_DONE_WITH_ERROR, scsi_status and
 * the sense data at sense_addr (up to hdr.sense_len bytes).
 */
#define LSI_MFI_PTHRU_SENSE_MAX		96

/* PD events (LSI's MR_EVT enum; locale PD) */
#define LSI_EVT_LOCALE_PD		0x0002
#define LSI_EVT_LOCALE_CONFIG		0x0040
#define LSI_EVT_PD_INSERTED		0x005b
#define LSI_EVT_PD_REMOVED		0x0070
#define LSI_EVT_PD_STATE_CHANGE		0x0072
#define LSI_EVT_PD_RBLD_DONE_PD		0x0064
#define LSI_EVT_PD_RBLD_PROGRESS	0x0067
#define LSI_EVT_PD_RBLD_START		0x0069

/* evt_detail args for LSI_EVT_ARG_PD / PD_STATE */
struct lsi_evt_arg_pd {
	__le16	device_id;
	__u8	encl_index;
	__u8	slot_number;
};

struct lsi_evt_arg_pd_state {
	struct lsi_evt_arg_pd pd;
	__le32	prev_state;
	__le32	new_state;
};

LSI_SIZE_CHECK(struct lsi_evt_arg_pd_state, 12);

/* evt_detail args for LSI_EVT_ARG_PD_PROG: progress in 1/65535 of the whole */
struct lsi_evt_arg_pd_prog {
	struct lsi_evt_arg_pd pd;
	__le16	progress;
	__le16	elapsed_seconds;
};

LSI_SIZE_CHECK(struct lsi_evt_arg_pd_prog, 8);

/* evt_detail args for LSI_EVT_ARG_LD_STATE */
struct lsi_evt_arg_ld_state {
	__le16	target_id;
	__u8	ld_index;
	__u8	reserved;
	__le32	prev_state;
	__le32	new_state;
};

LSI_SIZE_CHECK(struct lsi_evt_arg_ld_state, 12);

#endif /* LSI3108_HW_H */
