/*
 * QEMU model of the LSI MegaRAID SAS3108 — the system PDs' data path.
 *
 * A PD in JBOD state on a controller that exposes its JBODs (expose-jbod)
 * is a system PD: the host addresses it by device id (an LD I/O frame of
 * the system-PD sub-type) or by its IOC device handle (a fast-path frame),
 * and the command runs on the disk itself, with no controller cache in the
 * way. READ and WRITE 6/10/12/16 move data between the guest's buffers and
 * the PD's own backend through a buffer of the command's size (inside the
 * controller's bounce budget, as an LD command's); FUA writes, and every
 * write while the disk's write cache is off, are written through;
 * SYNCHRONIZE CACHE 10/16 flushes the backend and is counted in the PD's
 * "flushes" property (a test sees that the host's flush reached the disk).
 * Everything else the disk answers from its properties
 * (lsi3108-pd-scsi.c).
 *
 * Copyright (c) 2026 The lsi3108 project authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/memalign.h"
#include "scsi/constants.h"
#include "sysemu/block-backend.h"
#include "sysemu/dma.h"
#include "trace.h"
#include "lsi3108-ctrl.h"
#include "lsi3108-pd.h"

#define PDIO_BLOCK_SHIFT        9
#define PDIO_CDB_FUA            0x08    /* READ/WRITE 10/12/16 byte 1 */
#define PDIO_CDB_PROTECT        0xe0    /* RDPROTECT/WRPROTECT */
#define PDIO_SENSE_LEN          18

/* A READ or WRITE on the PD's backend. */
typedef struct PdCmd {
    Lsi3108PD       *pd;
    Lsi3108Request  *req;
    uint8_t         *buf;
    QEMUIOVector    qiov;
    uint32_t        bytes;
    bool            write;
} PdCmd;

/* CHECK CONDITION, fixed-format sense with key/asc/ascq; nothing moved. */
static void pdio_check(Lsi3108Request *req, uint8_t key, uint8_t asc,
                       uint8_t ascq)
{
    uint8_t sense[PDIO_SENSE_LEN] = { 0 };

    sense[0] = 0x70;
    sense[2] = key;
    sense[7] = PDIO_SENSE_LEN - 8;
    sense[12] = asc;
    sense[13] = ascq;
    lsi3108_request_done(req, LSI_MFI_STAT_SCSI_DONE_WITH_ERROR,
                         CHECK_CONDITION, sense, sizeof(sense),
                         req->data_len);
}

/* GOOD; a short transfer is an underrun, as an LD reports one. */
static void pdio_good(Lsi3108Request *req, uint32_t bytes)
{
    uint32_t residual = req->data_len > bytes ? req->data_len - bytes : 0;

    lsi3108_request_done(req, residual ? LSI_MFI_STAT_SCSI_DONE_WITH_ERROR
                                       : LSI_MFI_STAT_OK,
                         GOOD, NULL, 0, residual);
}

/* The guest's buffers could not be read or written: the command failed. */
static void pdio_dma_failed(Lsi3108Request *req)
{
    trace_lsi3108_pd_io_dma_error(req->smid, req->cdb[0]);
    lsi3108_request_done(req, LSI_MFI_STAT_SCSI_IO_FAILED, GOOD, NULL, 0,
                         req->data_len);
}

static void pdio_cmd_free(PdCmd *cmd)
{
    qemu_vfree(cmd->buf);
    g_free(cmd);
}

static void pdio_rw_done(void *opaque, int ret)
{
    PdCmd *cmd = opaque;
    Lsi3108Request *req = cmd->req;
    uint32_t bytes = cmd->bytes;
    bool write = cmd->write;
    MemTxResult res = MEMTX_OK;

    if (!lsi3108_request_live(req)) {
        /* a reset dropped it: the guest buffer is not ours any more */
        pdio_cmd_free(cmd);
        lsi3108_request_done(req, LSI_MFI_STAT_SCSI_IO_FAILED, GOOD, NULL, 0,
                             req->data_len);
        return;
    }
    if (ret < 0) {
        trace_lsi3108_pd_io_error(cmd->pd->device_id, write ? "write" : "read",
                                  ret);
        pdio_cmd_free(cmd);
        /* unrecovered read error / write error */
        pdio_check(req, MEDIUM_ERROR, write ? 0x0c : 0x11, 0x00);
        return;
    }
    if (!write) {
        res = dma_buf_read(cmd->buf, bytes, NULL, &req->qsg,
                           MEMTXATTRS_UNSPECIFIED);
    }
    pdio_cmd_free(cmd);
    if (res != MEMTX_OK) {
        pdio_dma_failed(req);
        return;
    }
    pdio_good(req, bytes);
}

/* Is a READ/WRITE's CDB one the disk takes? Answers it if not. */
static bool pdio_rw_ok(Lsi3108PD *pd, Lsi3108Request *req,
                       const Lsi3108Rw *rw, bool write)
{
    Lsi3108Dir dir = write ? LSI3108_DIR_TO_DEVICE : LSI3108_DIR_TO_HOST;

    if (rw->flags & PDIO_CDB_PROTECT) {
        pdio_check(req, ILLEGAL_REQUEST, 0x24, 0x00);   /* no protection */
        return false;
    }
    if (rw->lba > pd->sectors || rw->count > pd->sectors - rw->lba) {
        pdio_check(req, ILLEGAL_REQUEST, 0x21, 0x00);   /* LBA out of range */
        return false;
    }
    if (rw->count > LSI3108_LD_MAX_XFER_BLOCKS ||
        (rw->count && (req->dir != dir ||
                       ((uint64_t)rw->count << PDIO_BLOCK_SHIFT) >
                       req->data_len))) {
        pdio_check(req, ILLEGAL_REQUEST, 0x24, 0x00);   /* invalid field */
        return false;
    }
    if (!pd->blk) {
        pdio_check(req, NOT_READY, 0x04, 0x03);     /* no medium to use */
        return false;
    }
    if (write && !blk_is_writable(pd->blk)) {
        pdio_check(req, DATA_PROTECT, 0x27, 0x00);  /* write protected */
        return false;
    }
    return true;
}

static void pdio_rw(Lsi3108PD *pd, Lsi3108Request *req, bool write)
{
    int64_t offset;
    Lsi3108Rw rw;
    PdCmd *cmd;

    lsi3108_decode_rw(req->cdb, &rw);
    trace_lsi3108_pd_io_rw(pd->device_id, req->smid, req->cdb[0], rw.lba,
                           rw.count);
    if (!pdio_rw_ok(pd, req, &rw, write)) {
        return;
    }
    if (!rw.count) {
        pdio_good(req, 0);
        return;
    }
    cmd = g_new0(PdCmd, 1);
    cmd->pd = pd;
    cmd->req = req;
    cmd->write = write;
    cmd->bytes = rw.count << PDIO_BLOCK_SHIFT;
    cmd->buf = blk_try_blockalign(pd->blk, cmd->bytes);
    if (!cmd->buf) {
        pdio_cmd_free(cmd);
        lsi3108_request_done(req, LSI_MFI_STAT_SCSI_DONE_WITH_ERROR, BUSY,
                             NULL, 0, req->data_len);
        return;
    }
    qemu_iovec_init_buf(&cmd->qiov, cmd->buf, cmd->bytes);
    offset = rw.lba << PDIO_BLOCK_SHIFT;
    if (!write) {
        blk_aio_preadv(pd->blk, offset, &cmd->qiov, 0, pdio_rw_done, cmd);
        return;
    }
    if (dma_buf_write(cmd->buf, cmd->bytes, NULL, &req->qsg,
                      MEMTXATTRS_UNSPECIFIED) != MEMTX_OK) {
        pdio_cmd_free(cmd);
        pdio_dma_failed(req);
        return;
    }
    blk_aio_pwritev(pd->blk, offset, &cmd->qiov,
                    (rw.flags & PDIO_CDB_FUA) || !pd->write_cache ?
                    BDRV_REQ_FUA : 0, pdio_rw_done, cmd);
}

static void pdio_flush_done(void *opaque, int ret)
{
    Lsi3108Request *req = opaque;

    if (ret < 0) {
        pdio_check(req, MEDIUM_ERROR, 0x0c, 0x00);  /* write error */
        return;
    }
    pdio_good(req, 0);
}

/*
 * SYNCHRONIZE CACHE to a JBOD: the disk writes its cache out (the whole
 * of it, whatever the range; IMMED is not honoured, as many disks do).
 */
static void pdio_sync_cache(Lsi3108PD *pd, Lsi3108Request *req)
{
    uint64_t lba, count;

    lsi3108_decode_range(req->cdb, &lba, &count);
    if (lba > pd->sectors || count > pd->sectors - lba) {
        pdio_check(req, ILLEGAL_REQUEST, 0x21, 0x00);
        return;
    }
    pd->flushes++;
    trace_lsi3108_pd_io_flush(pd->device_id, req->smid, pd->flushes);
    if (!pd->blk) {
        pdio_good(req, 0);
        return;
    }
    blk_aio_flush(pd->blk, pdio_flush_done, req);
}

void lsi3108_pd_submit(Lsi3108PD *pd, Lsi3108Request *req)
{
    switch (req->cdb[0]) {
    case READ_6:
    case READ_10:
    case READ_12:
    case READ_16:
        pdio_rw(pd, req, false);
        break;
    case WRITE_6:
    case WRITE_10:
    case WRITE_12:
    case WRITE_16:
        pdio_rw(pd, req, true);
        break;
    case SYNCHRONIZE_CACHE:
    case SYNCHRONIZE_CACHE_16:
        pdio_sync_cache(pd, req);
        break;
    default:
        lsi3108_pd_scsi_answer(pd, req);
        break;
    }
}
