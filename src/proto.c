// SPDX-License-Identifier: GPL-2.0-only
/*
 * Pure protocol logic: turning plain values into the 3108's wire formats and
 * back, off the fast path (whose pure parts, frame and SGL building and
 * status mapping, are in io.c). Nothing here touches the device, allocates,
 * locks or sleeps, so every function can be tested on stack objects
 * (tests/kunit/lsi3108_test.c).
 *
 * Scratch pads. In READY the firmware's status word (pad 0) tells how many
 * commands it can hold and whether it has MSI-X; pad 1 the chain frame size,
 * the number of reply queues and optional capabilities. These are device
 * input: lsi_parse_fw_limits() is the one place that reads them as limits.
 *
 * Management commands (DCMDs) are MFI frames. They travel inside an MPI
 * pass-through frame whose first SGL slot is a chain element pointing at the
 * MFI frame. IOC INIT is an MFI INIT frame pointing at an MPI2 request.
 */
#include <linux/build_bug.h>
#include <linux/ctype.h>
#include <linux/kernel.h>
#include <linux/minmax.h>
#include <linux/string.h>
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
EXPORT_SYMBOL_IF_LSI_TEST(lsi_fw_state_name);

/* Chain frame bytes: a count of 128- or 512-byte units, at least 1 KiB. */
u32 lsi_pad_chain_size(u32 pad1)
{
	u32 units = (pad1 & LSI_CAP_CHAIN_SIZE_MASK) >> LSI_CAP_CHAIN_SIZE_SHIFT;
	u32 unit = pad1 & LSI_CAP_CHAIN_UNITS_1MB ? LSI_CHAIN_UNIT_LARGE :
						      LSI_CHAIN_UNIT_SMALL;

	return max_t(u32, units * unit, LSI_MIN_CHAIN_FRAME_SIZE);
}
EXPORT_SYMBOL_IF_LSI_TEST(lsi_pad_chain_size);

/* Reply queues (MSI-X vectors) the firmware supports. */
u32 lsi_pad_queue_count(u32 pad0, u32 pad1)
{
	if (!(pad0 & LSI_FW_MSIX_CAPABLE))
		return 1;
	return ((pad1 & LSI_CAP_REPLY_QUEUES_MASK) >>
		LSI_CAP_REPLY_QUEUES_SHIFT) + 1;
}
EXPORT_SYMBOL_IF_LSI_TEST(lsi_pad_queue_count);

/*
 * The one parser of the firmware's limits, at probe and after every reset.
 * Returns 0, or -ERANGE when the firmware reports fewer commands than make
 * a usable controller (0 included: lim->cmds says how many). The driver uses
 * one command less than reported: the reply queue must exceed what is queued.
 */
int lsi_parse_fw_limits(u32 pad0, u32 pad1, struct lsi_fw_limits *lim)
{
	lim->cmds = lsi_pad_max_cmds(pad0);
	lim->chain = lsi_pad_chain_size(pad1);
	if (lim->cmds < LSI_MIN_FW_CMDS)
		return -ERANGE;
	lim->max_smid = min_t(u32, lim->cmds - 1, LSI_MAX_FW_CMDS);
	lim->chain_size = min_t(u32, lim->chain, LSI_MAX_CHAIN_SIZE);
	lim->queues = min_t(u32, lsi_pad_queue_count(pad0, pad1),
			    LSI_MAX_REPLY_QUEUES);
	lim->msix = pad0 & LSI_FW_MSIX_CAPABLE;
	lim->dma64 = pad1 & LSI_CAP_64BIT_DMA;
	return 0;
}
EXPORT_SYMBOL_IF_LSI_TEST(lsi_parse_fw_limits);

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
EXPORT_SYMBOL_IF_LSI_TEST(lsi_info_max_sectors);

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
EXPORT_SYMBOL_IF_LSI_TEST(lsi_build_mfi_passthru);

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
EXPORT_SYMBOL_IF_LSI_TEST(lsi_build_dcmd);

/*
 * An MFI ABORT of the DCMD the firmware holds in the MFI frame at @victim
 * (context @victim_ctx, as lsi_build_dcmd() set it). The firmware answers
 * the held command first (megaraid_sas: NOT_FOUND for an aborted map sync),
 * then the abort itself.
 */
void lsi_build_mfi_abort(struct lsi_mfi_abort_frame *af, u16 smid,
			 u32 victim_ctx, dma_addr_t victim)
{
	memset(af, 0, LSI_MFI_FRAME_SIZE);
	af->hdr.cmd = LSI_MFI_CMD_ABORT;
	af->hdr.cmd_status = LSI_MFI_STAT_INVALID_STATUS;
	af->hdr.context = cpu_to_le32(smid);
	af->abort_context = cpu_to_le32(victim_ctx);
	af->abort_mfi_addr_lo = cpu_to_le32(lower_32_bits(victim));
	af->abort_mfi_addr_hi = cpu_to_le32(upper_32_bits(victim));
}
EXPORT_SYMBOL_IF_LSI_TEST(lsi_build_mfi_abort);

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
EXPORT_SYMBOL_IF_LSI_TEST(lsi_build_ioc_init);

/* ---- DCMD payloads (device input: checked, never trusted) ---- */

/*
 * Record one listed LD or PD. An id beyond what was asked for, or listed
 * twice, means the list cannot be trusted: the caller keeps the old one.
 */
static bool lsi_list_add(unsigned long *present, u32 id, u32 max)
{
	if (id >= max || test_bit(id, present))
		return false;
	__set_bit(id, present);
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
		if (!lsi_list_add(present, list->target_id[i], max))
			return -EPROTO;
	}
	return count;
}
EXPORT_SYMBOL_IF_LSI_TEST(lsi_parse_ld_targets);

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

		if (!lsi_list_add(seen, id, max))
			return -EPROTO;
		if (list->ld[i].state != LSI_LD_STATE_OFFLINE)
			__set_bit(id, present);
	}
	return bitmap_weight(present, LSI_MAX_LDS);
}
EXPORT_SYMBOL_IF_LSI_TEST(lsi_parse_ld_list);

/*
 * The legacy RAID map (LD_MAP_GET_INFO, up to 64 LDs) of @len bytes: which
 * LDs it marks TM-capable (MR_LD_RAID capability bit 25), the only ones the
 * firmware takes task management for. The map must hold together: its
 * size is exactly the header plus ld_count LD entries and fits the buffer,
 * and each entry's target maps back to it. Returns the number of
 * TM-capable LDs, or -EPROTO (and @tm_capable empty).
 */
int lsi_parse_raid_map(const struct lsi_raid_map *map, size_t len,
		       unsigned long *tm_capable)
{
	u32 count = le32_to_cpu(map->ld_count);
	u32 i;

	bitmap_zero(tm_capable, LSI_MAX_LDS);
	if (len < sizeof(*map) || count > LSI_MAX_LDS_LEGACY ||
	    le32_to_cpu(map->total_size) != LSI_RAID_MAP_SIZE(count) ||
	    LSI_RAID_MAP_SIZE(count) > len)
		return -EPROTO;
	for (i = 0; i < count; i++) {
		const struct lsi_map_ld_raid *raid = &map->ld_span_map[i].ld_raid;
		u32 id = le16_to_cpu(raid->target_id);

		if (id >= LSI_MAX_LDS_LEGACY || map->ld_tgt_id_to_ld[id] != i) {
			bitmap_zero(tm_capable, LSI_MAX_LDS);
			return -EPROTO;
		}
		if (le32_to_cpu(raid->capability) & LSI_LD_CAP_TM_CAPABLE)
			__set_bit(id, tm_capable);
	}
	return bitmap_weight(tm_capable, LSI_MAX_LDS);
}
EXPORT_SYMBOL_IF_LSI_TEST(lsi_parse_raid_map);

/*
 * PD_LIST_QUERY with EXPOSED_TO_HOST: the system PDs, @len bytes of answer
 * (at least the list's header). The query lists only PDs in the SYSTEM
 * state (LSI_PD_STATE_SYSTEM; the entries carry no state of their own), so
 * each entry is one. The count must fit @len, each device id be below
 * LSI_MAX_PDS and be listed once. Returns the count, or -EPROTO with
 * @present empty and *@bad the entry at fault (the count, when it is the
 * count that does not fit).
 */
int lsi_parse_pd_list(const struct lsi_pd_list *list, size_t len,
		      unsigned long *present, u32 *bad)
{
	u32 count = le32_to_cpu(list->count);
	u32 i;

	bitmap_zero(present, LSI_MAX_PDS);
	*bad = count;
	if (len < sizeof(*list) ||
	    count > (len - sizeof(*list)) / sizeof(list->addr[0]))
		return -EPROTO;
	for (i = 0; i < count; i++) {
		if (!lsi_list_add(present, le16_to_cpu(list->addr[i].device_id),
				  LSI_MAX_PDS)) {
			bitmap_zero(present, LSI_MAX_PDS);
			*bad = i;
			return -EPROTO;
		}
	}
	return count;
}
EXPORT_SYMBOL_IF_LSI_TEST(lsi_parse_pd_list);

/*
 * A system PD's queue depth by its interface (LSI_PD_INTF_*, from
 * PD_GET_INFO): SATA's NCQ holds 32 commands; SAS, FC and NVMe drives take
 * more. An interface the firmware does not name gets the smaller depth.
 */
u32 lsi_pd_queue_depth(u8 intf)
{
	switch (intf) {
	case LSI_PD_INTF_SAS:
	case LSI_PD_INTF_FC:
	case LSI_PD_INTF_NVME:
		return LSI_PD_QUEUE_DEPTH;
	default:
		return LSI_PD_SATA_QUEUE_DEPTH;
	}
}
EXPORT_SYMBOL_IF_LSI_TEST(lsi_pd_queue_depth);

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
EXPORT_SYMBOL_IF_LSI_TEST(lsi_evt_changes_lds);

/*
 * Events after which the set of system PDs may have changed: a PD came,
 * went or changed state (into or out of JBOD), and whatever may change the
 * LDs (a configuration cleared or imported frees or takes PDs).
 */
bool lsi_evt_changes_pds(u32 code)
{
	switch (code) {
	case LSI_EVT_PD_INSERTED:
	case LSI_EVT_PD_REMOVED:
	case LSI_EVT_PD_STATE_CHANGE:
		return true;
	default:
		return lsi_evt_changes_lds(code);
	}
}
EXPORT_SYMBOL_IF_LSI_TEST(lsi_evt_changes_pds);

/* Events after which the BBU state or an LD's cache policy may differ. */
bool lsi_evt_changes_cache(u32 code, u32 class_locale)
{
	return (class_locale & LSI_EVT_LOCALE_BBU) ||
	       code == LSI_EVT_LD_CACHE_POLICY_CHANGE;
}
EXPORT_SYMBOL_IF_LSI_TEST(lsi_evt_changes_cache);

/*
 * BBU_GET_STATUS: @st NULL if the DCMD failed. NO_HW_PRESENT, or battery
 * type NONE, means no module. Any fw_status bit of
 * LSI_BBU_STATE_NOT_PROTECTING means it cannot be relied on now.
 */
enum lsi_bbu lsi_parse_bbu(const struct lsi_bbu_status *st, u8 mfi_status)
{
	if (mfi_status == LSI_MFI_STAT_NO_HW_PRESENT)
		return LSI_BBU_ABSENT;
	if (!st)
		return LSI_BBU_UNKNOWN;
	if (st->battery_type == LSI_BBU_TYPE_NONE)
		return LSI_BBU_ABSENT;
	if (le32_to_cpu(st->fw_status) & LSI_BBU_STATE_NOT_PROTECTING)
		return LSI_BBU_NOT_PROTECTING;
	return LSI_BBU_PROTECTS;
}
EXPORT_SYMBOL_IF_LSI_TEST(lsi_parse_bbu);

/*
 * The flush policy (cache.c explains it). Volatile: the disks' caches may
 * hold data (enabled, or left as the disks have them), or the LD runs
 * write-back without a protecting BBU.
 */
enum lsi_flush_mode lsi_ld_flush_mode(const struct lsi_ld_properties *p,
				      bool bbu_protects, bool fw_sync_cache)
{
	bool disk_cache = p->disk_cache_policy != LSI_LD_DISK_CACHE_DISABLE;
	bool write_back = p->current_cache_policy & LSI_LD_CACHE_WRITE_BACK;

	if (disk_cache || (write_back && !bbu_protects))
		return LSI_FLUSH_DCMD;
	return fw_sync_cache ? LSI_FLUSH_FIRMWARE : LSI_FLUSH_COMPLETE;
}
EXPORT_SYMBOL_IF_LSI_TEST(lsi_ld_flush_mode);

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
EXPORT_SYMBOL_IF_LSI_TEST(lsi_build_tm);

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
EXPORT_SYMBOL_IF_LSI_TEST(lsi_map_tm_response);

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
EXPORT_SYMBOL_IF_LSI_TEST(lsi_fw_string);

/* ---- the management ioctl's packets (ioctl.c) ---- */

/* A DCMD's opcode and mailbox: from the end of the header to its SGL. */
#define LSI_IOC_DCMD_FIXED \
	(offsetof(struct lsi_mfi_dcmd_frame, sgl) - sizeof(struct lsi_mfi_header))

static bool lsi_ioc_cmd_allowed(u8 cmd)
{
	switch (cmd) {
	case LSI_MFI_CMD_LD_SCSI_IO:
	case LSI_MFI_CMD_PD_SCSI_IO:
	case LSI_MFI_CMD_DCMD:
	case LSI_MFI_CMD_SMP:
	case LSI_MFI_CMD_STP:
		return true;
	default:
		/*
		 * INIT would re-initialise the firmware under the driver,
		 * LD_READ/LD_WRITE are MFI-mode I/O, ABORT names the driver's
		 * own contexts; NVMe and toolbox frames are not a 3108's.
		 */
		return false;
	}
}

/*
 * DCMDs the driver keeps for itself: the event wait (the firmware holds it
 * until an event: tools ask with MEGASAS_IOC_GET_AEN instead), the RAID and
 * system-PD map waits (held until the map changes), and the shutdowns, which
 * stop the firmware under the driver's I/O.
 */
static const char *lsi_ioc_dcmd_refused(const u8 *frame)
{
	const struct lsi_mfi_dcmd_frame *d = (const void *)frame;
	u32 opcode = le32_to_cpu(d->opcode);

	switch (opcode) {
	case LSI_DCMD_CTRL_EVENT_WAIT:
		return "EVENT_WAIT is the driver's (use MEGASAS_IOC_GET_AEN)";
	case LSI_DCMD_CTRL_SHUTDOWN:
	case LSI_DCMD_HIBERNATE_SHUTDOWN:
		return "shutdown DCMDs are the driver's";
	case LSI_DCMD_LD_MAP_GET_INFO:
	case LSI_DCMD_SYSTEM_PD_MAP_GET_INFO:
		if (d->mbox[1] == LSI_DCMD_MBOX_PEND)
			return "map waits are the driver's";
		return NULL;
	default:
		return NULL;
	}
}

/* [a, a + alen) and [b, b + blen) overlap */
static bool lsi_ioc_overlap(u32 a, u32 alen, u32 b, u32 blen)
{
	return alen && blen && a < b + blen && b < a + alen;
}

/*
 * Check a management ioctl's packet (ioctl.c) before anything is allocated
 * for it: its head and the lengths of its sge_count buffers. Returns NULL if
 * it may run, or why not. The limits: docs/driver.md, "Management ioctl".
 */
const char *lsi_ioc_check(const struct lsi_ioc_head *h, const u32 *len)
{
	u32 hdr = sizeof(struct lsi_mfi_header);
	u32 sgl_bytes, total = 0, i;
	u8 cmd = h->frame[0];
	const char *why;

	if (h->sge_count > LSI_IOC_MAX_SGE)
		return "sge_count above 16";
	for (i = 0; i < h->sge_count; i++) {
		if (len[i] > LSI_IOC_MAX_BUF)
			return "a buffer longer than 1 MiB";
		total += len[i];
	}
	if (total > LSI_IOC_MAX_BUF)
		return "buffers longer than 1 MiB together";
	sgl_bytes = h->sge_count * sizeof(struct lsi_mfi_sge64);
	if (h->sge_count &&
	    (h->sgl_off < hdr || h->sgl_off > LSI_MFI_FRAME_SIZE ||
	     sgl_bytes > LSI_MFI_FRAME_SIZE - h->sgl_off))
		return "sgl_off puts the SGL outside the frame";
	if (h->sense_len > LSI_IOC_MAX_SENSE)
		return "sense_len above 255";
	if (h->sense_len &&
	    (h->sense_off < hdr || h->sense_off > LSI_IOC_SENSE_OFF_MAX))
		return "sense_off outside the frame";
	if (h->sense_len && lsi_ioc_overlap(h->sense_off, sizeof(u64),
					    h->sgl_off, sgl_bytes))
		return "the sense address and the SGL overlap";
	if (!lsi_ioc_cmd_allowed(cmd))
		return "MFI command class not allowed";
	if (cmd != LSI_MFI_CMD_DCMD)
		return NULL;
	/*
	 * The opcode and mailbox the checks below read must be the ones the
	 * firmware gets: no DMA address may be written over them.
	 */
	if (lsi_ioc_overlap(h->sgl_off, sgl_bytes, hdr, LSI_IOC_DCMD_FIXED) ||
	    (h->sense_len && lsi_ioc_overlap(h->sense_off, sizeof(u64), hdr,
					     LSI_IOC_DCMD_FIXED)))
		return "the SGL or the sense address would cover the DCMD's opcode or mailbox";
	why = lsi_ioc_dcmd_refused(h->frame);
	if (why)
		return why;
	return NULL;
}
EXPORT_SYMBOL_IF_LSI_TEST(lsi_ioc_check);
