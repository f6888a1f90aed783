// SPDX-License-Identifier: GPL-2.0-only
/*
 * Pure protocol logic: turning plain values into the 3108's wire formats and
 * back. Nothing here touches the device, allocates, locks or sleeps, so every
 * function can be tested on stack objects (lsi3108_test.c).
 *
 * Request frames. A command's 256-byte frame is an MPI2 RAID SCSI IO request:
 * a header, the CDB, a RAID context (firmware writes the completion status
 * into it) and room for eight 16-byte IEEE SGEs. Logical drives are reached
 * through the firmware path (Function 0xF1) with DevHandle = target id; no
 * RAID map and no fast path are used, so reads and writes carry the fixed
 * "no region lock" context and descriptor.
 *
 * Scatter-gather. Up to eight SGEs fit in the frame. With more, the eighth
 * slot becomes a chain element pointing at the command's chain frame, which
 * holds the rest; there is only one chain level. The last data SGE carries
 * END_OF_LIST.
 *
 * Management commands (DCMDs) are MFI frames. They travel inside an MPI
 * pass-through frame whose first SGL slot is a chain element pointing at the
 * MFI frame.
 */
#include <linux/build_bug.h>
#include <linux/ctype.h>
#include <linux/kernel.h>
#include <linux/minmax.h>
#include <linux/string.h>
#include <kunit/visibility.h>
#include <scsi/scsi.h>
#include <scsi/scsi_proto.h>

#include "lsi3108.h"

/* The chain element sits in the last SGL slot, ChainOffset counts 16 B. */
static_assert(offsetof(struct lsi_io_frame, sgl[LSI_FRAME_SGE_SLOTS - 1]) ==
	      LSI_CHAIN_OFFSET_IO * LSI_SGE_SIZE);
static_assert(offsetof(struct lsi_io_frame, sgl) ==
	      LSI_CHAIN_OFFSET_MFI * LSI_SGE_SIZE);
static_assert(offsetof(struct lsi_io_frame, sgl) == LSI_SGL_OFFSET0 * 4);

/* ---- scratch pads ---- */

u32 lsi_fw_state(u32 pad0)
{
	return (pad0 & LSI_FW_STATE_MASK) >> LSI_FW_STATE_SHIFT;
}
EXPORT_SYMBOL_IF_KUNIT(lsi_fw_state);

const char *lsi_fw_state_name(u32 pad0)
{
	static const char * const names[] = {
		[LSI_FW_STATE_UNDEFINED]	= "UNDEFINED",
		[LSI_FW_STATE_BB_INIT]		= "BB_INIT",
		[LSI_FW_STATE_FW_INIT]		= "FW_INIT",
		[LSI_FW_STATE_WAIT_HANDSHAKE]	= "WAIT_HANDSHAKE",
		[LSI_FW_STATE_FW_INIT_2]	= "FW_INIT_2",
		[LSI_FW_STATE_DEVICE_SCAN]	= "DEVICE_SCAN",
		[LSI_FW_STATE_BOOT_MSG_PENDING]	= "BOOT_MESSAGE_PENDING",
		[LSI_FW_STATE_FLUSH_CACHE]	= "FLUSH_CACHE",
		[LSI_FW_STATE_READY]		= "READY",
		[LSI_FW_STATE_OPERATIONAL]	= "OPERATIONAL",
		[LSI_FW_STATE_FAULT]		= "FAULT",
	};
	u32 state = lsi_fw_state(pad0);

	if (state < ARRAY_SIZE(names) && names[state])
		return names[state];
	return "UNKNOWN";
}
EXPORT_SYMBOL_IF_KUNIT(lsi_fw_state_name);

/* Commands the firmware can hold, as reported (the driver uses one less). */
u32 lsi_pad_max_cmds(u32 pad0)
{
	return pad0 & LSI_FW_MAX_CMDS_MASK;
}
EXPORT_SYMBOL_IF_KUNIT(lsi_pad_max_cmds);

/* Chain frame bytes: a count of 128- or 512-byte units, at least 1 KiB. */
u32 lsi_pad_chain_size(u32 pad1)
{
	u32 units = (pad1 & LSI_CAP_CHAIN_SIZE_MASK) >> LSI_CAP_CHAIN_SIZE_SHIFT;
	u32 unit = pad1 & LSI_CAP_CHAIN_UNITS_1MB ? LSI_CHAIN_UNIT_LARGE :
						      LSI_CHAIN_UNIT_SMALL;

	return max_t(u32, units * unit, LSI_MIN_CHAIN_FRAME_SIZE);
}
EXPORT_SYMBOL_IF_KUNIT(lsi_pad_chain_size);

/* Reply queues (MSI-X vectors) the firmware supports. */
u32 lsi_pad_queue_count(u32 pad0, u32 pad1)
{
	if (!(pad0 & LSI_FW_MSIX_CAPABLE))
		return 1;
	return ((pad1 & LSI_CAP_REPLY_QUEUES_MASK) >>
		LSI_CAP_REPLY_QUEUES_SHIFT) + 1;
}
EXPORT_SYMBOL_IF_KUNIT(lsi_pad_queue_count);

/*
 * Data SGEs per command: the frame's eight slots plus the chain frame, less
 * the slot the chain element takes and one spare.
 */
u32 lsi_max_data_sges(u32 chain_size)
{
	return LSI_FRAME_SGE_SLOTS + chain_size / LSI_SGE_SIZE - 2;
}
EXPORT_SYMBOL_IF_KUNIT(lsi_max_data_sges);

/*
 * Reply queue depth: a multiple of 16, twice the commands that can be
 * outstanding, so a queue can never fill up.
 */
u32 lsi_reply_depth(u32 max_smid)
{
	return 2 * ALIGN(max_smid + 1, 16);
}
EXPORT_SYMBOL_IF_KUNIT(lsi_reply_depth);

/*
 * Largest transfer (sectors) CTRL_GET_INFO allows: the smaller of
 * max_request_size and max_strips_per_io minimum-size strips. 0 = no limit.
 */
u32 lsi_info_max_sectors(u8 stripe_size_min, u16 max_strips_per_io,
			 u32 max_request_size)
{
	u32 limit = max_request_size;
	u32 strips = 0;

	if (stripe_size_min < 20 && max_strips_per_io)
		strips = (1U << stripe_size_min) * max_strips_per_io;
	if (strips && (!limit || strips < limit))
		limit = strips;
	return limit;
}
EXPORT_SYMBOL_IF_KUNIT(lsi_info_max_sectors);

/* ---- descriptors ---- */

u64 lsi_req_desc(u8 flags, u8 msix, u16 smid)
{
	return flags | (u64)msix << 8 | (u64)smid << 16;
}
EXPORT_SYMBOL_IF_KUNIT(lsi_req_desc);

/* IOC INIT: the frame address with its low byte replaced by the type. */
u64 lsi_mfa_desc(u64 frame_addr)
{
	return (frame_addr & ~0xffULL) | LSI_REQ_DESC_MFA;
}
EXPORT_SYMBOL_IF_KUNIT(lsi_mfa_desc);

/* An unused slot: type UNUSED, or a half still all-ones (torn write). */
bool lsi_reply_empty(u64 desc)
{
	return (desc & LSI_RPY_TYPE_MASK) == LSI_RPY_TYPE_UNUSED ||
	       upper_32_bits(desc) == U32_MAX;
}
EXPORT_SYMBOL_IF_KUNIT(lsi_reply_empty);

u16 lsi_reply_smid(u64 desc)
{
	return (desc >> 16) & 0xffff;
}
EXPORT_SYMBOL_IF_KUNIT(lsi_reply_smid);

u32 lsi_reply_next(u32 index, u32 depth)
{
	return index + 1 < depth ? index + 1 : 0;
}
EXPORT_SYMBOL_IF_KUNIT(lsi_reply_next);

/*
 * Host index registers: 0x6C for all vectors, or in combined mode one
 * supplemental register per group of eight vectors.
 */
u32 lsi_host_index_offset(u32 vector, bool combined)
{
	if (combined)
		return LSI_REG_SUP_REPLY_POST_HOST_INDEX(vector / 8);
	return LSI_REG_REPLY_POST_HOST_INDEX;
}
EXPORT_SYMBOL_IF_KUNIT(lsi_host_index_offset);

u32 lsi_host_index_value(u32 vector, u32 index, bool combined)
{
	u32 msix = combined ? vector & 7 : vector;

	return msix << LSI_REPLY_HOST_INDEX_MSIX_SHIFT |
	       (index & LSI_REPLY_HOST_INDEX_MASK);
}
EXPORT_SYMBOL_IF_KUNIT(lsi_host_index_value);

/* ---- SCSI I/O frames ---- */

bool lsi_cdb_is_rw(u8 opcode)
{
	switch (opcode) {
	case READ_6:
	case WRITE_6:
	case READ_10:
	case WRITE_10:
	case READ_12:
	case WRITE_12:
	case READ_16:
	case WRITE_16:
		return true;
	default:
		return false;
	}
}
EXPORT_SYMBOL_IF_KUNIT(lsi_cdb_is_rw);

bool lsi_cdb_is_sync_cache(u8 opcode)
{
	return opcode == SYNCHRONIZE_CACHE || opcode == SYNCHRONIZE_CACHE_16;
}
EXPORT_SYMBOL_IF_KUNIT(lsi_cdb_is_sync_cache);

static u32 lsi_control(enum lsi_data_dir dir)
{
	switch (dir) {
	case LSI_DIR_READ:
		return LSI_CONTROL_READ;
	case LSI_DIR_WRITE:
		return LSI_CONTROL_WRITE;
	default:
		return 0;
	}
}

/*
 * Fill a frame for a command to a logical drive and return the request
 * descriptor type. Reads and writes: RAID context type CUDA with one segment,
 * sequence-number region lock, NO_LOCK descriptor. Everything else: plain
 * context with the command's timeout, SCSI IO descriptor.
 */
u8 lsi_build_ld_io(struct lsi_io_frame *frame, const struct lsi_io_req *req)
{
	struct lsi_raid_context *ctx = &frame->raid_context;
	u8 cdb_len = min_t(u8, req->cdb_len, sizeof(frame->cdb));

	memset(frame, 0, sizeof(*frame));
	frame->dev_handle = cpu_to_le16(req->target_id);
	frame->function = LSI_FUNC_LD_IO;
	frame->sense_addr_low = cpu_to_le32(req->sense_lo);
	frame->sgl_flags = cpu_to_le16(LSI_SGL_FLAGS_64BIT);
	frame->sense_length = LSI_SENSE_BUFFER_SIZE;
	frame->sgl_offset[0] = LSI_SGL_OFFSET0;
	frame->data_length = cpu_to_le32(req->data_len);
	frame->io_flags = cpu_to_le16(cdb_len & LSI_IO_FLAGS_CDB_LEN_MASK);
	if (req->data_len)
		frame->control = cpu_to_le32(lsi_control(req->dir));
	memcpy(frame->cdb, req->cdb, cdb_len);
	ctx->ld_target_id = cpu_to_le16(req->target_id);

	if (lsi_cdb_is_rw(req->cdb[0])) {
		ctx->type_nseg = LSI_RAID_CTX_TYPE_NSEG_RW;
		ctx->reg_lock_flags = LSI_REG_LOCK_SEQ_NUM_ENABLE;
		return LSI_REQ_DESC_NO_LOCK;
	}
	frame->lun[1] = req->lun;
	ctx->timeout = cpu_to_le16(req->timeout_s);
	return LSI_REQ_DESC_SCSI_IO;
}
EXPORT_SYMBOL_IF_KUNIT(lsi_build_ld_io);

/*
 * Copy n DMA segments into SGEs, every field written: a chain frame still
 * holds the previous command's list. Returns the last SGE, or NULL.
 */
static struct lsi_sge *lsi_put_sges(struct lsi_sge *sge,
				    struct scatterlist **sgp, int n)
{
	struct scatterlist *sg = *sgp;
	int i;

	for (i = 0; i < n; i++, sg = sg_next(sg)) {
		sge[i] = (struct lsi_sge) {
			.addr	= cpu_to_le64(sg_dma_address(sg)),
			.length	= cpu_to_le32(sg_dma_len(sg)),
		};
	}
	*sgp = sg;
	return n ? &sge[n - 1] : NULL;
}

/*
 * Build the SGL of a frame from nseg DMA-mapped segments. chain_slots is the
 * chain frame's capacity in SGEs. Returns nseg, or -EINVAL if the segments
 * do not fit.
 */
int lsi_build_sgl(struct lsi_io_frame *frame, struct lsi_sge *chain,
		  dma_addr_t chain_dma, u32 chain_slots,
		  struct scatterlist *sgl, int nseg)
{
	struct lsi_sge *last, *ce = &frame->sgl[LSI_FRAME_SGE_SLOTS - 1];
	int in_frame = nseg;

	if (nseg < 0 || nseg > LSI_FRAME_SGE_SLOTS - 1 + (int)chain_slots)
		return -EINVAL;
	if (nseg > LSI_FRAME_SGE_SLOTS)
		in_frame = LSI_FRAME_SGE_SLOTS - 1;

	last = lsi_put_sges(frame->sgl, &sgl, in_frame);
	if (nseg > in_frame) {
		*ce = (struct lsi_sge) {
			.addr	= cpu_to_le64(chain_dma),
			.length	= cpu_to_le32((nseg - in_frame) * LSI_SGE_SIZE),
			.flags	= LSI_SGE_FLAGS_CHAIN,
		};
		frame->chain_offset = LSI_CHAIN_OFFSET_IO;
		last = lsi_put_sges(chain, &sgl, nseg - in_frame);
	}
	if (last)
		last->flags = LSI_SGE_FLAGS_END_OF_LIST;

	frame->raid_context.num_sge = nseg & 0xff;
	frame->raid_context.num_sge_ext = nseg >> 8;
	return nseg;
}
EXPORT_SYMBOL_IF_KUNIT(lsi_build_sgl);

/* ---- management commands ---- */

void lsi_build_mfi_passthru(struct lsi_io_frame *frame, dma_addr_t mfi,
			    u32 mfi_len)
{
	struct lsi_sge *ce = &frame->sgl[0];

	memset(frame, 0, sizeof(*frame));
	frame->function = LSI_FUNC_MFI_PASSTHRU;
	frame->chain_offset = LSI_CHAIN_OFFSET_MFI;
	frame->sgl_offset[0] = LSI_SGL_OFFSET0;
	ce->addr = cpu_to_le64(mfi);
	ce->length = cpu_to_le32(mfi_len);
	ce->flags = LSI_SGE_FLAGS_CHAIN | LSI_SGE_FLAGS_IOCPLBNTA;
}
EXPORT_SYMBOL_IF_KUNIT(lsi_build_mfi_passthru);

/*
 * Fill a DCMD frame. mfi points to a whole LSI_MFI_FRAME_SIZE slot. Data, if
 * any, is one 64-bit SGE; the firmware answers in cmd_status.
 */
void lsi_build_dcmd(struct lsi_mfi_dcmd_frame *mfi, const struct lsi_dcmd *dcmd,
		    dma_addr_t data, u16 smid)
{
	static const u16 dir_flags[] = {
		[LSI_DIR_NONE]	= 0,
		[LSI_DIR_READ]	= LSI_MFI_FLAG_DIR_READ,
		[LSI_DIR_WRITE]	= LSI_MFI_FLAG_DIR_WRITE,
	};

	memset(mfi, 0, LSI_MFI_FRAME_SIZE);
	mfi->hdr.cmd = LSI_MFI_CMD_DCMD;
	mfi->hdr.cmd_status = LSI_MFI_STAT_INVALID_STATUS;
	mfi->hdr.context = cpu_to_le32(smid);
	mfi->opcode = cpu_to_le32(dcmd->opcode);
	memcpy(mfi->mbox, dcmd->mbox, sizeof(mfi->mbox));
	if (!dcmd->len || dcmd->dir == LSI_DIR_NONE)
		return;

	mfi->hdr.sge_count = 1;
	mfi->hdr.flags = cpu_to_le16(LSI_MFI_FLAG_SGL64 | dir_flags[dcmd->dir]);
	mfi->hdr.data_xfer_len = cpu_to_le32(dcmd->len);
	mfi->sgl.sge64[0].addr_lo = cpu_to_le32(lower_32_bits(data));
	mfi->sgl.sge64[0].addr_hi = cpu_to_le32(upper_32_bits(data));
	mfi->sgl.sge64[0].length = cpu_to_le32(dcmd->len);
}
EXPORT_SYMBOL_IF_KUNIT(lsi_build_dcmd);

/*
 * IOC INIT: an MFI INIT frame whose queue_info_new points at the MPI2 IOC
 * INIT request that describes the host memory.
 */
void lsi_build_ioc_init(struct lsi_mfi_init_frame *init,
			struct lsi_ioc_init_request *req,
			const struct lsi_ioc_init_params *p)
{
	memset(req, 0, sizeof(*req));
	req->who_init = LSI_WHOINIT_HOST_DRIVER;
	req->function = LSI_FUNC_IOC_INIT;
	req->msg_version = cpu_to_le16(LSI_MPI2_VERSION);
	req->header_version = cpu_to_le16(LSI_MPI2_HEADER_VERSION);
	req->host_page_size = LSI_HOST_PAGE_SHIFT;
	req->host_msix_vectors = p->msix_vectors;
	req->system_request_frame_size = cpu_to_le16(LSI_FRAME_SIZE / 4);
	req->reply_descriptor_post_queue_depth = cpu_to_le16(p->reply_depth);
	req->sense_buffer_address_high = cpu_to_le32(upper_32_bits(p->sense));
	req->system_request_frame_base_address = cpu_to_le64(p->frames);
	req->reply_descriptor_post_queue_address = cpu_to_le64(p->replies);
	req->time_stamp = cpu_to_le64(p->timestamp_ms);

	memset(init, 0, sizeof(*init));
	init->cmd = LSI_MFI_CMD_INIT;
	init->cmd_status = LSI_MFI_STAT_INVALID_STATUS;
	init->driver_operations = cpu_to_le32(p->drv_caps);
	init->flags = cpu_to_le16(LSI_MFI_FLAG_DONT_POST);
	init->data_xfer_len = cpu_to_le32(sizeof(*req));
	init->queue_info_new_lo = cpu_to_le32(lower_32_bits(p->request));
	init->queue_info_new_hi = cpu_to_le32(upper_32_bits(p->request));
}
EXPORT_SYMBOL_IF_KUNIT(lsi_build_ioc_init);

/* ---- completion ---- */

/*
 * Map the status the firmware wrote into the RAID context to a SCSI result.
 * SCSI_DONE_WITH_ERROR carries the device's status byte (and sense for a
 * CHECK CONDITION) plus the bytes actually moved in DataLength.
 */
void lsi_map_scsi_status(const struct lsi_scsi_status *st,
			 struct lsi_scsi_result *res)
{
	res->resid = 0;
	res->sense_valid = false;

	switch (st->mfi_status) {
	case LSI_MFI_STAT_OK:
		res->result = DID_OK << 16;
		break;
	case LSI_MFI_STAT_SCSI_DONE_WITH_ERROR:
		res->result = (DID_OK << 16) | st->ex_status;
		res->sense_valid = st->ex_status == SAM_STAT_CHECK_CONDITION;
		res->resid = st->bufflen - min(st->xfer_len, st->bufflen);
		break;
	case LSI_MFI_STAT_SCSI_IO_FAILED:
	case LSI_MFI_STAT_LD_INIT_IN_PROGRESS:
		res->result = (DID_ERROR << 16) |
			(st->ex_status == LSI_EX_STATUS_CHECK_CONDITION ?
			 SAM_STAT_CHECK_CONDITION : st->ex_status);
		break;
	case LSI_MFI_STAT_DEVICE_NOT_FOUND:
	case LSI_MFI_STAT_LD_OFFLINE:
		res->result = DID_BAD_TARGET << 16;
		break;
	case LSI_MFI_STAT_CONFIG_SEQ_MISMATCH:
		res->result = DID_IMM_RETRY << 16;
		break;
	default:
		res->result = DID_ERROR << 16;
		break;
	}
}
EXPORT_SYMBOL_IF_KUNIT(lsi_map_scsi_status);

/* A SYNCHRONIZE CACHE carried out as a controller cache flush. */
int lsi_map_flush_status(u8 mfi_status)
{
	return mfi_status == LSI_MFI_STAT_OK ? DID_OK << 16 : DID_ERROR << 16;
}
EXPORT_SYMBOL_IF_KUNIT(lsi_map_flush_status);

/* ---- DCMD payloads (device input: checked, never trusted) ---- */

/* LD_LIST_QUERY: returns the number of LDs, or -EPROTO. */
/*
 * Record one listed LD. A target id beyond what was asked for, or listed
 * twice, means the list cannot be trusted: the caller keeps the old one.
 */
static bool lsi_ld_add(unsigned long *present, u32 target_id, u32 max)
{
	if (target_id >= max || test_bit(target_id, present))
		return false;
	__set_bit(target_id, present);
	return true;
}

/* LD_LIST_QUERY: the LDs exposed to the host. Returns the count or -EPROTO. */
int lsi_parse_ld_targets(const struct lsi_ld_targetid_list *list, u32 max,
			 unsigned long *present)
{
	u32 count = le32_to_cpu(list->count);
	u32 i;

	if (count > max || max > LSI_MAX_LDS)
		return -EPROTO;
	bitmap_zero(present, LSI_MAX_LDS);
	for (i = 0; i < count; i++) {
		if (!lsi_ld_add(present, list->target_id[i], max))
			return -EPROTO;
	}
	return count;
}
EXPORT_SYMBOL_IF_KUNIT(lsi_parse_ld_targets);

/* LD_GET_LIST: offline LDs are left out. Returns the count, or -EPROTO. */
int lsi_parse_ld_list(const struct lsi_ld_list *list, u32 max,
		      unsigned long *present)
{
	DECLARE_BITMAP(seen, LSI_MAX_LDS);
	u32 count = le32_to_cpu(list->ld_count);
	u32 i;

	if (count > max || max > LSI_MAX_LDS)
		return -EPROTO;
	bitmap_zero(seen, LSI_MAX_LDS);
	bitmap_zero(present, LSI_MAX_LDS);
	for (i = 0; i < count; i++) {
		u32 id = list->ld[i].target_id;

		if (!lsi_ld_add(seen, id, max))
			return -EPROTO;
		if (list->ld[i].state != LSI_LD_STATE_OFFLINE)
			__set_bit(id, present);
	}
	return bitmap_weight(present, LSI_MAX_LDS);
}
EXPORT_SYMBOL_IF_KUNIT(lsi_parse_ld_list);

/*
 * The event the firmware answers a wait for sequence number @armed with must
 * be that one or a later one, and not absurdly far ahead: anything else is a
 * confused firmware, and the driver resynchronises from EVENT_GET_INFO.
 */
bool lsi_evt_seq_plausible(u32 armed, u32 seq)
{
	return seq - armed <= LSI_EVT_SEQ_WINDOW;
}
EXPORT_SYMBOL_IF_KUNIT(lsi_evt_seq_plausible);

/* Events after which the set of logical drives may have changed. */
bool lsi_evt_changes_lds(u32 code)
{
	switch (code) {
	case LSI_EVT_CFG_CLEARED:
	case LSI_EVT_LD_STATE_CHANGE:
	case LSI_EVT_LD_CREATED:
	case LSI_EVT_LD_DELETED:
	case LSI_EVT_LD_OFFLINE:
	case LSI_EVT_FOREIGN_CFG_IMPORTED:
	case LSI_EVT_HOST_BUS_SCAN_REQUESTED:
		return true;
	default:
		return false;
	}
}
EXPORT_SYMBOL_IF_KUNIT(lsi_evt_changes_lds);

/* A task management request for an LD (firmware path, interface doc 5.6 E). */
void lsi_build_tm(struct lsi_tm_request *tm, u8 type, u16 target_id, u8 lun,
		  u16 task_mid)
{
	memset(tm, 0, sizeof(*tm));
	tm->dev_handle = cpu_to_le16(target_id);
	tm->function = LSI_FUNC_SCSI_TASK_MGMT;
	tm->task_type = type;
	tm->lun[1] = lun;
	tm->task_mid = cpu_to_le16(task_mid);
	tm->tm_flags = cpu_to_le32(LSI_TM_FLAG_LD);
}
EXPORT_SYMBOL_IF_KUNIT(lsi_build_tm);

/* 0 if the firmware carried the TM out, -EIO with its reason otherwise. */
int lsi_map_tm_response(u8 response_code)
{
	switch (response_code) {
	case LSI_TM_RSP_COMPLETE:
	case LSI_TM_RSP_SUCCEEDED:
		return 0;
	default:
		return -EIO;
	}
}
EXPORT_SYMBOL_IF_KUNIT(lsi_map_tm_response);

/*
 * Copy a fixed-size firmware string: stop at NUL or len, replace what is not
 * printable, drop trailing blanks, always terminate.
 */
void lsi_fw_string(char *dst, size_t size, const char *src, size_t len)
{
	size_t n, i;

	if (!size)
		return;
	n = strnlen(src, min(len, size - 1));
	for (i = 0; i < n; i++)
		dst[i] = isprint((unsigned char)src[i]) ? src[i] : '?';
	while (n && dst[n - 1] == ' ')
		n--;
	dst[n] = '\0';
}
EXPORT_SYMBOL_IF_KUNIT(lsi_fw_string);
