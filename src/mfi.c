// SPDX-License-Identifier: GPL-2.0-only
/*
 * Management commands (DCMDs).
 *
 * A DCMD is an MFI frame (opcode, 12-byte mailbox, one data SGE) wrapped in
 * an MPI pass-through frame and posted with a SCSI IO descriptor on reply
 * queue 0. The firmware writes its answer into the MFI frame's cmd_status
 * and always posts a reply descriptor for the pass-through SMID, so a DCMD
 * ends when that descriptor is consumed: by the interrupt handler once it is
 * installed, or before that by the waiting thread itself, which then walks
 * reply queue 0 (only the probe thread issues DCMDs at that stage).
 *
 * DCMDs use the SMIDs above can_queue. Each of these internal slots owns an
 * MFI frame and a data buffer, so a caller that gives up after a timeout can
 * simply leave the slot behind: the slot is released when the firmware
 * finally answers, or when the device is torn down. A slot can also be
 * started asynchronously (the event wait): its done_fn runs, in interrupt
 * context, when it ends, and the slot is released after it.
 *
 * Task management requests use the same slots: the request frame of the
 * slot's SMID is the TM, posted with a high-priority descriptor, and the
 * firmware writes its reply over the second half of that frame.
 *
 * Nothing is posted unless the firmware is up (fw_up, under icmd_lock):
 * a reset clears it first, so every slot it has to cancel was posted before.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/slab.h>

#include "lsi3108.h"

void lsi_icmd_setup(struct lsi_ctrl *ctrl)
{
	u32 i;

	for (i = 0; i < LSI_NR_INTERNAL; i++) {
		struct lsi_icmd *ic = &ctrl->icmd[i];

		ic->smid = ctrl->can_queue + 1 + i;
		ic->mfi = ctrl->mfi.va + i * LSI_MFI_FRAME_SIZE;
		ic->mfi_dma = ctrl->mfi.dma + i * LSI_MFI_FRAME_SIZE;
		ic->data = ctrl->dcmd_data.va + i * LSI_DCMD_DATA_SIZE;
		ic->data_dma = ctrl->dcmd_data.dma + i * LSI_DCMD_DATA_SIZE;
		init_completion(&ic->done);
	}
}

static struct lsi_icmd *lsi_icmd_tryget(struct lsi_ctrl *ctrl)
{
	struct lsi_icmd *ic = NULL;
	unsigned long i;

	spin_lock_irq(&ctrl->icmd_lock);
	i = find_first_zero_bit(&ctrl->icmd_busy, LSI_NR_INTERNAL);
	if (i < LSI_NR_INTERNAL) {
		__set_bit(i, &ctrl->icmd_busy);
		ic = &ctrl->icmd[i];
	}
	spin_unlock_irq(&ctrl->icmd_lock);
	return ic;
}

/* Called with icmd_lock held. */
static void lsi_icmd_release(struct lsi_ctrl *ctrl, struct lsi_icmd *ic)
{
	__clear_bit(ic - ctrl->icmd, &ctrl->icmd_busy);
	wake_up(&ctrl->icmd_wait);
}

static void lsi_icmd_put(struct lsi_ctrl *ctrl, struct lsi_icmd *ic)
{
	spin_lock_irq(&ctrl->icmd_lock);
	lsi_icmd_release(ctrl, ic);
	spin_unlock_irq(&ctrl->icmd_lock);
}

/* Open or close the gate for internal commands (reset, teardown). */
void lsi_set_fw_up(struct lsi_ctrl *ctrl, bool up)
{
	spin_lock_irq(&ctrl->icmd_lock);
	ctrl->fw_up = up;
	spin_unlock_irq(&ctrl->icmd_lock);
}

static void lsi_icmd_prepare(struct lsi_icmd *ic, lsi_icmd_done_t done_fn,
			     bool is_tm)
{
	reinit_completion(&ic->done);
	ic->done_fn = done_fn;
	ic->is_tm = is_tm;
	ic->abandoned = false;
	ic->result = 0;
	ic->mfi_status = LSI_MFI_STAT_INVALID_STATUS;
	ic->tm_response = LSI_TM_RSP_FAILED;
	ic->tm_terminated = 0;
}

/* Post a prepared slot if the firmware is up; -ENODEV if not. */
static int lsi_icmd_post(struct lsi_ctrl *ctrl, struct lsi_icmd *ic, u8 type)
{
	int ret = -ENODEV;

	spin_lock_irq(&ctrl->icmd_lock);
	if (ctrl->fw_up) {
		set_bit(LSI_CMD_INFLIGHT, &ic->flags);
		lsi_post(ctrl, lsi_req_desc(type, 0, ic->smid));
		ret = 0;
	}
	spin_unlock_irq(&ctrl->icmd_lock);
	return ret;
}

static void lsi_icmd_build_dcmd(struct lsi_ctrl *ctrl, struct lsi_icmd *ic,
				const struct lsi_dcmd *dcmd,
				lsi_icmd_done_t done_fn)
{
	lsi_icmd_prepare(ic, done_fn, false);
	lsi_build_dcmd(ic->mfi, dcmd, ic->data_dma, ic->smid);
	lsi_build_mfi_passthru(lsi_frame(ctrl, ic->smid), ic->mfi_dma,
			       LSI_MFI_FRAME_SIZE);
}

/*
 * Hand a finished slot to its waiter or its done_fn, or free it if the
 * waiter left. The firmware's answer is read before the frame is cleared.
 */
static void lsi_icmd_finish(struct lsi_ctrl *ctrl, struct lsi_icmd *ic,
			    int result)
{
	struct lsi_tm_request *tm = (void *)lsi_frame(ctrl, ic->smid);
	unsigned long flags;

	if (!result && ic->is_tm) {
		ic->tm_response = READ_ONCE(tm->reply.response_code);
		ic->tm_terminated = le32_to_cpu(READ_ONCE(tm->reply.termination_count));
	} else if (!result) {
		ic->mfi_status = READ_ONCE(ic->mfi->hdr.cmd_status);
	}
	ic->result = result;
	memset(tm, 0, LSI_FRAME_SIZE);
	if (ic->done_fn) {
		ic->done_fn(ctrl, ic);
		spin_lock_irqsave(&ctrl->icmd_lock, flags);
		lsi_icmd_release(ctrl, ic);
		spin_unlock_irqrestore(&ctrl->icmd_lock, flags);
		return;
	}
	spin_lock_irqsave(&ctrl->icmd_lock, flags);
	if (ic->abandoned)
		lsi_icmd_release(ctrl, ic);
	else
		complete(&ic->done);
	spin_unlock_irqrestore(&ctrl->icmd_lock, flags);
}

void lsi_complete_internal(struct lsi_ctrl *ctrl, u32 smid, u32 queue)
{
	struct lsi_icmd *ic = &ctrl->icmd[smid - ctrl->can_queue - 1];

	if (queue != 0) {
		lsi_bad_reply(ctrl, smid, queue, "internal command on a reply queue other than 0");
		return;
	}
	if (!test_and_clear_bit(LSI_CMD_INFLIGHT, &ic->flags)) {
		lsi_bad_reply(ctrl, smid, queue, "internal command not outstanding");
		return;
	}
	lsi_icmd_finish(ctrl, ic, 0);
}

/* Teardown, with DMA stopped: fail what the firmware will never answer. */
void lsi_cancel_internal(struct lsi_ctrl *ctrl)
{
	u32 i;

	for (i = 0; i < LSI_NR_INTERNAL; i++) {
		struct lsi_icmd *ic = &ctrl->icmd[i];

		if (test_and_clear_bit(LSI_CMD_INFLIGHT, &ic->flags))
			lsi_icmd_finish(ctrl, ic, -ENODEV);
	}
}

/* Before the handlers exist: walk reply queue 0 ourselves. */
static bool lsi_icmd_poll(struct lsi_ctrl *ctrl, struct lsi_icmd *ic,
			  unsigned long timeout)
{
	unsigned long deadline = jiffies + timeout;

	for (;;) {
		lsi_process_replies(&ctrl->queues[0], LSI_REPLY_BUDGET);
		if (completion_done(&ic->done))
			return true;
		if (time_after(jiffies, deadline))
			return false;
		msleep(LSI_POLL_MS);
	}
}

/* Wait for the answer; on timeout leave the slot to the firmware. */
static int lsi_icmd_wait(struct lsi_ctrl *ctrl, struct lsi_icmd *ic,
			 unsigned long timeout)
{
	bool done;

	if (ctrl->irqs_on)
		done = wait_for_completion_timeout(&ic->done, timeout);
	else
		done = lsi_icmd_poll(ctrl, ic, timeout);
	if (done)
		return 0;

	spin_lock_irq(&ctrl->icmd_lock);
	done = completion_done(&ic->done);
	if (!done)
		ic->abandoned = true;
	spin_unlock_irq(&ctrl->icmd_lock);
	return done ? 0 : -ETIMEDOUT;
}

/*
 * Post a built slot and wait for it. If it cannot be posted the slot is
 * freed; if it times out (-ETIMEDOUT) the slot stays with the firmware.
 */
static int lsi_icmd_issue(struct lsi_ctrl *ctrl, struct lsi_icmd *ic, u8 type,
			  unsigned long timeout)
{
	int ret = lsi_icmd_post(ctrl, ic, type);

	if (ret) {
		lsi_icmd_put(ctrl, ic);
		return ret;
	}
	return lsi_icmd_wait(ctrl, ic, timeout);
}

static struct lsi_icmd *lsi_icmd_get(struct lsi_ctrl *ctrl,
				     unsigned long timeout, const char *what)
{
	struct lsi_icmd *ic = NULL;

	wait_event_timeout(ctrl->icmd_wait, (ic = lsi_icmd_tryget(ctrl)), timeout);
	if (!ic)
		dev_err(ctrl->dev, "%s: no internal command slot free\n", what);
	return ic;
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
	if (dcmd->len > LSI_DCMD_DATA_SIZE)
		return -EINVAL;
	if (!READ_ONCE(ctrl->fw_up))
		return -ENODEV;
	ic = lsi_icmd_get(ctrl, timeout, "DCMD");
	if (!ic)
		return -EBUSY;

	if (dcmd->dir == LSI_DIR_WRITE)
		memcpy(ic->data, dcmd->data, dcmd->len);
	lsi_icmd_build_dcmd(ctrl, ic, dcmd, NULL);
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
	if (!ret && dcmd->dir == LSI_DIR_READ)
		memcpy(dcmd->data, ic->data, dcmd->len);
	lsi_icmd_put(ctrl, ic);
	return ret;
}

/*
 * Start a DCMD without waiting (the event wait): @done_fn runs in interrupt
 * context when it ends or is cancelled, with ic->result, ic->mfi_status and
 * ic->data (LSI_DIR_READ, at most dcmd->len bytes) valid. Returns 0 if
 * posted, -EBUSY if no slot is free, -ENODEV if the firmware is not up.
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
	lsi_icmd_build_dcmd(ctrl, ic, dcmd, done_fn);
	ret = lsi_icmd_post(ctrl, ic, LSI_REQ_DESC_SCSI_IO);
	if (ret)
		lsi_icmd_put(ctrl, ic);
	return ret;
}

/*
 * Task management for an LD (process context). Returns 0 when the firmware
 * reports the TM carried out (*terminated: how many commands it ended),
 * -EIO when it refused, -ETIMEDOUT, -ENODEV, -EBUSY as for DCMDs.
 */
int lsi_tm_exec(struct lsi_ctrl *ctrl, u8 type, u16 target_id, u8 lun,
		u16 task_mid, u32 *terminated)
{
	unsigned long timeout = LSI_TM_TIMEOUT_S * HZ;
	struct lsi_icmd *ic;
	int ret;

	if (!READ_ONCE(ctrl->fw_up))
		return -ENODEV;
	ic = lsi_icmd_get(ctrl, timeout, "task management");
	if (!ic)
		return -EBUSY;
	lsi_icmd_prepare(ic, NULL, true);
	lsi_build_tm((void *)lsi_frame(ctrl, ic->smid), type, target_id, lun,
		     task_mid);
	ret = lsi_icmd_issue(ctrl, ic, LSI_REQ_DESC_HIGH_PRIORITY, timeout);
	if (ret == -ETIMEDOUT)
		dev_err(ctrl->dev, "TM type %u for target %u (SMID %u) timed out after %u s (pad0 %#010x)\n",
			type, target_id, task_mid, LSI_TM_TIMEOUT_S,
			lsi_read_pad0(ctrl));
	if (ret)
		return ret;
	ret = ic->result ?: lsi_map_tm_response(ic->tm_response);
	if (ret == -EIO)
		dev_err(ctrl->dev, "TM type %u for target %u (SMID %u) refused: response code %#04x\n",
			type, target_id, task_mid, ic->tm_response);
	*terminated = ic->tm_terminated;
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

	spin_lock(&ctrl->ld_lock);
	changed = !bitmap_equal(ctrl->ld_present, present, LSI_MAX_LDS);
	bitmap_copy(ctrl->ld_present, present, LSI_MAX_LDS);
	spin_unlock(&ctrl->ld_lock);
	if (changed)
		dev_info(ctrl->dev, "%d logical drive(s): %*pbl\n", n,
			 LSI_MAX_LDS, present);
	return n;
}

bool lsi_ld_present(struct lsi_ctrl *ctrl, unsigned int target_id)
{
	bool present;

	if (target_id >= LSI_MAX_LDS)
		return false;
	spin_lock(&ctrl->ld_lock);
	present = test_bit(target_id, ctrl->ld_present);
	spin_unlock(&ctrl->ld_lock);
	return present;
}

/*
 * Write the controller cache back, then tell the firmware the host is going
 * away (remove, reboot, power-off). Failures are reported, not fatal.
 */
void lsi_ctrl_quiesce(struct lsi_ctrl *ctrl)
{
	struct lsi_dcmd flush = {
		.opcode	= LSI_DCMD_CTRL_CACHE_FLUSH,
		.mbox	= { LSI_FLUSH_CTRL_CACHE | LSI_FLUSH_DISK_CACHE },
	};
	struct lsi_dcmd shutdown = { .opcode = LSI_DCMD_CTRL_SHUTDOWN };
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
	ret = lsi_dcmd_exec(ctrl, &shutdown);
	if (ret)
		dev_err(ctrl->dev, "controller shutdown failed: %d (MFI status %#04x)\n",
			ret, shutdown.mfi_status);
}
