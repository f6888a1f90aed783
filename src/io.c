// SPDX-License-Identifier: GPL-2.0-only
/*
 * The SCSI I/O path.
 *
 * A command's SMID is its blk-mq tag plus one. The tag set is shared by all
 * hardware queues (host_tagset), so tags are unique per host, and the frame,
 * sense buffer and chain frame of that SMID belong to the command while it
 * runs: submitting allocates nothing and takes no lock. The hardware queue
 * names the reply queue (MSI-X vector) the firmware completes on.
 *
 * Every CDB goes to the firmware, which answers for its logical drives
 * (INQUIRY, READ CAPACITY, MODE SENSE with the caching page, ...); FUA bits
 * pass through untouched. The one translation: on firmware that does not
 * advertise handling SYNCHRONIZE CACHE, the command becomes a controller
 * CACHE_FLUSH DCMD carried in the command's own frame and SMID (the MFI frame
 * sits in its otherwise unused chain frame), and it completes when the flush
 * does. Nothing is completed early and nothing waits in queuecommand.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blk-mq.h>
#include <linux/blk-mq-pci.h>
#include <linux/blkdev.h>
#include <linux/pci.h>
#include <scsi/scsi.h>
#include <scsi/scsi_cmnd.h>
#include <scsi/scsi_device.h>
#include <scsi/scsi_host.h>
#include <scsi/scsi_tcq.h>

#include "lsi3108.h"

static_assert(LSI_SENSE_BUFFER_SIZE == SCSI_SENSE_BUFFERSIZE);

u32 lsi_scmd_smid(struct scsi_cmnd *scmd)
{
	return scsi_cmd_to_rq(scmd)->tag + 1;
}

/* Does the firmware still own the command? */
bool lsi_scmd_inflight(struct scsi_cmnd *scmd)
{
	struct lsi_cmd *cmd = scsi_cmd_priv(scmd);

	return test_bit(LSI_CMD_INFLIGHT, &cmd->flags);
}

/* Hand the command to the firmware, to be answered on @queue. */
static void lsi_post_cmd(struct lsi_ctrl *ctrl, struct lsi_cmd *cmd, u8 type,
			 u16 queue, u32 smid)
{
	cmd->queue = queue;
	cmd->start = jiffies;
	set_bit(LSI_CMD_INFLIGHT, &cmd->flags);
	lsi_post(ctrl, lsi_req_desc(type, queue, smid));
}

static u8 lsi_scmd_queue(struct scsi_cmnd *scmd)
{
	return blk_mq_unique_tag_to_hwq(blk_mq_unique_tag(scsi_cmd_to_rq(scmd)));
}

static void *lsi_sense(struct lsi_ctrl *ctrl, u32 smid)
{
	return ctrl->sense.va + (smid - 1) * LSI_SENSE_BUFFER_SIZE;
}

static enum lsi_data_dir lsi_scmd_dir(struct scsi_cmnd *scmd)
{
	switch (scmd->sc_data_direction) {
	case DMA_FROM_DEVICE:
		return LSI_DIR_READ;
	case DMA_TO_DEVICE:
		return LSI_DIR_WRITE;
	default:
		return LSI_DIR_NONE;
	}
}

static int lsi_finish_now(struct scsi_cmnd *scmd, int host_byte)
{
	scmd->result = host_byte << 16;
	scsi_done(scmd);
	return 0;
}

static int lsi_submit_io(struct lsi_ctrl *ctrl, struct scsi_cmnd *scmd)
{
	u32 smid = lsi_scmd_smid(scmd);
	struct lsi_io_frame *frame = lsi_frame(ctrl, smid);
	struct lsi_chain *chain = &ctrl->chains[smid - 1];
	struct lsi_cmd *cmd = scsi_cmd_priv(scmd);
	struct lsi_io_req req = {
		.cdb		= scmd->cmnd,
		.cdb_len	= scmd->cmd_len,
		.target_id	= scmd->device->id,
		.lun		= scmd->device->lun,
		.dir		= lsi_scmd_dir(scmd),
		.data_len	= scsi_bufflen(scmd),
		.sense_lo	= lower_32_bits(ctrl->sense.dma +
				  (smid - 1) * LSI_SENSE_BUFFER_SIZE),
		.timeout_s	= min_t(u32, scsi_cmd_to_rq(scmd)->timeout / HZ,
					U16_MAX),
	};
	int nseg;
	u8 type;

	nseg = scsi_dma_map(scmd);
	if (nseg < 0)
		return SCSI_MLQUEUE_HOST_BUSY;
	type = lsi_build_ld_io(frame, &req);
	if (lsi_build_sgl(frame, chain->va, chain->dma,
			  ctrl->chain_size / LSI_SGE_SIZE,
			  scsi_sglist(scmd), nseg) < 0) {
		scmd_printk(KERN_ERR, scmd, "%d segments do not fit the SGL\n",
			    nseg);
		scsi_dma_unmap(scmd);
		return lsi_finish_now(scmd, DID_ERROR);
	}
	cmd->kind = LSI_CMD_SCSI;
	lsi_post_cmd(ctrl, cmd, type, lsi_scmd_queue(scmd), smid);
	return 0;
}

/* SYNCHRONIZE CACHE for firmware that does not handle it: flush it all. */
static int lsi_submit_flush(struct lsi_ctrl *ctrl, struct scsi_cmnd *scmd)
{
	u32 smid = lsi_scmd_smid(scmd);
	struct lsi_chain *chain = &ctrl->chains[smid - 1];
	struct lsi_cmd *cmd = scsi_cmd_priv(scmd);
	struct lsi_dcmd flush = {
		.opcode	= LSI_DCMD_CTRL_CACHE_FLUSH,
		.mbox	= { LSI_FLUSH_CTRL_CACHE | LSI_FLUSH_DISK_CACHE },
	};

	lsi_build_dcmd((struct lsi_mfi_dcmd_frame *)chain->va, &flush, 0, smid);
	lsi_build_mfi_passthru(lsi_frame(ctrl, smid), chain->dma,
			       LSI_MFI_FRAME_SIZE);
	cmd->kind = LSI_CMD_FLUSH;
	/* Pass-through frames complete on reply queue 0. */
	lsi_post_cmd(ctrl, cmd, LSI_REQ_DESC_SCSI_IO, 0, smid);
	return 0;
}

/*
 * Runs under RCU (blk-mq dispatch): a reset changes the state and then waits
 * with synchronize_rcu() until no command is half-posted.
 */
int lsi_queuecommand(struct Scsi_Host *shost, struct scsi_cmnd *scmd)
{
	struct lsi_ctrl *ctrl = shost_priv(shost);

	switch (READ_ONCE(ctrl->state)) {
	case LSI_CTRL_LIVE:
	case LSI_CTRL_DELETING:
		break;
	case LSI_CTRL_RESETTING:
	case LSI_CTRL_SUSPENDED:
		return SCSI_MLQUEUE_HOST_BUSY;
	default:
		return lsi_finish_now(scmd, DID_NO_CONNECT);
	}
	if (lsi_cdb_is_sync_cache(scmd->cmnd[0]) && !ctrl->fw_sync_cache)
		return lsi_submit_flush(ctrl, scmd);
	return lsi_submit_io(ctrl, scmd);
}

static int lsi_io_result(struct lsi_ctrl *ctrl, struct scsi_cmnd *scmd,
			 u32 smid)
{
	struct lsi_io_frame *frame = lsi_frame(ctrl, smid);
	struct lsi_scsi_status st = {
		.mfi_status	= READ_ONCE(frame->raid_context.status),
		.ex_status	= READ_ONCE(frame->raid_context.ex_status),
		.bufflen	= scsi_bufflen(scmd),
		.xfer_len	= le32_to_cpu(READ_ONCE(frame->data_length)),
	};
	struct lsi_scsi_result res;

	lsi_map_scsi_status(&st, &res);
	scsi_set_resid(scmd, res.resid);
	if (res.sense_valid)
		memcpy(scmd->sense_buffer, lsi_sense(ctrl, smid),
		       SCSI_SENSE_BUFFERSIZE);
	return res.result;
}

static int lsi_flush_result(struct lsi_ctrl *ctrl, struct scsi_cmnd *scmd,
			    u32 smid)
{
	struct lsi_mfi_dcmd_frame *mfi = (void *)ctrl->chains[smid - 1].va;
	u8 status = READ_ONCE(mfi->hdr.cmd_status);

	if (status != LSI_MFI_STAT_OK)
		scmd_printk(KERN_ERR, scmd,
			    "controller cache flush failed: MFI status %#04x\n",
			    status);
	scsi_set_resid(scmd, 0);
	return lsi_map_flush_status(status);
}

/* The firmware is done with the frame: clear it, hand the command back. */
static void lsi_end_scmd(struct lsi_ctrl *ctrl, struct scsi_cmnd *scmd,
			 int result)
{
	memset(lsi_frame(ctrl, lsi_scmd_smid(scmd)), 0, LSI_FRAME_SIZE);
	scmd->result = result;
	scsi_dma_unmap(scmd);
	scsi_done(scmd);
}

void lsi_complete_scsi(struct lsi_ctrl *ctrl, u32 smid, u32 queue)
{
	struct scsi_cmnd *scmd = scsi_host_find_tag(ctrl->shost, smid - 1);
	struct lsi_cmd *cmd;
	int result;

	if (!scmd) {
		lsi_bad_reply(ctrl, smid, queue, "no such command");
		return;
	}
	cmd = scsi_cmd_priv(scmd);
	if (!test_bit(LSI_CMD_INFLIGHT, &cmd->flags)) {
		lsi_bad_reply(ctrl, smid, queue, "command not outstanding");
		return;
	}
	if (READ_ONCE(cmd->queue) != queue) {
		lsi_bad_reply(ctrl, smid, queue, "command was sent for another reply queue");
		return;
	}
	if (!test_and_clear_bit(LSI_CMD_INFLIGHT, &cmd->flags)) {
		lsi_bad_reply(ctrl, smid, queue, "command not outstanding");
		return;
	}
	if (cmd->kind == LSI_CMD_FLUSH)
		result = lsi_flush_result(ctrl, scmd, smid);
	else
		result = lsi_io_result(ctrl, scmd, smid);
	lsi_end_scmd(ctrl, scmd, result);
}

struct lsi_cancel {
	struct lsi_ctrl	*ctrl;
	int		host_byte;
};

static bool lsi_cancel_one(struct scsi_cmnd *scmd, void *data)
{
	struct lsi_cancel *c = data;
	struct lsi_cmd *cmd = scsi_cmd_priv(scmd);

	if (test_and_clear_bit(LSI_CMD_INFLIGHT, &cmd->flags))
		lsi_end_scmd(c->ctrl, scmd, c->host_byte << 16);
	return true;
}

/* Complete what the firmware still holds; only once DMA has stopped. */
void lsi_cancel_scsi(struct lsi_ctrl *ctrl, int host_byte)
{
	struct lsi_cancel c = { .ctrl = ctrl, .host_byte = host_byte };

	scsi_host_busy_iter(ctrl->shost, lsi_cancel_one, &c);
}

/* Addressing: channel 0, id = LD target id, LUN 0; only listed LDs. */
int lsi_slave_alloc(struct scsi_device *sdev)
{
	struct lsi_ctrl *ctrl = shost_priv(sdev->host);

	if (sdev->channel || sdev->lun || !lsi_ld_present(ctrl, sdev->id))
		return -ENXIO;
	return 0;
}

int lsi_slave_configure(struct scsi_device *sdev)
{
	/* RAID volumes can stall for a while behind a busy cache. */
	blk_queue_rq_timeout(sdev->request_queue, LSI_IO_TIMEOUT_S * HZ);
	return 0;
}

void lsi_map_queues(struct Scsi_Host *shost)
{
	struct lsi_ctrl *ctrl = shost_priv(shost);
	struct blk_mq_queue_map *map = &shost->tag_set.map[HCTX_TYPE_DEFAULT];

	if (ctrl->irq_mode == LSI_IRQ_MSIX)
		blk_mq_pci_map_queues(map, ctrl->pdev, 0);
	else
		blk_mq_map_queues(map);
}
