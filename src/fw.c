// SPDX-License-Identifier: GPL-2.0-only
/*
 * Talking to the firmware through registers.
 *
 * Scratch pad 0 is the firmware's status word: its state in bits 31:28, and
 * in READY the number of commands it can hold. The host moves the state
 * machine with doorbell writes (register 0x00) and waits for the whole status
 * word to change after each one; the firmware may also move on by itself
 * (FW_INIT, DEVICE_SCAN, ...). Once READY, scratch pad 1 tells the chain
 * frame size, the number of reply queues and optional capabilities.
 *
 * IOC INIT hands the firmware the host memory layout. It is the one request
 * posted with an MFA descriptor (the INIT frame's address with the type in
 * its low byte). The firmware answers in the INIT frame's cmd_status and
 * posts no reply descriptor, so it is polled, with interrupts masked.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/device.h>
#include <linux/iopoll.h>
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/pci.h>
#include <linux/timekeeping.h>

#include "lsi3108.h"

#define LSI_POLL_US	(LSI_POLL_MS * USEC_PER_MSEC)

u32 lsi_read_pad0(struct lsi_ctrl *ctrl)
{
	return readl(ctrl->regs + LSI_REG_SCRATCH_PAD0);
}

void lsi_intr_mask(struct lsi_ctrl *ctrl)
{
	writel(~0U, ctrl->regs + LSI_REG_OUTBOUND_INTR_MASK);
	readl(ctrl->regs + LSI_REG_OUTBOUND_INTR_MASK);
}

/* Clear what is pending, then let doorbell and reply interrupts through. */
void lsi_intr_unmask(struct lsi_ctrl *ctrl)
{
	writel(~0U, ctrl->regs + LSI_REG_OUTBOUND_INTR_STATUS);
	writel(~LSI_INTR_ALL, ctrl->regs + LSI_REG_OUTBOUND_INTR_MASK);
	readl(ctrl->regs + LSI_REG_OUTBOUND_INTR_MASK);
}

static int lsi_wait_doorbell_idle(struct lsi_ctrl *ctrl)
{
	u32 db;
	int ret;

	ret = readl_poll_timeout(ctrl->regs + LSI_REG_DOORBELL, db,
				 !(db & LSI_DOORBELL_BUSY), LSI_POLL_US,
				 LSI_DOORBELL_TIMEOUT_S * USEC_PER_SEC);
	if (ret)
		dev_err(ctrl->dev,
			"doorbell still busy after %u s (doorbell %#010x, pad0 %#010x)\n",
			LSI_DOORBELL_TIMEOUT_S, db, lsi_read_pad0(ctrl));
	return ret;
}

/*
 * After a chip reset or a PCI function reset the chip answers nothing for a
 * while: every register reads all-ones. That is "not back yet", not "gone":
 * poll until a register reads something else (0 when back, with *val), for
 * at most LSI_REGS_BACK_S; the device is gone (-ENXIO) only when its config
 * space says so too.
 */
static int lsi_wait_regs_back(struct lsi_ctrl *ctrl, u32 reg, u32 *val)
{
	unsigned long deadline = jiffies + LSI_REGS_BACK_S * HZ;

	for (;;) {
		*val = readl(ctrl->regs + reg);
		if (*val != U32_MAX)
			return 0;
		if (!pci_device_is_present(ctrl->pdev)) {
			dev_err(ctrl->dev, "the controller is gone (config space reads all-ones)\n");
			return -ENXIO;
		}
		if (time_after(jiffies, deadline)) {
			dev_err(ctrl->dev, "registers still read all-ones %u s after the reset\n",
				LSI_REGS_BACK_S);
			return -ETIMEDOUT;
		}
		msleep(LSI_POLL_MS);
	}
}

/* pad 0, waiting through an all-ones window (lsi_wait_regs_back). */
static int lsi_read_pad0_back(struct lsi_ctrl *ctrl, u32 *pad0)
{
	return lsi_wait_regs_back(ctrl, LSI_REG_SCRATCH_PAD0, pad0);
}

/*
 * How long the firmware may stay in @state: a booting state moves on by
 * itself and may take long (disks spinning up); a handshake state waits
 * only for the doorbell the host has just written.
 */
static unsigned int lsi_fw_state_limit_s(u32 state)
{
	switch (state) {
	case LSI_FW_STATE_WAIT_HANDSHAKE:
	case LSI_FW_STATE_BOOT_MSG_PENDING:
	case LSI_FW_STATE_OPERATIONAL:
		return LSI_FW_HANDSHAKE_S;
	default:
		return LSI_FW_BOOT_STATE_S;
	}
}

/* Do what the current firmware state asks of the host. */
static int lsi_fw_kick(struct lsi_ctrl *ctrl, u32 pad0)
{
	switch (lsi_fw_state(pad0)) {
	case LSI_FW_STATE_WAIT_HANDSHAKE:
		writel(LSI_DB_CLEAR_HANDSHAKE | LSI_DB_HOTPLUG,
		       ctrl->regs + LSI_REG_DOORBELL);
		return 0;
	case LSI_FW_STATE_BOOT_MSG_PENDING:
		writel(LSI_DB_HOTPLUG, ctrl->regs + LSI_REG_DOORBELL);
		return 0;
	case LSI_FW_STATE_OPERATIONAL:
		/* Left running (kexec, earlier driver): abort all, back to READY */
		lsi_intr_mask(ctrl);
		writel(LSI_DB_RESET_FLAGS, ctrl->regs + LSI_REG_DOORBELL);
		return lsi_wait_doorbell_idle(ctrl);
	case LSI_FW_STATE_UNDEFINED:
	case LSI_FW_STATE_BB_INIT:
	case LSI_FW_STATE_FW_INIT:
	case LSI_FW_STATE_FW_INIT_2:
	case LSI_FW_STATE_DEVICE_SCAN:
	case LSI_FW_STATE_FLUSH_CACHE:
		return 0;	/* the firmware moves on by itself */
	case LSI_FW_STATE_FAULT:
		dev_err(ctrl->dev,
			"firmware is in FAULT (pad0 %#010x: code %#x, subcode %#x)\n",
			pad0,
			(pad0 & LSI_FW_FAULT_CODE_MASK) >> LSI_FW_FAULT_CODE_SHIFT,
			(pad0 & LSI_FW_FAULT_SUBCODE_MASK) >>
				LSI_FW_FAULT_SUBCODE_SHIFT);
		return -ENODEV;
	default:
		dev_err(ctrl->dev, "firmware is in unknown state %#x (pad0 %#010x)\n",
			lsi_fw_state(pad0), pad0);
		return -ENODEV;
	}
}

/*
 * Bring the firmware to READY, one handshake at a time (interface doc 4.1).
 * All-ones reads (a reset still under way) are waited out; -ENXIO: the
 * device is gone; -ENODEV: FAULT or an unknown state; -ETIMEDOUT: stuck.
 */
int lsi_fw_wait_ready(struct lsi_ctrl *ctrl)
{
	unsigned int step, limit;
	u32 pad0, now;
	int ret;

	for (step = 0; step < LSI_FW_MAX_STEPS; step++) {
		ret = lsi_read_pad0_back(ctrl, &pad0);
		if (ret)
			return ret;
		if (lsi_fw_state(pad0) == LSI_FW_STATE_READY)
			return 0;
		ret = lsi_fw_kick(ctrl, pad0);
		if (ret)
			return ret;
		limit = lsi_fw_state_limit_s(lsi_fw_state(pad0));
		ret = readl_poll_timeout(ctrl->regs + LSI_REG_SCRATCH_PAD0, now,
					 now != pad0, LSI_POLL_US,
					 limit * USEC_PER_SEC);
		if (ret) {
			dev_err(ctrl->dev, "firmware stuck in %s for %u s (pad0 %#010x)\n",
				lsi_fw_state_name(pad0), limit, pad0);
			return -ETIMEDOUT;
		}
	}
	dev_err(ctrl->dev, "firmware not READY after %u state changes (pad0 %#010x)\n",
		LSI_FW_MAX_STEPS, lsi_read_pad0(ctrl));
	return -ETIMEDOUT;
}

/*
 * Read the limits the firmware advertises in READY, through the one parser
 * (lsi_parse_fw_limits). Returns 0, or -ENODEV with the values named.
 */
int lsi_fw_limits(struct lsi_ctrl *ctrl, struct lsi_fw_limits *lim)
{
	u32 pad0 = lsi_read_pad0(ctrl);
	u32 pad1 = readl(ctrl->regs + LSI_REG_SCRATCH_PAD1);

	if (lsi_parse_fw_limits(pad0, pad1, lim)) {
		dev_err(ctrl->dev,
			"firmware supports %u commands (pad0 %#010x), at least %u are needed\n",
			lim->cmds, pad0, LSI_MIN_FW_CMDS);
		return -ENODEV;
	}
	return 0;
}

/* Probe: size the controller from the firmware's limits. */
void lsi_fw_adopt_limits(struct lsi_ctrl *ctrl, const struct lsi_fw_limits *lim)
{
	ctrl->max_smid = lim->max_smid;
	ctrl->can_queue = lim->max_smid - LSI_NR_INTERNAL;
	ctrl->reply_depth = lsi_reply_depth(lim->max_smid);
	ctrl->chain_size = lim->chain_size;
	ctrl->max_sge = lsi_max_data_sges(lim->chain_size);
	ctrl->fw_msix = lim->msix;
	ctrl->fw_queues = lim->queues;
	ctrl->dma64 = lim->dma64;

	dev_info(ctrl->dev,
		 "firmware: %u commands, %u B chain frames (using %u), %u reply queue(s)%s (pad0 %#010x, pad1 %#010x, pad2 %#010x)\n",
		 lim->cmds, lim->chain, ctrl->chain_size, ctrl->fw_queues,
		 ctrl->fw_msix ? " with MSI-X" : "", lsi_read_pad0(ctrl),
		 readl(ctrl->regs + LSI_REG_SCRATCH_PAD1),
		 readl(ctrl->regs + LSI_REG_SCRATCH_PAD2));
}

/*
 * After a reset the firmware must still fit the memory and queues the driver
 * built at probe: it may offer more, never less.
 */
bool lsi_fw_limits_fit(struct lsi_ctrl *ctrl, const struct lsi_fw_limits *lim)
{
	bool msix = ctrl->irq_mode == LSI_IRQ_MSIX;

	if (lim->max_smid >= ctrl->max_smid &&
	    lim->chain_size >= ctrl->chain_size &&
	    (lim->dma64 || !ctrl->dma64) &&
	    (!msix || (lim->msix && lim->queues >= ctrl->nr_queues)))
		return true;
	dev_err(ctrl->dev,
		"firmware shrank across the reset: %u commands (need %u), %u B chains (need %u), %u queues (need %u), 64-bit DMA %s (pad0 %#010x, pad1 %#010x)\n",
		lim->cmds, ctrl->max_smid + 1, lim->chain, ctrl->chain_size,
		lim->queues, msix ? ctrl->nr_queues : 1,
		lim->dma64 ? "yes" : ctrl->dma64 ? "no (needed)" : "no",
		lsi_read_pad0(ctrl), readl(ctrl->regs + LSI_REG_SCRATCH_PAD1));
	return false;
}

/* A wait's error as a reset result: only a device that is gone is GONE. */
static enum lsi_reset_result lsi_wait_result(int ret)
{
	if (!ret)
		return LSI_RESET_OK;
	return ret == -ENXIO ? LSI_RESET_GONE : LSI_RESET_RETRY;
}

/*
 * Poll a register until (value & mask) == want, for at most @timeout_s.
 * All-ones is no answer (a reset under way): polled through, unless the
 * device is gone.
 */
static enum lsi_reset_result lsi_poll_reg(struct lsi_ctrl *ctrl, u32 reg,
					  u32 mask, u32 want,
					  unsigned int timeout_s, u32 *val)
{
	unsigned long deadline = jiffies + timeout_s * HZ;
	int ret;

	for (;;) {
		ret = lsi_wait_regs_back(ctrl, reg, val);
		if (ret)
			return lsi_wait_result(ret);
		if ((*val & mask) == want)
			return LSI_RESET_OK;
		if (time_after(jiffies, deadline))
			return LSI_RESET_RETRY;
		msleep(LSI_POLL_MS);
	}
}

/* The write-sequence keys unlock the host diagnostic register. */
static enum lsi_reset_result lsi_diag_unlock(struct lsi_ctrl *ctrl, u32 *diag)
{
	static const u8 keys[] = LSI_WRITE_SEQ_KEYS;
	enum lsi_reset_result res;
	int i;

	writel(LSI_WRITE_SEQ_FLUSH, ctrl->regs + LSI_REG_WRITE_SEQ);
	for (i = 0; i < ARRAY_SIZE(keys); i++)
		writel(keys[i], ctrl->regs + LSI_REG_WRITE_SEQ);
	res = lsi_poll_reg(ctrl, LSI_REG_HOST_DIAG, LSI_HOST_DIAG_WRITE_ENABLE,
			   LSI_HOST_DIAG_WRITE_ENABLE,
			   LSI_DIAG_ENABLE_TIMEOUT_S, diag);
	if (res != LSI_RESET_OK)
		dev_err(ctrl->dev, "chip reset: host diag not unlocked (diag %#010x)\n",
			*diag);
	return res;
}

/*
 * The firmware's fault forbids a chip reset (FAULT without RESET_ADAPTER):
 * only something outside the host's reach brings it back.
 */
bool lsi_fw_fault_final(u32 pad0)
{
	return pad0 != U32_MAX && lsi_fw_state(pad0) == LSI_FW_STATE_FAULT &&
	       !(pad0 & LSI_FW_RESET_ADAPTER);
}

/*
 * May the chip be reset? Not when it is gone, or its fault forbids it.
 * Registers reading all-ones (an earlier reset still under way) are waited
 * out first.
 */
static enum lsi_reset_result lsi_chip_resettable(struct lsi_ctrl *ctrl)
{
	int ret;
	u32 pad0;

	ret = lsi_read_pad0_back(ctrl, &pad0);
	if (ret) {
		dev_err(ctrl->dev, "chip reset: the controller does not answer (%d)\n",
			ret);
		return lsi_wait_result(ret);
	}
	if (lsi_fw_fault_final(pad0)) {
		dev_err(ctrl->dev, "chip reset: firmware fault %#x does not allow a reset (pad0 %#010x)\n",
			(pad0 & LSI_FW_FAULT_CODE_MASK) >> LSI_FW_FAULT_CODE_SHIFT,
			pad0);
		return LSI_RESET_GONE;
	}
	return LSI_RESET_OK;
}

/*
 * Chip reset through the host diagnostic register (interface doc 9.3): the
 * write-sequence keys unlock it, RESET_ADAPTER restarts the chip. For a
 * while the chip answers nothing (all-ones): no read before
 * LSI_CHIP_RESET_DELAY_MS, then host diag is polled through all-ones until
 * RESET_ADAPTER reads clear (LSI_REGS_BACK_S at most). The firmware then
 * boots on its own towards READY (lsi_fw_wait_ready waits for that). GONE
 * when a reset is not possible (the device is gone, or the firmware's fault
 * forbids it), RETRY when this attempt failed.
 */
enum lsi_reset_result lsi_chip_reset(struct lsi_ctrl *ctrl)
{
	enum lsi_reset_result res;
	u32 diag;

	res = lsi_chip_resettable(ctrl);
	if (res != LSI_RESET_OK)
		return res;
	res = lsi_diag_unlock(ctrl, &diag);
	if (res != LSI_RESET_OK)
		return res;
	writel(diag | LSI_HOST_DIAG_RESET_ADAPTER, ctrl->regs + LSI_REG_HOST_DIAG);
	msleep(LSI_CHIP_RESET_DELAY_MS);
	res = lsi_poll_reg(ctrl, LSI_REG_HOST_DIAG, LSI_HOST_DIAG_RESET_ADAPTER,
			   0, LSI_REGS_BACK_S, &diag);
	writel(LSI_WRITE_SEQ_FLUSH, ctrl->regs + LSI_REG_WRITE_SEQ);
	if (res != LSI_RESET_OK)
		dev_err(ctrl->dev, "chip reset: the chip did not come back (diag %#010x, pad0 %#010x)\n",
			diag, lsi_read_pad0(ctrl));
	return res;
}

static u32 lsi_drv_caps(struct lsi_ctrl *ctrl)
{
	u32 caps = LSI_DRVCAP_MAX_255_LDS;

	if (ctrl->combined)
		caps |= LSI_DRVCAP_ADDITIONAL_MSIX;
	if (ctrl->chain_size > LSI_MIN_CHAIN_FRAME_SIZE)
		caps |= LSI_DRVCAP_EXT_IO_SIZE;
	if (ctrl->dma64)
		caps |= LSI_DRVCAP_64BIT_MODE;
	return caps;
}

static void lsi_fill_ioc_init(struct lsi_ctrl *ctrl)
{
	struct lsi_ioc_init_params p = {
		.frames		= ctrl->frames.dma,
		.replies	= ctrl->replies.dma,
		.sense		= ctrl->sense.dma,
		.request	= ctrl->init.dma + LSI_IOC_INIT_REQ_OFFSET,
		.reply_depth	= ctrl->reply_depth,
		/* Reply queue count with MSI-X; 0 means one queue, no MSI-X. */
		.msix_vectors	= ctrl->irq_mode == LSI_IRQ_MSIX ?
				  ctrl->nr_queues : 0,
		.drv_caps	= lsi_drv_caps(ctrl),
		.timestamp_ms	= ktime_to_ms(ktime_get_real()),
	};

	lsi_build_ioc_init(ctrl->init.va,
			   ctrl->init.va + LSI_IOC_INIT_REQ_OFFSET, &p);
}

/* Poll the INIT frame's status; a FAULT on the way ends the wait early. */
static int lsi_wait_ioc_init(struct lsi_ctrl *ctrl,
			     struct lsi_mfi_init_frame *init)
{
	unsigned long deadline = jiffies + LSI_IOC_INIT_TIMEOUT_S * HZ;
	u8 status;
	u32 pad0;

	for (;;) {
		status = READ_ONCE(init->cmd_status);
		pad0 = lsi_read_pad0(ctrl);
		if (status != LSI_MFI_STAT_INVALID_STATUS)
			break;
		if (lsi_fw_state(pad0) == LSI_FW_STATE_FAULT ||
		    time_after(jiffies, deadline)) {
			dev_err(ctrl->dev,
				"IOC INIT not answered (firmware %s, pad0 %#010x)\n",
				lsi_fw_state_name(pad0), pad0);
			return -ETIMEDOUT;
		}
		msleep(LSI_POLL_MS);
	}
	if (status != LSI_MFI_STAT_OK) {
		dev_err(ctrl->dev, "IOC INIT failed: MFI status %#04x (pad0 %#010x)\n",
			status, pad0);
		return -EIO;
	}
	return 0;
}

int lsi_ioc_init(struct lsi_ctrl *ctrl)
{
	u32 pad1 = readl(ctrl->regs + LSI_REG_SCRATCH_PAD1);
	u32 pad0;
	int ret;

	/* Read just before IOC INIT: does the firmware handle SYNCHRONIZE CACHE? */
	ctrl->fw_sync_cache = pad1 & LSI_CAP_SYNC_CACHE;

	lsi_fill_ioc_init(ctrl);
	lsi_intr_mask(ctrl);
	ret = lsi_wait_doorbell_idle(ctrl);
	if (ret)
		return ret;
	lsi_post(ctrl, lsi_mfa_desc(ctrl->init.dma));
	ret = lsi_wait_ioc_init(ctrl, ctrl->init.va);
	if (ret)
		return ret;

	ret = readl_poll_timeout(ctrl->regs + LSI_REG_SCRATCH_PAD0, pad0,
				 lsi_fw_state(pad0) == LSI_FW_STATE_OPERATIONAL,
				 LSI_POLL_US, LSI_OPERATIONAL_TIMEOUT_S * USEC_PER_SEC);
	if (ret) {
		dev_err(ctrl->dev, "IOC INIT accepted but firmware is %s (pad0 %#010x)\n",
			lsi_fw_state_name(pad0), pad0);
		return -EIO;
	}
	dev_info(ctrl->dev,
		 "IOC INIT done: %u reply queue(s) of %u, SYNCHRONIZE CACHE %s\n",
		 ctrl->nr_queues, ctrl->reply_depth,
		 ctrl->fw_sync_cache ? "handled by firmware" :
				       "sent as controller cache flush");
	return 0;
}
