// SPDX-License-Identifier: GPL-2.0-only
/*
 * SCSI error handling.
 *
 * A RAID volume may legitimately take long: a flush of a large cache, a disk
 * spinning up, a rebuild behind the I/O. The firmware has its own limits for
 * that and fails such commands itself when they are exceeded. So when the
 * block layer's timer fires, the command gets more time as long as the
 * controller is being reset (the reset requeues it), or the firmware is
 * OPERATIONAL and the command has been with it for less than cmd_limit
 * seconds. After that the command is aborted with an ABORT TASK task
 * management request; if that fails, the SCSI error handler escalates to a
 * LUN and then a target reset (TMs too) and finally to a host reset, which is
 * the online controller reset of reset.c.
 *
 * Task management only goes to LDs the RAID map marks TM-capable, as
 * megaraid_sas does: what firmware does with a TM for another LD is not
 * known. For those every TM handler fails at once, so the error handler
 * goes straight to the controller reset. System PDs (JBOD) get no TM either:
 * a PD's TM needs its device handle, which comes from the JBOD map the
 * driver does not read (the model answers a PD TM without one INVALID_LUN),
 * so their error handling takes the same way to the controller reset.
 *
 * A TM only succeeds when the firmware has also returned the command(s) it
 * ended: an SMID the firmware may still write to is never given back.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/moduleparam.h>
#include <scsi/scsi.h>
#include <scsi/scsi_cmnd.h>
#include <scsi/scsi_device.h>
#include <scsi/scsi_host.h>

#include "compat.h"
#include "lsi3108.h"

unsigned int lsi_cmd_limit = LSI_CMD_LIMIT_DEFAULT_S;

/*
 * A module parameter in seconds, min..max: a value outside (or not a
 * number) is refused with a message naming the parameter and the range,
 * and the one in force stays.
 */
int lsi_param_set_seconds(const char *val, const struct kernel_param *kp,
			  unsigned int min, unsigned int max)
{
	unsigned int v;

	if (kstrtouint(val, 0, &v) || v < min || v > max) {
		pr_err("%s must be %u..%u seconds, not '%.*s'\n", kp->name, min,
		       max, (int)strcspn(val, "\n"), val);
		return -EINVAL;
	}
	WRITE_ONCE(*(unsigned int *)kp->arg, v);
	return 0;
}

static int lsi_cmd_limit_set(const char *val, const struct kernel_param *kp)
{
	return lsi_param_set_seconds(val, kp, LSI_CMD_LIMIT_MIN_S,
				     LSI_CMD_LIMIT_MAX_S);
}

static const struct kernel_param_ops lsi_cmd_limit_ops = {
	.set	= lsi_cmd_limit_set,
	.get	= param_get_uint,
};
module_param_cb(cmd_limit, &lsi_cmd_limit_ops, &lsi_cmd_limit, 0644);
MODULE_PARM_DESC(cmd_limit,
		 "seconds a command may stay with a live firmware before it is aborted (5-3600, default 60)");

static struct lsi_ctrl *lsi_scmd_ctrl(struct scsi_cmnd *scmd)
{
	return shost_priv(scmd->device->host);
}

lsi_timeout_ret lsi_eh_timed_out(struct scsi_cmnd *scmd)
{
	struct lsi_ctrl *ctrl = lsi_scmd_ctrl(scmd);
	struct lsi_cmd *cmd = scsi_cmd_priv(scmd);
	unsigned int age, limit = READ_ONCE(lsi_cmd_limit);
	enum lsi_ctrl_state state = READ_ONCE(ctrl->state);
	u32 pad0;

	if (lsi_state_io_waits(state))
		return LSI_TIMEOUT_EXTEND;	/* requeued by the reset */
	if (state != LSI_CTRL_LIVE && state != LSI_CTRL_DELETING)
		return LSI_TIMEOUT_ABORT;
	pad0 = lsi_read_pad0(ctrl);
	if (pad0 == U32_MAX || lsi_fw_state(pad0) != LSI_FW_STATE_OPERATIONAL) {
		if (READ_ONCE(ctrl->state) == LSI_CTRL_LIVE) {
			lsi_request_reset(ctrl, "command timeout, firmware not operational");
			return LSI_TIMEOUT_EXTEND;
		}
		/* Going away, no resets any more: fail everything now. */
		lsi_kill(ctrl, "firmware stopped while the controller is removed");
		return LSI_TIMEOUT_ABORT;
	}
	if (!lsi_scmd_inflight(scmd))
		return LSI_TIMEOUT_EXTEND;	/* completing right now */
	age = jiffies_to_msecs(jiffies - READ_ONCE(cmd->start)) / MSEC_PER_SEC;
	if (age < limit) {
		scmd_printk(KERN_INFO, scmd,
			    "opcode %#04x with the firmware for %u s: waiting (cmd_limit %u s)\n",
			    scmd->cmnd[0], age, limit);
		return LSI_TIMEOUT_EXTEND;
	}
	scmd_printk(KERN_WARNING, scmd,
		    "opcode %#04x with the firmware for %u s (cmd_limit %u s): aborting it\n",
		    scmd->cmnd[0], age, limit);
	return LSI_TIMEOUT_ABORT;
}

/*
 * Task management for an LD (process context), in an internal slot (icmd.c):
 * the slot's request frame is the MPI2 TM request, posted with a
 * high-priority descriptor, answered in the second half of that frame.
 * Returns 0 when the firmware reports the TM carried out (*terminated: how
 * many commands it ended), -EIO when it refused, -ETIMEDOUT, -ENODEV, -EBUSY
 * as for DCMDs.
 */
static int lsi_tm_exec(struct lsi_ctrl *ctrl, struct scsi_cmnd *scmd, u8 type,
		       u16 task_mid, u32 *terminated)
{
	struct lsi_cmd *cmd = scsi_cmd_priv(scmd);
	const struct lsi_sdev *dev = scmd->device->hostdata;
	u16 target_id = dev->dev_id;
	u8 lun = scmd->device->lun;
	unsigned long timeout = LSI_TM_TIMEOUT_S * HZ;
	struct lsi_icmd *ic;
	int ret;

	if (!lsi_fw_up(ctrl))
		return -ENODEV;
	ic = lsi_icmd_get(ctrl, timeout, "task management");
	if (!ic)
		return -EBUSY;
	lsi_icmd_prepare(ic, NULL, true);
	/*
	 * The reply queue of the command the TM is about, as its completion
	 * (MPI2 lets a high-priority descriptor name one; megaraid_sas names
	 * 0): firmware that answers on queue 0 regardless is fine too. Not a
	 * poll queue: no one may poll it for the TM.
	 */
	ic->queue = READ_ONCE(cmd->queue);
	if (ic->queue >= lsi_irq_queues(ctrl))
		ic->queue = 0;
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

/*
 * May this device get task management: a TM-capable LD? If not, say why
 * the TM is skipped.
 */
static bool lsi_tm_allowed(struct lsi_ctrl *ctrl, struct scsi_device *sdev,
			   const char *what)
{
	const struct lsi_sdev *dev = sdev->hostdata;

	if (dev->syspd) {
		sdev_printk(KERN_WARNING, sdev, "%s skipped: system PD %u takes no task management without the JBOD map; escalating\n",
			    what, dev->dev_id);
		return false;
	}
	if (lsi_ld_tm_capable(ctrl, dev->dev_id))
		return true;
	sdev_printk(KERN_WARNING, sdev, "%s skipped: the RAID map does not mark this LD TM-capable; escalating\n",
		    what);
	return false;
}

/* After a TM: wait briefly for the ended commands' replies to be handled. */
static bool lsi_wait_returned(struct lsi_ctrl *ctrl,
			      bool (*busy)(struct lsi_ctrl *, void *),
			      void *data)
{
	unsigned int waited;

	for (waited = 0; busy(ctrl, data); waited += 20) {
		if (waited >= LSI_TM_DRAIN_MS)
			return false;
		/* A reply on a poll queue may have no poller to take it. */
		lsi_sweep_poll_queues(ctrl, false);
		msleep(20);
	}
	return true;
}

static bool lsi_scmd_busy(struct lsi_ctrl *ctrl, void *data)
{
	return lsi_scmd_inflight(data);
}

struct lsi_target_busy {
	struct scsi_device	*sdev;
	bool			whole_target;
	bool			busy;
};

static bool lsi_check_busy(struct scsi_cmnd *scmd, void *data)
{
	struct lsi_target_busy *t = data;
	bool match = t->whole_target ?
		     scsi_target(scmd->device) == scsi_target(t->sdev) :
		     scmd->device == t->sdev;

	if (match && lsi_scmd_inflight(scmd))
		t->busy = true;
	return !t->busy;
}

static bool lsi_target_busy(struct lsi_ctrl *ctrl, void *data)
{
	struct lsi_target_busy *t = data;

	t->busy = false;
	scsi_host_busy_iter(ctrl->shost, lsi_check_busy, t);
	return t->busy;
}

int lsi_eh_abort(struct scsi_cmnd *scmd)
{
	struct lsi_ctrl *ctrl = lsi_scmd_ctrl(scmd);
	u32 smid = lsi_scmd_smid(scmd);
	u32 terminated = 0;
	int ret;

	if (!lsi_scmd_inflight(scmd))
		return SUCCESS;
	if (READ_ONCE(ctrl->state) != LSI_CTRL_LIVE ||
	    !lsi_tm_allowed(ctrl, scmd->device, "abort"))
		return FAILED;
	atomic_long_inc(&ctrl->abort_count);
	ret = lsi_tm_exec(ctrl, scmd, LSI_TM_ABORT_TASK, smid, &terminated);
	if (!ret && lsi_wait_returned(ctrl, lsi_scmd_busy, scmd)) {
		scmd_printk(KERN_WARNING, scmd, "aborted (SMID %u, firmware ended %u)\n",
			    smid, terminated);
		return SUCCESS;
	}
	scmd_printk(KERN_ERR, scmd, "abort of SMID %u failed: %d, %s\n", smid,
		    ret, lsi_scmd_inflight(scmd) ? "still with the firmware" :
						   "returned");
	return FAILED;
}

static int lsi_eh_tm_reset(struct scsi_cmnd *scmd, u8 type, bool whole_target)
{
	struct lsi_ctrl *ctrl = lsi_scmd_ctrl(scmd);
	struct lsi_target_busy t = {
		.sdev		= scmd->device,
		.whole_target	= whole_target,
	};
	u32 terminated = 0;
	int ret;

	if (READ_ONCE(ctrl->state) != LSI_CTRL_LIVE ||
	    !lsi_tm_allowed(ctrl, scmd->device,
			    whole_target ? "target reset" : "LUN reset"))
		return FAILED;
	atomic_long_inc(whole_target ? &ctrl->target_reset_count :
				       &ctrl->lun_reset_count);
	ret = lsi_tm_exec(ctrl, scmd, type, 0, &terminated);
	if (!ret && lsi_wait_returned(ctrl, lsi_target_busy, &t)) {
		sdev_printk(KERN_WARNING, scmd->device, "%s reset: firmware ended %u command(s)\n",
			    whole_target ? "target" : "LUN", terminated);
		return SUCCESS;
	}
	sdev_printk(KERN_ERR, scmd->device, "%s reset failed: %d\n",
		    whole_target ? "target" : "LUN", ret);
	return FAILED;
}

int lsi_eh_device_reset(struct scsi_cmnd *scmd)
{
	return lsi_eh_tm_reset(scmd, LSI_TM_LUN_RESET, false);
}

int lsi_eh_target_reset(struct scsi_cmnd *scmd)
{
	return lsi_eh_tm_reset(scmd, LSI_TM_TARGET_RESET, true);
}

int lsi_eh_host_reset(struct scsi_cmnd *scmd)
{
	struct lsi_ctrl *ctrl = lsi_scmd_ctrl(scmd);

	return lsi_host_reset(ctrl, "SCSI error handler host reset") ?
	       FAILED : SUCCESS;
}

/* sysfs host_reset ("adapter" or "firmware"): the controller reset. */
int lsi_sysfs_host_reset(struct Scsi_Host *shost, int reset_type)
{
	struct lsi_ctrl *ctrl = shost_priv(shost);

	if (reset_type != SCSI_ADAPTER_RESET && reset_type != SCSI_FIRMWARE_RESET)
		return -EOPNOTSUPP;
	return lsi_host_reset(ctrl, "requested through sysfs host_reset");
}
