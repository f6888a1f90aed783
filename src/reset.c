// SPDX-License-Identifier: GPL-2.0-only
/*
 * Keeping the controller alive: the watchdog, the online controller reset
 * (OCR), system suspend/resume, PCI function reset and PCI error recovery.
 *
 * All of them follow the same shape:
 *
 *   stop     the state leaves LIVE (RESETTING or SUSPENDED), so queuecommand
 *            sends new commands back to the block layer; synchronize_rcu()
 *            waits out any command being posted; lsi_stop_hw() masks the
 *            device, silences the handlers and takes the replies already
 *            posted (what the firmware finished is completed normally).
 *   reset    a chip reset through the host diagnostic register (OCR, host
 *            reset), a PCI function reset (done by the PCI core), or nothing
 *            (resume: the firmware was shut down cleanly).
 *   end      the firmware has forgotten every command: internal commands are
 *            cancelled, SCSI commands are handed back with DID_REQUEUE, which
 *            retries them without using up their retries. Nothing the
 *            firmware acknowledged is lost (acknowledged writes sit in its
 *            cache, which survives a reset), nothing is completed silently.
 *   restart  READY, the same limits as before, empty reply queues, IOC INIT,
 *            handlers on, CTRL_GET_INFO; then LIVE, the SCSI queues run
 *            again, and the event path re-reads the LD list and re-arms the
 *            event wait.
 *
 * A failed restart is retried with a chip reset, LSI_MAX_RESET_TRIES times
 * in all; then, or at once if the device is gone or its fault forbids a
 * reset, the controller is DEAD: bus mastering off, every command failed
 * with DID_NO_CONNECT, and every later one too.
 *
 * Resets run on an ordered workqueue, one at a time; the SCSI error handler's
 * host reset queues one and waits for it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/pci.h>
#include <linux/pm.h>
#include <linux/rcupdate.h>
#include <scsi/scsi.h>
#include <scsi/scsi_host.h>

#include "lsi3108.h"

/*
 * The device stops talking to the driver: no new internal commands, the
 * device's interrupts masked, no handler running, posted replies taken.
 * Part of every way down; idempotent.
 */
void lsi_stop_hw(struct lsi_ctrl *ctrl)
{
	lsi_set_fw_up(ctrl, false);
	if (ctrl->regs)
		lsi_intr_mask(ctrl);
	lsi_irqs_quiet(ctrl);
	lsi_reap_replies(ctrl);
}

/* With the firmware holding nothing any more: give every command back. */
void lsi_end_outstanding(struct lsi_ctrl *ctrl, int host_byte)
{
	lsi_cancel_internal(ctrl);
	if (ctrl->host_added)
		lsi_cancel_scsi(ctrl, host_byte);
}

/* Leave LIVE: no command is being posted once this returns. */
static void lsi_block_io(struct lsi_ctrl *ctrl)
{
	scsi_block_requests(ctrl->shost);
	synchronize_rcu();
}

/* Give up on the controller: fail everything, now and later. */
void lsi_kill(struct lsi_ctrl *ctrl, const char *why)
{
	u32 pad0 = ctrl->regs ? lsi_read_pad0(ctrl) : 0;

	if (!lsi_change_state(ctrl, LSI_CTRL_DEAD))
		return;
	dev_err(ctrl->dev, "controller is dead: %s (firmware %s, pad0 %#010x); failing all I/O\n",
		why, lsi_fw_state_name(pad0), pad0);
	synchronize_rcu();
	lsi_stop_hw(ctrl);
	if (ctrl->pci_enabled)
		pci_clear_master(ctrl->pdev);
	lsi_end_outstanding(ctrl, DID_NO_CONNECT);
	/* Commands waiting for the reset come in now and fail at once. */
	scsi_unblock_requests(ctrl->shost);
}

/* Bring a stopped controller back up, from READY (or OPERATIONAL) on. */
static int lsi_restart(struct lsi_ctrl *ctrl)
{
	int ret;

	ret = lsi_fw_wait_ready(ctrl);
	if (!ret)
		ret = lsi_fw_check_limits(ctrl);
	if (ret)
		return ret;
	lsi_reset_reply_queues(ctrl);
	ret = lsi_ioc_init(ctrl);
	if (ret)
		return ret;
	lsi_irqs_resume(ctrl);
	lsi_set_fw_up(ctrl, true);
	return lsi_get_ctrl_info(ctrl);
}

/*
 * Reset (if @chip_reset, or after a failed attempt) and restart, a bounded
 * number of times. Called with the hardware stopped.
 */
static int lsi_recover(struct lsi_ctrl *ctrl, bool chip_reset)
{
	int ret = 0;
	int try;

	for (try = 1; try <= LSI_MAX_RESET_TRIES; try++) {
		ret = (chip_reset || try > 1) ? lsi_chip_reset(ctrl) : 0;
		if (!ret) {
			/* Completions posted up to the reset still count. */
			lsi_reap_replies(ctrl);
			lsi_end_outstanding(ctrl, DID_REQUEUE);
			ret = lsi_restart(ctrl);
		}
		if (!ret || ret == -ENXIO)
			break;
		dev_warn(ctrl->dev, "restart attempt %d of %d failed: %d\n",
			 try, LSI_MAX_RESET_TRIES, ret);
		lsi_stop_hw(ctrl);
	}
	return ret;
}

static void lsi_recover_done(struct lsi_ctrl *ctrl, int ret, const char *what,
			     bool count)
{
	if (ret) {
		lsi_kill(ctrl, what);
		return;
	}
	if (!lsi_change_state(ctrl, LSI_CTRL_LIVE)) {
		lsi_kill(ctrl, "state changed during the reset");
		return;
	}
	if (count)
		atomic_long_inc(&ctrl->reset_count);
	scsi_unblock_requests(ctrl->shost);
	dev_info(ctrl->dev, "%s done: controller is back (reset %ld)\n", what,
		 atomic_long_read(&ctrl->reset_count));
	lsi_events_start(ctrl, true);
}

/* The online controller reset: worker context, one at a time. */
static void lsi_do_reset(struct lsi_ctrl *ctrl, const char *why)
{
	u32 pad0 = lsi_read_pad0(ctrl);

	if (test_bit(LSI_STOPPING, &ctrl->flags) ||
	    !lsi_change_state(ctrl, LSI_CTRL_RESETTING))
		return;
	dev_warn(ctrl->dev, "resetting the controller: %s (firmware %s, pad0 %#010x)\n",
		 why, lsi_fw_state_name(pad0), pad0);
	lsi_block_io(ctrl);
	lsi_stop_hw(ctrl);
	lsi_recover_done(ctrl, lsi_recover(ctrl, true), "controller reset",
			 true);
}

static void lsi_reset_work(struct work_struct *work)
{
	struct lsi_ctrl *ctrl = container_of(work, struct lsi_ctrl, reset_work);

	lsi_do_reset(ctrl, READ_ONCE(ctrl->reset_reason));
}

/* Any context. Only a LIVE controller is reset; repeated requests merge. */
void lsi_request_reset(struct lsi_ctrl *ctrl, const char *why)
{
	if (READ_ONCE(ctrl->state) != LSI_CTRL_LIVE ||
	    test_bit(LSI_STOPPING, &ctrl->flags))
		return;
	WRITE_ONCE(ctrl->reset_reason, why);
	queue_work(ctrl->wq, &ctrl->reset_work);
}

/* Process context: reset now and wait. Returns 0 if the controller is LIVE. */
int lsi_host_reset(struct lsi_ctrl *ctrl, const char *why)
{
	lsi_request_reset(ctrl, why);
	flush_work(&ctrl->reset_work);
	return READ_ONCE(ctrl->state) == LSI_CTRL_LIVE ? 0 : -EIO;
}

/* ---- watchdog ---- */

static void lsi_watchdog_fn(struct work_struct *work)
{
	struct lsi_ctrl *ctrl = container_of(to_delayed_work(work),
					     struct lsi_ctrl, watchdog);
	u32 pad0;

	if (READ_ONCE(ctrl->state) == LSI_CTRL_LIVE) {
		pad0 = lsi_read_pad0(ctrl);
		if (pad0 == U32_MAX)
			lsi_request_reset(ctrl, "the controller does not respond");
		else if (lsi_fw_state(pad0) == LSI_FW_STATE_FAULT)
			lsi_request_reset(ctrl, "firmware FAULT");
		else if (lsi_fw_state(pad0) != LSI_FW_STATE_OPERATIONAL)
			lsi_request_reset(ctrl, "firmware restarted by itself");
	}
	lsi_watchdog_start(ctrl);
}

/* It keeps running through resets; it acts only while the controller is LIVE. */
void lsi_watchdog_start(struct lsi_ctrl *ctrl)
{
	if (!test_bit(LSI_STOPPING, &ctrl->flags) &&
	    READ_ONCE(ctrl->state) != LSI_CTRL_DEAD &&
	    READ_ONCE(ctrl->state) != LSI_CTRL_SUSPENDED)
		queue_delayed_work(system_wq, &ctrl->watchdog,
				   msecs_to_jiffies(LSI_WATCHDOG_MS));
}

/* No watchdog, reset or event work runs once this returns. */
static void lsi_pause_workers(struct lsi_ctrl *ctrl)
{
	cancel_delayed_work_sync(&ctrl->watchdog);
	flush_workqueue(ctrl->wq);
	cancel_work_sync(&ctrl->event_work);
}

/* Remove and shutdown: the workers stop for good. */
void lsi_stop_workers(struct lsi_ctrl *ctrl)
{
	set_bit(LSI_STOPPING, &ctrl->flags);
	lsi_pause_workers(ctrl);
}

void lsi_reset_init(struct lsi_ctrl *ctrl)
{
	INIT_WORK(&ctrl->reset_work, lsi_reset_work);
	INIT_DELAYED_WORK(&ctrl->watchdog, lsi_watchdog_fn);
}

/* ---- system sleep ---- */

/*
 * The SCSI devices are quiesced (and their caches flushed by sd) before
 * this runs. Flush the controller cache, shut the firmware down, stop.
 */
static int lsi_suspend(struct device *dev)
{
	struct lsi_ctrl *ctrl = dev_get_drvdata(dev);

	lsi_pause_workers(ctrl);
	if (!lsi_change_state(ctrl, LSI_CTRL_SUSPENDED))
		return 0;	/* dead: nothing to save */
	lsi_block_io(ctrl);
	lsi_ctrl_quiesce(ctrl);
	lsi_stop_hw(ctrl);
	lsi_end_outstanding(ctrl, DID_REQUEUE);
	dev_info(ctrl->dev, "suspended\n");
	return 0;
}

/* A full re-initialisation; a failure leaves the controller DEAD, not hung. */
static int lsi_resume(struct device *dev)
{
	struct lsi_ctrl *ctrl = dev_get_drvdata(dev);

	if (!lsi_change_state(ctrl, LSI_CTRL_RESETTING))
		return 0;
	lsi_recover_done(ctrl, lsi_recover(ctrl, false), "resume", false);
	lsi_watchdog_start(ctrl);
	return 0;
}

DEFINE_SIMPLE_DEV_PM_OPS(lsi_pm_ops, lsi_suspend, lsi_resume);

/* ---- PCI function reset (sysfs reset, FLR) and error recovery ---- */

static void lsi_reset_prepare(struct pci_dev *pdev)
{
	struct lsi_ctrl *ctrl = pci_get_drvdata(pdev);

	lsi_pause_workers(ctrl);
	if (!lsi_change_state(ctrl, LSI_CTRL_RESETTING))
		return;
	dev_warn(ctrl->dev, "PCI function reset: stopping the controller\n");
	lsi_block_io(ctrl);
	lsi_stop_hw(ctrl);
}

static void lsi_reset_done(struct pci_dev *pdev)
{
	struct lsi_ctrl *ctrl = pci_get_drvdata(pdev);

	if (READ_ONCE(ctrl->state) == LSI_CTRL_RESETTING) {
		lsi_reap_replies(ctrl);
		lsi_recover_done(ctrl, lsi_recover(ctrl, false),
				 "PCI function reset", true);
	}
	lsi_watchdog_start(ctrl);
}

static pci_ers_result_t lsi_error_detected(struct pci_dev *pdev,
					   pci_channel_state_t state)
{
	struct lsi_ctrl *ctrl = pci_get_drvdata(pdev);

	dev_err(ctrl->dev, "PCI error detected: channel state %d\n", state);
	switch (state) {
	case pci_channel_io_normal:
		return PCI_ERS_RESULT_CAN_RECOVER;
	case pci_channel_io_frozen:
		lsi_reset_prepare(pdev);
		return PCI_ERS_RESULT_NEED_RESET;
	default:
		lsi_pause_workers(ctrl);
		lsi_kill(ctrl, "PCI channel failed permanently");
		return PCI_ERS_RESULT_DISCONNECT;
	}
}

static pci_ers_result_t lsi_slot_reset(struct pci_dev *pdev)
{
	struct lsi_ctrl *ctrl = pci_get_drvdata(pdev);

	pci_restore_state(pdev);
	lsi_reset_done(pdev);
	return READ_ONCE(ctrl->state) == LSI_CTRL_LIVE ?
	       PCI_ERS_RESULT_RECOVERED : PCI_ERS_RESULT_DISCONNECT;
}

const struct pci_error_handlers lsi_err_handlers = {
	.error_detected	= lsi_error_detected,
	.slot_reset	= lsi_slot_reset,
	.reset_prepare	= lsi_reset_prepare,
	.reset_done	= lsi_reset_done,
};
