// SPDX-License-Identifier: GPL-2.0-only
/*
 * Keeping the controller alive: the watchdog, the online controller reset
 * (OCR), system suspend/resume, PCI function reset and PCI error recovery.
 *
 * All of them take the controller down with lsi_disable() and up again with
 * lsi_bring_up() (main.c):
 *
 *   down     the state leaves LIVE (RESETTING, SUSPENDING/SUSPENDED), so
 *            queuecommand sends new commands back to the block layer and no
 *            internal command is posted; lsi_disable() stops the hardware
 *            and DMA (a chip reset for an OCR; bus mastering off before a
 *            PCI function reset or sleep), takes the replies already posted
 *            (what the firmware finished is completed normally) and hands
 *            the rest back: internal commands are cancelled, SCSI commands
 *            requeued with DID_REQUEUE, which uses up no retry. Nothing the
 *            firmware acknowledged is lost (acknowledged writes sit in its
 *            cache, which survives a reset), nothing is completed silently.
 *   up       lsi_bring_up(): READY, the same limits as before (or more),
 *            empty reply queues, IOC INIT, CONNECTING, CTRL_GET_INFO; then
 *            LIVE, the SCSI queues run again, and the event path re-reads
 *            the LD list and re-arms the event wait.
 *
 * A failed bring-up is retried after a chip reset, LSI_MAX_RESET_TRIES
 * attempts in all; then, or at once if the device is gone, its fault forbids
 * a reset or its limits are invalid or shrank, the controller is DEAD: bus
 * mastering off, every command failed with DID_NO_CONNECT (which fails the
 * command, not the device: the SCSI devices stay, running), and every later
 * one too.
 *
 * DEAD is not the end while the device is there: the cause may go away (bus
 * mastering back, a fault cleared by a power cycle of the card). The
 * controller is tried again after LSI_REVIVE_FIRST_S, then at doubling
 * intervals up to LSI_REVIVE_MAX_S, as long as the device is present and its
 * firmware does not report a fault that forbids a reset (those checks cost
 * two reads and log nothing). A host reset (SCSI error handler, sysfs
 * host_reset, lsi3108-ctl reset) tries at once. A revival is the normal
 * restart: LIVE again, the same SCSI devices take I/O again. While DEAD, sd
 * may have revalidated a disk (READ CAPACITY failing: capacity 0), so each
 * disk is rescanned after a revival. Only remove and shutdown make DEAD
 * final (no_revive).
 *
 * Resets run on an ordered workqueue, one at a time; the SCSI error handler's
 * host reset queues one and waits for it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/pci.h>
#include <linux/pm.h>
#include <scsi/scsi.h>
#include <scsi/scsi_device.h>
#include <scsi/scsi_host.h>

#include "lsi3108.h"

static const char * const lsi_reset_result_names[] = {
	[LSI_RESET_OK]		= "done",
	[LSI_RESET_RETRY]	= "failed after every attempt",
	[LSI_RESET_INVALID]	= "the firmware's limits are invalid or shrank",
	[LSI_RESET_GONE]	= "the controller is gone or its fault forbids a reset",
};

/* ---- revival of a DEAD controller ---- */

/* Queue the next revival attempt, unless DEAD is final. */
static void lsi_schedule_revive(struct lsi_ctrl *ctrl)
{
	unsigned int delay = ctrl->revive_delay_s ?: LSI_REVIVE_FIRST_S;
	unsigned long flags;

	ctrl->revive_delay_s = min_t(unsigned int, 2 * delay, LSI_REVIVE_MAX_S);
	spin_lock_irqsave(&ctrl->state_lock, flags);
	if (!ctrl->no_revive)
		queue_delayed_work(system_wq, &ctrl->revive_work, delay * HZ);
	spin_unlock_irqrestore(&ctrl->state_lock, flags);
	dev_dbg(ctrl->dev, "next revival attempt in %u s\n", delay);
}

/*
 * Is there a chance? The device answers on the bus and its firmware does
 * not report a fault that forbids a reset.
 */
static bool lsi_revive_possible(struct lsi_ctrl *ctrl)
{
	return pci_device_is_present(ctrl->pdev) &&
	       !lsi_fw_fault_final(lsi_read_pad0(ctrl));
}

/* Queue a restart of a DEAD controller (the reset work does it). */
static void lsi_request_revive(struct lsi_ctrl *ctrl, const char *why)
{
	unsigned long flags;

	spin_lock_irqsave(&ctrl->state_lock, flags);
	if (ctrl->state == LSI_CTRL_DEAD && !ctrl->no_revive) {
		WRITE_ONCE(ctrl->reset_reason, why);
		queue_work(ctrl->wq, &ctrl->reset_work);
	}
	spin_unlock_irqrestore(&ctrl->state_lock, flags);
}

static void lsi_revive_fn(struct work_struct *work)
{
	struct lsi_ctrl *ctrl = container_of(to_delayed_work(work),
					     struct lsi_ctrl, revive_work);

	if (READ_ONCE(ctrl->state) != LSI_CTRL_DEAD)
		return;
	if (lsi_revive_possible(ctrl))
		lsi_request_revive(ctrl, "retrying the dead controller");
	else
		lsi_schedule_revive(ctrl);
}

/*
 * After a revival: sd may have revalidated a disk while every command
 * failed, and found it empty (capacity 0). Read each disk's size and
 * parameters again. Not in the reset work: that must stay free for a reset
 * the rescan's own commands may need.
 */
static void lsi_rescan_fn(struct work_struct *work)
{
	struct lsi_ctrl *ctrl = container_of(work, struct lsi_ctrl, rescan_work);
	struct scsi_device *sdev;

	shost_for_each_device(sdev, ctrl->shost) {
		if (READ_ONCE(ctrl->state) != LSI_CTRL_LIVE) {
			scsi_device_put(sdev);
			break;
		}
		scsi_rescan_device(sdev);
	}
}

/*
 * Remove, shutdown, a failed probe: DEAD is final from now on, and no
 * revival is pending or running when this returns.
 */
void lsi_forbid_revive(struct lsi_ctrl *ctrl)
{
	unsigned long flags;

	spin_lock_irqsave(&ctrl->state_lock, flags);
	ctrl->no_revive = true;
	spin_unlock_irqrestore(&ctrl->state_lock, flags);
	cancel_delayed_work_sync(&ctrl->revive_work);
}

/*
 * Give up on the controller: fail everything, now and later, until a
 * revival brings it back.
 */
void lsi_kill(struct lsi_ctrl *ctrl, const char *why)
{
	u32 pad0 = ctrl->regs ? lsi_read_pad0(ctrl) : 0;

	if (!lsi_change_state(ctrl, LSI_CTRL_DEAD))
		return;
	dev_err(ctrl->dev, "controller is dead: %s (firmware %s, pad0 %#010x); failing all I/O\n",
		why, lsi_fw_state_name(pad0), pad0);
	lsi_disable(ctrl, LSI_DISABLE_DEAD);
	lsi_schedule_revive(ctrl);
}

/*
 * Bring a controller back up, a bounded number of times. @stopped: it is
 * already down (suspend, PCI function reset), so the first attempt needs no
 * chip reset; every other one starts with lsi_disable(CHIP_RESET).
 */
static enum lsi_reset_result lsi_restart(struct lsi_ctrl *ctrl, bool stopped)
{
	enum lsi_reset_result res;
	int try;

	for (try = 1; ; try++) {
		res = stopped ? LSI_RESET_OK :
		      lsi_disable(ctrl, LSI_DISABLE_CHIP_RESET);
		if (res == LSI_RESET_OK)
			res = lsi_bring_up(ctrl);
		if (res != LSI_RESET_RETRY || try == LSI_MAX_RESET_TRIES)
			return res;
		dev_warn(ctrl->dev, "restart attempt %d of %d failed\n", try,
			 LSI_MAX_RESET_TRIES);
		/* Back from CONNECTING, if the attempt got that far. */
		if (READ_ONCE(ctrl->state) == LSI_CTRL_CONNECTING)
			lsi_change_state(ctrl, LSI_CTRL_RESETTING);
		stopped = false;
	}
}

/* LIVE again, or DEAD; @count: a reset, not a resume. */
static void lsi_restart_done(struct lsi_ctrl *ctrl, enum lsi_reset_result res,
			     const char *what, bool count)
{
	if (res != LSI_RESET_OK) {
		dev_err(ctrl->dev, "%s: %s\n", what, lsi_reset_result_names[res]);
		lsi_kill(ctrl, what);
		return;
	}
	if (!lsi_change_state(ctrl, LSI_CTRL_LIVE)) {
		lsi_kill(ctrl, "state changed during the reset");
		return;
	}
	if (count)
		atomic_long_inc(&ctrl->reset_count);
	ctrl->revive_delay_s = 0;
	scsi_unblock_requests(ctrl->shost);
	dev_info(ctrl->dev, "%s done: controller is back (reset %ld)\n", what,
		 atomic_long_read(&ctrl->reset_count));
	lsi_events_start(ctrl, true);
	lsi_watchdog_start(ctrl);	/* it stopped if the controller was DEAD */
}

/* The online controller reset: worker context, one at a time. */
static void lsi_reset_work(struct work_struct *work)
{
	struct lsi_ctrl *ctrl = container_of(work, struct lsi_ctrl, reset_work);
	const char *why = READ_ONCE(ctrl->reset_reason);
	bool revival = READ_ONCE(ctrl->state) == LSI_CTRL_DEAD;
	u32 pad0 = lsi_read_pad0(ctrl);

	/*
	 * From LIVE, or DEAD (a revival): not once remove or sleep has
	 * begun, nor after a DEAD that is final.
	 */
	if (!lsi_change_state(ctrl, LSI_CTRL_RESETTING))
		return;
	dev_warn(ctrl->dev, "resetting the controller: %s (firmware %s, pad0 %#010x)\n",
		 why, lsi_fw_state_name(pad0), pad0);
	lsi_restart_done(ctrl, lsi_restart(ctrl, false), "controller reset",
			 true);
	if (revival && READ_ONCE(ctrl->state) == LSI_CTRL_LIVE &&
	    lsi_host_added(ctrl))
		queue_work(system_wq, &ctrl->rescan_work);
}

/* Any context. Only a LIVE controller is reset; repeated requests merge. */
void lsi_request_reset(struct lsi_ctrl *ctrl, const char *why)
{
	if (READ_ONCE(ctrl->state) != LSI_CTRL_LIVE)
		return;
	WRITE_ONCE(ctrl->reset_reason, why);
	queue_work(ctrl->wq, &ctrl->reset_work);
}

/*
 * Process context: reset now (revive a DEAD controller) and wait. Returns 0
 * if the controller is LIVE.
 */
int lsi_host_reset(struct lsi_ctrl *ctrl, const char *why)
{
	if (READ_ONCE(ctrl->state) == LSI_CTRL_DEAD)
		lsi_request_revive(ctrl, why);
	else
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
		lsi_sweep_poll_queues(ctrl, true);
	}
	lsi_watchdog_start(ctrl);
}

/* It keeps running through resets; it acts only while the controller is LIVE. */
void lsi_watchdog_start(struct lsi_ctrl *ctrl)
{
	switch (READ_ONCE(ctrl->state)) {
	case LSI_CTRL_CONNECTING:
	case LSI_CTRL_LIVE:
	case LSI_CTRL_RESETTING:
		queue_delayed_work(system_wq, &ctrl->watchdog,
				   msecs_to_jiffies(LSI_WATCHDOG_MS));
		break;
	default:
		break;
	}
}

/*
 * No watchdog, reset or event work runs once this returns (suspend, PCI
 * reset, remove); the state decides whether they start again.
 */
void lsi_stop_workers(struct lsi_ctrl *ctrl)
{
	cancel_delayed_work_sync(&ctrl->revive_work);
	cancel_work_sync(&ctrl->rescan_work);
	cancel_delayed_work_sync(&ctrl->watchdog);
	flush_workqueue(ctrl->wq);
	cancel_work_sync(&ctrl->event_work);
}

void lsi_reset_init(struct lsi_ctrl *ctrl)
{
	INIT_WORK(&ctrl->reset_work, lsi_reset_work);
	INIT_DELAYED_WORK(&ctrl->watchdog, lsi_watchdog_fn);
	INIT_DELAYED_WORK(&ctrl->revive_work, lsi_revive_fn);
	INIT_WORK(&ctrl->rescan_work, lsi_rescan_fn);
}

/* ---- system sleep ---- */

/*
 * The SCSI devices are quiesced (and their caches flushed by sd) before
 * this runs. Flush the controller cache, shut the firmware down, stop.
 */
static int lsi_suspend(struct device *dev)
{
	struct lsi_ctrl *ctrl = dev_get_drvdata(dev);

	lsi_stop_workers(ctrl);
	if (!lsi_change_state(ctrl, LSI_CTRL_SUSPENDING))
		return 0;	/* dead: nothing to save */
	lsi_fw_flush_hibernate(ctrl);
	lsi_change_state(ctrl, LSI_CTRL_SUSPENDED);
	lsi_disable(ctrl, LSI_DISABLE_PAUSE);
	dev_info(ctrl->dev, "suspended\n");
	return 0;
}

/* A full re-initialisation; a failure leaves the controller DEAD, not hung. */
static int lsi_resume(struct device *dev)
{
	struct lsi_ctrl *ctrl = dev_get_drvdata(dev);

	if (!lsi_change_state(ctrl, LSI_CTRL_RESETTING))
		return 0;
	lsi_restart_done(ctrl, lsi_restart(ctrl, true), "resume", false);
	lsi_watchdog_start(ctrl);
	return 0;
}

DEFINE_SIMPLE_DEV_PM_OPS(lsi_pm_ops, lsi_suspend, lsi_resume);

/* ---- PCI function reset (sysfs reset, FLR) and error recovery ---- */

/* The PCI core resets the function next: stop before it does. */
static void lsi_reset_prepare(struct pci_dev *pdev)
{
	struct lsi_ctrl *ctrl = pci_get_drvdata(pdev);

	lsi_stop_workers(ctrl);
	if (!lsi_change_state(ctrl, LSI_CTRL_RESETTING))
		return;
	dev_warn(ctrl->dev, "PCI function reset: stopping the controller\n");
	lsi_disable(ctrl, LSI_DISABLE_PAUSE);
}

static void lsi_reset_done(struct pci_dev *pdev)
{
	struct lsi_ctrl *ctrl = pci_get_drvdata(pdev);

	if (READ_ONCE(ctrl->state) == LSI_CTRL_RESETTING)
		lsi_restart_done(ctrl, lsi_restart(ctrl, true),
				 "PCI function reset", true);
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
		lsi_stop_workers(ctrl);
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
