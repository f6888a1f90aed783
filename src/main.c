// SPDX-License-Identifier: GPL-2.0-only
/*
 * lsi3108: SCSI driver for the LSI/Broadcom MegaRAID SAS3108 (PCI 1000:005d).
 *
 * The controller runs the Fusion interface: 256-byte request frames indexed
 * by SMID, 64-bit request descriptors posted to a register, and one reply
 * descriptor queue per MSI-X vector in host memory. Logical drives are the
 * SCSI targets (channel 0, id = LD target id, LUN 0); the firmware answers
 * all their commands.
 *
 * Life of a controller:
 *   probe   map the registers, bring the firmware to READY, read its limits,
 *           allocate vectors and memory, IOC INIT, CTRL_GET_INFO (polled),
 *           install the interrupt handlers, read the LD list, add and scan
 *           the SCSI host. State NEW -> LIVE; the watchdog and the event
 *           wait start.
 *   running resets, suspend/resume and PCI resets: reset.c; events: event.c.
 *   remove  stop the workers; DELETING; remove the SCSI host (sd flushes
 *           each disk), flush the controller cache and shut the firmware
 *           down; DEAD; disable; release. A device that is already gone is
 *           declared DEAD first, so that nothing waits for it.
 *   shutdown (reboot, power-off, kexec): the same without removing the host
 *           or freeing memory.
 * Every state change goes through lsi_change_state(); every way down stops
 * the hardware with lsi_stop_hw() and hands back what the firmware held with
 * lsi_end_outstanding(), here in lsi_dev_disable() and in reset.c.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/pci.h>
#include <linux/sizes.h>
#include <scsi/scsi.h>
#include <scsi/scsi_device.h>
#include <scsi/scsi_host.h>

#include "lsi3108.h"

static const char * const lsi_state_names[] = {
	[LSI_CTRL_NEW]		= "new",
	[LSI_CTRL_LIVE]		= "live",
	[LSI_CTRL_RESETTING]	= "resetting",
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

/* The only place the controller state changes. Returns false if illegal. */
bool lsi_change_state(struct lsi_ctrl *ctrl, enum lsi_ctrl_state new_state)
{
	enum lsi_ctrl_state old;
	unsigned long flags;
	bool ok;

	spin_lock_irqsave(&ctrl->state_lock, flags);
	old = ctrl->state;
	switch (new_state) {
	case LSI_CTRL_LIVE:
		ok = old == LSI_CTRL_NEW || old == LSI_CTRL_RESETTING;
		break;
	case LSI_CTRL_RESETTING:
		ok = old == LSI_CTRL_LIVE || old == LSI_CTRL_SUSPENDED;
		break;
	case LSI_CTRL_SUSPENDED:
		ok = old == LSI_CTRL_LIVE;
		break;
	case LSI_CTRL_DELETING:
		ok = old == LSI_CTRL_NEW || old == LSI_CTRL_LIVE ||
		     old == LSI_CTRL_SUSPENDED;
		break;
	case LSI_CTRL_DEAD:
		ok = old != LSI_CTRL_DEAD;
		break;
	default:
		ok = false;
		break;
	}
	if (ok)
		WRITE_ONCE(ctrl->state, new_state);
	spin_unlock_irqrestore(&ctrl->state_lock, flags);

	if (ok)
		dev_dbg(ctrl->dev, "state %s -> %s\n", lsi_ctrl_state_name(old),
			lsi_ctrl_state_name(new_state));
	else
		dev_dbg(ctrl->dev, "state %s -> %s refused\n",
			lsi_ctrl_state_name(old), lsi_ctrl_state_name(new_state));
	return ok;
}

/*
 * The final way down, for probe failure, remove and shutdown (resets and
 * suspend stop the same way, without releasing vectors): silence the device
 * and its handlers, stop DMA, then finish whatever the firmware still held.
 * Works on a controller at any stage of initialisation, and twice.
 */
static void lsi_dev_disable(struct lsi_ctrl *ctrl)
{
	synchronize_rcu();	/* no command is half-posted (state is DEAD) */
	lsi_stop_hw(ctrl);
	lsi_free_irqs(ctrl);
	if (ctrl->pci_enabled)
		pci_clear_master(ctrl->pdev);
	lsi_end_outstanding(ctrl, DID_NO_CONNECT);
}

/* Free what lsi_dev_disable() left: memory, mappings, the host itself. */
static void lsi_release(struct lsi_ctrl *ctrl)
{
	struct pci_dev *pdev = ctrl->pdev;

	lsi_free_memory(ctrl);
	if (ctrl->regs)
		pci_iounmap(pdev, ctrl->regs);
	if (ctrl->bar >= 0)
		pci_release_region(pdev, ctrl->bar);
	if (ctrl->pci_enabled)
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
	ctrl->pci_enabled = true;

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
	pci_set_master(pdev);
	return 0;
}

static int lsi_bring_up(struct lsi_ctrl *ctrl)
{
	int ret;

	ret = lsi_pci_init(ctrl);
	if (ret)
		return ret;
	ret = lsi_fw_wait_ready(ctrl);
	if (ret)
		return ret;
	ret = lsi_fw_read_limits(ctrl);
	if (ret)
		return ret;
	ret = lsi_set_dma_masks(ctrl);
	if (ret)
		return ret;
	ret = lsi_alloc_vectors(ctrl);
	if (ret)
		return ret;
	ret = lsi_alloc_memory(ctrl);
	if (ret)
		return ret;
	lsi_icmd_setup(ctrl);
	ret = lsi_ioc_init(ctrl);
	if (ret)
		return ret;
	lsi_set_fw_up(ctrl, true);
	/* Polled: the handlers are not installed yet. */
	ret = lsi_get_ctrl_info(ctrl);
	if (ret)
		return ret;
	ret = lsi_request_irqs(ctrl);
	if (ret)
		return ret;
	if (lsi_read_ld_list(ctrl) < 0)
		dev_err(ctrl->dev, "no logical drive list: exposing no LDs\n");
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
	shost->max_channel = 0;
	shost->max_id = LSI_MAX_LDS;
	shost->max_lun = 1;
	shost->max_cmd_len = 16;
}

static int lsi_add_host(struct lsi_ctrl *ctrl)
{
	int ret;

	lsi_set_host_limits(ctrl);
	if (!lsi_change_state(ctrl, LSI_CTRL_LIVE))
		return -ENODEV;
	ret = scsi_add_host(ctrl->shost, ctrl->dev);
	if (ret) {
		dev_err(ctrl->dev, "cannot add the SCSI host: %d\n", ret);
		return ret;
	}
	ctrl->host_added = true;
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
	.slave_alloc		= lsi_slave_alloc,
	.slave_configure	= lsi_slave_configure,
	.change_queue_depth	= scsi_change_queue_depth,
	.map_queues		= lsi_map_queues,
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
	pci_set_drvdata(pdev, ctrl);
	return ctrl;
}

static int lsi_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct lsi_ctrl *ctrl = lsi_alloc_ctrl(pdev);
	int ret;

	if (!ctrl)
		return -ENOMEM;
	ret = lsi_bring_up(ctrl);
	if (!ret)
		ret = lsi_add_host(ctrl);
	if (ret) {
		lsi_stop_workers(ctrl);
		lsi_change_state(ctrl, LSI_CTRL_DEAD);
		lsi_dev_disable(ctrl);
		lsi_release(ctrl);
	}
	return ret;
}

/*
 * Each step checks what exists, so this also works on a controller that a
 * failed bring-up (or, later, a failed reset) left half-initialised.
 */
static void lsi_remove(struct pci_dev *pdev)
{
	struct lsi_ctrl *ctrl = pci_get_drvdata(pdev);
	bool talk;

	lsi_stop_workers(ctrl);
	/* Surprise removal: fail I/O at once, so that nothing waits for it. */
	if (!pci_device_is_present(pdev))
		lsi_kill(ctrl, "the device was removed");
	talk = lsi_change_state(ctrl, LSI_CTRL_DELETING);
	if (ctrl->host_added) {
		/* sd flushes each disk's cache through the normal path here. */
		scsi_remove_host(ctrl->shost);
		/* The tag set is gone: SCSI SMIDs are no longer valid. */
		WRITE_ONCE(ctrl->host_added, false);
	}
	if (talk)
		lsi_ctrl_quiesce(ctrl);
	lsi_change_state(ctrl, LSI_CTRL_DEAD);
	lsi_dev_disable(ctrl);
	lsi_release(ctrl);
}

/* Reboot, power-off, kexec: write the cache back and stop all DMA. */
static void lsi_shutdown(struct pci_dev *pdev)
{
	struct lsi_ctrl *ctrl = pci_get_drvdata(pdev);

	lsi_stop_workers(ctrl);
	if (lsi_change_state(ctrl, LSI_CTRL_DELETING))
		lsi_ctrl_quiesce(ctrl);
	lsi_change_state(ctrl, LSI_CTRL_DEAD);
	lsi_dev_disable(ctrl);
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
module_pci_driver(lsi_pci_driver);

MODULE_DESCRIPTION("LSI/Broadcom MegaRAID SAS3108 SCSI driver");
MODULE_LICENSE("GPL");
