// SPDX-License-Identifier: GPL-2.0-only
/*
 * Internal commands: the SMID slots the driver keeps for itself.
 *
 * The SMIDs above can_queue are not given to the SCSI midlayer. Each of these
 * LSI_NR_INTERNAL slots owns an MFI frame and a data buffer; a slot carries
 * one management command at a time:
 *   a DCMD (mfi.c): an MFI frame in the slot's MFI area, wrapped in an MPI
 *     pass-through frame and posted with a SCSI IO descriptor on reply
 *     queue 0. The firmware writes its answer into the MFI frame's
 *     cmd_status and always posts a reply descriptor for the pass-through
 *     SMID;
 *   a task management request (eh.c): the request frame of the slot's SMID
 *     is the TM, posted with a high-priority descriptor that names the reply
 *     queue of the command it is about; the firmware writes its reply over
 *     the second half of that frame.
 * Firmware may answer either on another queue (queue 0, say): a reply is
 * taken wherever it arrives.
 * Either way the command ends when its reply descriptor is consumed, by the
 * interrupt handler or by a teardown taking the replies posted before it
 * (lsi_disable): then its waiter is woken, or its done_fn runs (an
 * asynchronous command: the event wait). done_fn therefore runs in interrupt
 * context or in the process context of a teardown, and must not sleep.
 *
 * A caller that gives up after a timeout simply leaves the slot behind: it
 * is released when the firmware finally answers, or when the device is torn
 * down (lsi_cancel_internal: the command ends with -ENODEV).
 *
 * Nothing is posted unless the firmware is up: the state is checked under
 * state_lock, the lock lsi_change_state() takes, so once a teardown has
 * changed the state every slot it has to cancel was posted before.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jiffies.h>

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

struct lsi_icmd *lsi_icmd_tryget(struct lsi_ctrl *ctrl)
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
	ic->releases++;
	wake_up(&ctrl->icmd_wait);
}

void lsi_icmd_put(struct lsi_ctrl *ctrl, struct lsi_icmd *ic)
{
	spin_lock_irq(&ctrl->icmd_lock);
	lsi_icmd_release(ctrl, ic);
	spin_unlock_irq(&ctrl->icmd_lock);
}

/* Wait up to @timeout for a free slot; NULL (and a message) if none. */
struct lsi_icmd *lsi_icmd_get(struct lsi_ctrl *ctrl, unsigned long timeout,
			      const char *what)
{
	struct lsi_icmd *ic = NULL;

	wait_event_timeout(ctrl->icmd_wait, (ic = lsi_icmd_tryget(ctrl)), timeout);
	if (!ic)
		dev_err(ctrl->dev, "%s: no internal command slot free\n", what);
	return ic;
}

/* Reset a slot's answer fields before it is built and posted. */
void lsi_icmd_prepare(struct lsi_icmd *ic, lsi_icmd_done_t done_fn, bool is_tm)
{
	reinit_completion(&ic->done);
	ic->done_fn = done_fn;
	ic->is_tm = is_tm;
	ic->queue = 0;
	ic->abandoned = false;
	ic->result = 0;
	ic->mfi_status = LSI_MFI_STAT_INVALID_STATUS;
	ic->tm_response = LSI_TM_RSP_FAILED;
	ic->tm_terminated = 0;
}

/* The firmware is up: internal commands may be posted (a hint, unlocked). */
bool lsi_fw_up(struct lsi_ctrl *ctrl)
{
	return lsi_state_fw_up(READ_ONCE(ctrl->state));
}

/*
 * Post a built slot if the firmware is up; -ENODEV if not. Under state_lock:
 * a teardown that has changed the state finds every posted slot.
 */
int lsi_icmd_post(struct lsi_ctrl *ctrl, struct lsi_icmd *ic, u8 type)
{
	unsigned long flags;
	int ret = -ENODEV;

	spin_lock_irqsave(&ctrl->state_lock, flags);
	if (lsi_state_fw_up(ctrl->state)) {
		set_bit(LSI_CMD_INFLIGHT, &ic->flags);
		lsi_post(ctrl, lsi_req_desc(type, ic->queue, ic->smid));
		ret = 0;
	}
	spin_unlock_irqrestore(&ctrl->state_lock, flags);
	return ret;
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

	/* Accepted on any queue, only counted (lsi_note_reply_queue). */
	lsi_note_reply_queue(ctrl, ic->queue, queue);
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

/*
 * While the controller is being brought up (CONNECTING) no watchdog looks
 * at the firmware: a FAULT (a DMA error, say) would leave the bring-up
 * waiting for the whole timeout. Has the firmware stopped?
 */
static bool lsi_icmd_hopeless(struct lsi_ctrl *ctrl)
{
	u32 pad0;

	if (READ_ONCE(ctrl->state) != LSI_CTRL_CONNECTING)
		return false;
	pad0 = lsi_read_pad0(ctrl);
	return pad0 == U32_MAX ||
	       lsi_fw_state(pad0) != LSI_FW_STATE_OPERATIONAL;
}

/*
 * Wait for the answer, in slices of a watchdog period, ending early when
 * the bring-up's firmware has stopped; on timeout leave the slot to the
 * firmware.
 */
static int lsi_icmd_wait(struct lsi_ctrl *ctrl, struct lsi_icmd *ic,
			 unsigned long timeout)
{
	unsigned long deadline = jiffies + timeout;
	unsigned long slice = msecs_to_jiffies(LSI_WATCHDOG_MS);
	bool done;

	for (;;) {
		long left = (long)(deadline - jiffies);

		if (left <= 0)
			break;
		if (wait_for_completion_timeout(&ic->done,
						min_t(long, left, slice)))
			return 0;
		if (lsi_icmd_hopeless(ctrl)) {
			dev_err(ctrl->dev, "firmware stopped during bring-up (pad0 %#010x)\n",
				lsi_read_pad0(ctrl));
			break;
		}
	}

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
int lsi_icmd_issue(struct lsi_ctrl *ctrl, struct lsi_icmd *ic, u8 type,
		   unsigned long timeout)
{
	int ret = lsi_icmd_post(ctrl, ic, type);

	if (ret) {
		lsi_icmd_put(ctrl, ic);
		return ret;
	}
	return lsi_icmd_wait(ctrl, ic, timeout);
}
