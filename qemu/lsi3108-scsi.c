/*
 * QEMU model of the LSI MegaRAID SAS3108: SCSI commands for the logical
 * drives and the system PDs (JBODs), and the task management that ends LD
 * commands early.
 *
 * A SCSI command reaches a MegaRAID volume as an "LD I/O" request frame
 * (Function 0xF1): DevHandle and the RAID context name the LD's target id,
 * the CDB sits in the frame, the data buffers are an IEEE SGL (some SGEs in
 * the frame, the rest in one chain buffer) and the sense buffer's low
 * address is in the frame too. The firmware runs the command on the volume,
 * then writes the status into the frame's RAID context (status, ex_status =
 * SCSI status) and, for a short transfer, the bytes moved into DataLength,
 * and posts the SMID on the reply ring the request descriptor named.
 *
 * A system PD is reached the same way, with the RAID context's sub-type
 * "system PD" and its device id as the target (the firmware path), or by a
 * fast-path frame (Function 0x00) naming the PD's IOC device handle from
 * the RAID map; either runs on the PD (lsi3108-pd-io.c).
 *
 * Task management (Function 0x01, MPI2 SCSI_TASK_MGMT) lets the host end
 * commands it gave up on: ABORT TASK one command, TARGET RESET and LUN
 * RESET every command of an LD. A command whose data may still be moving is
 * ended only when its backend I/O is done, so that no DMA follows the TM's
 * reply; the TM completes after every command it ended.
 *
 * Copyright (c) 2026 The lsi3108 project authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "scsi/constants.h"
#include "sysemu/dma.h"
#include "trace.h"
#include "lsi3108-ctrl.h"
#include "lsi3108-pd.h"

/*
 * Task management. A terminated command completes with this RAID context
 * status (Linux maps it to DID_ERROR; a host that sent the TM ignores it).
 */
#define LSI3108_TM_ABORT_STATUS     LSI_MFI_STAT_SCSI_IO_FAILED
#define LSI3108_MPI2_IOCSTATUS_OK   0x0000

/*
 * A task management request that waits for the backend I/O of the commands
 * it terminates; its reply is posted when the last of them is done.
 */
struct Lsi3108Tm {
    QTAILQ_ENTRY(Lsi3108Tm) next;
    uint16_t        smid;
    uint8_t         msix;
    dma_addr_t      addr;           /* the TM frame */
    uint16_t        dev_handle;
    uint8_t         task_type;
    uint32_t        waiting;        /* victims still running in an LD */
    uint32_t        terminated;
};

/* ------------------------------------------------------------------ */
/* Command life cycle                                                  */
/* ------------------------------------------------------------------ */

void lsi3108_cmd_free(Lsi3108Cmd *cmd)
{
    if (cmd->mfi) {
        lsi3108_mfi_free(cmd->mfi);
    }
    if (cmd->inject.timer) {
        timer_free(cmd->inject.timer);
    }
    qemu_sglist_destroy(&cmd->req.qsg);
    g_free(cmd);
}

/* Take a command off the outstanding list; its SMID stays as it is. */
static void lsi3108_cmd_untrack(Lsi3108State *s, Lsi3108Cmd *cmd)
{
    if (cmd->state == LSI3108_CMD_WAITING) {
        QTAILQ_REMOVE(&s->bounce_waiting, cmd, wait_next);
        cmd->state = LSI3108_CMD_RUNNING;
    }
    if (cmd->tracked) {
        QTAILQ_REMOVE(&s->outstanding, &cmd->req, next);
        cmd->tracked = false;
    }
}

/* Free a command, taking it off the outstanding list if it is on it. */
void lsi3108_cmd_release(Lsi3108State *s, Lsi3108Cmd *cmd)
{
    lsi3108_cmd_untrack(s, cmd);
    lsi3108_cmd_free(cmd);
}

/*
 * A reset: delayed and lost commands and waiting TMs are freed; a command
 * still running in an LD is only forgotten (its epoch is old now): it is
 * freed when the LD is done with it.
 */
void lsi3108_scsi_drop_work(Lsi3108State *s)
{
    Lsi3108Request *r, *rn;
    Lsi3108Tm *t, *tn;

    QTAILQ_FOREACH_SAFE(r, &s->outstanding, next, rn) {
        Lsi3108Cmd *cmd = container_of(r, Lsi3108Cmd, req);

        QTAILQ_REMOVE(&s->outstanding, r, next);
        cmd->tracked = false;
        cmd->tm = NULL;
        if (cmd->state != LSI3108_CMD_RUNNING) {
            lsi3108_cmd_free(cmd);
        }
    }
    QTAILQ_FOREACH_SAFE(t, &s->tms, next, tn) {
        QTAILQ_REMOVE(&s->tms, t, next);
        g_free(t);
    }
    QTAILQ_INIT(&s->bounce_waiting);    /* they were freed above */
}

/* ------------------------------------------------------------------ */
/* Bounce-buffer budget                                                */
/* ------------------------------------------------------------------ */

/*
 * The LDs copy a command's data through a host buffer of DataLength bytes
 * (up to 1 MiB) while its backend I/O runs. A command enters its LD only
 * while the data of the Fusion commands already there stays within
 * bounce-max bytes (one command always may); the others wait, in arrival
 * order, as commands wait for the firmware's own buffers. So a host
 * posting every SMID with 1 MiB of data against a slow backend pins
 * bounce-max bytes, not max-cmds MiB.
 */
static bool lsi3108_bounce_room(Lsi3108State *s, uint32_t bytes)
{
    Lsi3108Limits *l = &s->limits;

    return !l->bounce_used || l->bounce_used + bytes <= l->bounce_max;
}

static void lsi3108_bounce_start(Lsi3108State *s, Lsi3108Cmd *cmd)
{
    cmd->bounce = cmd->req.data_len;
    s->limits.bounce_used += cmd->bounce;
    if (cmd->syspd) {
        lsi3108_pd_submit(cmd->req.pd, &cmd->req);
    } else {
        lsi3108_ld_submit(cmd->req.ld, &cmd->req);
    }
}

/* Find a waiting command's device again: it may have gone meanwhile. */
static bool lsi3108_cmd_refind(Lsi3108State *s, Lsi3108Cmd *cmd)
{
    if (cmd->syspd) {
        cmd->req.pd = lsi3108_find_syspd(s, cmd->target);
        return cmd->req.pd;
    }
    cmd->req.ld = lsi3108_find_ld(s, cmd->target);
    return cmd->req.ld;
}

/* The LD is done with @cmd's buffer: its share goes back to the budget. */
static void lsi3108_bounce_release(Lsi3108State *s, Lsi3108Cmd *cmd)
{
    if (!cmd->bounce) {
        return;
    }
    s->limits.bounce_used -= cmd->bounce;
    cmd->bounce = 0;
    if (!QTAILQ_EMPTY(&s->bounce_waiting)) {
        qemu_bh_schedule(s->limits.bounce_bh);
    }
}

static void lsi3108_bounce_submit(Lsi3108State *s, Lsi3108Cmd *cmd)
{
    if (QTAILQ_EMPTY(&s->bounce_waiting) &&
        lsi3108_bounce_room(s, cmd->req.data_len)) {
        lsi3108_bounce_start(s, cmd);
        return;
    }
    trace_lsi3108_bounce_wait(cmd->req.smid, cmd->req.data_len,
                              s->limits.bounce_used);
    s->limits.bounce_waits++;
    cmd->state = LSI3108_CMD_WAITING;
    QTAILQ_INSERT_TAIL(&s->bounce_waiting, cmd, wait_next);
}

/* Start waiting commands while there is room (their LD may have gone). */
void lsi3108_bounce_run(void *opaque)
{
    Lsi3108State *s = opaque;
    Lsi3108Cmd *cmd;

    while ((cmd = QTAILQ_FIRST(&s->bounce_waiting)) &&
           lsi3108_bounce_room(s, cmd->req.data_len)) {
        QTAILQ_REMOVE(&s->bounce_waiting, cmd, wait_next);
        cmd->state = LSI3108_CMD_RUNNING;
        if (!lsi3108_cmd_refind(s, cmd)) {
            lsi3108_cmd_untrack(s, cmd);
            lsi3108_finish_frame(s, cmd->req.smid, cmd->req.msix,
                                 cmd->frame_addr,
                                 LSI_MFI_STAT_DEVICE_NOT_FOUND, 0);
            lsi3108_cmd_free(cmd);
            continue;
        }
        lsi3108_bounce_start(s, cmd);
    }
}

/* ------------------------------------------------------------------ */
/* Scatter-gather lists of SCSI commands (IEEE SGEs)                   */
/* ------------------------------------------------------------------ */

/*
 * The SGE flags a 3108 (Invader-class firmware) takes in an LD I/O frame:
 * the chain element is IEEE_SGE_FLAGS_CHAIN_ELEMENT (0x80) alone, in the
 * last slot of the frame, which ChainOffset (15) names; data SGEs carry a
 * system address (address type 0), the last of them END_OF_LIST (0x40).
 * That is what megaraid_sas builds for Invader and later
 * (megasas_make_sgl_fusion) and what OpenBSD mfii uses for 3108s (its
 * mfii_iop_25); an mfii change records 3108s locking up with the
 * Thunderbolt (2208) flags: chain 0x83 (CHAIN | IOCPLBNTA address type) and
 * no END_OF_LIST. A fast-path frame (IoFlags FAST_PATH: it goes to the
 * IOC, which follows the chain element by its flags) carries ChainOffset 0
 * instead, as megaraid_sas builds it. A lock-up is modelled as a firmware
 * FAULT (code LSI3108_FAULT_SGL) that the host's controller reset recovers
 * from; sgl-check=off turns the check off.
 */
static bool lsi3108_chain_ok(Lsi3108State *s, const struct lsi_io_frame *f,
                             const struct lsi_sge *sge)
{
    uint8_t offset = le16_to_cpu(f->io_flags) & LSI_IO_FLAGS_FAST_PATH ?
                     0 : LSI_CHAIN_OFFSET_IO;

    if (!s->sgl_check) {
        return true;
    }
    if (sge->flags != LSI_SGE_FLAGS_CHAIN ||
        sge != &f->sgl[LSI_FRAME_SGE_SLOTS - 1] ||
        f->chain_offset != offset) {
        trace_lsi3108_bad_sge("chain element", sge->flags,
                              (int)(sge - f->sgl), f->chain_offset);
        return false;
    }
    return true;
}

static bool lsi3108_data_sge_ok(Lsi3108State *s, const struct lsi_sge *sge,
                                bool last, unsigned int n)
{
    if (!s->sgl_check) {
        return true;
    }
    if ((sge->flags & LSI_SGE_FLAGS_ADDR_MASK) ||
        (last && !(sge->flags & LSI_SGE_FLAGS_END_OF_LIST))) {
        trace_lsi3108_bad_sge(last ? "last data SGE" : "data SGE",
                              sge->flags, n, 0);
        return false;
    }
    return true;
}

/*
 * Walk the SGL of a request frame into @qsg, up to @data_len bytes: the
 * SGEs at 0x80, an optional chain element (Flags bit 7, in slot ChainOffset
 * = 15) leading to one chain buffer, stopping after num_sge data SGEs or at
 * END_OF_LIST. The list must cover DataLength. Returns 0, -EINVAL for a
 * list that does not hold up (the command fails), -EPROTO for flags the
 * 3108 locks up on (the firmware faults).
 */
static int lsi3108_map_sgl(Lsi3108State *s, const struct lsi_io_frame *f,
                           QEMUSGList *qsg, uint32_t data_len)
{
    unsigned int want = f->raid_context.num_sge |
                        (f->raid_context.num_sge_ext << 8);
    const struct lsi_sge *sge = f->sgl;
    unsigned int avail = LSI_FRAME_SGE_SLOTS;
    g_autofree struct lsi_sge *chain = NULL;
    unsigned int found = 0;
    uint64_t total = 0;

    while (found < want && avail) {
        uint64_t addr = le64_to_cpu(sge->addr);
        uint32_t len = le32_to_cpu(sge->length);

        if (sge->flags & LSI_SGE_FLAGS_CHAIN) {
            if (chain) {
                lsi3108_guest_error("nested SGL chain", addr, len);
                return -EINVAL;
            }
            if (!lsi3108_chain_ok(s, f, sge)) {
                return -EPROTO;
            }
            if (!len || len % LSI_SGE_SIZE || len > s->chain_size) {
                lsi3108_guest_error("bad SGL chain length", addr, len);
                return -EINVAL;
            }
            chain = g_malloc(len);
            if (!lsi3108_dma_read(s, addr, chain, len)) {
                return -EINVAL;
            }
            sge = chain;
            avail = len / LSI_SGE_SIZE;
            continue;
        }
        if (!lsi3108_data_sge_ok(s, sge, found + 1 == want, found)) {
            return -EPROTO;
        }
        if (len && total < data_len) {
            qemu_sglist_add(qsg, addr, MIN(len, data_len - total));
        }
        total += len;
        found++;
        if (sge->flags & LSI_SGE_FLAGS_END_OF_LIST) {
            break;
        }
        sge++;
        avail--;
    }
    if (total < data_len) {
        lsi3108_guest_error("SGL shorter than DataLength", total, data_len);
        return -EINVAL;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* SCSI commands for LDs (Function 0xF1)                               */
/* ------------------------------------------------------------------ */

static bool lsi3108_lun_is_zero(const uint8_t *lun)
{
    unsigned int i;

    for (i = 0; i < 8; i++) {
        if (lun[i]) {
            return false;
        }
    }
    return true;
}

/* Data direction from Control; false if it makes no sense. */
static bool lsi3108_direction(uint32_t control, uint32_t data_len,
                              Lsi3108Dir *dir)
{
    switch (control & (LSI_CONTROL_WRITE | LSI_CONTROL_READ)) {
    case LSI_CONTROL_WRITE:
        *dir = LSI3108_DIR_TO_DEVICE;
        break;
    case LSI_CONTROL_READ:
        *dir = LSI3108_DIR_TO_HOST;
        break;
    case 0:
        *dir = LSI3108_DIR_NONE;
        return data_len == 0;
    default:
        return false;
    }
    if (!data_len) {
        *dir = LSI3108_DIR_NONE;
    }
    return true;
}

static bool lsi3108_frame_is_syspd(const struct lsi_io_frame *f)
{
    return (f->raid_context.raid_flags & LSI_RAID_FLAGS_IO_SUBTYPE_MASK) ==
           LSI_RAID_FLAGS_SYSPD;
}

/*
 * Which LD a frame addresses: DevHandle is the target id, and the RAID
 * context must agree; LDs have only LUN 0. NULL means "answer
 * DEVICE_NOT_FOUND", which is how the host's scan of every target id finds
 * only the real LDs.
 */
static Lsi3108LD *lsi3108_frame_ld(Lsi3108State *s,
                                   const struct lsi_io_frame *f)
{
    uint32_t target = le16_to_cpu(f->dev_handle);

    if (le16_to_cpu(f->raid_context.ld_target_id) != target) {
        trace_lsi3108_target_mismatch(target,
                                  le16_to_cpu(f->raid_context.ld_target_id));
        return NULL;
    }
    if (!lsi3108_lun_is_zero(f->lun)) {
        return NULL;
    }
    return lsi3108_find_ld(s, target);
}

/*
 * Which system PD a frame addresses: on the firmware path (Function 0xF1,
 * sub-type system PD) the RAID context's target is its device id, and
 * DevHandle is not looked at (megaraid_sas puts the map's handle or 0xFFFF
 * there); on the fast path (Function 0x00) DevHandle is its IOC handle.
 * Only LUN 0; a PD that is not an exposed JBOD is not there (the host's
 * scan of the PD channels finds only the system PDs).
 */
static Lsi3108PD *lsi3108_frame_syspd(Lsi3108State *s, uint16_t smid,
                                      const struct lsi_io_frame *f)
{
    uint32_t handle = le16_to_cpu(f->dev_handle);
    uint32_t target = le16_to_cpu(f->raid_context.ld_target_id);
    Lsi3108PD *pd = NULL;

    if (lsi3108_lun_is_zero(f->lun)) {
        pd = f->function == LSI_FUNC_SCSI_IO ?
             lsi3108_find_syspd_handle(s, handle) :
             lsi3108_find_syspd(s, target);
    }
    if (!pd) {
        trace_lsi3108_syspd_not_found(smid, handle, target);
    }
    return pd;
}

/* CDB length, data direction and DataLength of a SCSI IO frame, checked. */
static bool lsi3108_io_frame_ok(const struct lsi_io_frame *f, Lsi3108Dir *dir)
{
    uint32_t data_len = le32_to_cpu(f->data_length);
    unsigned int cdb_len = le16_to_cpu(f->io_flags) &
                           LSI_IO_FLAGS_CDB_LEN_MASK;

    if (cdb_len == 0 || cdb_len > sizeof(f->cdb) ||
        !lsi3108_direction(le32_to_cpu(f->control), data_len, dir) ||
        data_len > LSI3108_MAX_XFER) {
        lsi3108_guest_error("bad SCSI IO frame", cdb_len, data_len);
        return false;
    }
    return true;
}

/*
 * The command frame @f (SMID @smid, reply ring @qi, at @addr) asks of @ld
 * or of the system PD @pd, with its SGL mapped; NULL if the SGL does not
 * hold up (*err says how, as lsi3108_map_sgl()).
 */
static Lsi3108Cmd *lsi3108_cmd_new(Lsi3108State *s, Lsi3108LD *ld,
                                   Lsi3108PD *pd,
                                   uint16_t smid, uint8_t qi, dma_addr_t addr,
                                   const struct lsi_io_frame *f,
                                   Lsi3108Dir dir, int *err)
{
    uint32_t data_len = le32_to_cpu(f->data_length);
    Lsi3108Cmd *cmd = g_new0(Lsi3108Cmd, 1);

    qemu_sglist_init(&cmd->req.qsg, DEVICE(s), 4,
                     pci_get_address_space(PCI_DEVICE(s)));
    *err = dir != LSI3108_DIR_NONE ?
           lsi3108_map_sgl(s, f, &cmd->req.qsg, data_len) : 0;
    if (*err) {
        lsi3108_cmd_free(cmd);
        return NULL;
    }
    cmd->req.ctrl = s;
    cmd->req.ld = ld;
    cmd->req.pd = pd;
    cmd->req.smid = smid;
    cmd->req.msix = qi;
    memcpy(cmd->req.cdb, f->cdb, sizeof(cmd->req.cdb));
    cmd->req.cdb_len = le16_to_cpu(f->io_flags) & LSI_IO_FLAGS_CDB_LEN_MASK;
    cmd->req.dir = dir;
    cmd->req.data_len = data_len;
    cmd->epoch = s->epoch;
    cmd->frame_addr = addr;
    cmd->sense_addr = ((dma_addr_t)s->sense_high << 32) |
                      le32_to_cpu(f->sense_addr_low);
    cmd->sense_len = f->sense_length ? MIN(f->sense_length,
                                           LSI_SENSE_BUFFER_SIZE)
                                     : LSI_SENSE_BUFFER_SIZE;
    cmd->syspd = pd != NULL;
    cmd->target = pd ? pd->device_id : ld->target;
    cmd->state = LSI3108_CMD_RUNNING;
    return cmd;
}

/* READ / WRITE 6, 10, 12, 16: what a host sends as LD I/O with a RAID context */
static bool lsi3108_cdb_is_rw(uint8_t opcode)
{
    switch (opcode) {
    case READ_6: case READ_10: case READ_12: case READ_16:
    case WRITE_6: case WRITE_10: case WRITE_12: case WRITE_16:
        return true;
    default:
        return false;
    }
}

/*
 * The configuration sequence check (region-lock flags bit 3, SEQ_NUM_ENABLE):
 * a host that built the I/O from the RAID map names the LD's sequence number
 * it saw; if the LD has changed since, the firmware refuses the command with
 * CONFIG_SEQ_MISMATCH (0x67), and the host re-reads the map and retries.
 * Without the flag nothing is checked (OpenBSD mfii never sets it).
 */
static bool lsi3108_seq_stale(Lsi3108State *s, Lsi3108LD *ld,
                              const struct lsi_io_frame *f)
{
    uint16_t seq = le16_to_cpu(f->raid_context.config_seq_num);

    if (lsi3108_cdb_is_rw(f->cdb[0]) && lsi3108_inject_seq_mismatch(s)) {
        s->stats.seq_mismatch++;
        return true;
    }
    if (!(f->raid_context.reg_lock_flags & LSI_REG_LOCK_SEQ_NUM_ENABLE)) {
        return false;
    }
    s->stats.seq_checked++;
    if (!s->config_seq_check || seq == ld->seq_num) {
        return false;
    }
    s->stats.seq_mismatch++;
    trace_lsi3108_seq_mismatch(ld->target, seq, ld->seq_num);
    return true;
}

/*
 * A SCSI command for @ld or the system PD @pd: checked, handed to it and
 * tracked until it is done with it (lsi3108_request_done()).
 */
static void lsi3108_scsi_start(Lsi3108State *s, Lsi3108LD *ld, Lsi3108PD *pd,
                               uint16_t smid, uint8_t qi, dma_addr_t addr,
                               const struct lsi_io_frame *f)
{
    Lsi3108Cmd *cmd = NULL;
    Lsi3108Dir dir;
    int err = -EINVAL;

    if (lsi3108_io_frame_ok(f, &dir)) {
        cmd = lsi3108_cmd_new(s, ld, pd, smid, qi, addr, f, dir, &err);
    }
    if (err == -EPROTO) {
        s->stats.sgl_faults++;
        lsi3108_fault(s, LSI3108_FAULT_SGL);
        return;
    }
    if (!cmd) {
        lsi3108_finish_frame(s, smid, qi, addr,
                             LSI_MFI_STAT_INVALID_PARAMETER, 0);
        return;
    }
    lsi3108_inject_arrival(s, cmd);
    cmd->tracked = true;
    QTAILQ_INSERT_TAIL(&s->outstanding, &cmd->req, next);
    lsi3108_bounce_submit(s, cmd);
}

/* An LD I/O frame (Function 0xF1): for an LD, or for a system PD. */
void lsi3108_scsi_io(Lsi3108State *s, uint16_t smid, uint8_t qi,
                     dma_addr_t addr, const struct lsi_io_frame *f)
{
    Lsi3108LD *ld = NULL;
    Lsi3108PD *pd = NULL;

    trace_lsi3108_scsi_cmd(smid, le16_to_cpu(f->dev_handle), f->cdb[0],
                           le32_to_cpu(f->data_length), qi);
    if (lsi3108_frame_is_syspd(f)) {
        pd = lsi3108_frame_syspd(s, smid, f);
    } else {
        ld = lsi3108_frame_ld(s, f);
    }
    if (!ld && !pd) {
        lsi3108_finish_frame(s, smid, qi, addr,
                             LSI_MFI_STAT_DEVICE_NOT_FOUND, 0);
        return;
    }
    if (ld && lsi3108_seq_stale(s, ld, f)) {
        lsi3108_finish_frame(s, smid, qi, addr,
                             LSI_MFI_STAT_CONFIG_SEQ_MISMATCH, 0);
        return;
    }
    lsi3108_scsi_start(s, ld, pd, smid, qi, addr, f);
}

/*
 * A fast-path frame (Function 0x00): straight to a device handle. The model
 * gives no LD fast-path capability, so the only handles a host may name are
 * the system PDs'; any other (a RAID member's, whose data it would bypass
 * the RAID for, or none) is a host error answered DEVICE_NOT_FOUND.
 */
void lsi3108_scsi_fp_io(Lsi3108State *s, uint16_t smid, uint8_t qi,
                        dma_addr_t addr, const struct lsi_io_frame *f)
{
    Lsi3108PD *pd = lsi3108_frame_syspd(s, smid, f);

    trace_lsi3108_scsi_cmd(smid, le16_to_cpu(f->dev_handle), f->cdb[0],
                           le32_to_cpu(f->data_length), qi);
    if (!pd) {
        lsi3108_guest_error("fast path I/O to a handle no system PD has",
                            le16_to_cpu(f->dev_handle), smid);
        lsi3108_finish_frame(s, smid, qi, addr,
                             LSI_MFI_STAT_DEVICE_NOT_FOUND, 0);
        return;
    }
    lsi3108_scsi_start(s, NULL, pd, smid, qi, addr, f);
}

/* Sense, DataLength and status into the frame, then the reply. */
static void lsi3108_scsi_finish(Lsi3108Cmd *cmd)
{
    Lsi3108Request *req = &cmd->req;
    Lsi3108State *s = req->ctrl;

    if (req->mfi_status == LSI_MFI_STAT_SCSI_DONE_WITH_ERROR) {
        uint32_t done = req->data_len - MIN(req->residual, req->data_len);

        stl_le_pci_dma(PCI_DEVICE(s), cmd->frame_addr +
                       offsetof(struct lsi_io_frame, data_length),
                       done, MEMTXATTRS_UNSPECIFIED);
    }
    lsi3108_finish_frame(s, req->smid, req->msix, cmd->frame_addr,
                         req->mfi_status, req->scsi_status);
}

/*
 * Complete a command with its own result and free it. It leaves the
 * outstanding list first: a failing reply write faults the firmware, which
 * frees whatever is still on the list.
 */
void lsi3108_cmd_complete(Lsi3108State *s, Lsi3108Cmd *cmd)
{
    lsi3108_cmd_untrack(s, cmd);
    lsi3108_scsi_finish(cmd);
    lsi3108_cmd_free(cmd);
}

static void lsi3108_tm_victim_done(Lsi3108State *s, Lsi3108Cmd *cmd);

bool lsi3108_request_live(Lsi3108Request *req)
{
    Lsi3108Cmd *cmd = container_of(req, Lsi3108Cmd, req);
    Lsi3108State *s = req->ctrl;

    if (cmd->epoch != s->epoch) {
        return false;
    }
    return cmd->mfi ? lsi3108_mfi_mode_ok(s) : lsi3108_running(s);
}

void lsi3108_request_done(Lsi3108Request *req, uint8_t mfi_status,
                          uint8_t scsi_status, const uint8_t *sense,
                          size_t sense_len, uint32_t residual)
{
    Lsi3108Cmd *cmd = container_of(req, Lsi3108Cmd, req);
    Lsi3108State *s = req->ctrl;

    trace_lsi3108_scsi_done(req->smid, mfi_status, scsi_status, residual);
    lsi3108_bounce_release(s, cmd);
    if (!lsi3108_request_live(req)) {
        trace_lsi3108_scsi_orphan(req->smid);
        lsi3108_cmd_release(s, cmd);
        return;
    }
    if (cmd->tm) {
        lsi3108_tm_victim_done(s, cmd);
        return;
    }
    req->mfi_status = mfi_status;
    req->scsi_status = scsi_status;
    req->residual = residual;
    if (scsi_status == CHECK_CONDITION && sense && sense_len &&
        cmd->sense_len) {
        uint8_t buf[LSI_SENSE_BUFFER_SIZE] = { 0 };

        memcpy(buf, sense, MIN(sense_len, sizeof(buf)));
        lsi3108_dma_write(s, cmd->sense_addr, buf, cmd->sense_len);
    }
    if (cmd->mfi) {
        lsi3108_mfi_scsi_finish(s, cmd);
    } else if (!lsi3108_inject_completion(s, cmd)) {
        lsi3108_cmd_complete(s, cmd);
    }
}

/* ------------------------------------------------------------------ */
/* Task management (Function 0x01)                                     */
/* ------------------------------------------------------------------ */

/*
 * TMs: ABORT TASK (the command with SMID TaskMID), TARGET RESET and LUN
 * RESET (every command) on one LD, DevHandle = its target id. A command
 * the LD is still working on is terminated when its backend I/O is done,
 * so no DMA for it can follow the TM's reply. Each terminated command
 * completes first, with status LSI3108_TM_ABORT_STATUS on its own ring;
 * then the TM's reply (frame + 0x80) and descriptor follow, with
 * ResponseCode TM_COMPLETE and TerminationCount = commands terminated
 * (0 when ABORT TASK finds nothing). Other task types: NOT_SUPPORTED. An
 * LD that does not exist, a non-zero LUN or a PD TM: INVALID_LUN. An LD the
 * RAID map does not mark TM-capable: NOT_SUPPORTED, nothing terminated (the
 * code MPI2 has for a TM the target does not take; what real firmware
 * answers is not known, as no upstream driver sends one).
 */
static void lsi3108_tm_reply(Lsi3108State *s, uint16_t smid, uint8_t qi,
                             dma_addr_t addr, uint16_t dev_handle,
                             uint8_t task_type, uint8_t response,
                             uint32_t count)
{
    struct lsi_tm_reply rep = {
        .dev_handle = cpu_to_le16(dev_handle),
        .msg_length = sizeof(rep) / 4,
        .function = LSI_FUNC_SCSI_TASK_MGMT,
        .response_code = response,
        .task_type = task_type,
        .ioc_status = cpu_to_le16(LSI3108_MPI2_IOCSTATUS_OK),
        .termination_count = cpu_to_le32(count),
    };

    trace_lsi3108_tm_done(smid, response, count);
    lsi3108_dma_write(s, addr + offsetof(struct lsi_tm_request, reply),
                      &rep, sizeof(rep));
    lsi3108_complete_smid(s, smid, qi);
}

/* Complete @cmd as terminated by a TM, and free it. */
static void lsi3108_terminate(Lsi3108State *s, Lsi3108Cmd *cmd)
{
    trace_lsi3108_tm_terminate(cmd->req.smid, cmd->state);
    lsi3108_cmd_untrack(s, cmd);
    s->stats.tm_terminated++;
    lsi3108_finish_frame(s, cmd->req.smid, cmd->req.msix, cmd->frame_addr,
                         LSI3108_TM_ABORT_STATUS, 0);
    lsi3108_cmd_free(cmd);
}

/* The LD is done with a command a TM waits for. */
static void lsi3108_tm_victim_done(Lsi3108State *s, Lsi3108Cmd *cmd)
{
    Lsi3108Tm *t = cmd->tm;
    uint32_t epoch = s->epoch;

    lsi3108_terminate(s, cmd);
    if (s->epoch != epoch) {
        return;                 /* a DMA fault dropped the TM as well */
    }
    t->terminated++;
    if (--t->waiting) {
        return;
    }
    QTAILQ_REMOVE(&s->tms, t, next);
    lsi3108_tm_reply(s, t->smid, t->msix, t->addr, t->dev_handle,
                     t->task_type, LSI_TM_RSP_COMPLETE, t->terminated);
    g_free(t);
}

static bool lsi3108_tm_matches(const Lsi3108Tm *t, const Lsi3108Cmd *cmd,
                               uint16_t task_mid)
{
    if (cmd->syspd || cmd->target != t->dev_handle || cmd->tm) {
        return false;
    }
    return t->task_type != LSI_TM_ABORT_TASK || cmd->req.smid == task_mid;
}

static uint8_t lsi3108_tm_check(Lsi3108State *s,
                                const struct lsi_tm_request *tm)
{
    uint32_t flags = le32_to_cpu(tm->tm_flags);
    Lsi3108LD *ld;

    switch (tm->task_type) {
    case LSI_TM_ABORT_TASK:
    case LSI_TM_TARGET_RESET:
    case LSI_TM_LUN_RESET:
        break;
    default:
        return LSI_TM_RSP_NOT_SUPPORTED;
    }
    if ((flags & LSI_TM_FLAG_PD) && !(flags & LSI_TM_FLAG_LD)) {
        return LSI_TM_RSP_INVALID_LUN;      /* system PDs take no TMs here */
    }
    ld = lsi3108_find_ld(s, le16_to_cpu(tm->dev_handle));
    if (!ld || !lsi3108_lun_is_zero(tm->lun)) {
        return LSI_TM_RSP_INVALID_LUN;
    }
    if (!lsi3108_ld_tm_capable(s, ld)) {
        /* the map told the host not to: nothing is terminated */
        s->stats.tm_refused++;
        return LSI_TM_RSP_NOT_SUPPORTED;
    }
    return LSI_TM_RSP_COMPLETE;
}

void lsi3108_task_mgmt(Lsi3108State *s, uint16_t smid, uint8_t qi,
                       dma_addr_t addr, const struct lsi_io_frame *f)
{
    const struct lsi_tm_request *tm = (const struct lsi_tm_request *)f;
    uint16_t task_mid = le16_to_cpu(tm->task_mid);
    uint32_t epoch = s->epoch;
    Lsi3108Request *r, *rn;
    uint8_t response;
    Lsi3108Tm *t;

    s->stats.tm_received++;
    qi = lsi3108_mgmt_queue(s, qi);
    trace_lsi3108_task_mgmt(smid, le16_to_cpu(tm->dev_handle), tm->task_type,
                            task_mid, le32_to_cpu(tm->tm_flags));
    response = lsi3108_tm_check(s, tm);
    if (response != LSI_TM_RSP_COMPLETE) {
        lsi3108_tm_reply(s, smid, qi, addr, le16_to_cpu(tm->dev_handle),
                         tm->task_type, response, 0);
        return;
    }
    t = g_new0(Lsi3108Tm, 1);
    t->smid = smid;
    t->msix = qi;
    t->addr = addr;
    t->dev_handle = le16_to_cpu(tm->dev_handle);
    t->task_type = tm->task_type;
    QTAILQ_FOREACH_SAFE(r, &s->outstanding, next, rn) {
        Lsi3108Cmd *cmd = container_of(r, Lsi3108Cmd, req);

        if (!lsi3108_tm_matches(t, cmd, task_mid)) {
            continue;
        }
        if (cmd->state == LSI3108_CMD_RUNNING) {
            trace_lsi3108_tm_wait(smid, cmd->req.smid);
            cmd->tm = t;
            t->waiting++;
            continue;
        }
        lsi3108_terminate(s, cmd);
        if (s->epoch != epoch) {
            g_free(t);          /* a DMA fault dropped everything */
            return;
        }
        t->terminated++;
    }
    if (t->waiting) {
        QTAILQ_INSERT_TAIL(&s->tms, t, next);
        return;
    }
    lsi3108_tm_reply(s, smid, qi, addr, t->dev_handle, t->task_type,
                     LSI_TM_RSP_COMPLETE, t->terminated);
    g_free(t);
}
