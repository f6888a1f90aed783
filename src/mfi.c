// SPDX-License-Identifier: GPL-2.0-only
/*
 * DCMDs: the MFI management commands, and the ones the driver sends.
 *
 * A DCMD is an MFI frame (opcode, 12-byte mailbox, one data SGE) carried in
 * an internal SMID slot (icmd.c): wrapped in an MPI pass-through frame and
 * posted with a SCSI IO descriptor on reply queue 0. The firmware writes its
 * answer into the MFI frame's cmd_status. lsi_dcmd_exec() waits for it (the
 * interrupt handlers are on whenever internal commands may be posted);
 * lsi_dcmd_start() does not, and its done_fn runs when it ends (icmd.c says
 * in which contexts).
 *
 * The DCMDs: CTRL_GET_INFO (identity and limits), LD_LIST_QUERY and
 * LD_GET_LIST (which LDs exist, validated whole), LD_MAP_GET_INFO (which of
 * them take task management), PD_LIST_QUERY (which system PDs are exposed,
 * validated whole), CTRL_CACHE_FLUSH, the ABORT of the held event wait and
 * CTRL_SHUTDOWN / HIBERNATE_SHUTDOWN (before the host goes away or sleeps).
 * The event path's own are in event.c.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jiffies.h>
#include <linux/slab.h>

#include "lsi3108.h"

/* The MFI frame in the slot's MFI area, the pass-through frame in its SMID. */
static void lsi_dcmd_build(struct lsi_ctrl *ctrl, struct lsi_icmd *ic,
			   const struct lsi_dcmd *dcmd, lsi_icmd_done_t done_fn)
{
	lsi_icmd_prepare(ic, done_fn, false);
	lsi_build_dcmd(ic->mfi, dcmd, dcmd->ext_dma ?: ic->data_dma, ic->smid);
	lsi_build_mfi_passthru(lsi_frame(ctrl, ic->smid), ic->mfi_dma,
			       LSI_MFI_FRAME_SIZE);
}

/*
 * Run one DCMD and wait for it (process context). Returns 0, -EIO if the
 * firmware refused it (dcmd->mfi_status says why), -ETIMEDOUT, -ENODEV if
 * the firmware is not up (reset, teardown), -EBUSY if no slot freed up.
 */
int lsi_dcmd_exec(struct lsi_ctrl *ctrl, struct lsi_dcmd *dcmd)
{
	unsigned long timeout = (dcmd->timeout_s ?: LSI_DCMD_TIMEOUT_S) * HZ;
	struct lsi_icmd *ic;
	int ret;

	dcmd->mfi_status = LSI_MFI_STAT_INVALID_STATUS;
	if (dcmd->len > LSI_DCMD_DATA_SIZE && !dcmd->ext_dma)
		return -EINVAL;
	if (!lsi_fw_up(ctrl))
		return -ENODEV;
	ic = lsi_icmd_get(ctrl, timeout, "DCMD");
	if (!ic)
		return -EBUSY;

	if (dcmd->dir == LSI_DIR_WRITE && !dcmd->ext_dma)
		memcpy(ic->data, dcmd->data, dcmd->len);
	lsi_dcmd_build(ctrl, ic, dcmd, NULL);
	ret = lsi_icmd_issue(ctrl, ic, LSI_REQ_DESC_SCSI_IO, timeout);
	if (ret == -ETIMEDOUT)
		dev_err(ctrl->dev, "DCMD %#010x timed out after %lu s (pad0 %#010x)\n",
			dcmd->opcode, timeout / HZ, lsi_read_pad0(ctrl));
	if (ret)
		return ret;

	ret = ic->result;
	dcmd->mfi_status = ic->mfi_status;
	if (!ret && dcmd->mfi_status != LSI_MFI_STAT_OK)
		ret = -EIO;
	if (!ret && dcmd->dir == LSI_DIR_READ && !dcmd->ext_dma)
		memcpy(dcmd->data, ic->data, dcmd->len);
	lsi_icmd_put(ctrl, ic);
	return ret;
}

/*
 * Start a DCMD without waiting (the event wait): @done_fn runs when it ends
 * (interrupt context) or is cancelled (a teardown's process context), must
 * not sleep, and finds ic->result, ic->mfi_status and ic->data (LSI_DIR_READ,
 * at most dcmd->len bytes) valid. Returns 0 if posted, -EBUSY if no slot is
 * free, -ENODEV if the firmware is not up.
 */
int lsi_dcmd_start(struct lsi_ctrl *ctrl, const struct lsi_dcmd *dcmd,
		   lsi_icmd_done_t done_fn)
{
	struct lsi_icmd *ic;
	int ret;

	if (dcmd->len > LSI_DCMD_DATA_SIZE)
		return -EINVAL;
	ic = lsi_icmd_tryget(ctrl);
	if (!ic)
		return -EBUSY;
	lsi_dcmd_build(ctrl, ic, dcmd, done_fn);
	ret = lsi_icmd_post(ctrl, ic, LSI_REQ_DESC_SCSI_IO);
	if (ret)
		lsi_icmd_put(ctrl, ic);
	return ret;
}

/* ---- the DCMDs the driver uses ---- */

static void lsi_fw_version(struct lsi_ctrl *ctrl,
			   const struct lsi_ctrl_info *info)
{
	u32 n = min_t(u32, le32_to_cpu(info->image_component_count),
		      ARRAY_SIZE(info->image_component));
	const struct lsi_image_component *img = &info->image_component[0];
	u32 i;

	ctrl->fw_version[0] = '\0';
	if (!n)
		return;
	/* The application image is the firmware proper; else take the first. */
	for (i = 0; i < n; i++) {
		if (!strncmp(info->image_component[i].name, "APP", 4)) {
			img = &info->image_component[i];
			break;
		}
	}
	lsi_fw_string(ctrl->fw_version, sizeof(ctrl->fw_version), img->version,
		      sizeof(img->version));
}

static int lsi_apply_ctrl_info(struct lsi_ctrl *ctrl,
			       const struct lsi_ctrl_info *info)
{
	if (info->host_interface & LSI_HOST_IF_SRIOV) {
		dev_err(ctrl->dev, "controller is an SR-IOV virtual function (host_interface %#04x), not supported\n",
			info->host_interface);
		return -ENODEV;
	}
	lsi_fw_string(ctrl->product, sizeof(ctrl->product), info->product_name,
		      sizeof(info->product_name));
	lsi_fw_string(ctrl->serial, sizeof(ctrl->serial), info->serial_no,
		      sizeof(info->serial_no));
	lsi_fw_string(ctrl->fw_package, sizeof(ctrl->fw_package),
		      info->package_version, sizeof(info->package_version));
	lsi_fw_version(ctrl, info);
	ctrl->ext_lds = info->max_lds > LSI_MAX_LDS_LEGACY ||
		(le32_to_cpu(info->adapter_operations3) &
		 LSI_ADAPTER_OPS3_MAX_EXT_LDS);
	ctrl->info_max_sectors =
		lsi_info_max_sectors(info->stripe_size_min,
				     le16_to_cpu(info->max_strips_per_io),
				     le32_to_cpu(info->max_request_size));

	dev_info(ctrl->dev, "%s, firmware %s (package %s), serial %s, %u MiB cache, up to %u LDs\n",
		 ctrl->product, ctrl->fw_version, ctrl->fw_package, ctrl->serial,
		 le16_to_cpu(info->memory_size),
		 ctrl->ext_lds ? LSI_MAX_LDS : LSI_MAX_LDS_LEGACY);
	return 0;
}

int lsi_get_ctrl_info(struct lsi_ctrl *ctrl)
{
	struct lsi_ctrl_info *info = kzalloc(sizeof(*info), GFP_KERNEL);
	struct lsi_dcmd dcmd = {
		.opcode	= LSI_DCMD_CTRL_GET_INFO,
		.dir	= LSI_DIR_READ,
		.data	= info,
		.len	= sizeof(*info),
		/* part of every bring-up: bounded like the rest of a reset */
		.timeout_s = LSI_IOC_INIT_TIMEOUT_S,
	};
	int ret;

	if (!info)
		return -ENOMEM;
	ret = lsi_dcmd_exec(ctrl, &dcmd);
	if (ret)
		dev_err(ctrl->dev, "CTRL_GET_INFO failed: %d (MFI status %#04x)\n",
			ret, dcmd.mfi_status);
	else
		ret = lsi_apply_ctrl_info(ctrl, info);
	kfree(info);
	return ret;
}

static int lsi_ld_list_query(struct lsi_ctrl *ctrl, u32 max,
			     unsigned long *present)
{
	struct lsi_ld_targetid_list *list = kzalloc(sizeof(*list), GFP_KERNEL);
	struct lsi_dcmd dcmd = {
		.opcode	= LSI_DCMD_LD_LIST_QUERY,
		.mbox	= { LSI_LD_QUERY_EXPOSED_TO_HOST, 0, ctrl->ext_lds },
		.dir	= LSI_DIR_READ,
		.data	= list,
		.len	= LSI_LD_TARGETID_LIST_SIZE,
	};
	int ret;

	if (!list)
		return -ENOMEM;
	ret = lsi_dcmd_exec(ctrl, &dcmd);
	if (!ret)
		ret = lsi_parse_ld_targets(list, max, present);
	if (ret == -EPROTO)
		atomic_long_inc(&ctrl->bad_event_count);
	if (ret < 0)
		dev_info_ratelimited(ctrl->dev, "LD_LIST_QUERY failed: %d (MFI status %#04x, count %u, at most %u LDs)\n",
				     ret, dcmd.mfi_status,
				     le32_to_cpu(list->count), max);
	kfree(list);
	return ret;
}

static int lsi_ld_get_list(struct lsi_ctrl *ctrl, u32 max,
			   unsigned long *present)
{
	struct lsi_ld_list *list = kzalloc(sizeof(*list), GFP_KERNEL);
	struct lsi_dcmd dcmd = {
		.opcode	= LSI_DCMD_LD_GET_LIST,
		.mbox	= { ctrl->ext_lds },
		.dir	= LSI_DIR_READ,
		.data	= list,
		.len	= sizeof(*list),
	};
	int ret;

	if (!list)
		return -ENOMEM;
	ret = lsi_dcmd_exec(ctrl, &dcmd);
	if (!ret)
		ret = lsi_parse_ld_list(list, max, present);
	if (ret == -EPROTO)
		atomic_long_inc(&ctrl->bad_event_count);
	if (ret < 0)
		dev_err_ratelimited(ctrl->dev, "LD_GET_LIST failed: %d (MFI status %#04x, count %u, at most %u LDs)\n",
				    ret, dcmd.mfi_status,
				    le32_to_cpu(list->ld_count), max);
	kfree(list);
	return ret;
}

/*
 * The RAID map's buffer: a legacy map for 64 LDs (172200 bytes), allocated
 * once and kept until the driver unbinds (devres), so that a map DCMD that
 * timed out can still land in it.
 */
static struct lsi_dma *lsi_raid_map_buf(struct lsi_ctrl *ctrl)
{
	struct lsi_dma *buf = &ctrl->raid_map;

	if (!buf->va) {
		buf->size = LSI_RAID_MAP_SIZE(LSI_MAX_LDS_LEGACY);
		buf->va = dmam_alloc_coherent(ctrl->dev, buf->size, &buf->dma,
					      GFP_KERNEL);
	}
	return buf->va ? buf : NULL;
}

/*
 * Which LDs take task management: those the RAID map marks TM-capable
 * (megaraid_sas reads the same bit before it sends any TM). The map is only
 * read for what the driver asks no more of: it sends no sequence numbers and
 * no fast path. Firmware with more than 64 LDs keeps the extended map, which
 * is not read: none of its LDs gets a TM, a timeout goes to a controller
 * reset. Any failure leaves the set empty, the same safe answer.
 */
static void lsi_read_tm_capable(struct lsi_ctrl *ctrl)
{
	DECLARE_BITMAP(tm, LSI_MAX_LDS);
	struct lsi_dma *buf = ctrl->ext_lds ? NULL : lsi_raid_map_buf(ctrl);
	struct lsi_dcmd dcmd = {
		.opcode	= LSI_DCMD_LD_MAP_GET_INFO,
		.dir	= LSI_DIR_READ,
	};
	int ret = -EOPNOTSUPP;

	bitmap_zero(tm, LSI_MAX_LDS);
	if (buf) {
		dcmd.ext_dma = buf->dma;
		dcmd.len = buf->size;
		memset(buf->va, 0, buf->size);
		ret = lsi_dcmd_exec(ctrl, &dcmd);
		if (!ret)
			ret = lsi_parse_raid_map(buf->va, buf->size, tm);
		if (ret == -EPROTO)
			atomic_long_inc(&ctrl->bad_event_count);
		if (ret < 0)
			dev_warn_ratelimited(ctrl->dev, "RAID map not read (%d, MFI status %#04x): no task management\n",
					     ret, dcmd.mfi_status);
	}
	spin_lock(&ctrl->ld_lock);
	bitmap_copy(ctrl->ld_tm_capable, tm, LSI_MAX_LDS);
	spin_unlock(&ctrl->ld_lock);
}

bool lsi_ld_tm_capable(struct lsi_ctrl *ctrl, unsigned int target_id)
{
	bool capable;

	if (target_id >= LSI_MAX_LDS)
		return false;
	spin_lock(&ctrl->ld_lock);
	capable = test_bit(target_id, ctrl->ld_tm_capable);
	spin_unlock(&ctrl->ld_lock);
	return capable;
}

/* Learn which LDs exist; SCSI scanning only accepts those. */
int lsi_read_ld_list(struct lsi_ctrl *ctrl)
{
	u32 max = ctrl->ext_lds ? LSI_MAX_LDS : LSI_MAX_LDS_LEGACY;
	DECLARE_BITMAP(present, LSI_MAX_LDS);
	bool changed;
	int n;

	n = lsi_ld_list_query(ctrl, max, present);
	if (n < 0)
		n = lsi_ld_get_list(ctrl, max, present);
	if (n < 0)
		return n;
	lsi_read_tm_capable(ctrl);

	spin_lock(&ctrl->ld_lock);
	changed = !bitmap_equal(ctrl->ld_present, present, LSI_MAX_LDS);
	bitmap_copy(ctrl->ld_present, present, LSI_MAX_LDS);
	spin_unlock(&ctrl->ld_lock);
	if (changed)
		dev_info(ctrl->dev, "%d logical drive(s): %*pbl\n", n,
			 LSI_MAX_LDS, present);
	return n;
}

/* Bit @id of one of the device bitmaps ld_lock guards (ld/pd_present). */
static bool lsi_dev_present(struct lsi_ctrl *ctrl, const unsigned long *map,
			    unsigned int nbits, unsigned int id)
{
	bool present;

	if (id >= nbits)
		return false;
	spin_lock(&ctrl->ld_lock);
	present = test_bit(id, map);
	spin_unlock(&ctrl->ld_lock);
	return present;
}

bool lsi_ld_present(struct lsi_ctrl *ctrl, unsigned int target_id)
{
	return lsi_dev_present(ctrl, ctrl->ld_present, LSI_MAX_LDS, target_id);
}

/* Firmware that does not know a DCMD, or this query of it. */
static bool lsi_mfi_unsupported(u8 mfi_status)
{
	return mfi_status == LSI_MFI_STAT_INVALID_CMD ||
	       mfi_status == LSI_MFI_STAT_INVALID_DCMD ||
	       mfi_status == LSI_MFI_STAT_INVALID_PARAMETER;
}

/* A PD list that does not hold together: say what was wrong in it. */
static void lsi_pd_list_refused(struct lsi_ctrl *ctrl,
				const struct lsi_pd_list *list, size_t len,
				u32 bad)
{
	u32 count = le32_to_cpu(list->count);
	u16 id;

	atomic_long_inc(&ctrl->bad_event_count);
	if (bad >= count) {
		dev_err_ratelimited(ctrl->dev, "PD_LIST_QUERY answer refused: %u entries, room for %zu; keeping the system PDs known\n",
				    count, (len - sizeof(*list)) /
				    sizeof(list->addr[0]));
		return;
	}
	id = le16_to_cpu(list->addr[bad].device_id);
	dev_err_ratelimited(ctrl->dev, "PD_LIST_QUERY answer refused: entry %u of %u is device id %u, %s; keeping the system PDs known\n",
			    bad, count, id, id >= LSI_MAX_PDS ?
			    "beyond 255" : "listed twice");
}

static void lsi_set_pd_present(struct lsi_ctrl *ctrl,
			       const unsigned long *present, int n)
{
	bool changed;

	spin_lock(&ctrl->ld_lock);
	changed = !bitmap_equal(ctrl->pd_present, present, LSI_MAX_PDS);
	bitmap_copy(ctrl->pd_present, present, LSI_MAX_PDS);
	spin_unlock(&ctrl->ld_lock);
	if (changed && n)
		dev_info(ctrl->dev, "%d system PD(s): %*pbl\n", n, LSI_MAX_PDS,
			 present);
	else if (changed)
		dev_info(ctrl->dev, "no system PDs\n");
}

/*
 * Learn which system PDs (JBOD) the firmware exposes: PD_LIST_QUERY with
 * EXPOSED_TO_HOST; SCSI scanning only accepts those. Firmware that does not
 * know the query has none (said once, at info level). A list that does not
 * hold together is refused, naming what was wrong, and the system PDs known
 * so far stay. Returns their number, or a negative error.
 */
int lsi_read_pd_list(struct lsi_ctrl *ctrl)
{
	const size_t len = LSI_PD_LIST_SIZE(LSI_MAX_PDS);
	struct lsi_pd_list *list = kzalloc(len, GFP_KERNEL);
	DECLARE_BITMAP(present, LSI_MAX_PDS);
	struct lsi_dcmd dcmd = {
		.opcode	= LSI_DCMD_PD_LIST_QUERY,
		.mbox	= { LSI_PD_QUERY_EXPOSED_TO_HOST },
		.dir	= LSI_DIR_READ,
		.data	= list,
		.len	= len,
		.timeout_s = LSI_EVT_DCMD_TIMEOUT_S,
	};
	u32 bad;
	int n;

	static_assert(LSI_PD_LIST_SIZE(LSI_MAX_PDS) <= LSI_DCMD_DATA_SIZE);
	if (!list)
		return -ENOMEM;
	n = lsi_dcmd_exec(ctrl, &dcmd);
	if (n == -EIO && lsi_mfi_unsupported(dcmd.mfi_status)) {
		if (!ctrl->pd_list_unsupported)
			dev_info(ctrl->dev, "firmware lists no system PDs (PD_LIST_QUERY: MFI status %#04x): no JBOD disks\n",
				 dcmd.mfi_status);
		ctrl->pd_list_unsupported = true;
		bitmap_zero(present, LSI_MAX_PDS);
		n = 0;
	} else if (n) {
		dev_err_ratelimited(ctrl->dev, "PD_LIST_QUERY failed: %d (MFI status %#04x)\n",
				    n, dcmd.mfi_status);
	} else {
		ctrl->pd_list_unsupported = false;
		n = lsi_parse_pd_list(list, len, present, &bad);
		if (n < 0)
			lsi_pd_list_refused(ctrl, list, len, bad);
	}
	if (n >= 0)
		lsi_set_pd_present(ctrl, present, n);
	kfree(list);
	return n;
}

bool lsi_syspd_present(struct lsi_ctrl *ctrl, unsigned int dev_id)
{
	return lsi_dev_present(ctrl, ctrl->pd_present, LSI_MAX_PDS, dev_id);
}

/*
 * Take back a DCMD the firmware holds (the event wait) with an MFI ABORT in
 * another slot. The held command then ends through its own done_fn.
 */
static void lsi_abort_dcmd(struct lsi_ctrl *ctrl, struct lsi_icmd *victim)
{
	unsigned long timeout = LSI_EVT_DCMD_TIMEOUT_S * HZ;
	u32 opcode = le32_to_cpu(READ_ONCE(victim->mfi->opcode));
	struct lsi_icmd *ic = lsi_icmd_get(ctrl, timeout, "DCMD abort");
	int ret;

	if (!ic)
		return;
	lsi_icmd_prepare(ic, NULL, false);
	lsi_build_mfi_abort((void *)ic->mfi, ic->smid, victim->smid,
			    victim->mfi_dma);
	lsi_build_mfi_passthru(lsi_frame(ctrl, ic->smid), ic->mfi_dma,
			       LSI_MFI_FRAME_SIZE);
	ret = lsi_icmd_issue(ctrl, ic, LSI_REQ_DESC_SCSI_IO, timeout);
	if (ret) {
		dev_warn(ctrl->dev, "abort of held DCMD %#010x (SMID %u) failed: %d\n",
			 opcode, victim->smid, ret);
		return;
	}
	/* ABORT_NOT_POSSIBLE: it ended on its own meanwhile. */
	if (ic->result || (ic->mfi_status != LSI_MFI_STAT_OK &&
			   ic->mfi_status != LSI_MFI_STAT_ABORT_NOT_POSSIBLE))
		dev_warn(ctrl->dev, "abort of held DCMD %#010x (SMID %u): %d, MFI status %#04x\n",
			 opcode, victim->smid, ic->result, ic->mfi_status);
	lsi_icmd_put(ctrl, ic);
}

/*
 * Before the firmware is shut down, the DCMDs it holds for the driver are
 * taken back, as megaraid_sas does (megasas_shutdown_controller aborts the
 * AEN and the map syncs first): the only one here is the event wait, an
 * asynchronous slot.
 */
static void lsi_abort_held_dcmds(struct lsi_ctrl *ctrl)
{
	unsigned int i;

	for (i = 0; i < LSI_NR_INTERNAL; i++) {
		struct lsi_icmd *ic = &ctrl->icmd[i];

		if (test_bit(LSI_CMD_INFLIGHT, &ic->flags) && ic->done_fn &&
		    !ic->is_tm)
			lsi_abort_dcmd(ctrl, ic);
	}
	/* A sleep keeps the state: let the ended wait's work run out. */
	flush_work(&ctrl->event_work);
}

/*
 * Write the controller cache back, take back the held DCMDs, then tell the
 * firmware the host is going away: CTRL_SHUTDOWN (remove, reboot,
 * power-off) or HIBERNATE_SHUTDOWN (system sleep), the order and opcodes of
 * megaraid_sas (megasas_shutdown / megasas_suspend). Failures are reported,
 * not fatal.
 */
static void lsi_fw_flush_stop(struct lsi_ctrl *ctrl, u32 opcode)
{
	struct lsi_dcmd flush = {
		.opcode	= LSI_DCMD_CTRL_CACHE_FLUSH,
		.mbox	= { LSI_FLUSH_CTRL_CACHE | LSI_FLUSH_DISK_CACHE },
	};
	struct lsi_dcmd shutdown = { .opcode = opcode };
	u32 pad0 = lsi_read_pad0(ctrl);
	int ret;

	if (lsi_fw_state(pad0) != LSI_FW_STATE_OPERATIONAL) {
		dev_err(ctrl->dev, "firmware is %s (pad0 %#010x): the controller cache cannot be flushed\n",
			lsi_fw_state_name(pad0), pad0);
		return;
	}
	ret = lsi_dcmd_exec(ctrl, &flush);
	if (ret)
		dev_err(ctrl->dev, "controller cache flush failed: %d (MFI status %#04x)\n",
			ret, flush.mfi_status);
	lsi_abort_held_dcmds(ctrl);
	ret = lsi_dcmd_exec(ctrl, &shutdown);
	if (ret)
		dev_err(ctrl->dev, "controller shutdown (%#010x) failed: %d (MFI status %#04x)\n",
			opcode, ret, shutdown.mfi_status);
}

void lsi_fw_flush_shutdown(struct lsi_ctrl *ctrl)
{
	lsi_fw_flush_stop(ctrl, LSI_DCMD_CTRL_SHUTDOWN);
}

void lsi_fw_flush_hibernate(struct lsi_ctrl *ctrl)
{
	lsi_fw_flush_stop(ctrl, LSI_DCMD_HIBERNATE_SHUTDOWN);
}
