// SPDX-License-Identifier: GPL-2.0-only
/*
 * The fast path: a SCSI command from queuecommand to scsi_done, in the order
 * it happens.
 *
 * SMIDs. A command's SMID is its blk-mq tag plus one. The tag set is shared
 * by all hardware queues (host_tagset), so tags are unique per host, and the
 * frame, sense buffer and chain frame of that SMID belong to the command
 * while it runs: submitting allocates nothing, and on 64-bit kernels takes no
 * lock (32-bit ones take one around the two halves of the descriptor write,
 * see lsi_post()). The hardware queue names the reply queue (MSI-X vector)
 * the firmware completes on.
 *
 * Request frames. A command's 256-byte frame is an MPI2 RAID SCSI IO request:
 * a header, the CDB, a RAID context (the firmware writes the completion
 * status into it) and room for eight 16-byte IEEE SGEs. Logical drives are
 * reached through the firmware path (Function 0xF1) with DevHandle = target
 * id; no RAID map and no fast path are used, so reads and writes go out
 * with the NO_LOCK descriptor and a RAID context that asks for no region
 * lock and no configuration sequence check (reg_lock_flags 0, sequence 0),
 * as OpenBSD mfii sends them to 3108s. The sequence number enable flag
 * (0x08) makes the firmware compare config_seq_num with the LD's current
 * sequence from the RAID map and answer 0x67 on a mismatch: only a driver
 * that holds the map may set it, with the map's value.
 *
 * System PDs (JBOD) take the firmware path too, every CDB alike: the RAID
 * context's sub-type SYSPD names a PD, its device id stands where an LD's
 * target id would, DevHandle is 0xFFFF (the driver holds no JBOD map, so no
 * device handle), SCSI IO descriptor, the command's timeout. What a device
 * is was decided by slave_alloc (struct lsi_sdev): queuecommand takes one
 * branch on it, and the two builders never see the other's devices.
 *
 * Scatter-gather. Up to eight SGEs fit in the frame. With more, the eighth
 * slot becomes a chain element pointing at the command's chain frame, which
 * holds the rest; there is only one chain level. The last data SGE carries
 * END_OF_LIST.
 *
 * Posting. The frame is handed over by writing a 64-bit request descriptor
 * (type, reply queue, SMID) to the request register: the "request queue" is
 * the frame array itself, indexed by SMID.
 *
 * Every CDB goes to the firmware, which answers for its logical drives
 * (INQUIRY, READ CAPACITY, MODE SENSE with the caching page, ...); FUA bits
 * pass through untouched. The one exception is SYNCHRONIZE CACHE to an LD,
 * by the LD's flush mode (cache.c): where volatile data can remain it
 * becomes a controller CACHE_FLUSH DCMD carried in the command's own frame
 * and SMID (the MFI frame sits in its otherwise unused chain frame) and
 * completes when the flush does; where nothing is volatile it is forwarded
 * (firmware that handles it) or completed at once. A system PD has no
 * controller cache in front of it: its SYNCHRONIZE CACHE goes to the drive
 * like any other CDB. Nothing waits in queuecommand.
 *
 * Reply queues. Each MSI-X vector has its own queue of 64-bit descriptors in
 * host memory. A slot is empty when it holds all-ones; the host reads slots
 * in order until an empty one, writes all-ones back into each slot it
 * consumed, and then tells the firmware how far it got with one host index
 * register write per batch: vector in bits 31:24, index below. With more than
 * eight vectors the firmware works in "combined" mode and each group of eight
 * vectors has its own supplemental index register. The status of a command
 * is in its request frame, not in the descriptor, which only names the SMID:
 * a descriptor is device input, checked before any command is touched.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blk-mq.h>
#include <linux/blk-mq-pci.h>
#include <linux/blkdev.h>
#include <linux/interrupt.h>
#include <linux/minmax.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <scsi/scsi.h>
#include <scsi/scsi_cmnd.h>
#include <scsi/scsi_device.h>
#include <scsi/scsi_host.h>
#include <scsi/scsi_tcq.h>

#include "lsi3108.h"

static_assert(LSI_SENSE_BUFFER_SIZE == SCSI_SENSE_BUFFERSIZE);
/* The chain element sits in the last SGL slot, ChainOffset counts 16 B. */
static_assert(offsetof(struct lsi_io_frame, sgl[LSI_FRAME_SGE_SLOTS - 1]) ==
	      LSI_CHAIN_OFFSET_IO * LSI_SGE_SIZE);

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

/* ---- building the frame ---- */

/*
 * What every firmware-path frame has, LD or system PD: the function, the
 * CDB, DataLength and direction, the sense buffer, where the SGL starts.
 * The rest of the frame is zero.
 */
static __always_inline void lsi_build_fw_path(struct lsi_io_frame *frame,
					      const struct lsi_io_req *req)
{
	static const u32 control[] = {
		[LSI_DIR_READ]	= LSI_CONTROL_READ,
		[LSI_DIR_WRITE]	= LSI_CONTROL_WRITE,
	};
	u8 cdb_len = min_t(u8, req->cdb_len, sizeof(frame->cdb));

	memset(frame, 0, sizeof(*frame));
	frame->function = LSI_FUNC_LD_IO;
	frame->sense_addr_low = cpu_to_le32(req->sense_lo);
	frame->sgl_flags = cpu_to_le16(LSI_SGL_FLAGS_64BIT);
	frame->sense_length = LSI_SENSE_BUFFER_SIZE;
	frame->sgl_offset[0] = LSI_SGL_OFFSET0;
	frame->data_length = cpu_to_le32(req->data_len);
	frame->io_flags = cpu_to_le16(cdb_len & LSI_IO_FLAGS_CDB_LEN_MASK);
	if (req->data_len)
		frame->control = cpu_to_le32(control[req->dir]);
	memcpy(frame->cdb, req->cdb, cdb_len);
}

/*
 * Fill a frame for a command to a logical drive and return the request
 * descriptor type. Reads and writes: RAID context type CUDA with one segment,
 * no region lock and no sequence check, NO_LOCK descriptor. Everything else:
 * plain context with the command's timeout, SCSI IO descriptor.
 */
u8 lsi_build_ld_io(struct lsi_io_frame *frame, const struct lsi_io_req *req)
{
	struct lsi_raid_context *ctx = &frame->raid_context;

	lsi_build_fw_path(frame, req);
	frame->dev_handle = cpu_to_le16(req->target_id);
	ctx->ld_target_id = cpu_to_le16(req->target_id);

	if (lsi_cdb_is_rw(req->cdb[0])) {
		ctx->type_nseg = LSI_RAID_CTX_TYPE_NSEG_RW;
		return LSI_REQ_DESC_NO_LOCK;
	}
	frame->lun[1] = req->lun;
	ctx->timeout = cpu_to_le16(req->timeout_s);
	return LSI_REQ_DESC_SCSI_IO;
}
EXPORT_SYMBOL_IF_LSI_TEST(lsi_build_ld_io);

/*
 * Fill a frame for a command to a system PD (req->target_id is its device
 * id) and return the request descriptor type. Every CDB alike, reads and
 * writes included: RAID context sub-type SYSPD, the device id in
 * ld_target_id, the command's timeout, no region lock (reg_lock_flags 0),
 * no sequence number (config_seq_num 0); DevHandle 0xFFFF; SCSI IO
 * descriptor. Nothing of an LD's: no CUDA type, no NO_LOCK descriptor.
 */
u8 lsi_build_syspd_io(struct lsi_io_frame *frame, const struct lsi_io_req *req)
{
	struct lsi_raid_context *ctx = &frame->raid_context;

	lsi_build_fw_path(frame, req);
	frame->dev_handle = cpu_to_le16(LSI_DEV_HANDLE_NONE);
	frame->lun[1] = req->lun;
	ctx->raid_flags = LSI_RAID_FLAGS_SYSPD;
	ctx->ld_target_id = cpu_to_le16(req->target_id);
	ctx->timeout = cpu_to_le16(req->timeout_s);
	return LSI_REQ_DESC_SCSI_IO;
}
EXPORT_SYMBOL_IF_LSI_TEST(lsi_build_syspd_io);

/*
 * Copy n DMA segments into SGEs, every field written: a chain frame still
 * holds the previous command's list. Returns the last SGE, or NULL.
 */
static struct lsi_sge *lsi_put_sges(struct lsi_sge *sge,
				    struct scatterlist **sgp, int n)
{
	struct scatterlist *sg = *sgp;
	int i;

	for (i = 0; i < n; i++, sg = sg_next(sg)) {
		sge[i] = (struct lsi_sge) {
			.addr	= cpu_to_le64(sg_dma_address(sg)),
			.length	= cpu_to_le32(sg_dma_len(sg)),
		};
	}
	*sgp = sg;
	return n ? &sge[n - 1] : NULL;
}

/*
 * Build the SGL of a frame from nseg DMA-mapped segments. chain_slots is the
 * chain frame's capacity in SGEs. Returns nseg, or -EINVAL if the segments
 * do not fit.
 */
int lsi_build_sgl(struct lsi_io_frame *frame, struct lsi_sge *chain,
		  dma_addr_t chain_dma, u32 chain_slots,
		  struct scatterlist *sgl, int nseg)
{
	struct lsi_sge *last, *ce = &frame->sgl[LSI_FRAME_SGE_SLOTS - 1];
	int in_frame = nseg;

	if (nseg < 0 || nseg > LSI_FRAME_SGE_SLOTS - 1 + (int)chain_slots)
		return -EINVAL;
	if (nseg > LSI_FRAME_SGE_SLOTS)
		in_frame = LSI_FRAME_SGE_SLOTS - 1;

	last = lsi_put_sges(frame->sgl, &sgl, in_frame);
	if (nseg > in_frame) {
		*ce = (struct lsi_sge) {
			.addr	= cpu_to_le64(chain_dma),
			.length	= cpu_to_le32((nseg - in_frame) * LSI_SGE_SIZE),
			.flags	= LSI_SGE_FLAGS_CHAIN,
		};
		frame->chain_offset = LSI_CHAIN_OFFSET_IO;
		last = lsi_put_sges(chain, &sgl, nseg - in_frame);
	}
	if (last)
		last->flags = LSI_SGE_FLAGS_END_OF_LIST;

	frame->raid_context.num_sge = nseg & 0xff;
	frame->raid_context.num_sge_ext = nseg >> 8;
	return nseg;
}
EXPORT_SYMBOL_IF_LSI_TEST(lsi_build_sgl);

/* ---- submission ---- */

/* Hand the command to the firmware, to be answered on @queue. */
static void lsi_post_cmd(struct lsi_ctrl *ctrl, struct lsi_cmd *cmd, u8 type,
			 u16 queue, u32 smid)
{
	cmd->queue = queue;
	cmd->start = jiffies;
	set_bit(LSI_CMD_INFLIGHT, &cmd->flags);
	lsi_post(ctrl, lsi_req_desc(type, queue, smid));
}

static int lsi_finish_now(struct scsi_cmnd *scmd, int host_byte)
{
	scmd->result = host_byte << 16;
	scsi_done(scmd);
	return 0;
}

static const enum lsi_data_dir lsi_dma_dirs[] = {
	[DMA_BIDIRECTIONAL]	= LSI_DIR_NONE,	/* not used by SCSI disks */
	[DMA_TO_DEVICE]		= LSI_DIR_WRITE,
	[DMA_FROM_DEVICE]	= LSI_DIR_READ,
	[DMA_NONE]		= LSI_DIR_NONE,
};

/*
 * Once per command, when the tag set is made. Every field of struct lsi_cmd
 * is written before the firmware sees the command, and INFLIGHT is clear
 * whenever the midlayer owns it, so the area needs no clearing before each
 * command (the midlayer clears it per command for a host without this hook).
 */
int lsi_init_cmd_priv(struct Scsi_Host *shost, struct scsi_cmnd *scmd)
{
	memset(scsi_cmd_priv(scmd), 0, sizeof(struct lsi_cmd));
	return 0;
}

/*
 * Map, build and post a command for @dev. Inlined into its two callers with
 * @syspd a constant: each has its own builder and no test of its own.
 */
static __always_inline int lsi_submit_io(struct lsi_ctrl *ctrl,
					 struct scsi_cmnd *scmd,
					 const struct lsi_sdev *dev, bool syspd)
{
	u32 smid = lsi_scmd_smid(scmd);
	struct lsi_io_frame *frame = lsi_frame(ctrl, smid);
	struct lsi_chain *chain = &ctrl->chains[smid - 1];
	struct lsi_cmd *cmd = scsi_cmd_priv(scmd);
	struct lsi_io_req req = {
		.cdb		= scmd->cmnd,
		.cdb_len	= scmd->cmd_len,
		.target_id	= dev->dev_id,
		.lun		= scmd->device->lun,
		.dir		= lsi_dma_dirs[scmd->sc_data_direction],
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
	if (syspd)
		type = lsi_build_syspd_io(frame, &req);
	else
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
	/* The hardware queue blk-mq chose is the reply queue. */
	lsi_post_cmd(ctrl, cmd, type,
		     blk_mq_unique_tag_to_hwq(blk_mq_unique_tag(scsi_cmd_to_rq(scmd))),
		     smid);
	return 0;
}

/* A system PD: every CDB, SYNCHRONIZE CACHE included, to the drive. */
static noinline int lsi_submit_syspd(struct lsi_ctrl *ctrl,
				     struct scsi_cmnd *scmd,
				     const struct lsi_sdev *dev)
{
	return lsi_submit_io(ctrl, scmd, dev, true);
}

/* SYNCHRONIZE CACHE where volatile data can remain: flush it all. */
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
	const struct lsi_sdev *dev = scmd->device->hostdata;
	enum lsi_ctrl_state state = READ_ONCE(ctrl->state);

	if (lsi_state_io_waits(state))
		return SCSI_MLQUEUE_HOST_BUSY;
	if (state != LSI_CTRL_LIVE && state != LSI_CTRL_DELETING)
		return lsi_finish_now(scmd, DID_NO_CONNECT);
	if (unlikely(dev->syspd))
		return lsi_submit_syspd(ctrl, scmd, dev);
	if (lsi_cdb_is_sync_cache(scmd->cmnd[0])) {
		switch (lsi_flush_mode_of(ctrl, dev->dev_id)) {
		case LSI_FLUSH_DCMD:
			return lsi_submit_flush(ctrl, scmd);
		case LSI_FLUSH_COMPLETE:
			return lsi_finish_now(scmd, DID_OK);
		case LSI_FLUSH_FIRMWARE:
			break;
		}
	}
	return lsi_submit_io(ctrl, scmd, dev, false);
}

/* ---- completion ---- */

/*
 * Map the status the firmware wrote into the RAID context to a SCSI result.
 * SCSI_DONE_WITH_ERROR carries the device's status byte (and sense for a
 * CHECK CONDITION) plus the bytes actually moved in DataLength.
 */
void lsi_map_scsi_status(const struct lsi_scsi_status *st,
			 struct lsi_scsi_result *res)
{
	res->resid = 0;
	res->sense_valid = false;

	switch (st->mfi_status) {
	case LSI_MFI_STAT_OK:
		res->result = DID_OK << 16;
		break;
	case LSI_MFI_STAT_SCSI_DONE_WITH_ERROR:
		res->result = (DID_OK << 16) | st->ex_status;
		res->sense_valid = st->ex_status == SAM_STAT_CHECK_CONDITION;
		res->resid = st->bufflen - min(st->xfer_len, st->bufflen);
		break;
	case LSI_MFI_STAT_SCSI_IO_FAILED:
	case LSI_MFI_STAT_LD_INIT_IN_PROGRESS:
		res->result = (DID_ERROR << 16) |
			(st->ex_status == LSI_EX_STATUS_CHECK_CONDITION ?
			 SAM_STAT_CHECK_CONDITION : st->ex_status);
		break;
	case LSI_MFI_STAT_DEVICE_NOT_FOUND:
	case LSI_MFI_STAT_LD_OFFLINE:
		res->result = DID_BAD_TARGET << 16;
		break;
	case LSI_MFI_STAT_CONFIG_SEQ_MISMATCH:
		/*
		 * The firmware's configuration moved under the command. We
		 * send no sequence number, so this should not happen; if it
		 * does, a retry is right, but a bounded one: DID_SOFT_ERROR
		 * uses up the command's retries (sd: 5), then fails it.
		 */
		res->result = DID_SOFT_ERROR << 16;
		break;
	default:
		res->result = DID_ERROR << 16;
		break;
	}
}
EXPORT_SYMBOL_IF_LSI_TEST(lsi_map_scsi_status);

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
		memcpy(scmd->sense_buffer, ctrl->sense.va +
		       (smid - 1) * LSI_SENSE_BUFFER_SIZE, SCSI_SENSE_BUFFERSIZE);
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

/*
 * The firmware is done with the frame: hand the command back. The frame is
 * left as it is; every builder clears a frame before filling it.
 */
static void lsi_end_scmd(struct scsi_cmnd *scmd, int result)
{
	scmd->result = result;
	scsi_dma_unmap(scmd);
	scsi_done(scmd);
}

static void lsi_complete_scsi(struct lsi_ctrl *ctrl, u32 smid, u32 queue)
{
	struct scsi_cmnd *scmd = scsi_host_find_tag(ctrl->shost, smid - 1);
	struct lsi_cmd *cmd;
	int result;

	if (!scmd) {
		lsi_bad_reply(ctrl, smid, queue, "no such command");
		return;
	}
	cmd = scsi_cmd_priv(scmd);
	/* Whoever clears INFLIGHT completes the command (a reset may race). */
	if (!test_and_clear_bit(LSI_CMD_INFLIGHT, &cmd->flags)) {
		lsi_bad_reply(ctrl, smid, queue, "command not outstanding");
		return;
	}
	lsi_note_reply_queue(ctrl, READ_ONCE(cmd->queue), queue);
	if (cmd->kind == LSI_CMD_FLUSH)
		result = lsi_flush_result(ctrl, scmd, smid);
	else
		result = lsi_io_result(ctrl, scmd, smid);
	lsi_end_scmd(scmd, result);
}

/* ---- the reply queue walk ---- */

/*
 * The reply queue a command was asked to complete on is a request, not a
 * promise: firmware may post management and task management completions on
 * queue 0, and no upstream driver checks the queue. A reply whose SMID is
 * outstanding is taken wherever it arrives (the INFLIGHT bit decides who
 * completes it if two queues race); it is only counted.
 */
void lsi_note_reply_queue(struct lsi_ctrl *ctrl, u32 asked, u32 queue)
{
	if (asked != queue)
		atomic_long_inc(&ctrl->other_queue_reply_count);
}

/*
 * The firmware and the driver disagree about what is outstanding: the
 * descriptor is consumed without touching any command, and the controller is
 * reset, which gives every outstanding command back to the SCSI midlayer.
 */
void lsi_bad_reply(struct lsi_ctrl *ctrl, u32 smid, u32 queue,
		   const char *why)
{
	atomic_long_inc(&ctrl->bad_reply_count);
	dev_err_ratelimited(ctrl->dev, "reply descriptor for SMID %u on queue %u rejected: %s (SMIDs 1..%u, %u queue(s))\n",
			    smid, queue, why, ctrl->max_smid, ctrl->nr_queues);
	lsi_request_reset(ctrl, "bad reply descriptor");
}

static void lsi_complete_smid(struct lsi_ctrl *ctrl, u32 smid, u32 queue)
{
	if (smid < 1 || smid > ctrl->max_smid) {
		lsi_bad_reply(ctrl, smid, queue, "SMID out of range");
		return;
	}
	if (smid > ctrl->can_queue) {
		lsi_complete_internal(ctrl, smid, queue);
		return;
	}
	/* SCSI SMIDs exist only while the host (and its tag set) does. */
	if (lsi_host_added(ctrl))
		lsi_complete_scsi(ctrl, smid, queue);
	else
		lsi_bad_reply(ctrl, smid, queue, "no SCSI host");
}

/*
 * Consume at most budget descriptors from a reply queue and tell the
 * firmware once, at the end. Returns the number consumed.
 */
int lsi_process_replies(struct lsi_reply_queue *rq, int budget)
{
	struct lsi_ctrl *ctrl = rq->ctrl;
	int done = 0;

	while (done < budget) {
		__le64 *slot = &rq->ring[rq->index];
		u64 desc = le64_to_cpu(READ_ONCE(*slot));

		if (lsi_reply_empty(desc))
			break;
		/* The frame's status was written before the descriptor. */
		dma_rmb();
		lsi_complete_smid(ctrl, lsi_reply_smid(desc), rq->vector);
		WRITE_ONCE(*slot, cpu_to_le64(LSI_RPY_EMPTY));
		rq->index = lsi_reply_next(rq->index, ctrl->reply_depth);
		done++;
	}
	/* writel() orders the all-ones stores before the index update. */
	if (done)
		writel(lsi_host_index_value(rq->vector, rq->index, ctrl->combined),
		       rq->host_index_reg);
	return done;
}

/* ---- interrupts: the walk runs here ---- */

/* INTx is shared: is it ours? Acknowledges a firmware state change. */
static bool lsi_intx_claim(struct lsi_ctrl *ctrl)
{
	u32 status = readl(ctrl->regs + LSI_REG_OUTBOUND_INTR_STATUS);

	if (status == U32_MAX || !(status & LSI_INTR_ALL))
		return false;
	if (status & LSI_INTR_DOORBELL)
		writel(status, ctrl->regs + LSI_REG_OUTBOUND_INTR_STATUS);
	return true;
}

irqreturn_t lsi_isr(int irq, void *data)
{
	struct lsi_reply_queue *rq = data;
	bool claimed = false;
	int done;

	/* Firmware not up (a reset or teardown owns the queues): not for us. */
	if (!lsi_state_fw_up(READ_ONCE(rq->ctrl->state)))
		return IRQ_NONE;
	if (rq->ctrl->irq_mode == LSI_IRQ_INTX) {
		if (!lsi_intx_claim(rq->ctrl))
			return IRQ_NONE;
		claimed = true;
	}
	done = lsi_process_replies(rq, LSI_REPLY_BUDGET);
	if (done == LSI_REPLY_BUDGET) {
		/* More may be waiting: finish in softirq with the vector off. */
		rq->polling = true;
		disable_irq_nosync(irq);
		irq_poll_sched(&rq->iop);
	}
	return (done || claimed) ? IRQ_HANDLED : IRQ_NONE;
}

int lsi_irqpoll(struct irq_poll *iop, int budget)
{
	struct lsi_reply_queue *rq = container_of(iop, struct lsi_reply_queue,
						  iop);
	int done = lsi_process_replies(rq, budget);

	if (done < budget) {
		irq_poll_complete(iop);
		rq->polling = false;
		enable_irq(rq->irq);
	}
	return done;
}

/* ---- teardown and SCSI glue ---- */

struct lsi_cancel {
	struct lsi_ctrl	*ctrl;
	int		host_byte;
};

static bool lsi_cancel_one(struct scsi_cmnd *scmd, void *data)
{
	struct lsi_cancel *c = data;
	struct lsi_cmd *cmd = scsi_cmd_priv(scmd);

	if (test_and_clear_bit(LSI_CMD_INFLIGHT, &cmd->flags))
		lsi_end_scmd(scmd, c->host_byte << 16);
	return true;
}

/* Complete what the firmware still holds; only once DMA has stopped. */
void lsi_cancel_scsi(struct lsi_ctrl *ctrl, int host_byte)
{
	struct lsi_cancel c = { .ctrl = ctrl, .host_byte = host_byte };

	scsi_host_busy_iter(ctrl->shost, lsi_cancel_one, &c);
}

/*
 * Addressing (lsi3108.h): a system PD on channel device id / 128, id
 * device id % 128; an LD on channel 2 + target / 128, id target % 128; LUN 0,
 * and only what the firmware lists. What the device is, is decided here,
 * once, and kept as its hostdata (struct lsi_sdev).
 */
int lsi_slave_alloc(struct scsi_device *sdev)
{
	struct lsi_ctrl *ctrl = shost_priv(sdev->host);
	unsigned int pd = lsi_pd_dev_id(sdev->channel, sdev->id);
	unsigned int ld = lsi_ld_target(sdev->channel, sdev->id);
	bool syspd = pd < LSI_MAX_PDS;
	struct lsi_sdev *dev;

	if (sdev->lun)
		return -ENXIO;
	if (syspd ? !lsi_syspd_present(ctrl, pd) : !lsi_ld_present(ctrl, ld))
		return -ENXIO;
	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev)
		return -ENOMEM;
	dev->syspd = syspd;
	dev->dev_id = syspd ? pd : ld;
	sdev->hostdata = dev;
	return 0;
}

void lsi_slave_destroy(struct scsi_device *sdev)
{
	kfree(sdev->hostdata);
	sdev->hostdata = NULL;
}

/*
 * A system PD's queue depth follows its interface (PD_GET_INFO; the
 * smaller depth when the firmware does not say). No controller cache sits
 * in front of it: nothing of cache.c applies.
 */
static void lsi_syspd_configure(struct lsi_ctrl *ctrl, struct scsi_device *sdev,
				unsigned int dev_id)
{
	u32 depth = lsi_pd_queue_depth(lsi_pd_interface(ctrl, dev_id));

	depth = min(depth, ctrl->can_queue);
	scsi_change_queue_depth(sdev, depth);
	sdev_printk(KERN_INFO, sdev, "system PD %u, queue depth %u\n", dev_id,
		    depth);
}

int lsi_slave_configure(struct scsi_device *sdev)
{
	const struct lsi_sdev *dev = sdev->hostdata;

	/*
	 * RAID volumes can stall for a while behind a busy cache; a system
	 * PD's commands pass through the same firmware, with the same limits.
	 */
	blk_queue_rq_timeout(sdev->request_queue, LSI_IO_TIMEOUT_S * HZ);
	if (dev->syspd)
		lsi_syspd_configure(shost_priv(sdev->host), sdev, dev->dev_id);
	return 0;
}

/*
 * No I/O scheduler by default. The block layer gives a host whose hardware
 * queues share one tag set mq-deadline (elevator_get_default()), as it does a
 * single queue. An LD is not a disk: the controller queues, merges and
 * orders per physical drive behind its cache, and the host sees only how
 * many commands it has in flight. mq-deadline in front of that adds a lock
 * and a sort per I/O and buys nothing (measured on the bench: about half the
 * IOPS at QD32, make bench in docs/testing.md). The loop driver opts out the
 * same way, for the same reason (a backend that schedules itself). Called
 * between scsi_add_host(), which sets up the tag set, and the first scan; the
 * flag is read only when a disk's queue picks its elevator. A user who wants
 * one still sets it in /sys/block/<dev>/queue/scheduler or with a udev rule.
 */
void lsi_no_default_scheduler(struct Scsi_Host *shost)
{
	shost->tag_set.flags |= BLK_MQ_F_NO_SCHED_BY_DEFAULT;
}

void lsi_map_queues(struct Scsi_Host *shost)
{
	struct lsi_ctrl *ctrl = shost_priv(shost);
	struct blk_mq_queue_map *map = &shost->tag_set.map[HCTX_TYPE_DEFAULT];

	/* The interrupt-driven queues; the poll queues follow (queue.c). */
	map->nr_queues = lsi_irq_queues(ctrl);
	if (ctrl->irq_mode == LSI_IRQ_MSIX)
		blk_mq_pci_map_queues(map, ctrl->pdev, 0);
	else
		blk_mq_map_queues(map);
	if (ctrl->nr_poll_queues)
		lsi_map_poll_queues(shost);
}
