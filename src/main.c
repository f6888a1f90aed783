// SPDX-License-Identifier: GPL-2.0-only
/*
 * lsi3108: SCSI driver for the LSI/Broadcom MegaRAID SAS3108 (PCI 1000:005d).
 *
 * The controller runs the Fusion interface: 256-byte request frames indexed
 * by SMID, 64-bit request descriptors posted to a register, and one reply
 * descriptor queue per MSI-X vector in host memory. Logical drives and
 * system PDs (JBOD) are the SCSI targets (lsi3108.h: megaraid_sas's
 * channels and ids, LUN 0); the firmware answers all their commands.
 *
 * Life of a controller, all of it through three functions of this file:
 *   lsi_change_state()  the only place the state changes (lsi3108.h has the
 *                       states and the legal transitions);
 *   lsi_bring_up()      the one way up, for probe and every reset: firmware
 *                       to READY, its limits, IOC INIT, CTRL_GET_INFO;
 *   lsi_disable()       the one way down, for every reset, suspend, PCI
 *                       reset and error, remove, shutdown, a failed probe and
 *                       death: stop the hardware, take the late replies,
 *                       hand back what is outstanding.
 * probe:    map the registers, bring up (NEW -> CONNECTING), read the LD
 *           and system PD lists, add the SCSI host, LIVE, scan; the watchdog
 *           and the event wait start.
 * running:  resets, suspend/resume and PCI resets: reset.c; events: event.c.
 * remove:   DELETING (after a reset under way), remove the SCSI host (sd
 *           flushes each disk), flush the controller cache and shut the
 *           firmware down, DEAD, disable, release. A device that is already
 *           gone is declared DEAD first, so that nothing waits for it.
 * shutdown: (reboot, power-off, kexec) the same without removing the host
 *           or freeing memory.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blk-mq.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/sizes.h>
#include <scsi/scsi.h>
#include <scsi/scsi_device.h>
#include <scsi/scsi_host.h>

#include "lsi3108.h"

static const char * const lsi_state_names[] = {
	[LSI_CTRL_NEW]		= "new",
	[LSI_CTRL_CONNECTING]	= "connecting",
	[LSI_CTRL_LIVE]		= "live",
	[LSI_CTRL_RESETTING]	= "resetting",
	[LSI_CTRL_SUSPENDING]	= "suspending",
	[LSI_CTRL_SUSPENDED]	= "suspended",
	[LSI_CTRL_DELETING]	= "deleting",
	[LSI_CTRL_DEAD]		= "dead",
};

const char *lsi_ctrl_state_name(enum lsi_ctrl_state state)
{
	if (state < ARRAY_SIZE(lsi_state_names) && lsi_state_names[state])
		return lsi_state_names[state];
	return "unknown";
}

/* The legal transitions (lsi3108.h): may @old become @new? */
static bool lsi_state_may_become(enum lsi_ctrl_state old,
				 enum lsi_ctrl_state new)
{
	switch (new) {
	case LSI_CTRL_CONNECTING:
		return old == LSI_CTRL_NEW || old == LSI_CTRL_RESETTING;
	case LSI_CTRL_LIVE:
		return old == LSI_CTRL_CONNECTING;
	case LSI_CTRL_RESETTING:
		/* from DEAD: a revival (reset.c), unless removal has begun */
		return old == LSI_CTRL_LIVE || old == LSI_CTRL_CONNECTING ||
		       old == LSI_CTRL_SUSPENDED || old == LSI_CTRL_DEAD;
	case LSI_CTRL_SUSPENDING:
	case LSI_CTRL_DELETING:
		return old == LSI_CTRL_LIVE;
	case LSI_CTRL_SUSPENDED:
		return old == LSI_CTRL_SUSPENDING;
	case LSI_CTRL_DEAD:
		return old != LSI_CTRL_DEAD;
	default:
		return false;
	}
}

/*
 * The only place the controller state changes. Returns false if illegal.
 * Internal commands are posted under state_lock (icmd.c): once this has
 * left a "firmware up" state, none is posted any more.
 */
bool lsi_change_state(struct lsi_ctrl *ctrl, enum lsi_ctrl_state new_state)
{
	enum lsi_ctrl_state old;
	unsigned long flags;
	bool ok;

	spin_lock_irqsave(&ctrl->state_lock, flags);
	old = ctrl->state;
	ok = lsi_state_may_become(old, new_state) &&
	     !(old == LSI_CTRL_DEAD && ctrl->no_revive);
	if (ok)
		WRITE_ONCE(ctrl->state, new_state);
	spin_unlock_irqrestore(&ctrl->state_lock, flags);

	dev_dbg(ctrl->dev, "state %s -> %s%s\n", lsi_ctrl_state_name(old),
		lsi_ctrl_state_name(new_state), ok ? "" : " refused");
	return ok;
}

/* DMA stops: by a chip reset, or with bus mastering off. */
static enum lsi_reset_result lsi_stop_dma(struct lsi_ctrl *ctrl,
					  enum lsi_disable_how how)
{
	if (how == LSI_DISABLE_CHIP_RESET)
		return lsi_chip_reset(ctrl);
	if (pci_is_enabled(ctrl->pdev))
		pci_clear_master(ctrl->pdev);
	return LSI_RESET_OK;
}

/*
 * The one way down, for every reset, suspend, PCI reset and error, remove,
 * shutdown, failed probe and death. The caller has moved the state out of
 * the "firmware up" states (so no internal command is posted any more) and
 * has told the firmware whatever it had to (cache flush, shutdown). Then:
 *
 *   1. no SCSI command is half-posted: queuecommand runs under RCU and sees
 *      the new state; for a pause the host is blocked, so commands wait;
 *   2. the device stops talking: its interrupts masked, no handler running;
 *   3. DMA stops (@how): a chip reset, or bus mastering off;
 *   4. the replies posted until then are taken (once): what the firmware
 *      finished is completed normally;
 *   5. the rest is handed back: internal commands are cancelled, SCSI
 *      commands requeued (DID_REQUEUE, which uses up no retry) or, for a
 *      dead controller, failed (DID_NO_CONNECT) with the host unblocked so
 *      that waiting commands fail too.
 *
 * A chip reset that fails returns its result after step 3 with the commands
 * still outstanding: the caller retries, or declares the controller dead,
 * which comes here again. Works at any stage of initialisation, and twice.
 */
enum lsi_reset_result lsi_disable(struct lsi_ctrl *ctrl,
				  enum lsi_disable_how how)
{
	bool dead = how == LSI_DISABLE_DEAD;
	enum lsi_reset_result res;

	if (!dead)
		scsi_block_requests(ctrl->shost);
	synchronize_rcu();
	if (ctrl->regs)
		lsi_intr_mask(ctrl);
	lsi_irqs_quiet(ctrl);
	res = lsi_stop_dma(ctrl, how);
	if (res != LSI_RESET_OK)
		return res;
	lsi_reap_replies(ctrl);
	lsi_cancel_internal(ctrl);
	if (lsi_host_added(ctrl))
		lsi_cancel_scsi(ctrl, dead ? DID_NO_CONNECT : DID_REQUEUE);
	if (dead)
		scsi_unblock_requests(ctrl->shost);
	return LSI_RESET_OK;
}

/*
 * The first bring-up sizes everything from the firmware's limits: DMA masks,
 * interrupt vectors, memory, the internal slots, the handlers (installed
 * quiet: they act once the state says the firmware is up).
 */
static int lsi_setup(struct lsi_ctrl *ctrl, const struct lsi_fw_limits *lim)
{
	int ret;

	lsi_fw_adopt_limits(ctrl, lim);
	ret = lsi_set_dma_masks(ctrl);
	if (!ret)
		ret = lsi_alloc_vectors(ctrl);
	if (!ret)
		ret = lsi_alloc_memory(ctrl);
	if (ret)
		return ret;
	lsi_icmd_setup(ctrl);
	lsi_intr_mask(ctrl);
	return lsi_request_irqs(ctrl);
}

/* READY, then limits: adopted by the first bring-up, checked by the rest. */
static enum lsi_reset_result lsi_ready(struct lsi_ctrl *ctrl)
{
	struct lsi_fw_limits lim;
	int ret;

	ret = lsi_fw_wait_ready(ctrl);
	if (ret)
		return ret == -ENXIO ? LSI_RESET_GONE : LSI_RESET_RETRY;
	if (lsi_fw_limits(ctrl, &lim))
		return LSI_RESET_INVALID;
	/* Probe: memory and vectors for these limits, or no controller. */
	if (!ctrl->frames.va)
		return lsi_setup(ctrl, &lim) ? LSI_RESET_INVALID : LSI_RESET_OK;
	return lsi_fw_limits_fit(ctrl, &lim) ? LSI_RESET_OK : LSI_RESET_INVALID;
}

/*
 * The one way up, for probe and every reset: DMA on, the firmware to READY,
 * its limits, empty reply queues, IOC INIT; then the firmware is up
 * (CONNECTING: handlers act, internal commands may be posted) and
 * CTRL_GET_INFO. The caller makes the controller LIVE.
 */
enum lsi_reset_result lsi_bring_up(struct lsi_ctrl *ctrl)
{
	enum lsi_reset_result res;

	pci_set_master(ctrl->pdev);
	res = lsi_ready(ctrl);
	if (res != LSI_RESET_OK)
		return res;
	lsi_reset_reply_queues(ctrl);
	if (lsi_ioc_init(ctrl))
		return LSI_RESET_RETRY;
	if (!lsi_change_state(ctrl, LSI_CTRL_CONNECTING))
		return LSI_RESET_RETRY;
	lsi_irqs_resume(ctrl);
	return lsi_get_ctrl_info(ctrl) ? LSI_RESET_RETRY : LSI_RESET_OK;
}

/* Free what lsi_disable() left: vectors, memory, mappings, the host. */
static void lsi_release(struct lsi_ctrl *ctrl)
{
	struct pci_dev *pdev = ctrl->pdev;

	lsi_free_irqs(ctrl);
	lsi_free_memory(ctrl);
	if (ctrl->regs)
		pci_iounmap(pdev, ctrl->regs);
	if (ctrl->bar >= 0)
		pci_release_region(pdev, ctrl->bar);
	if (pci_is_enabled(pdev))
		pci_disable_device(pdev);
	pci_set_drvdata(pdev, NULL);
	if (ctrl->wq)
		destroy_workqueue(ctrl->wq);
	scsi_host_put(ctrl->shost);
}

/* Enable the function and map the registers: the first memory BAR. */
static int lsi_pci_init(struct lsi_ctrl *ctrl)
{
	struct pci_dev *pdev = ctrl->pdev;
	resource_size_t len;
	int bar, ret;

	ret = pci_enable_device_mem(pdev);
	if (ret) {
		dev_err(ctrl->dev, "cannot enable the PCI device: %d\n", ret);
		return ret;
	}
	bar = ffs(pci_select_bars(pdev, IORESOURCE_MEM)) - 1;
	len = bar >= 0 ? pci_resource_len(pdev, bar) : 0;
	if (len < LSI_MIN_REG_WINDOW) {
		dev_err(ctrl->dev, "no memory BAR of at least %#x bytes (BAR %d, %pa bytes)\n",
			LSI_MIN_REG_WINDOW, bar, &len);
		return -ENODEV;
	}
	ret = pci_request_region(pdev, bar, KBUILD_MODNAME);
	if (ret) {
		dev_err(ctrl->dev, "cannot claim BAR %d: %d\n", bar, ret);
		return ret;
	}
	ctrl->bar = bar;
	ctrl->regs = pci_iomap(pdev, bar, min_t(resource_size_t, len,
						LSI_REG_BAR_SIZE));
	if (!ctrl->regs) {
		dev_err(ctrl->dev, "cannot map BAR %d\n", bar);
		return -ENOMEM;
	}
	return 0;
}

static void lsi_set_host_limits(struct lsi_ctrl *ctrl)
{
	struct Scsi_Host *shost = ctrl->shost;
	u32 max_sectors = ctrl->max_sge * (SZ_4K >> SECTOR_SHIFT);

	if (ctrl->info_max_sectors >= (SZ_4K >> SECTOR_SHIFT))
		max_sectors = min(max_sectors, ctrl->info_max_sectors);

	shost->can_queue = ctrl->can_queue;
	shost->cmd_per_lun = min_t(u32, ctrl->can_queue, LSI_LD_QUEUE_DEPTH);
	shost->sg_tablesize = ctrl->max_sge;
	shost->max_sectors = max_sectors;
	shost->nr_hw_queues = ctrl->nr_queues;
	/* Poll queues: the last hardware queues, HCTX_TYPE_POLL (queue.c). */
	shost->nr_maps = ctrl->nr_poll_queues ? HCTX_MAX_TYPES : 1;
	shost->max_channel = LSI_PD_CHANNELS + LSI_LD_CHANNELS - 1;
	shost->max_id = LSI_DEV_PER_CHANNEL;
	shost->max_lun = 1;
	shost->max_cmd_len = 16;
}

/* Probe, once the firmware is up: the SCSI host, LIVE, the scan. */
static int lsi_add_host(struct lsi_ctrl *ctrl)
{
	int ret;

	if (lsi_read_ld_list(ctrl) < 0)
		dev_err(ctrl->dev, "no logical drive list: exposing no LDs\n");
	if (lsi_read_pd_list(ctrl) < 0)
		dev_err(ctrl->dev, "no system PD list: exposing no system PDs\n");
	lsi_set_host_limits(ctrl);
	ret = scsi_add_host(ctrl->shost, ctrl->dev);
	if (ret) {
		dev_err(ctrl->dev, "cannot add the SCSI host: %d\n", ret);
		return ret;
	}
	lsi_no_default_scheduler(ctrl->shost);
	if (!lsi_change_state(ctrl, LSI_CTRL_LIVE))
		return -ENODEV;
	dev_info(ctrl->dev, "host%u: %u commands, %u SGEs, %u sectors per command\n",
		 ctrl->shost->host_no, ctrl->shost->can_queue,
		 ctrl->shost->sg_tablesize, ctrl->shost->max_sectors);
	scsi_scan_host(ctrl->shost);
	/* For PCI error recovery, which restores this state. */
	pci_save_state(ctrl->pdev);
	lsi_watchdog_start(ctrl);
	lsi_events_start(ctrl, false);
	return 0;
}

static struct scsi_host_template lsi_sht = {
	.module			= THIS_MODULE,
	.name			= "LSI MegaRAID SAS3108",
	.proc_name		= KBUILD_MODNAME,
	.queuecommand		= lsi_queuecommand,
	.init_cmd_priv		= lsi_init_cmd_priv,
	.slave_alloc		= lsi_slave_alloc,
	.slave_configure	= lsi_slave_configure,
	.slave_destroy		= lsi_slave_destroy,
	.change_queue_depth	= scsi_change_queue_depth,
	.map_queues		= lsi_map_queues,
	.mq_poll		= lsi_mq_poll,
	.eh_timed_out		= lsi_eh_timed_out,
	.eh_abort_handler	= lsi_eh_abort,
	.eh_device_reset_handler = lsi_eh_device_reset,
	.eh_target_reset_handler = lsi_eh_target_reset,
	.eh_host_reset_handler	= lsi_eh_host_reset,
	.host_reset		= lsi_sysfs_host_reset,
	.this_id		= -1,
	.cmd_size		= sizeof(struct lsi_cmd),
	.host_tagset		= 1,
	.shost_groups		= lsi_host_groups,
	.sdev_groups		= lsi_sdev_groups,
};

static struct lsi_ctrl *lsi_alloc_ctrl(struct pci_dev *pdev)
{
	struct Scsi_Host *shost = scsi_host_alloc(&lsi_sht, sizeof(struct lsi_ctrl));
	struct lsi_ctrl *ctrl;

	if (!shost)
		return NULL;
	ctrl = shost_priv(shost);
	ctrl->pdev = pdev;
	ctrl->dev = &pdev->dev;
	ctrl->shost = shost;
	ctrl->bar = -1;
	ctrl->state = LSI_CTRL_NEW;
	ctrl->wq = alloc_ordered_workqueue("lsi3108_%s", WQ_MEM_RECLAIM,
					   pci_name(pdev));
	if (!ctrl->wq) {
		scsi_host_put(shost);
		return NULL;
	}
	lsi_reset_init(ctrl);
	lsi_event_init(ctrl);
	spin_lock_init(&ctrl->state_lock);
	spin_lock_init(&ctrl->icmd_lock);
	spin_lock_init(&ctrl->ld_lock);
	spin_lock_init(&ctrl->desc_lock);
	init_waitqueue_head(&ctrl->icmd_wait);
	lsi_ioc_ctrl_init(ctrl);
	pci_set_drvdata(pdev, ctrl);
	return ctrl;
}

/* Probe fails only before LIVE: no watchdog, reset or event work exists. */
static int lsi_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct lsi_ctrl *ctrl = lsi_alloc_ctrl(pdev);
	int ret;

	if (!ctrl)
		return -ENOMEM;
	ret = lsi_pci_init(ctrl);
	if (!ret && lsi_bring_up(ctrl) != LSI_RESET_OK)
		ret = -ENODEV;
	if (!ret)
		ret = lsi_add_host(ctrl);
	if (ret) {
		lsi_forbid_revive(ctrl);
		lsi_change_state(ctrl, LSI_CTRL_DEAD);
		lsi_disable(ctrl, LSI_DISABLE_DEAD);
		if (lsi_host_added(ctrl))
			scsi_remove_host(ctrl->shost);
		lsi_release(ctrl);
		return ret;
	}
	lsi_ioc_attach(ctrl);
	return 0;
}

/*
 * Remove and shutdown: enter DELETING, so that no reset, event or watchdog
 * work starts any more, and wait for one under way (it ends LIVE or DEAD).
 * A controller that cannot be talked to (dead, asleep) is declared dead, so
 * that removing the host waits for nothing. Returns true if DELETING.
 */
static bool lsi_enter_deleting(struct lsi_ctrl *ctrl)
{
	bool deleting;

	lsi_forbid_revive(ctrl);
	for (;;) {
		deleting = lsi_change_state(ctrl, LSI_CTRL_DELETING);
		if (deleting || !flush_work(&ctrl->reset_work))
			break;
	}
	lsi_stop_workers(ctrl);
	if (!deleting)
		lsi_kill(ctrl, "removed while it could not be talked to");
	return deleting;
}

/*
 * Each step checks what exists, so this also works on a controller that a
 * failed reset left half-initialised.
 */
static void lsi_remove(struct pci_dev *pdev)
{
	struct lsi_ctrl *ctrl = pci_get_drvdata(pdev);
	bool talk;

	/* Surprise removal: fail I/O at once, so that nothing waits for it. */
	lsi_forbid_revive(ctrl);
	if (!pci_device_is_present(pdev))
		lsi_kill(ctrl, "the device was removed");
	talk = lsi_enter_deleting(ctrl);
	/* sd flushes each disk's cache through the normal path here. */
	if (lsi_host_added(ctrl))
		scsi_remove_host(ctrl->shost);
	if (talk)
		lsi_fw_flush_shutdown(ctrl);
	lsi_change_state(ctrl, LSI_CTRL_DEAD);
	lsi_disable(ctrl, LSI_DISABLE_DEAD);
	/* Every slot is cancelled: ioctls under way end now. */
	lsi_ioc_detach(ctrl);
	lsi_release(ctrl);
}

/* Reboot, power-off, kexec: write the cache back and stop all DMA. */
static void lsi_shutdown(struct pci_dev *pdev)
{
	struct lsi_ctrl *ctrl = pci_get_drvdata(pdev);

	if (lsi_enter_deleting(ctrl))
		lsi_fw_flush_shutdown(ctrl);
	lsi_change_state(ctrl, LSI_CTRL_DEAD);
	lsi_disable(ctrl, LSI_DISABLE_DEAD);
	lsi_free_irqs(ctrl);
}

static const struct pci_device_id lsi_pci_ids[] = {
	{ PCI_DEVICE(LSI_PCI_VENDOR_ID, LSI_PCI_DEVICE_ID_3108) },
	{ }
};
MODULE_DEVICE_TABLE(pci, lsi_pci_ids);

static struct pci_driver lsi_pci_driver = {
	.name		= KBUILD_MODNAME,
	.id_table	= lsi_pci_ids,
	.probe		= lsi_probe,
	.remove		= lsi_remove,
	.shutdown	= lsi_shutdown,
	.err_handler	= &lsi_err_handlers,
	.driver		= {
		.probe_type = PROBE_PREFER_ASYNCHRONOUS,
		.pm	= pm_sleep_ptr(&lsi_pm_ops),
	},
};

/* The management ioctl's character device lives as long as the module. */
static int __init lsi_init(void)
{
	int ret = lsi_ioc_register();

	if (ret)
		return ret;
	ret = pci_register_driver(&lsi_pci_driver);
	if (ret)
		lsi_ioc_unregister();
	return ret;
}

static void __exit lsi_exit(void)
{
	pci_unregister_driver(&lsi_pci_driver);
	lsi_ioc_unregister();
}

module_init(lsi_init);
module_exit(lsi_exit);

MODULE_DESCRIPTION("LSI/Broadcom MegaRAID SAS3108 SCSI driver");
MODULE_AUTHOR("The lsi3108 developers");
/* The same as PACKAGE_VERSION in dkms.conf (tests/host/20-module-info.sh checks). */
MODULE_VERSION("0.1.0");
MODULE_LICENSE("GPL");
