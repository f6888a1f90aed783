/*
 * QEMU model of the LSI MegaRAID SAS3108: logical drives (volumes), the
 * SCSI target side.
 *
 * A MegaRAID controller hides its disks behind logical drives: the host
 * sees one SCSI target per LD (LUN 0 only) and the firmware answers its
 * commands itself — INQUIRY with the controller's vendor and product, VPD
 * pages with an NAA identifier per volume, a capacity, a caching mode page
 * whose WCE bit is the LD's write policy — and turns READ and WRITE into
 * disk I/O. Here an LD is a qdev device on the controller's lsi3108-bus with
 * one block backend; its share of the controller's write-back cache is
 * lsi3108-cache.c.
 *
 * Every command ends in lsi3108_request_done(), exactly once, with a status
 * and, for CHECK CONDITION, fixed-format sense data; a transfer shorter
 * than DataLength is reported as an underrun with its residual. Everything
 * is asynchronous: no guest-triggered path waits for the block layer.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/util.h"
#include "qapi/visitor.h"
#include "qemu/bitmap.h"
#include "qemu/bswap.h"
#include "qemu/cutils.h"
#include "qemu/error-report.h"
#include "qemu/host-utils.h"
#include "qemu/memalign.h"
#include "qemu/module.h"
#include "block/aio-wait.h"
#include "hw/qdev-properties.h"
#include "hw/qdev-properties-system.h"
#include "scsi/constants.h"
#include "sysemu/block-backend.h"
#include "sysemu/dma.h"
#include "lsi3108-ld.h"
#include "lsi3108-pd.h"
#include "trace.h"

#define LD_SERIAL_MAX           64
#define LD_SENSE_LEN            18
#define LD_VENDOR               "AVAGO"
#define LD_LSI_OUI              0x00605bULL

/* CDB bits */
#define LD_CDB_FUA              0x08    /* READ/WRITE 10/12/16 byte 1 */
#define LD_CDB_PROTECT          0xe0    /* RDPROTECT/WRPROTECT/VRPROTECT */
#define LD_CDB_IMMED            0x01    /* START STOP UNIT byte 1 */
#define LD_CDB_SYNC_IMMED       0x02    /* SYNCHRONIZE CACHE byte 1 */

/* Mode parameters */
#define LD_MODE_PAGE_CONTROL    0x0a
#define LD_MODE_WCE             0x04    /* caching page byte 2 */
#define LD_MODE_DPOFUA          0x10    /* header device-specific byte */
#define LD_MODE_WP              0x80
#define LD_PC_CURRENT           0
#define LD_PC_CHANGEABLE        1
#define LD_PC_DEFAULT           2
#define LD_PC_SAVED             3

typedef struct LDSense {
    uint8_t key;
    uint8_t asc;
    uint8_t ascq;
} LDSense;

static const LDSense sense_invalid_opcode = { ILLEGAL_REQUEST, 0x20, 0x00 };
static const LDSense sense_lba_range = { ILLEGAL_REQUEST, 0x21, 0x00 };
static const LDSense sense_invalid_cdb = { ILLEGAL_REQUEST, 0x24, 0x00 };
static const LDSense sense_invalid_param = { ILLEGAL_REQUEST, 0x26, 0x00 };
static const LDSense sense_param_length = { ILLEGAL_REQUEST, 0x1a, 0x00 };
static const LDSense sense_no_saving = { ILLEGAL_REQUEST, 0x39, 0x00 };
static const LDSense sense_write_error = { MEDIUM_ERROR, 0x0c, 0x00 };
static const LDSense sense_read_error = { MEDIUM_ERROR, 0x11, 0x00 };
static const LDSense sense_write_protect = { DATA_PROTECT, 0x27, 0x00 };

/* CDB length of an opcode's group; 0 for groups we never accept. */
static unsigned int ld_cdb_len(uint8_t opcode)
{
    switch (opcode >> 5) {
    case 0:
        return 6;
    case 1:
    case 2:
        return 10;
    case 4:
        return 16;
    case 5:
        return 12;
    }
    return 0;
}

/* QEMU's ldl_be_p() returns int: keep 32-bit CDB fields unsigned. */
static uint32_t ld_be32(const uint8_t *p)
{
    return (uint32_t)ldl_be_p(p);
}

/* ------------------------------------------------------------------ */
/* Completion                                                          */
/* ------------------------------------------------------------------ */

/* The single exit of every command. */
static void ld_done(Lsi3108LD *ld, Lsi3108Request *req, uint8_t mfi_status,
                    uint8_t scsi_status, const uint8_t *sense,
                    size_t sense_len, uint32_t residual)
{
    trace_lsi3108_ld_done(ld->target, req->smid, mfi_status, scsi_status,
                          residual);
    assert(ld->inflight > 0);
    ld->inflight--;
    lsi3108_request_done(req, mfi_status, scsi_status, sense, sense_len,
                         residual);
}

/* GOOD status; a short transfer is an underrun (status 0x2D + residual). */
static void ld_good(Lsi3108LD *ld, Lsi3108Request *req, uint32_t bytes)
{
    uint32_t residual = req->data_len > bytes ? req->data_len - bytes : 0;

    ld_done(ld, req, residual ? LSI_MFI_STAT_SCSI_DONE_WITH_ERROR
                              : LSI_MFI_STAT_OK,
            GOOD, NULL, 0, residual);
}

/*
 * CHECK CONDITION with fixed-format sense. sks is 0 or the 3 sense-key
 * specific bytes (SKSV set), e.g. a field pointer.
 */
static void ld_check_sks(Lsi3108LD *ld, Lsi3108Request *req,
                         const LDSense *s, uint32_t sks)
{
    uint8_t sense[LD_SENSE_LEN] = { 0 };

    sense[0] = 0x70;                    /* current error, fixed format */
    sense[2] = s->key;
    sense[7] = LD_SENSE_LEN - 8;
    sense[12] = s->asc;
    sense[13] = s->ascq;
    sense[15] = sks >> 16;
    sense[16] = sks >> 8;
    sense[17] = sks;
    trace_lsi3108_ld_check(ld->target, req->smid, req->cdb[0], s->key, s->asc,
                           s->ascq);
    ld_done(ld, req, LSI_MFI_STAT_SCSI_DONE_WITH_ERROR, CHECK_CONDITION,
            sense, sizeof(sense), req->data_len);
}

static void ld_check(Lsi3108LD *ld, Lsi3108Request *req, const LDSense *s)
{
    ld_check_sks(ld, req, s, 0);
}

/* INVALID FIELD IN CDB, pointing at the offending CDB byte. */
static void ld_bad_cdb(Lsi3108LD *ld, Lsi3108Request *req, unsigned int byte)
{
    ld_check_sks(ld, req, &sense_invalid_cdb, 0xc00000 | byte);
}

/* INVALID FIELD IN PARAMETER LIST, pointing at the offending byte. */
static void ld_bad_param(Lsi3108LD *ld, Lsi3108Request *req,
                         unsigned int byte)
{
    ld_check_sks(ld, req, &sense_invalid_param, 0x800000 | (byte & 0xffff));
}

/* Guest memory behind the SGL could not be accessed (e.g. vIOMMU fault). */
static void ld_dma_failed(Lsi3108LD *ld, Lsi3108Request *req)
{
    trace_lsi3108_ld_dma_error(ld->target, req->smid, req->cdb[0]);
    ld_done(ld, req, LSI_MFI_STAT_SCSI_IO_FAILED, GOOD, NULL, 0,
            req->data_len);
}

/* Bytes the command may move to (in) or from (out) guest memory. */
static uint32_t ld_in_len(const Lsi3108Request *req)
{
    if (req->dir != LSI3108_DIR_TO_HOST) {
        return 0;
    }
    return MIN(req->data_len, req->qsg.size);
}

static uint32_t ld_out_len(const Lsi3108Request *req)
{
    if (req->dir != LSI3108_DIR_TO_DEVICE) {
        return 0;
    }
    return MIN(req->data_len, req->qsg.size);
}

/*
 * Complete a command that returns data: at most the allocation length and
 * the buffer's size are sent; anything less than DataLength is an underrun.
 */
static void ld_reply(Lsi3108LD *ld, Lsi3108Request *req, uint8_t *data,
                     uint32_t len, uint32_t alloc_len)
{
    uint32_t n = MIN(MIN(len, alloc_len), ld_in_len(req));

    if (n && dma_buf_read(data, n, NULL, &req->qsg,
                          MEMTXATTRS_UNSPECIFIED) != MEMTX_OK) {
        ld_dma_failed(ld, req);
        return;
    }
    ld_good(ld, req, n);
}

static LDCmd *ld_cmd_new(Lsi3108LD *ld, Lsi3108Request *req)
{
    LDCmd *cmd = g_new0(LDCmd, 1);

    cmd->ld = ld;
    cmd->req = req;
    return cmd;
}

static void ld_cmd_free(LDCmd *cmd)
{
    qemu_vfree(cmd->buf);
    g_free(cmd->overlay);
    g_free(cmd->overlay_map);
    g_free(cmd);
}

static void ld_cmd_good(LDCmd *cmd, uint32_t bytes)
{
    Lsi3108LD *ld = cmd->ld;
    Lsi3108Request *req = cmd->req;

    ld_cmd_free(cmd);
    ld_good(ld, req, bytes);
}

static void ld_cmd_check(LDCmd *cmd, const LDSense *s)
{
    Lsi3108LD *ld = cmd->ld;
    Lsi3108Request *req = cmd->req;

    ld_cmd_free(cmd);
    ld_check(ld, req, s);
}

/* ------------------------------------------------------------------ */
/* READ and WRITE                                                      */
/* ------------------------------------------------------------------ */

static void ld_read_done(void *opaque, int ret)
{
    LDCmd *cmd = opaque;
    uint32_t bytes = cmd->count * LD_BLOCK_SIZE;
    unsigned long i;

    if (!lsi3108_request_live(cmd->req)) {
        /* a reset dropped it: the guest buffer is not ours any more */
        Lsi3108LD *ld = cmd->ld;
        Lsi3108Request *req = cmd->req;

        trace_lsi3108_ld_orphan(ld->target, req->smid);
        ld_cmd_free(cmd);
        ld_done(ld, req, LSI_MFI_STAT_SCSI_IO_FAILED, GOOD, NULL, 0,
                req->data_len);
        return;
    }
    if (ret < 0) {
        trace_lsi3108_ld_io_error(cmd->ld->target, "read", cmd->lba,
                                  cmd->count, ret);
        ld_cmd_check(cmd, &sense_read_error);
        return;
    }
    if (cmd->overlay) {
        for (i = find_first_bit(cmd->overlay_map, cmd->count); i < cmd->count;
             i = find_next_bit(cmd->overlay_map, cmd->count, i + 1)) {
            memcpy(cmd->buf + i * LD_BLOCK_SIZE,
                   cmd->overlay + i * LD_BLOCK_SIZE, LD_BLOCK_SIZE);
        }
    }
    if (dma_buf_read(cmd->buf, bytes, NULL, &cmd->req->qsg,
                     MEMTXATTRS_UNSPECIFIED) != MEMTX_OK) {
        Lsi3108LD *ld = cmd->ld;
        Lsi3108Request *req = cmd->req;

        ld_cmd_free(cmd);
        ld_dma_failed(ld, req);
        return;
    }
    ld_cmd_good(cmd, bytes);
}

/*
 * Read the backend, then lay the dirty cached blocks over it. The dirty
 * blocks are copied now: by the time the backend answers they may have been
 * written back and freed, and the backend read may predate that write.
 */
static void ld_read(Lsi3108LD *ld, LDCmd *cmd)
{
    lsi3108_ld_cache_snapshot(ld, cmd);
    if (cmd->overlay && bitmap_full(cmd->overlay_map, cmd->count)) {
        ld_read_done(cmd, 0);
        return;
    }
    blk_aio_preadv(ld->blk, cmd->lba << LD_BLOCK_SHIFT, &cmd->qiov, 0,
                   ld_read_done, cmd);
}

static void ld_write_direct_done(void *opaque, int ret)
{
    LDCmd *cmd = opaque;
    Lsi3108LD *ld = cmd->ld;

    lsi3108_ld_write_end(ld, &cmd->w);
    if (ret < 0) {
        trace_lsi3108_ld_io_error(ld->target, "write", cmd->lba, cmd->count,
                                  ret);
        ld_cmd_check(cmd, &sense_write_error);
        return;
    }
    lsi3108_ld_cache_clean(ld, cmd->lba, cmd->count, cmd->stamp);
    ld_cmd_good(cmd, cmd->count * LD_BLOCK_SIZE);
}

static void ld_write_direct_issue(Lsi3108LDWrite *w)
{
    LDCmd *cmd = container_of(w, LDCmd, w);
    Lsi3108LD *ld = cmd->ld;
    /* no write cache on the way (WCE=0): the guest never flushes */
    BdrvRequestFlags flags = cmd->fua || !ld_caches_writes(ld) ?
                             BDRV_REQ_FUA : 0;

    blk_aio_pwritev(ld->blk, w->lba << LD_BLOCK_SHIFT, &cmd->qiov, flags,
                    ld_write_direct_done, cmd);
}

/* Write to the backend (FUA, write-through LD, or no room in the cache). */
static void ld_write_direct(Lsi3108LD *ld, LDCmd *cmd)
{
    trace_lsi3108_ld_write_through(ld->target, cmd->lba, cmd->count,
                                   cmd->fua);
    cmd->stamp = lsi3108_ld_cache_update(ld, cmd);
    lsi3108_ld_write_begin(ld, &cmd->w, cmd->lba, cmd->count,
                           ld_write_direct_issue);
}

static void ld_write(Lsi3108LD *ld, LDCmd *cmd)
{
    uint32_t bytes = cmd->count * LD_BLOCK_SIZE;

    if (dma_buf_write(cmd->buf, bytes, NULL, &cmd->req->qsg,
                      MEMTXATTRS_UNSPECIFIED) != MEMTX_OK) {
        Lsi3108Request *req = cmd->req;

        ld_cmd_free(cmd);
        ld_dma_failed(ld, req);
        return;
    }
    if (cmd->fua) {
        lsi3108_stats(ld->ctrl)->fua_writes++;
    }
    if (ld_caches_writes(ld) && !cmd->fua && lsi3108_ld_cache_store(ld, cmd)) {
        ld_cmd_good(cmd, bytes);
        return;
    }
    ld_write_direct(ld, cmd);
}

void lsi3108_decode_rw(const uint8_t *cdb, Lsi3108Rw *rw)
{
    switch (cdb[0]) {
    case READ_6:
    case WRITE_6:
        rw->lba = ld_be32(cdb) & 0x1fffff;
        rw->count = cdb[4] ? cdb[4] : 256;
        rw->flags = 0;
        rw->len_byte = 4;
        break;
    case READ_10:
    case WRITE_10:
        rw->lba = ld_be32(cdb + 2);
        rw->count = lduw_be_p(cdb + 7);
        rw->flags = cdb[1];
        rw->len_byte = 7;
        break;
    case READ_12:
    case WRITE_12:
        rw->lba = ld_be32(cdb + 2);
        rw->count = ld_be32(cdb + 6);
        rw->flags = cdb[1];
        rw->len_byte = 6;
        break;
    default:                            /* READ_16, WRITE_16 */
        rw->lba = ldq_be_p(cdb + 2);
        rw->count = ld_be32(cdb + 10);
        rw->flags = cdb[1];
        rw->len_byte = 10;
        break;
    }
}

static bool ld_range_ok(Lsi3108LD *ld, uint64_t lba, uint64_t count)
{
    return lba <= ld->sectors && count <= ld->sectors - lba;
}

/*
 * READ/WRITE 6/10/12/16. The transfer length must fit in the guest buffer
 * (DataLength and the SGL): a longer one is INVALID FIELD IN CDB and nothing
 * is transferred; a shorter one moves what the CDB says and reports the rest
 * as an underrun.
 */
static void ld_cmd_rw(Lsi3108LD *ld, Lsi3108Request *req, bool write)
{
    LDCmd *cmd;
    Lsi3108Rw rw;
    uint32_t bytes;

    lsi3108_decode_rw(req->cdb, &rw);
    trace_lsi3108_ld_rw(ld->target, req->smid, req->cdb[0], rw.lba, rw.count,
                        !!(rw.flags & LD_CDB_FUA));
    if (rw.flags & LD_CDB_PROTECT) {
        ld_bad_cdb(ld, req, 1);
        return;
    }
    if (!ld_range_ok(ld, rw.lba, rw.count)) {
        ld_check(ld, req, &sense_lba_range);
        return;
    }
    if (rw.count > LSI3108_LD_MAX_XFER_BLOCKS ||
        rw.count * LD_BLOCK_SIZE > (write ? ld_out_len(req)
                                          : ld_in_len(req))) {
        ld_bad_cdb(ld, req, rw.len_byte);
        return;
    }
    if (write && !blk_is_writable(ld->blk)) {
        ld_check(ld, req, &sense_write_protect);
        return;
    }
    if (!rw.count) {
        ld_good(ld, req, 0);
        return;
    }
    bytes = rw.count * LD_BLOCK_SIZE;
    cmd = ld_cmd_new(ld, req);
    cmd->lba = rw.lba;
    cmd->count = rw.count;
    cmd->fua = rw.flags & LD_CDB_FUA;
    cmd->buf = blk_try_blockalign(ld->blk, bytes);
    if (!cmd->buf) {
        ld_cmd_free(cmd);
        ld_done(ld, req, LSI_MFI_STAT_SCSI_DONE_WITH_ERROR, BUSY, NULL, 0,
                req->data_len);
        return;
    }
    qemu_iovec_init_buf(&cmd->qiov, cmd->buf, bytes);
    if (write) {
        ld_write(ld, cmd);
    } else {
        ld_read(ld, cmd);
    }
}

/* ------------------------------------------------------------------ */
/* SYNCHRONIZE CACHE, START STOP UNIT, VERIFY                          */
/* ------------------------------------------------------------------ */

static void ld_sync_done(void *opaque, int ret)
{
    LDCmd *cmd = opaque;

    if (ret < 0) {
        ld_cmd_check(cmd, &sense_write_error);
        return;
    }
    ld_cmd_good(cmd, 0);
}

void lsi3108_decode_range(const uint8_t *cdb, uint64_t *lba, uint64_t *count)
{
    if (ld_cdb_len(cdb[0]) == 16) {
        *lba = ldq_be_p(cdb + 2);
        *count = ld_be32(cdb + 10);
    } else {
        *lba = ld_be32(cdb + 2);
        *count = lduw_be_p(cdb + 7);
    }
}

/* Write back the whole LD and flush the backend before completing. */
static void ld_flush_then_complete(Lsi3108LD *ld, Lsi3108Request *req,
                                   bool immed)
{
    if (immed) {
        lsi3108_ld_cache_flush_background(ld);
        ld_good(ld, req, 0);
        return;
    }
    lsi3108_ld_flush(ld, ld_sync_done, ld_cmd_new(ld, req));
}

/*
 * SYNCHRONIZE CACHE to a volume. The evidence (Linux commit "megaraid_sas:
 * Send SYNCHRONIZE_CACHE for VD to firmware", docs/model.md) says firmware
 * that handles it does not send it to the drives and returns GOOD; it says
 * nothing of the controller's own cache. The model reads that strictly: a
 * protected or write-through cache needs nothing, and volatile data (no good
 * BBU with "always write back", or the disks' caches on) stays volatile;
 * only the host's CTRL_CACHE_FLUSH DCMD writes it out. With the controller
 * property sync-cache-writeback the LD is written back instead (the lenient
 * reading). The LBA range is checked; a flush is always of the whole LD.
 */
static void ld_cmd_sync_cache(Lsi3108LD *ld, Lsi3108Request *req)
{
    const uint8_t *cdb = req->cdb;
    uint64_t lba, count;

    lsi3108_decode_range(cdb, &lba, &count);

    lsi3108_stats(ld->ctrl)->sync_cache++;
    if (!ld_range_ok(ld, lba, count)) {
        ld_check(ld, req, &sense_lba_range);
        return;
    }
    if (!lsi3108_cache(ld->ctrl)->sync_writeback) {
        ld_good(ld, req, 0);
        return;
    }
    ld_flush_then_complete(ld, req, cdb[1] & LD_CDB_SYNC_IMMED);
}

/* Accepted; stopping the unit (START=0) writes the cache back first. */
static void ld_cmd_start_stop(Lsi3108LD *ld, Lsi3108Request *req)
{
    const uint8_t *cdb = req->cdb;

    if (cdb[4] & 0x01) {
        ld_good(ld, req, 0);
        return;
    }
    ld_flush_then_complete(ld, req, cdb[1] & LD_CDB_IMMED);
}

/* VERIFY 10/16 with BYTCHK=0: the blocks are always readable. */
static void ld_cmd_verify(Lsi3108LD *ld, Lsi3108Request *req)
{
    const uint8_t *cdb = req->cdb;
    uint64_t lba, count;

    lsi3108_decode_range(cdb, &lba, &count);
    if (cdb[1] & (LD_CDB_PROTECT | 0x06)) {
        ld_bad_cdb(ld, req, 1);
        return;
    }
    if (!ld_range_ok(ld, lba, count)) {
        ld_check(ld, req, &sense_lba_range);
        return;
    }
    ld_good(ld, req, 0);
}

/* ------------------------------------------------------------------ */
/* INQUIRY and VPD pages                                               */
/* ------------------------------------------------------------------ */

/*
 * The LD's NAA-6 (IEEE registered extended) identifier: NAA 6, LSI's OUI and
 * the controller's identity plus the target id (lsi3108_naa_base() + target,
 * as the core defines it), then a vendor-specific extension naming the LD.
 */
static void ld_naa_id(Lsi3108LD *ld, uint8_t id[16])
{
    uint64_t base = lsi3108_naa_base(ld->ctrl) + ld->target;

    stq_be_p(id, (6ULL << 60) | (LD_LSI_OUI << 36) |
                 (base & 0xfffffffffULL));
    stq_be_p(id + 8, (0x3108ULL << 48) | ld->target);
}

static size_t ld_vpd_supported(Lsi3108LD *ld, uint8_t *buf)
{
    static const uint8_t pages[] = { 0x00, 0x80, 0x83, 0xb0, 0xb1 };

    memcpy(buf + 4, pages, sizeof(pages));
    return 4 + sizeof(pages);
}

static size_t ld_vpd_serial(Lsi3108LD *ld, uint8_t *buf)
{
    size_t len = strlen(ld->serial);

    memcpy(buf + 4, ld->serial, len);
    return 4 + len;
}

static size_t ld_vpd_device_id(Lsi3108LD *ld, uint8_t *buf)
{
    buf[4] = 0x01;                      /* protocol 0, code set binary */
    buf[5] = 0x03;                      /* PIV 0, LU association, NAA */
    buf[7] = 16;
    ld_naa_id(ld, buf + 8);
    return 8 + 16;
}

static size_t ld_vpd_block_limits(Lsi3108LD *ld, uint8_t *buf)
{
    stl_be_p(buf + 8, LSI3108_LD_MAX_XFER_BLOCKS);
    return 64;
}

/* Block device characteristics: rotation rate and form factor not reported */
static size_t ld_vpd_characteristics(Lsi3108LD *ld, uint8_t *buf)
{
    return 64;
}

/* Build VPD page code in buf (256 bytes, zeroed); 0 if not supported. */
static size_t ld_vpd_page(Lsi3108LD *ld, uint8_t code, uint8_t *buf)
{
    size_t len;

    switch (code) {
    case 0x00:
        len = ld_vpd_supported(ld, buf);
        break;
    case 0x80:
        len = ld_vpd_serial(ld, buf);
        break;
    case 0x83:
        len = ld_vpd_device_id(ld, buf);
        break;
    case 0xb0:
        len = ld_vpd_block_limits(ld, buf);
        break;
    case 0xb1:
        len = ld_vpd_characteristics(ld, buf);
        break;
    default:
        return 0;
    }
    buf[0] = TYPE_DISK;
    buf[1] = code;
    stw_be_p(buf + 2, len - 4);
    return len;
}

size_t lsi3108_ld_vpd83(Lsi3108LD *ld, uint8_t *buf, size_t size)
{
    uint8_t page[256] = { 0 };
    size_t len = ld_vpd_page(ld, 0x83, page);

    memcpy(buf, page, MIN(len, size));
    return len;
}

/* Standard INQUIRY data of a MegaRAID volume (SPC-3, CmdQue) */
static size_t ld_std_inquiry(Lsi3108LD *ld, uint8_t *buf)
{
    buf[0] = TYPE_DISK;
    buf[2] = 0x05;                      /* SPC-3 */
    buf[3] = 0x02;                      /* response data format 2 */
    buf[4] = 36 - 5;
    buf[7] = 0x02;                      /* CmdQue */
    strpadcpy((char *)buf + 8, 8, LD_VENDOR, ' ');
    strpadcpy((char *)buf + 16, 16, lsi3108_product_id(ld->ctrl), ' ');
    strpadcpy((char *)buf + 32, 4, lsi3108_fw_revision(ld->ctrl), ' ');
    return 36;
}

static void ld_cmd_inquiry(Lsi3108LD *ld, Lsi3108Request *req)
{
    const uint8_t *cdb = req->cdb;
    uint8_t buf[256] = { 0 };
    size_t len;

    if (cdb[1] & 0xfe) {                /* CmdDt (obsolete), reserved */
        ld_bad_cdb(ld, req, 1);
        return;
    }
    if (!(cdb[1] & 0x01)) {
        if (cdb[2]) {
            ld_bad_cdb(ld, req, 2);
            return;
        }
        len = ld_std_inquiry(ld, buf);
    } else {
        len = ld_vpd_page(ld, cdb[2], buf);
        if (!len) {
            ld_bad_cdb(ld, req, 2);
            return;
        }
    }
    ld_reply(ld, req, buf, len, lduw_be_p(cdb + 3));
}

/* ------------------------------------------------------------------ */
/* READ CAPACITY, REPORT LUNS, REQUEST SENSE                           */
/* ------------------------------------------------------------------ */

static void ld_cmd_read_capacity10(Lsi3108LD *ld, Lsi3108Request *req)
{
    uint64_t last = ld->sectors - 1;
    uint8_t buf[8];

    if (!(req->cdb[8] & 0x01) && ld_be32(req->cdb + 2)) {
        ld_bad_cdb(ld, req, 2);         /* LBA set without PMI */
        return;
    }
    stl_be_p(buf, MIN(last, UINT32_MAX));
    stl_be_p(buf + 4, LD_BLOCK_SIZE);
    ld_reply(ld, req, buf, sizeof(buf), sizeof(buf));
}

static void ld_cmd_read_capacity16(Lsi3108LD *ld, Lsi3108Request *req)
{
    uint8_t buf[32] = { 0 };

    if ((req->cdb[1] & 0x1f) != SAI_READ_CAPACITY_16) {
        ld_bad_cdb(ld, req, 1);
        return;
    }
    stq_be_p(buf, ld->sectors - 1);
    stl_be_p(buf + 8, LD_BLOCK_SIZE);
    ld_reply(ld, req, buf, sizeof(buf), ld_be32(req->cdb + 10));
}

static void ld_cmd_report_luns(Lsi3108LD *ld, Lsi3108Request *req)
{
    uint8_t select = req->cdb[2];
    uint32_t alloc = ld_be32(req->cdb + 6);
    uint8_t buf[16] = { 0 };

    if (select > 2) {
        ld_bad_cdb(ld, req, 2);
        return;
    }
    if (alloc < 16) {
        ld_bad_cdb(ld, req, 6);
        return;
    }
    /* LUN 0 only; no well-known LUs (SELECT REPORT 1) */
    stl_be_p(buf, select == 1 ? 0 : 8);
    ld_reply(ld, req, buf, select == 1 ? 8 : 16, alloc);
}

/* No pending sense: NO SENSE, fixed or descriptor format as asked. */
static void ld_cmd_request_sense(Lsi3108LD *ld, Lsi3108Request *req)
{
    uint8_t buf[LD_SENSE_LEN] = { 0 };
    size_t len;

    if (req->cdb[1] & 0x01) {
        buf[0] = 0x72;
        len = 8;
    } else {
        buf[0] = 0x70;
        buf[7] = LD_SENSE_LEN - 8;
        len = LD_SENSE_LEN;
    }
    ld_reply(ld, req, buf, len, req->cdb[4]);
}

/* ------------------------------------------------------------------ */
/* MODE SENSE and MODE SELECT                                          */
/* ------------------------------------------------------------------ */

/* Mode page in p for page control pc; 0 if the page is not supported. */
static size_t ld_mode_page(Lsi3108LD *ld, uint8_t page, int pc, uint8_t *p)
{
    switch (page) {
    case MODE_PAGE_CACHING:
        memset(p, 0, 20);
        p[0] = MODE_PAGE_CACHING;
        p[1] = 20 - 2;
        if (pc == LD_PC_CHANGEABLE || pc == LD_PC_DEFAULT) {
            p[2] = LD_MODE_WCE;
        } else {
            p[2] = ld_caches_writes(ld) ? LD_MODE_WCE : 0;
        }
        return 20;
    case LD_MODE_PAGE_CONTROL:
        memset(p, 0, 12);
        p[0] = LD_MODE_PAGE_CONTROL;
        p[1] = 12 - 2;
        if (pc != LD_PC_CHANGEABLE) {
            p[3] = 0x10;                /* unrestricted reordering */
        }
        return 12;
    }
    return 0;
}

/* Block descriptor, short (8 bytes) or long LBA (16 bytes). */
static size_t ld_block_descriptor(Lsi3108LD *ld, bool llba, uint8_t *p)
{
    if (llba) {
        memset(p, 0, 16);
        stq_be_p(p, ld->sectors);
        stl_be_p(p + 12, LD_BLOCK_SIZE);
        return 16;
    }
    stl_be_p(p, MIN(ld->sectors, UINT32_MAX));
    stl_be_p(p + 4, LD_BLOCK_SIZE);     /* density code 0 */
    return 8;
}

static void ld_cmd_mode_sense(Lsi3108LD *ld, Lsi3108Request *req)
{
    const uint8_t *cdb = req->cdb;
    bool ten = cdb[0] == MODE_SENSE_10;
    bool llba = ten && (cdb[1] & 0x10);
    int pc = cdb[2] >> 6;
    uint8_t page = cdb[2] & 0x3f;
    uint8_t dev_spec = LD_MODE_DPOFUA;
    uint8_t buf[128] = { 0 };
    size_t hdr = ten ? 8 : 4, bd = 0, len, n;

    if (pc == LD_PC_SAVED) {
        ld_check(ld, req, &sense_no_saving);
        return;
    }
    if (cdb[3] && !(page == MODE_PAGE_ALLS && cdb[3] == 0xff)) {
        ld_bad_cdb(ld, req, 3);         /* no subpages */
        return;
    }
    if (!(cdb[1] & 0x08)) {             /* DBD */
        bd = ld_block_descriptor(ld, llba, buf + hdr);
    }
    len = hdr + bd;
    if (page == MODE_PAGE_ALLS) {
        len += ld_mode_page(ld, MODE_PAGE_CACHING, pc, buf + len);
        len += ld_mode_page(ld, LD_MODE_PAGE_CONTROL, pc, buf + len);
    } else {
        n = ld_mode_page(ld, page, pc, buf + len);
        if (!n) {
            ld_bad_cdb(ld, req, 2);
            return;
        }
        len += n;
    }
    if (!blk_is_writable(ld->blk)) {
        dev_spec |= LD_MODE_WP;
    }
    if (ten) {
        stw_be_p(buf, len - 2);
        buf[3] = dev_spec;
        buf[4] = bd == 16;              /* LONGLBA */
        stw_be_p(buf + 6, bd);
    } else {
        buf[0] = len - 1;
        buf[2] = dev_spec;
        buf[3] = bd;
    }
    ld_reply(ld, req, buf, len, ten ? lduw_be_p(cdb + 7) : cdb[4]);
}

/*
 * Check a MODE SELECT block descriptor: only the current block length.
 * Returns the offset of a bad byte, or 0.
 */
static size_t ld_check_select_bd(const uint8_t *list, size_t off, size_t bd,
                                 bool longlba)
{
    if (bd != (longlba ? 16 : 8)) {
        return off - 1;
    }
    if (longlba ? ld_be32(list + off + 12) != LD_BLOCK_SIZE
                : (ld_be32(list + off + 4) & 0xffffff) != LD_BLOCK_SIZE) {
        return off + (longlba ? 12 : 5);
    }
    return 0;
}

/*
 * Check one mode page of a MODE SELECT list against the current values:
 * only changeable bits may differ. Returns the offset of a bad byte or 0;
 * sets *wce from a caching page.
 */
static size_t ld_check_select_page(Lsi3108LD *ld, const uint8_t *p,
                                   size_t off, int *wce)
{
    uint8_t cur[32], mask[32];
    size_t len, i;

    if (p[0] & 0x40) {                  /* SPF: no subpages */
        return off;
    }
    len = ld_mode_page(ld, p[0] & 0x3f, LD_PC_CURRENT, cur);
    if (!len || (p[0] & 0x3f) == MODE_PAGE_ALLS) {
        return off;
    }
    if (p[1] + 2 != len) {
        return off + 1;
    }
    ld_mode_page(ld, p[0] & 0x3f, LD_PC_CHANGEABLE, mask);
    for (i = 2; i < len; i++) {
        if ((p[i] ^ cur[i]) & ~mask[i]) {
            return off + i;
        }
    }
    if ((p[0] & 0x3f) == MODE_PAGE_CACHING) {
        *wce = !!(p[2] & LD_MODE_WCE);
    }
    return 0;
}

/*
 * Parse a MODE SELECT parameter list (header, optional block descriptor,
 * pages) without applying it. On error, completes req and returns false.
 */
static bool ld_parse_mode_select(Lsi3108LD *ld, Lsi3108Request *req,
                                 const uint8_t *list, size_t len, int *wce)
{
    bool ten = req->cdb[0] == MODE_SELECT_10;
    size_t hdr = ten ? 8 : 4, off, bd, bad;

    if (len < hdr) {
        ld_check(ld, req, &sense_param_length);
        return false;
    }
    bd = ten ? lduw_be_p(list + 6) : list[3];
    off = hdr + bd;
    if (off > len) {
        ld_check(ld, req, &sense_param_length);
        return false;
    }
    bad = bd ? ld_check_select_bd(list, hdr, bd, ten && (list[4] & 1)) : 0;
    while (!bad && off < len) {
        if (len - off < 2 || len - off < list[off + 1] + 2u) {
            ld_check(ld, req, &sense_param_length);
            return false;
        }
        bad = ld_check_select_page(ld, list + off, off, wce);
        off += list[off + 1] + 2;
    }
    if (bad) {
        ld_bad_param(ld, req, bad);
        return false;
    }
    return true;
}

/*
 * MODE SELECT 6/10: the caching page may switch WCE, i.e. the LD's write
 * policy; every other value must be the current one. Nothing is saveable.
 */
static void ld_cmd_mode_select(Lsi3108LD *ld, Lsi3108Request *req)
{
    const uint8_t *cdb = req->cdb;
    bool ten = cdb[0] == MODE_SELECT_10;
    uint32_t len = ten ? lduw_be_p(cdb + 7) : cdb[4];
    g_autofree uint8_t *list = NULL;
    int wce = -1;

    if ((cdb[1] & 0x11) != 0x10) {      /* PF=1, SP=0 */
        ld_bad_cdb(ld, req, 1);
        return;
    }
    if (!len) {
        ld_good(ld, req, 0);
        return;
    }
    if (len > ld_out_len(req)) {
        ld_bad_cdb(ld, req, ten ? 7 : 4);
        return;
    }
    list = g_malloc(len);
    if (dma_buf_write(list, len, NULL, &req->qsg,
                      MEMTXATTRS_UNSPECIFIED) != MEMTX_OK) {
        ld_dma_failed(ld, req);
        return;
    }
    if (!ld_parse_mode_select(ld, req, list, len, &wce)) {
        return;
    }
    if (wce >= 0 && wce != ld_caches_writes(ld)) {
        bool was = ld->write_back;

        lsi3108_ld_set_write_back(ld, wce);
        if (ld->write_back != was) {
            lsi3108_log_ld_policy_event(ld->ctrl, ld);
        }
        lsi3108_ld_changed(ld->ctrl, ld);
    }
    ld_good(ld, req, len);
}

/* ------------------------------------------------------------------ */
/* Dispatch                                                            */
/* ------------------------------------------------------------------ */

static void ld_dispatch(Lsi3108LD *ld, Lsi3108Request *req)
{
    switch (req->cdb[0]) {
    case TEST_UNIT_READY:
        ld_good(ld, req, 0);
        break;
    case REQUEST_SENSE:
        ld_cmd_request_sense(ld, req);
        break;
    case INQUIRY:
        ld_cmd_inquiry(ld, req);
        break;
    case MODE_SENSE:
    case MODE_SENSE_10:
        ld_cmd_mode_sense(ld, req);
        break;
    case MODE_SELECT:
    case MODE_SELECT_10:
        ld_cmd_mode_select(ld, req);
        break;
    case START_STOP:
        ld_cmd_start_stop(ld, req);
        break;
    case READ_CAPACITY_10:
        ld_cmd_read_capacity10(ld, req);
        break;
    case SERVICE_ACTION_IN_16:
        ld_cmd_read_capacity16(ld, req);
        break;
    case REPORT_LUNS:
        ld_cmd_report_luns(ld, req);
        break;
    case SYNCHRONIZE_CACHE:
    case SYNCHRONIZE_CACHE_16:
        ld_cmd_sync_cache(ld, req);
        break;
    case VERIFY_10:
    case VERIFY_16:
        ld_cmd_verify(ld, req);
        break;
    case READ_6:
    case READ_10:
    case READ_12:
    case READ_16:
        ld_cmd_rw(ld, req, false);
        break;
    case WRITE_6:
    case WRITE_10:
    case WRITE_12:
    case WRITE_16:
        ld_cmd_rw(ld, req, true);
        break;
    default:
        ld_check(ld, req, &sense_invalid_opcode);
        break;
    }
}

void lsi3108_ld_submit(Lsi3108LD *ld, Lsi3108Request *req)
{
    unsigned int need = ld_cdb_len(req->cdb[0]);

    ld->inflight++;
    trace_lsi3108_ld_cmd(ld->target, req->smid, req->cdb[0], req->cdb_len,
                         req->data_len);
    if (ld->removing) {
        ld_done(ld, req, LSI_MFI_STAT_DEVICE_NOT_FOUND, GOOD, NULL, 0,
                req->data_len);
        return;
    }
    if (!need) {
        ld_check(ld, req, &sense_invalid_opcode);
        return;
    }
    if (req->cdb_len < need) {
        ld_bad_cdb(ld, req, 0);
        return;
    }
    ld_dispatch(ld, req);
}

/* ------------------------------------------------------------------ */
/* Device                                                              */
/* ------------------------------------------------------------------ */

static bool ld_check_target(Lsi3108LD *ld, Error **errp)
{
    BusState *bus = qdev_get_parent_bus(DEVICE(ld));
    BusChild *kid;

    if (ld->target == UINT32_MAX) {
        error_setg(errp, "property 'target' is required");
        return false;
    }
    if (ld->target >= LSI3108_MAX_LD_TARGETS) {
        error_setg(errp, "target %u out of range (0..%u)", ld->target,
                   LSI3108_MAX_LD_TARGETS - 1);
        return false;
    }
    WITH_RCU_READ_LOCK_GUARD() {
        QTAILQ_FOREACH_RCU(kid, &bus->children, sibling) {
            Lsi3108LD *other = (Lsi3108LD *)object_dynamic_cast(
                OBJECT(kid->child), TYPE_LSI3108_LD);

            if (other && other != ld && DEVICE(other)->realized &&
                other->target == ld->target) {
                error_setg(errp, "target %u is already used by LD '%s'",
                           ld->target,
                           DEVICE(other)->id ? DEVICE(other)->id : "?");
                return false;
            }
        }
    }
    return true;
}

static bool ld_setup_backend(Lsi3108LD *ld, Error **errp)
{
    uint64_t perm = BLK_PERM_CONSISTENT_READ;
    int64_t len;

    if (!ld->blk) {
        error_setg(errp, "property 'drive' is required");
        return false;
    }
    if (!blk_is_inserted(ld->blk)) {
        error_setg(errp, "drive has no medium");
        return false;
    }
    if (blk_supports_write_perm(ld->blk)) {
        perm |= BLK_PERM_WRITE;
    }
    if (blk_set_perm(ld->blk, perm,
                     BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE_UNCHANGED,
                     errp) < 0) {
        return false;
    }
    len = blk_getlength(ld->blk);
    if (len < 0) {
        error_setg_errno(errp, -len, "cannot get the drive's size");
        return false;
    }
    ld->sectors = len / LD_BLOCK_SIZE;
    if (!ld->sectors) {
        error_setg(errp, "drive is smaller than one %d-byte block",
                   LD_BLOCK_SIZE);
        return false;
    }
    return true;
}

/* A given serial must be printable ASCII; the default is the NAA id. */
static bool ld_setup_serial(Lsi3108LD *ld, Error **errp)
{
    uint8_t id[16];
    const char *c;

    if (!ld->serial) {
        ld_naa_id(ld, id);
        ld->serial = g_strdup_printf("%016" PRIx64 "%016" PRIx64,
                                     ldq_be_p(id), ldq_be_p(id + 8));
        return true;
    }
    if (!*ld->serial || strlen(ld->serial) > LD_SERIAL_MAX) {
        error_setg(errp, "serial must have 1 to %d characters", LD_SERIAL_MAX);
        return false;
    }
    for (c = ld->serial; *c; c++) {
        if (*c < 0x20 || *c > 0x7e) {
            error_setg(errp, "serial must be printable ASCII");
            return false;
        }
    }
    return true;
}

static void lsi3108_ld_realize(DeviceState *dev, Error **errp)
{
    Lsi3108LD *ld = LSI3108_LD(dev);

    ld->ctrl = lsi3108_from_bus(qdev_get_parent_bus(dev));
    if (!ld_check_target(ld, errp) || !ld_setup_backend(ld, errp) ||
        !ld_setup_serial(ld, errp) || !lsi3108_ld_parse_members(ld, errp)) {
        return;
    }
    ld->ld_state = lsi3108_ld_state(ld->ctrl, ld);
    lsi3108_ld_cache_init(ld);
    ld->write_back = false;
    lsi3108_ld_apply_policy(ld);
    ld->removing = false;
    lsi3108_ld_attached(ld->ctrl, ld);
}

static void ld_unplug_flush_done(void *opaque, int ret)
{
    int *result = opaque;

    *result = ret;
}

/*
 * Hot unplug: refuse new commands, let the running ones finish, write the
 * dirty cache back (a real controller would keep it for the volume; writing
 * it back is the simple correct choice), then tell the controller.
 */
static void lsi3108_ld_unrealize(DeviceState *dev)
{
    Lsi3108LD *ld = LSI3108_LD(dev);
    AioContext *ctx = blk_get_aio_context(ld->blk);
    int ret = 1;

    trace_lsi3108_ld_unplug(ld->target, ld->inflight, ld->dirty_bytes);
    ld->removing = true;
    AIO_WAIT_WHILE(ctx, ld->inflight > 0);
    lsi3108_ld_flush(ld, ld_unplug_flush_done, &ret);
    AIO_WAIT_WHILE(ctx, ret > 0 || ld->jobs > 0);
    if (ret < 0) {
        warn_report("lsi3108-ld target %u: write-back failed on unplug (%s), "
                    "%" PRIu64 " dirty bytes lost", ld->target,
                    strerror(-ret), ld->dirty_bytes);
    }
    lsi3108_ld_cache_fini(ld);
    lsi3108_ld_detached(ld->ctrl, ld);
}

static void ld_get_dirty_bytes(Object *obj, Visitor *v, const char *name,
                               void *opaque, Error **errp)
{
    visit_type_uint64(v, name, &LSI3108_LD(obj)->dirty_bytes, errp);
}

/* x-state (read-only, tests): the LD's state as the firmware reports it */
static char *ld_get_state(Object *obj, Error **errp)
{
    Lsi3108LD *ld = LSI3108_LD(obj);

    if (!ld->ctrl) {
        return g_strdup("unrealized");
    }
    switch (lsi3108_ld_state(ld->ctrl, ld)) {
    case LSI_LD_STATE_OPTIMAL:
        return g_strdup("optimal");
    case LSI_LD_STATE_DEGRADED:
    case LSI_LD_STATE_PARTIALLY_DEGRADED:
        return g_strdup("degraded");
    default:
        return g_strdup("offline");
    }
}

/*
 * "write-back": off (write-through), on (write-back while the BBU is
 * good; the default) or always ("always write back": also without it).
 */
static const char *const ld_wb_names[] = {
    [LSI3108_WB_OFF] = "off",
    [LSI3108_WB_ON] = "on",
    [LSI3108_WB_ALWAYS] = "always",
};

static const QEnumLookup ld_wb_lookup = {
    .array = ld_wb_names,
    .size = ARRAY_SIZE(ld_wb_names),
};

static void ld_get_wb_policy(Object *obj, Visitor *v, const char *name,
                             void *opaque, Error **errp)
{
    Lsi3108LD *ld = LSI3108_LD(obj);
    int value = ld->wb_policy;

    visit_type_enum(v, name, &value, &ld_wb_lookup, errp);
}

/* Set before realize, or live (the current policy follows at once). */
static void ld_set_wb_policy(Object *obj, Visitor *v, const char *name,
                             void *opaque, Error **errp)
{
    Lsi3108LD *ld = LSI3108_LD(obj);
    int value;

    if (!visit_type_enum(v, name, &value, &ld_wb_lookup, errp)) {
        return;
    }
    if (!DEVICE(obj)->realized) {
        ld->wb_policy = value;
        return;
    }
    if (value != ld->wb_policy) {
        bool was = ld->write_back;

        lsi3108_ld_set_policy(ld, value);
        if (ld->write_back != was) {
            lsi3108_log_ld_policy_event(ld->ctrl, ld);
        }
        lsi3108_ld_changed(ld->ctrl, ld);
    }
}

static void ld_wb_set_default(ObjectProperty *op, const Property *prop)
{
    object_property_set_default_str(op, qapi_enum_lookup(&ld_wb_lookup,
                                                         prop->defval.i));
}

static const PropertyInfo ld_prop_wb_policy = {
    .name = "Lsi3108WbPolicy",
    .description = "off, on (write-back while the BBU is good), always",
    .enum_table = &ld_wb_lookup,
    .get = ld_get_wb_policy,
    .set = ld_set_wb_policy,
    .set_default_value = ld_wb_set_default,
    .realized_set_allowed = true,
};

static void ld_get_disk_cache(Object *obj, Visitor *v, const char *name,
                              void *opaque, Error **errp)
{
    bool value = LSI3108_LD(obj)->disk_cache;

    visit_type_bool(v, name, &value, errp);
}

/*
 * "disk-cache": the LD's disk cache policy (the member disks' own volatile
 * write caches on or off), settable live as storcli can. Turning it off
 * writes what the caches hold to the disks first.
 */
static void ld_set_disk_cache(Object *obj, Visitor *v, const char *name,
                              void *opaque, Error **errp)
{
    Lsi3108LD *ld = LSI3108_LD(obj);
    bool value;

    if (!visit_type_bool(v, name, &value, errp)) {
        return;
    }
    if (!DEVICE(obj)->realized || value == ld->disk_cache) {
        ld->disk_cache = value;
        return;
    }
    ld->disk_cache = value;
    if (!value && !ld->write_back && ld->dirty_bytes) {
        lsi3108_ld_cache_flush_background(ld);
    }
    lsi3108_log_ld_policy_event(ld->ctrl, ld);
    lsi3108_ld_changed(ld->ctrl, ld);
}

static void ld_bool_set_default(ObjectProperty *op, const Property *prop)
{
    object_property_set_default_bool(op, prop->defval.u);
}

static const PropertyInfo ld_prop_disk_cache = {
    .name = "bool",
    .description = "on: the disks' own write caches are on (volatile)",
    .get = ld_get_disk_cache,
    .set = ld_set_disk_cache,
    .set_default_value = ld_bool_set_default,
    .realized_set_allowed = true,
};

static Property lsi3108_ld_props[] = {
    DEFINE_PROP_UINT32("target", Lsi3108LD, target, UINT32_MAX),
    DEFINE_PROP_DRIVE("drive", Lsi3108LD, blk),
    DEFINE_PROP("write-back", Lsi3108LD, wb_policy, ld_prop_wb_policy,
                uint8_t, .set_default = true,
                .defval.i = LSI3108_WB_ON),
    DEFINE_PROP("disk-cache", Lsi3108LD, disk_cache, ld_prop_disk_cache,
                bool, .set_default = true, .defval.u = false),
    DEFINE_PROP_STRING("serial", Lsi3108LD, serial),
    DEFINE_PROP_ON_OFF_AUTO("tm-capable", Lsi3108LD, tm_capable,
                            ON_OFF_AUTO_AUTO),
    DEFINE_PROP_STRING("pds", Lsi3108LD, pds),
    DEFINE_PROP_UINT32("raid-level", Lsi3108LD, raid_level, 0),
    DEFINE_PROP_UINT32("strip-kib", Lsi3108LD, strip_kib, 64),
    DEFINE_PROP_END_OF_LIST(),
};

static void lsi3108_ld_class_init(ObjectClass *oc, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);

    dc->desc = "LSI MegaRAID SAS3108 logical drive";
    dc->bus_type = TYPE_LSI3108_BUS;
    dc->realize = lsi3108_ld_realize;
    dc->unrealize = lsi3108_ld_unrealize;
    dc->hotpluggable = true;
    set_bit(DEVICE_CATEGORY_STORAGE, dc->categories);
    device_class_set_props(dc, lsi3108_ld_props);
    object_class_property_add(oc, "x-dirty-bytes", "uint64", ld_get_dirty_bytes,
                              NULL, NULL, NULL);
    object_class_property_add_str(oc, "x-state", ld_get_state, NULL);
}

static const TypeInfo lsi3108_ld_info = {
    .name = TYPE_LSI3108_LD,
    .parent = TYPE_DEVICE,
    .instance_size = sizeof(Lsi3108LD),
    .class_init = lsi3108_ld_class_init,
};

static void lsi3108_ld_register_types(void)
{
    type_register_static(&lsi3108_ld_info);
}

type_init(lsi3108_ld_register_types)
