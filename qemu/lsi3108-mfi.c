/*
 * QEMU model of the LSI MegaRAID SAS3108: the management side of the
 * firmware — MFI commands, DCMDs, the event log and the RAID map.
 *
 * MegaRAID firmware is managed with MFI frames, older than the Fusion
 * interface: a 64-byte header (command, status, flags, SGL count, data
 * length) followed by a command-specific part. A DCMD ("direct command")
 * names a 32-bit opcode (controller info, LD list, flush the cache, wait
 * for an event...), carries 12 mailbox bytes of arguments and a small SGL
 * for its data. On a Fusion controller an MFI frame travels inside an MPI
 * pass-through request (Function 0xF0) whose chain element points at it; the
 * firmware writes cmd_status into the MFI frame and posts the pass-through's
 * SMID. Before IOC INIT the host may also post MFI frames directly at the
 * MFI queue port and poll cmd_status (SeaBIOS does).
 *
 * Some DCMDs are held until something happens: EVENT_WAIT until the event
 * log has an entry the host asked for (an LD created or deleted), and the
 * pended RAID-map read ("map sync") until the LD configuration differs from
 * the host's copy. The RAID map tells the host how each LD is laid out;
 * here every LD is a one-span RAID 0 that the firmware handles (no fast path).
 *
 * Copyright (c) 2026 The lsi3108 project authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/cutils.h"
#include "qemu/error-report.h"
#include "hw/qdev-core.h"
#include "scsi/constants.h"
#include "sysemu/dma.h"
#include "trace.h"
#include "lsi3108-ctrl.h"
#include "lsi3108-pd.h"

#define LSI3108_PACKAGE_VERSION     "24.21.0-0151"
#define LSI3108_PRODUCT_NAME        "AVAGO MegaRAID SAS 9361-8i"
#define LSI3108_MAX_REQUEST_SECTORS (LSI3108_MAX_XFER / 512)
#define LSI3108_CACHE_MEMORY_MB     1024
/* smallest MFI frame we accept through a pass-through (the DCMD frame) */
#define LSI3108_MFI_MIN_FRAME       64

/* A DCMD handler's return value when it kept the command (held or async) */
#define LSI3108_DCMD_DEFERRED       (-1)

/* Mailbox bytes asking for the 256-LD forms of the LD lists (Linux) */
#define LSI3108_LD_LIST_MBOX_EXT    0       /* LD_GET_LIST: b[0] = 1 */
#define LSI3108_LD_QUERY_MBOX_EXT   2       /* LD_LIST_QUERY: b[2] = 1 */

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */
/* ------------------------------------------------------------------ */

static void lsi3108_copy_str(char *dst, size_t size, const char *src)
{
    strpadcpy(dst, size, src, '\0');
}

static unsigned int lsi3108_ld_count(Lsi3108State *s)
{
    unsigned int t, n = 0;

    for (t = 0; t < LSI3108_MAX_LD_TARGETS; t++) {
        n += s->lds[t] != NULL;
    }
    return n;
}

void lsi3108_mfi_free(Lsi3108Mfi *m)
{
    if (m->mfi_mode) {
        m->s->limits.mfi_inflight--;
    }
    if (m->timer) {
        timer_free(m->timer);
    }
    qemu_sglist_destroy(&m->sgl);
    g_free(m);
}

void lsi3108_mfi_drop_work(Lsi3108State *s)
{
    Lsi3108Mfi *m, *mn;

    QTAILQ_FOREACH_SAFE(m, &s->held, next, mn) {
        QTAILQ_REMOVE(&s->held, m, next);
        lsi3108_mfi_free(m);
    }
}

/* ------------------------------------------------------------------ */
/* MFI commands: pass-through, SGLs, completion                        */
/* ------------------------------------------------------------------ */

static const struct lsi_mfi_header *lsi3108_mfi_hdr(Lsi3108Mfi *m)
{
    return (const struct lsi_mfi_header *)m->frame;
}

static const uint8_t *lsi3108_mbox(Lsi3108Mfi *m)
{
    return m->frame + offsetof(struct lsi_mfi_dcmd_frame, mbox);
}

/* Is the MFI command still wanted (no reset since it arrived)? */
bool lsi3108_mfi_live(Lsi3108State *s, Lsi3108Mfi *m)
{
    if (m->epoch != s->epoch) {
        return false;
    }
    return m->mfi_mode ? lsi3108_mfi_mode_ok(s) : lsi3108_running(s);
}

/*
 * cmd_status into the MFI frame, then (Fusion) a reply for the pass-through
 * SMID, posted even for DONT_POST frames: Linux frees the command only then.
 */
void lsi3108_mfi_complete(Lsi3108State *s, Lsi3108Mfi *m, uint8_t status)
{
    trace_lsi3108_mfi_done(m->smid, lsi3108_mfi_hdr(m)->cmd, m->opcode,
                           status);
    if (lsi3108_mfi_live(s, m)) {
        /* a failed status write FAULTs the firmware (lsi3108_dma_write) */
        lsi3108_dma_write(s, m->addr +
                          offsetof(struct lsi_mfi_header, cmd_status),
                          &status, 1);
        if (!m->mfi_mode) {
            lsi3108_complete_smid(s, m->smid, m->msix);
        }
    }
    lsi3108_mfi_free(m);
}

/*
 * An MFI frame's data buffer: sge32 (the default), sge64 (SGL64 flag) or
 * IEEE ("skinny", IEEE_SGL flag) entries at @off (0x28 in a DCMD, 0x30 in a
 * pass-through), sge_count of them, all within the frame we read. Transfers
 * never exceed data_xfer_len or the SGL.
 */
bool lsi3108_mfi_map_sgl(Lsi3108State *s, Lsi3108Mfi *m, size_t off)
{
    const struct lsi_mfi_header *hdr = lsi3108_mfi_hdr(m);
    uint16_t flags = le16_to_cpu(hdr->flags);
    size_t esz = sizeof(struct lsi_mfi_sge32);
    uint64_t total = 0;
    unsigned int i;

    if (flags & LSI_MFI_FLAG_IEEE_SGL) {
        esz = sizeof(struct lsi_mfi_sge_ieee);
    } else if (flags & LSI_MFI_FLAG_SGL64) {
        esz = sizeof(struct lsi_mfi_sge64);
    }
    if (off + hdr->sge_count * esz > m->frame_len) {
        lsi3108_guest_error("MFI SGL beyond the frame", hdr->sge_count, esz);
        return false;
    }
    for (i = 0; i < hdr->sge_count; i++, off += esz) {
        const uint8_t *e = m->frame + off;
        uint64_t addr;
        uint32_t len;

        if (esz == sizeof(struct lsi_mfi_sge32)) {
            addr = (uint32_t)ldl_le_p(e);   /* ldl_le_p returns int */
            len = ldl_le_p(e + 4);
        } else {
            addr = ldq_le_p(e);
            len = ldl_le_p(e + 8);
        }
        if (len) {
            qemu_sglist_add(&m->sgl, addr, len);
            total += len;
        }
    }
    m->xfer_len = MIN(total, le32_to_cpu(hdr->data_xfer_len));
    return true;
}

/* DCMD data to the host, truncated to what the host's buffer holds. */
uint8_t lsi3108_mfi_data_in(Lsi3108Mfi *m, const void *buf, size_t len)
{
    dma_addr_t n = MIN(len, m->xfer_len);

    if (n && dma_buf_read((void *)buf, n, NULL, &m->sgl,
                          MEMTXATTRS_UNSPECIFIED) != MEMTX_OK) {
        lsi3108_guest_error("DCMD data write failed", m->opcode, n);
        return LSI_MFI_STAT_INVALID_PARAMETER;
    }
    return LSI_MFI_STAT_OK;
}

/* DCMD data from the host (e.g. the map sync's target list). */
static size_t lsi3108_mfi_data_out(Lsi3108Mfi *m, void *buf, size_t len)
{
    dma_addr_t n = MIN(len, m->xfer_len);

    if (n && dma_buf_write(buf, n, NULL, &m->sgl,
                           MEMTXATTRS_UNSPECIFIED) != MEMTX_OK) {
        lsi3108_guest_error("DCMD data read failed", m->opcode, n);
        return 0;
    }
    return n;
}

void lsi3108_hold(Lsi3108State *s, Lsi3108Mfi *m)
{
    trace_lsi3108_dcmd_held(m->smid, m->opcode);
    QTAILQ_INSERT_TAIL(&s->held, m, next);
}

/* ------------------------------------------------------------------ */
/* Events                                                              */
/* ------------------------------------------------------------------ */

static uint32_t lsi3108_timestamp(Lsi3108State *s)
{
    int64_t secs = (qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) - s->boot_ns) /
                   NANOSECONDS_PER_SECOND;

    return LSI_EVT_TIMESTAMP_BOOT | (secs & ~LSI_EVT_TIMESTAMP_BOOT);
}

static uint32_t lsi3108_newest_seq(Lsi3108State *s)
{
    return s->next_seq - 1;
}

static uint32_t lsi3108_oldest_seq(Lsi3108State *s)
{
    uint32_t logged = s->next_seq - s->boot_seq;

    if (logged > LSI3108_EVT_LOG_SIZE) {
        return s->next_seq - LSI3108_EVT_LOG_SIZE;
    }
    return s->boot_seq;
}

/* Class is a signed "at least", locale a bit mask (§8.1). */
static bool lsi3108_event_matches(const Lsi3108Event *e, uint32_t seq,
                                  uint32_t class_locale)
{
    int8_t want_class = class_locale >> 24;
    int8_t ev_class = e->class_locale >> 24;

    return e->seq >= seq && ev_class >= want_class &&
           (e->class_locale & class_locale & 0xffff);
}

/*
 * The oldest logged event from log position *@n on that matches @seq and
 * @class_locale, or NULL; *@n moves past it (start with *@n = @seq).
 */
static const Lsi3108Event *lsi3108_next_event(Lsi3108State *s, uint32_t *n,
                                              uint32_t seq,
                                              uint32_t class_locale)
{
    for (*n = MAX(*n, lsi3108_oldest_seq(s)); *n < s->next_seq; (*n)++) {
        const Lsi3108Event *e = &s->events[*n % LSI3108_EVT_LOG_SIZE];

        if (lsi3108_event_matches(e, seq, class_locale)) {
            (*n)++;
            return e;
        }
    }
    return NULL;
}

/* The oldest logged event with sequence number >= @seq that matches. */
static const Lsi3108Event *lsi3108_find_event(Lsi3108State *s, uint32_t seq,
                                              uint32_t class_locale)
{
    uint32_t n = seq;

    return lsi3108_next_event(s, &n, seq, class_locale);
}

static void lsi3108_event_detail(struct lsi_evt_detail *d,
                                 const Lsi3108Event *e)
{
    memset(d, 0, sizeof(*d));
    d->seq_num = cpu_to_le32(e->seq);
    d->time_stamp = cpu_to_le32(e->time_stamp);
    d->code = cpu_to_le32(e->code);
    d->class_locale = cpu_to_le32(e->class_locale);
    d->arg_type = e->arg_type;
    if (e->arg_type == LSI_EVT_ARG_LD) {
        d->args.ld.target_id = cpu_to_le16(e->target);
        d->args.ld.ld_index = e->target;
    } else if (e->arg_type != LSI_EVT_ARG_NONE) {
        memcpy(d->args.raw, e->args, sizeof(e->args));
    }
    lsi3108_copy_str(d->description, sizeof(d->description), e->description);
}

static uint8_t lsi3108_event_reply(Lsi3108Mfi *m, const Lsi3108Event *e)
{
    struct lsi_evt_detail d;

    lsi3108_event_detail(&d, e);
    trace_lsi3108_event_delivered(m->smid, e->seq, e->code);
    return lsi3108_mfi_data_in(m, &d, sizeof(d));
}

/* Complete every held EVENT_WAIT the new event @e satisfies. */
static void lsi3108_wake_event_waiters(Lsi3108State *s, const Lsi3108Event *e)
{
    uint32_t epoch = s->epoch;
    Lsi3108Mfi *m, *mn;

    QTAILQ_FOREACH_SAFE(m, &s->held, next, mn) {
        const uint8_t *mbox = lsi3108_mbox(m);

        if (m->opcode != LSI_DCMD_CTRL_EVENT_WAIT ||
            !lsi3108_event_matches(e, ldl_le_p(mbox), ldl_le_p(mbox + 4))) {
            continue;
        }
        QTAILQ_REMOVE(&s->held, m, next);
        lsi3108_mfi_complete(s, m, lsi3108_event_reply(m, e));
        if (s->epoch != epoch) {
            break;          /* a DMA fault dropped the rest of the list */
        }
    }
}

/* Log an event whose arguments (at most 12 bytes) go out as they are. */
static void lsi3108_log_event_args(Lsi3108State *s, uint32_t code, int8_t cls,
                                   uint16_t locale, uint8_t arg_type,
                                   uint16_t target, const void *args,
                                   size_t args_len, const char *description)
{
    Lsi3108Event *e = &s->events[s->next_seq % LSI3108_EVT_LOG_SIZE];

    memset(e, 0, sizeof(*e));
    if (args_len) {
        memcpy(e->args, args, MIN(args_len, sizeof(e->args)));
    }
    e->seq = s->next_seq++;
    e->code = code;
    e->class_locale = LSI_EVT_CLASS_LOCALE(cls, locale);
    e->time_stamp = lsi3108_timestamp(s);
    e->arg_type = arg_type;
    e->target = target;
    pstrcpy(e->description, sizeof(e->description), description);
    trace_lsi3108_event(e->seq, code, target);
    if (lsi3108_running(s)) {
        lsi3108_wake_event_waiters(s, e);
    }
}

static void lsi3108_log_event(Lsi3108State *s, uint32_t code, int8_t cls,
                              uint16_t locale, uint8_t arg_type,
                              uint16_t target, const char *description)
{
    lsi3108_log_event_args(s, code, cls, locale, arg_type, target, NULL, 0,
                           description);
}

void lsi3108_log_bbu_event(Lsi3108State *s, uint32_t code, int8_t cls,
                           const char *description)
{
    lsi3108_log_event(s, code, cls, LSI_EVT_LOCALE_BBU, LSI_EVT_ARG_NONE, 0,
                      description);
}

/* The LD's current write or disk cache policy changed. */
void lsi3108_log_ld_policy_event(Lsi3108State *s, Lsi3108LD *ld)
{
    g_autofree char *desc = g_strdup_printf(
        "Policy change on VD %02u/%u: current %s, disk cache %s", ld->target,
        ld->target, ld->write_back ? "WB" : "WT",
        ld->disk_cache ? "on" : "off");

    lsi3108_log_event(s, LSI_EVT_LD_CACHE_POLICY_CHANGE, LSI_EVT_CLASS_INFO,
                      LSI_EVT_LOCALE_LD, LSI_EVT_ARG_LD, ld->target, desc);
}

static const char *lsi3108_pd_state_name(uint16_t state)
{
    switch (state) {
    case LSI_PD_STATE_UNCONFIGURED_GOOD:
        return "UNCONFIGURED_GOOD";
    case LSI_PD_STATE_HOT_SPARE:
        return "HOT_SPARE";
    case LSI_PD_STATE_FAILED:
        return "FAILED";
    case LSI_PD_STATE_REBUILD:
        return "REBUILD";
    case LSI_PD_STATE_ONLINE:
        return "ONLINE";
    case LSI_PD_STATE_SYSTEM:
        return "JBOD";
    default:
        return "OFFLINE";
    }
}

/* A PD's address in event arguments (MR_EVT_ARGS_PD), and in descriptions. */
static struct lsi_evt_arg_pd lsi3108_pd_evt_arg(const Lsi3108PD *pd)
{
    return (struct lsi_evt_arg_pd) {
        .device_id = cpu_to_le16(pd->device_id),
        .encl_index = 1,
        .slot_number = pd->slot,
    };
}

static char *lsi3108_pd_evt_name(const Lsi3108PD *pd)
{
    return g_strdup_printf("PD %02x(e0x%02x/s%u)", pd->device_id,
                           pd->enclosure, pd->slot);
}

/*
 * "State change on PD": class INFO, except a PD going FAILED (CRITICAL);
 * the arguments are the PD's address and both states (MR_EVT_ARGS_PD_STATE).
 */
void lsi3108_log_pd_state_event(Lsi3108State *s, Lsi3108PD *pd,
                                uint16_t prev, uint16_t now)
{
    struct lsi_evt_arg_pd_state a = {
        .pd = lsi3108_pd_evt_arg(pd),
        .prev_state = cpu_to_le32(prev),
        .new_state = cpu_to_le32(now),
    };
    g_autofree char *where = lsi3108_pd_evt_name(pd);
    g_autofree char *desc = g_strdup_printf(
        "State change on %s from %s(%x) to %s(%x)", where,
        lsi3108_pd_state_name(prev), prev, lsi3108_pd_state_name(now), now);

    lsi3108_log_event_args(s, LSI_EVT_PD_STATE_CHANGE,
                           now == LSI_PD_STATE_FAILED ? LSI_EVT_CLASS_CRITICAL
                                                      : LSI_EVT_CLASS_INFO,
                           LSI_EVT_LOCALE_PD, LSI_EVT_ARG_PD_STATE,
                           pd->device_id, &a, sizeof(a), desc);
}

/* A disk was put into a slot or pulled out: PD_INSERTED / PD_REMOVED. */
void lsi3108_log_pd_slot_event(Lsi3108State *s, Lsi3108PD *pd, bool inserted)
{
    struct lsi_evt_arg_pd a = lsi3108_pd_evt_arg(pd);
    g_autofree char *where = lsi3108_pd_evt_name(pd);
    g_autofree char *desc = g_strdup_printf("%s: %s",
                                            inserted ? "Inserted" : "Removed",
                                            where);

    lsi3108_log_event_args(s, inserted ? LSI_EVT_PD_INSERTED
                                       : LSI_EVT_PD_REMOVED,
                           LSI_EVT_CLASS_INFO, LSI_EVT_LOCALE_PD,
                           LSI_EVT_ARG_PD, pd->device_id, &a, sizeof(a), desc);
}

void lsi3108_log_bus_scan_event(Lsi3108State *s)
{
    lsi3108_log_event(s, LSI_EVT_HOST_BUS_SCAN_REQUESTED, LSI_EVT_CLASS_INFO,
                      LSI_EVT_LOCALE_ALL, LSI_EVT_ARG_NONE, 0,
                      "Host bus scan requested");
}

/*
 * A rebuild's events (LSI_EVT_PD_RBLD_*): start and done are INFO, progress
 * (@progress of 0xffff, @elapsed seconds) is PROGRESS, the class that floods.
 */
void lsi3108_log_pd_rebuild_event(Lsi3108State *s, Lsi3108PD *pd,
                                  uint32_t code, uint16_t progress,
                                  uint16_t elapsed)
{
    struct lsi_evt_arg_pd_prog a = {
        .pd = lsi3108_pd_evt_arg(pd),
        .progress = cpu_to_le16(progress),
        .elapsed_seconds = cpu_to_le16(elapsed),
    };
    g_autofree char *where = lsi3108_pd_evt_name(pd);
    g_autofree char *desc = NULL;

    if (code == LSI_EVT_PD_RBLD_PROGRESS) {
        desc = g_strdup_printf("Rebuild progress on %s is %u%%(%us)", where,
                               progress * 100u / 0xffff, elapsed);
        lsi3108_log_event_args(s, code, LSI_EVT_CLASS_PROGRESS,
                               LSI_EVT_LOCALE_PD, LSI_EVT_ARG_PD_PROG,
                               pd->device_id, &a, sizeof(a), desc);
        return;
    }
    desc = g_strdup_printf(code == LSI_EVT_PD_RBLD_START ?
                           "Rebuild started on %s" : "Rebuild complete on %s",
                           where);
    lsi3108_log_event_args(s, code, LSI_EVT_CLASS_INFO, LSI_EVT_LOCALE_PD,
                           LSI_EVT_ARG_PD, pd->device_id, &a.pd, sizeof(a.pd),
                           desc);
}

static const char *lsi3108_ld_state_name(uint8_t state)
{
    switch (state) {
    case LSI_LD_STATE_OPTIMAL:
        return "OPTIMAL";
    case LSI_LD_STATE_DEGRADED:
        return "DEGRADED";
    case LSI_LD_STATE_PARTIALLY_DEGRADED:
        return "PARTIALLY DEGRADED";
    default:
        return "OFFLINE";
    }
}

/*
 * "State change on VD": its class by the new state (optimal INFO, degraded
 * WARNING, offline CRITICAL); an LD going offline also logs LD OFFLINE.
 */
void lsi3108_log_ld_state_event(Lsi3108State *s, Lsi3108LD *ld,
                                uint8_t prev, uint8_t now)
{
    struct lsi_evt_arg_ld_state a = {
        .target_id = cpu_to_le16(ld->target),
        .ld_index = ld->target,
        .prev_state = cpu_to_le32(prev),
        .new_state = cpu_to_le32(now),
    };
    int8_t cls = now == LSI_LD_STATE_OPTIMAL ? LSI_EVT_CLASS_INFO :
                 now == LSI_LD_STATE_OFFLINE ? LSI_EVT_CLASS_CRITICAL :
                 LSI_EVT_CLASS_WARNING;
    g_autofree char *desc = g_strdup_printf(
        "State change on VD %02u/%u from %s(%u) to %s(%u)", ld->target,
        ld->target, lsi3108_ld_state_name(prev), prev,
        lsi3108_ld_state_name(now), now);

    lsi3108_log_event_args(s, LSI_EVT_LD_STATE_CHANGE, cls, LSI_EVT_LOCALE_LD,
                           LSI_EVT_ARG_LD_STATE, ld->target, &a, sizeof(a),
                           desc);
    if (now == LSI_LD_STATE_OFFLINE) {
        g_autofree char *off = g_strdup_printf("VD %02u/%u is now OFFLINE",
                                               ld->target, ld->target);

        lsi3108_log_event(s, LSI_EVT_LD_OFFLINE, LSI_EVT_CLASS_CRITICAL,
                          LSI_EVT_LOCALE_LD, LSI_EVT_ARG_LD, ld->target, off);
    }
}

static void lsi3108_log_ld_event(Lsi3108State *s, uint32_t code,
                                 uint16_t target, const char *verb)
{
    g_autofree char *desc = g_strdup_printf("%s VD %02u/%u", verb, target,
                                            target);

    lsi3108_log_event(s, code, LSI_EVT_CLASS_INFO, LSI_EVT_LOCALE_LD,
                      LSI_EVT_ARG_LD, target, desc);
}

/* ------------------------------------------------------------------ */
/* The RAID map (legacy format, §8.2)                                  */
/* ------------------------------------------------------------------ */

/*
 * One RAID-0 span map per LD, in ascending target order: one arm, so
 * rowSize = rowDataSize = modFactor = 1. capability: no fast path;
 * TM-capable only with the tm-capable property. regTypeReqOnRead/Write 0
 * (REGION_TYPE_UNUSED): no region lock is needed. With rowDataSize set,
 * Linux (MR_BuildRaidContext) computes the region of every LD read/write and
 * sends it with config_seq_num = seqNum and the sequence-number flag, which
 * the firmware checks; rowDataSize 0 would make it send sequence 0.
 */
static void lsi3108_fill_ld_raid(Lsi3108State *s, struct lsi_map_ld_raid *raid,
                                 Lsi3108LD *ld)
{
    /* tm-capable: the firmware takes TMs for it, and hosts send them */
    raid->capability = cpu_to_le32(lsi3108_ld_tm_capable(s, ld) ?
                                   LSI_LD_CAP_TM_CAPABLE : 0);
    raid->size = cpu_to_le64(ld->sectors);
    raid->span_depth = 1;
    raid->level = 0;
    raid->stripe_shift = 7;
    raid->row_size = 1;
    raid->row_data_size = 1;
    raid->mod_factor = 1;
    raid->write_mode = ld->write_back ? 1 : 0;
    raid->target_id = cpu_to_le16(ld->target);
    raid->ld_state = lsi3108_ld_state(s, ld);
    raid->seq_num = cpu_to_le16(ld->seq_num);
    raid->logical_block_length = cpu_to_le32(512);
}

/*
 * A PD's entry in the map's device handle table (indexed by device id): the
 * handle its IOC gives it, through one path; a slot without a PD has none.
 * megaraid_sas sends a system PD's fast-path I/O to this handle.
 */
static void lsi3108_fill_dev_handle(const Lsi3108PD *pd,
                                    struct lsi_map_dev_handle_info *h)
{
    uint16_t handle = pd ? lsi3108_pd_dev_handle(pd)
                         : LSI_MAP_INVALID_DEV_HANDLE;

    h->cur_dev_handle = cpu_to_le16(handle);
    h->dev_handle[0] = cpu_to_le16(handle);
    h->dev_handle[1] = cpu_to_le16(LSI_MAP_INVALID_DEV_HANDLE);
    h->valid_handles = pd ? 1 : 0;
    h->interface_type = !pd ? LSI_PD_INTF_UNKNOWN :
                        lsi3108_pd_is_sata(pd) ? LSI_PD_INTF_SATA
                                               : LSI_PD_INTF_SAS;
}

static struct lsi_raid_map *lsi3108_build_map(Lsi3108State *s, size_t *size)
{
    unsigned int n = lsi3108_ld_count(s), i = 0, t;
    struct lsi_raid_map *map;

    *size = LSI_RAID_MAP_SIZE(n);
    map = g_malloc0(*size);
    map->total_size = cpu_to_le32(*size);
    map->validation[0] = cpu_to_le32(LSI_MAX_LDS_LEGACY);
    map->validation[1] = cpu_to_le32(LSI_MAP_MAX_SPAN_DEPTH);
    map->validation[2] = cpu_to_le32(LSI_MAP_MAX_ROW_SIZE);
    map->validation[3] = cpu_to_le32(LSI_MAP_MAX_PHYS_DEV);
    map->validation[4] = cpu_to_le32(LSI_MAP_MAX_ARRAYS);
    map->ld_count = cpu_to_le32(n);
    memset(map->ld_tgt_id_to_ld, LSI_MAP_INVALID_LD,
           sizeof(map->ld_tgt_id_to_ld));
    memset(map->ar_map_info, 0xff, sizeof(map->ar_map_info));
    for (t = 0; t < LSI_MAP_MAX_PHYS_DEV; t++) {
        lsi3108_fill_dev_handle(lsi3108_find_pd(s, t), &map->dev_hndl_info[t]);
    }
    for (t = 0; t < LSI3108_MAX_LD_TARGETS; t++) {
        if (s->lds[t]) {
            map->ld_tgt_id_to_ld[t] = i;
            lsi3108_fill_ld_raid(s, &map->ld_span_map[i++].ld_raid,
                                 s->lds[t]);
        }
    }
    return map;
}

static uint8_t lsi3108_map_reply(Lsi3108State *s, Lsi3108Mfi *m)
{
    size_t size;
    g_autofree struct lsi_raid_map *map = lsi3108_build_map(s, &size);

    return lsi3108_mfi_data_in(m, map, size);
}

/* Does the host's map-sync list (target, seq) describe our LDs? */
static bool lsi3108_map_in_sync(Lsi3108State *s, Lsi3108Mfi *m)
{
    unsigned int count = lsi3108_mbox(m)[0], i = 0, t;
    g_autofree struct lsi_ld_target_sync *sync =
        g_new0(struct lsi_ld_target_sync, count + 1);
    size_t got = lsi3108_mfi_data_out(m, sync, count * sizeof(*sync));

    if (count != lsi3108_ld_count(s) || got < count * sizeof(*sync)) {
        return false;
    }
    for (t = 0; t < LSI3108_MAX_LD_TARGETS; t++) {
        if (!s->lds[t]) {
            continue;
        }
        if (sync[i].target_id != t ||
            le16_to_cpu(sync[i].seq_num) != s->lds[t]->seq_num) {
            return false;
        }
        i++;
    }
    return true;
}

/* The LD configuration changed: answer every held map sync with the map. */
static void lsi3108_config_changed(Lsi3108State *s)
{
    uint32_t epoch = s->epoch;
    Lsi3108Mfi *m, *mn;

    trace_lsi3108_config_changed(lsi3108_ld_count(s));
    if (!lsi3108_running(s)) {
        return;
    }
    QTAILQ_FOREACH_SAFE(m, &s->held, next, mn) {
        if (m->opcode == LSI_DCMD_LD_MAP_GET_INFO) {
            QTAILQ_REMOVE(&s->held, m, next);
            lsi3108_mfi_complete(s, m, lsi3108_map_reply(s, m));
            if (s->epoch != epoch) {
                break;      /* a DMA fault dropped the rest of the list */
            }
        }
    }
}

/* ------------------------------------------------------------------ */
/* DCMDs                                                               */
/* ------------------------------------------------------------------ */

static void lsi3108_fill_image(struct lsi_image_component *c,
                               const char *version)
{
    lsi3108_copy_str(c->name, sizeof(c->name), "APP");
    lsi3108_copy_str(c->version, sizeof(c->version), version);
    lsi3108_copy_str(c->build_date, sizeof(c->build_date), "Jan 10 2020");
    lsi3108_copy_str(c->build_time, sizeof(c->build_time), "12:00:00");
}

/*
 * Controller information. max_sectors for Linux is the minimum of
 * (1 << stripe_size_min) * max_strips_per_io = 128 * 42, max_request_size =
 * 2048 and its SGE limit (256 * 4 KiB / 512 = 2048): 1 MiB either way.
 * Legacy limits (max_lds 64, no supportMaxExtLDs) select the legacy map.
 */
/* LD and PD counts: degraded / offline LDs, PDs present, failed, failing */
static void lsi3108_fill_disk_counts(Lsi3108State *s, struct lsi_ctrl_info *ci)
{
    unsigned int t, degraded = 0, offline = 0, present, failed, pred;

    for (t = 0; t < LSI3108_MAX_LD_TARGETS; t++) {
        if (s->lds[t]) {
            uint8_t st = lsi3108_ld_state(s, s->lds[t]);

            degraded += st == LSI_LD_STATE_DEGRADED ||
                        st == LSI_LD_STATE_PARTIALLY_DEGRADED;
            offline += st == LSI_LD_STATE_OFFLINE;
        }
    }
    lsi3108_pd_counts(s, &present, &failed, &pred);
    ci->ld_degraded_count = cpu_to_le16(degraded);
    ci->ld_offline_count = cpu_to_le16(offline);
    ci->pd_present_count = cpu_to_le16(present);
    ci->pd_disk_present_count = cpu_to_le16(present);
    ci->pd_disk_pred_failure_count = cpu_to_le16(pred);
    ci->pd_disk_failed_count = cpu_to_le16(failed);
}

static int lsi3108_dcmd_ctrl_get_info(Lsi3108State *s, Lsi3108Mfi *m)
{
    g_autofree struct lsi_ctrl_info *ci = g_new0(struct lsi_ctrl_info, 1);

    ci->pci_vendor_id = cpu_to_le16(LSI_PCI_VENDOR_ID);
    ci->pci_device_id = cpu_to_le16(LSI_PCI_DEVICE_ID_3108);
    ci->pci_sub_vendor_id = cpu_to_le16(LSI_PCI_VENDOR_ID);
    ci->pci_sub_device_id = cpu_to_le16(LSI_PCI_SUBSYS_ID_9361_8I);
    ci->host_interface = LSI_HOST_IF_PCIE;
    ci->image_component_count = cpu_to_le32(1);
    lsi3108_fill_image(&ci->image_component[0], s->fw_version);
    ci->max_arms = LSI_MAP_MAX_ROW_SIZE;
    ci->max_spans = LSI_MAP_MAX_SPAN_DEPTH;
    ci->max_arrays = LSI_MAP_MAX_ARRAYS;
    ci->max_lds = LSI_MAX_LDS_LEGACY;
    lsi3108_copy_str(ci->product_name, sizeof(ci->product_name),
                     LSI3108_PRODUCT_NAME);
    lsi3108_copy_str(ci->serial_no, sizeof(ci->serial_no), s->serial);
    ci->max_concurrent_cmds = cpu_to_le16(s->max_cmds);
    ci->max_sge_count = cpu_to_le16(s->chain_size / LSI_SGE_SIZE);
    ci->max_request_size = cpu_to_le32(LSI3108_MAX_REQUEST_SECTORS);
    ci->ld_present_count = cpu_to_le16(lsi3108_ld_count(s));
    lsi3108_fill_disk_counts(s, ci);
    ci->memory_size = cpu_to_le16(LSI3108_CACHE_MEMORY_MB);
    /* a BBU or CacheVault module is fitted unless bbu=absent */
    ci->hw_present = LSI_HW_PRESENT_NVRAM |
        (lsi3108_cache(s)->bbu != LSI3108_BBU_ABSENT ? LSI_HW_PRESENT_BBU : 0);
    ci->adapter_operations = cpu_to_le32(LSI_ADAPTER_OPS_BBU);
    ci->max_strips_per_io = cpu_to_le16(42);
    ci->stripe_size_min = 7;
    ci->stripe_size_max = 11;
    ci->ld_operations = cpu_to_le32(0x1f);
    /* OCR allowed; JBOD as the controller's expose-jbod says */
    ci->on_off_properties = cpu_to_le32(s->expose_jbod ?
                                        LSI_CTRL_PROP_ENABLE_JBOD : 0);
    lsi3108_copy_str(ci->package_version, sizeof(ci->package_version),
                     LSI3108_PACKAGE_VERSION);
    return lsi3108_mfi_data_in(m, ci, sizeof(*ci));
}

static int lsi3108_dcmd_event_get_info(Lsi3108State *s, Lsi3108Mfi *m)
{
    struct lsi_evt_log_info eli = {
        .newest_seq_num = cpu_to_le32(lsi3108_newest_seq(s)),
        .oldest_seq_num = cpu_to_le32(lsi3108_oldest_seq(s)),
        .clear_seq_num = cpu_to_le32(s->boot_seq),
        .shutdown_seq_num = cpu_to_le32(s->shutdown_seq),
        .boot_seq_num = cpu_to_le32(s->boot_seq),
    };

    return lsi3108_mfi_data_in(m, &eli, sizeof(eli));
}

/* mbox w[0] = first sequence number wanted, w[1] = class/locale */
static int lsi3108_dcmd_event_wait(Lsi3108State *s, Lsi3108Mfi *m)
{
    const uint8_t *mbox = lsi3108_mbox(m);
    const Lsi3108Event *e;
    uint8_t status;

    if (lsi3108_inject_event_wait(s, m, &status)) {
        return status;
    }
    e = lsi3108_find_event(s, ldl_le_p(mbox), ldl_le_p(mbox + 4));
    if (e) {
        return lsi3108_event_reply(m, e);
    }
    lsi3108_hold(s, m);
    return LSI3108_DCMD_DEFERRED;
}

/*
 * CTRL_EVENT_GET: mbox w[0] = first sequence number wanted, w[1] =
 * class/locale. The list holds the matching logged events, oldest first, as
 * many as the buffer takes (the log has LSI3108_EVT_LOG_SIZE, so the copy is
 * bounded whatever length the host gives); NOT_FOUND when none matches, a
 * buffer without room for one event is refused.
 */
static int lsi3108_dcmd_event_get(Lsi3108State *s, Lsi3108Mfi *m)
{
    const uint8_t *mbox = lsi3108_mbox(m);
    uint32_t seq = ldl_le_p(mbox), class_locale = ldl_le_p(mbox + 4);
    size_t room, len;
    struct lsi_evt_list *l;
    const Lsi3108Event *e;
    uint32_t n = seq, count = 0;
    uint8_t status;

    if (m->xfer_len < sizeof(*l) + sizeof(l->event[0])) {
        lsi3108_guest_error("EVENT_GET buffer smaller than one event",
                            m->opcode, m->xfer_len);
        return LSI_MFI_STAT_INVALID_PARAMETER;
    }
    room = MIN((m->xfer_len - sizeof(*l)) / sizeof(l->event[0]),
               LSI3108_EVT_LOG_SIZE);
    l = g_malloc0(sizeof(*l) + room * sizeof(l->event[0]));
    while (count < room && (e = lsi3108_next_event(s, &n, seq, class_locale))) {
        lsi3108_event_detail(&l->event[count++], e);
    }
    l->count = cpu_to_le32(count);
    len = sizeof(*l) + count * sizeof(l->event[0]);
    status = count ? lsi3108_mfi_data_in(m, l, len) : LSI_MFI_STAT_NOT_FOUND;
    g_free(l);
    return status;
}

/* Every LD is written back (unless a test control delays it, done). */
static void lsi3108_flush_done(void *opaque, int ret)
{
    Lsi3108Mfi *m = opaque;
    Lsi3108State *s = m->s;

    if (ret < 0) {
        m->flush_ret = ret;
    }
    if (--m->flushes_pending) {
        return;
    }
    if (lsi3108_inject_flush_done(s, m)) {
        return;
    }
    lsi3108_mfi_complete(s, m, m->flush_ret ? m->fail_status
                                            : LSI_MFI_STAT_OK);
}

/* Write back every LD's cache; the DCMD completes when all are done. */
static int lsi3108_flush_all(Lsi3108State *s, Lsi3108Mfi *m,
                             uint8_t fail_status)
{
    unsigned int t;

    m->fail_status = fail_status;
    m->flushes_pending = 1;             /* until every flush is started */
    for (t = 0; t < LSI3108_MAX_LD_TARGETS; t++) {
        if (s->lds[t]) {
            m->flushes_pending++;
            lsi3108_ld_flush(s->lds[t], lsi3108_flush_done, m);
        }
    }
    lsi3108_flush_done(m, 0);
    return LSI3108_DCMD_DEFERRED;
}

static int lsi3108_dcmd_cache_flush(Lsi3108State *s, Lsi3108Mfi *m)
{
    s->stats.flush_dcmd++;
    return lsi3108_flush_all(s, m, LSI_MFI_STAT_FLUSH_FAILED);
}

/*
 * CTRL_SHUTDOWN (reboot, power-off, remove) and HIBERNATE_SHUTDOWN (system
 * sleep). The firmware stays usable after either: the host re-inits it.
 * megaraid_sas takes back the DCMDs the firmware holds (ABORT of the event
 * wait and the map sync) before it sends them; whether firmware minds
 * otherwise is not known, so a shutdown with DCMDs still held is answered
 * too, and only counted (x-shutdown-held-count).
 */
static int lsi3108_dcmd_shutdown(Lsi3108State *s, Lsi3108Mfi *m)
{
    s->stats.shutdown_dcmd++;
    if (m->opcode == LSI_DCMD_HIBERNATE_SHUTDOWN) {
        s->stats.hibernate_dcmd++;
    }
    if (!QTAILQ_EMPTY(&s->held)) {
        s->stats.shutdown_held++;
    }
    s->shutdown_seq = lsi3108_newest_seq(s);
    return lsi3108_flush_all(s, m, LSI_MFI_STAT_SHUTDOWN_FAILED);
}

static void lsi3108_fill_ld_entry(Lsi3108State *s, struct lsi_ld_list_entry *e,
                                  Lsi3108LD *ld)
{
    e->target_id = ld->target;
    e->seq_num = cpu_to_le16(ld->seq_num);
    e->state = lsi3108_ld_state(s, ld);
    e->size = cpu_to_le64(ld->sectors);
}

/* mbox b[0] = 1: the host takes 256 LDs */
static int lsi3108_dcmd_ld_get_list(Lsi3108State *s, Lsi3108Mfi *m)
{
    g_autofree struct lsi_ld_list *list = g_new0(struct lsi_ld_list, 1);
    const size_t hdr = offsetof(struct lsi_ld_list, ld);
    uint8_t ids[LSI3108_MAX_LD_TARGETS];
    unsigned int t, n = 0, sent;
    Lsi3108BadList bad;

    for (t = 0; t < LSI3108_MAX_LD_TARGETS; t++) {
        if (s->lds[t]) {
            ids[n] = t;
            lsi3108_fill_ld_entry(s, &list->ld[n++], s->lds[t]);
        }
    }
    list->ld_count = cpu_to_le32(n);
    sent = n;
    if (lsi3108_inject_ld_list(s, m,
                               lsi3108_mbox(m)[LSI3108_LD_LIST_MBOX_EXT] == 1,
                               n, m->xfer_len > hdr ?
                                  (m->xfer_len - hdr) / sizeof(list->ld[0]) : 0,
                               ids, &bad)) {
        list->ld_count = cpu_to_le32(bad.count);
        if (bad.slot >= 0) {
            if (bad.id < LSI3108_MAX_LD_TARGETS && s->lds[bad.id]) {
                lsi3108_fill_ld_entry(s, &list->ld[n], s->lds[bad.id]);
            } else {
                list->ld[n].target_id = bad.id;
                list->ld[n].state = LSI_LD_STATE_OPTIMAL;
                list->ld[n].size = cpu_to_le64(1);
            }
            sent = n + 1;
        }
    }
    return lsi3108_mfi_data_in(m, list, hdr + sent * sizeof(list->ld[0]));
}

/* mbox b[0] = query type; every LD of ours is exposed to the host */
static int lsi3108_dcmd_ld_list_query(Lsi3108State *s, Lsi3108Mfi *m)
{
    const size_t hdr = offsetof(struct lsi_ld_targetid_list, target_id);
    struct lsi_ld_targetid_list list = { 0 };
    unsigned int t, n = 0;
    Lsi3108BadList bad;

    for (t = 0; t < LSI3108_MAX_LD_TARGETS; t++) {
        if (s->lds[t]) {
            list.target_id[n++] = t;
        }
    }
    list.size = cpu_to_le32(LSI_LD_TARGETID_LIST_SIZE);
    list.count = cpu_to_le32(n);
    if (lsi3108_inject_ld_list(s, m,
                               lsi3108_mbox(m)[LSI3108_LD_QUERY_MBOX_EXT] == 1,
                               n, m->xfer_len > hdr ? m->xfer_len - hdr : 0,
                               list.target_id, &bad)) {
        list.count = cpu_to_le32(bad.count);
        if (bad.slot >= 0) {
            list.target_id[bad.slot] = bad.id;
        }
    }
    return lsi3108_mfi_data_in(m, &list, LSI_LD_TARGETID_LIST_SIZE);
}

static Lsi3108LD *lsi3108_mbox_ld(Lsi3108State *s, Lsi3108Mfi *m)
{
    return lsi3108_find_ld(s, lsi3108_mbox(m)[0]);
}

/*
 * Cache policies: the default one is what the LD is configured with (WB,
 * plus WRITE_CACHE_BAD_BBU for "always write back"), the current one what
 * firmware runs now (WT while the BBU does not protect a plain WB LD).
 */
static void lsi3108_fill_ld_props(struct lsi_ld_properties *p, Lsi3108LD *ld)
{
    uint8_t always = ld->wb_policy == LSI3108_WB_ALWAYS ?
                     LSI_LD_CACHE_WRITE_CACHE_BAD_BBU : 0;

    p->target_id = ld->target;
    p->seq_num = cpu_to_le16(ld->seq_num);
    p->default_cache_policy = always |
        (ld->wb_policy != LSI3108_WB_OFF ? LSI_LD_CACHE_WRITE_BACK : 0);
    p->current_cache_policy = always |
        (ld->write_back ? LSI_LD_CACHE_WRITE_BACK : 0);
    p->disk_cache_policy = ld->disk_cache ? LSI_LD_DISK_CACHE_ENABLE :
                                            LSI_LD_DISK_CACHE_DISABLE;
}

static int lsi3108_dcmd_ld_get_properties(Lsi3108State *s, Lsi3108Mfi *m)
{
    Lsi3108LD *ld = lsi3108_mbox_ld(s, m);
    struct lsi_ld_properties p = { 0 };

    if (!ld) {
        return LSI_MFI_STAT_DEVICE_NOT_FOUND;
    }
    lsi3108_fill_ld_props(&p, ld);
    return lsi3108_mfi_data_in(m, &p, sizeof(p));
}

/* A new configured policy; the LD reports a change of the current one. */
static void lsi3108_set_ld_policy(Lsi3108State *s, Lsi3108LD *ld,
                                  Lsi3108WbPolicy policy)
{
    bool was = ld->write_back;

    if (policy == ld->wb_policy) {
        return;
    }
    lsi3108_ld_set_policy(ld, policy);
    if (ld->write_back != was) {
        lsi3108_log_ld_policy_event(s, ld);
    }
    lsi3108_ld_changed(s, ld);
}

/*
 * LD_SET_PROPERTIES (host → firmware): only the write policy can change
 * here. The LD's sequence number moves, so the held map sync completes.
 */
static int lsi3108_dcmd_ld_set_properties(Lsi3108State *s, Lsi3108Mfi *m)
{
    struct lsi_ld_properties p;
    Lsi3108LD *ld;
    bool wb;

    if (lsi3108_mfi_data_out(m, &p, sizeof(p)) < sizeof(p)) {
        return LSI_MFI_STAT_INVALID_PARAMETER;
    }
    ld = lsi3108_find_ld(s, p.target_id);
    if (!ld) {
        return LSI_MFI_STAT_DEVICE_NOT_FOUND;
    }
    wb = p.default_cache_policy & LSI_LD_CACHE_WRITE_BACK;
    lsi3108_set_ld_policy(s, ld, !wb ? LSI3108_WB_OFF :
                          (p.default_cache_policy &
                           LSI_LD_CACHE_WRITE_CACHE_BAD_BBU) ?
                          LSI3108_WB_ALWAYS : LSI3108_WB_ON);
    return LSI_MFI_STAT_OK;
}

static int lsi3108_dcmd_ld_get_info(Lsi3108State *s, Lsi3108Mfi *m)
{
    Lsi3108LD *ld = lsi3108_mbox_ld(s, m);
    g_autofree struct lsi_ld_info *info = g_new0(struct lsi_ld_info, 1);

    if (!ld) {
        return LSI_MFI_STAT_DEVICE_NOT_FOUND;
    }
    lsi3108_fill_ld_props(&info->properties, ld);
    lsi3108_pd_array_refs(s);
    lsi3108_ld_fill_layout(s, ld, &info->params, info->span,
                           ARRAY_SIZE(info->span));
    info->size = cpu_to_le64(ld->sectors);
    lsi3108_ld_vpd83(ld, info->vpd_page83, sizeof(info->vpd_page83));
    return lsi3108_mfi_data_in(m, info, sizeof(*info));
}

/*
 * Read: the RAID map. Pended (mbox b[1] = 1, the host's (target, seq) list
 * in the buffer): held until the configuration differs from that list, then
 * completed with the new map written into the same buffer, which is where
 * Linux validates it.
 */
static int lsi3108_dcmd_ld_map_get_info(Lsi3108State *s, Lsi3108Mfi *m)
{
    if (lsi3108_mbox(m)[1] != LSI_DCMD_MBOX_PEND) {
        return lsi3108_map_reply(s, m);
    }
    if (!lsi3108_map_in_sync(s, m)) {
        return lsi3108_map_reply(s, m);
    }
    lsi3108_hold(s, m);
    return LSI3108_DCMD_DEFERRED;
}

/*
 * BBU_GET_STATUS: a CacheVault-style module (iBBU type). Bad and learning
 * set the fw_status bits OpenBSD mfii reads as "bad" for that type; with
 * no module, firmware answers NO_HW_PRESENT (FreeBSD mfiutil "No battery
 * present").
 */
static int lsi3108_dcmd_bbu_get_status(Lsi3108State *s, Lsi3108Mfi *m)
{
    struct lsi_bbu_status st = {
        .battery_type = LSI_BBU_TYPE_IBBU,
        .voltage = cpu_to_le16(9400),
        .temperature = cpu_to_le16(28),
    };
    uint32_t status = 0;

    switch (lsi3108_cache(s)->bbu) {
    case LSI3108_BBU_ABSENT:
        return LSI_MFI_STAT_NO_HW_PRESENT;
    case LSI3108_BBU_GOOD:
        break;
    case LSI3108_BBU_BAD:
        status = LSI_BBU_STATE_REPLACE_PACK | LSI_BBU_STATE_VOLTAGE_LOW;
        break;
    case LSI3108_BBU_LEARNING:
        status = LSI_BBU_STATE_LEARN_CYC_ACTIVE |
                 LSI_BBU_STATE_DISCHARGE_ACTIVE;
        break;
    }
    st.fw_status = cpu_to_le32(status);
    return lsi3108_mfi_data_in(m, &st, sizeof(st));
}

/* PD_GET_LIST: every PD the firmware sees (smartctl --scan) */
static int lsi3108_dcmd_pd_get_list(Lsi3108State *s, Lsi3108Mfi *m)
{
    return lsi3108_pd_dcmd_get_list(s, m, false, s->expose_jbod);
}

/*
 * PD_LIST_QUERY, mbox b[0] = query type: ALL lists every PD,
 * EXPOSED_TO_HOST the JBOD (system) PDs the host may address, which
 * upstream megaraid_sas adds as SCSI devices; only with expose-jbod=on.
 */
static int lsi3108_dcmd_pd_list_query(Lsi3108State *s, Lsi3108Mfi *m)
{
    switch (lsi3108_mbox(m)[0]) {
    case LSI_PD_QUERY_ALL:
        return lsi3108_pd_dcmd_get_list(s, m, false, s->expose_jbod);
    case LSI_PD_QUERY_EXPOSED_TO_HOST:
        return lsi3108_pd_dcmd_get_list(s, m, true, s->expose_jbod);
    default:
        return LSI_MFI_STAT_INVALID_PARAMETER;
    }
}

/* PD_GET_INFO: mbox w[0] low 16 bits = device id */
static int lsi3108_dcmd_pd_get_info(Lsi3108State *s, Lsi3108Mfi *m)
{
    return lsi3108_pd_dcmd_get_info(s, m, lduw_le_p(lsi3108_mbox(m)));
}

static int lsi3108_dcmd_cfg_read(Lsi3108State *s, Lsi3108Mfi *m)
{
    return lsi3108_pd_dcmd_cfg_read(s, m);
}

/* The JBOD sequence map: empty; the pended form is held (abortable). */
static int lsi3108_dcmd_pd_map_get_info(Lsi3108State *s, Lsi3108Mfi *m)
{
    uint32_t empty[2] = { cpu_to_le32(sizeof(empty)), 0 };

    if (lsi3108_mbox(m)[0] == LSI_DCMD_MBOX_PEND) {
        lsi3108_hold(s, m);
        return LSI3108_DCMD_DEFERRED;
    }
    return lsi3108_mfi_data_in(m, empty, sizeof(empty));
}

typedef struct Lsi3108Dcmd {
    uint32_t    opcode;
    const char  *name;
    int         (*fn)(Lsi3108State *s, Lsi3108Mfi *m);
} Lsi3108Dcmd;

static const Lsi3108Dcmd lsi3108_dcmds[] = {
    { LSI_DCMD_CTRL_GET_INFO, "CTRL_GET_INFO", lsi3108_dcmd_ctrl_get_info },
    { LSI_DCMD_CTRL_EVENT_GET_INFO, "CTRL_EVENT_GET_INFO",
      lsi3108_dcmd_event_get_info },
    { LSI_DCMD_CTRL_EVENT_WAIT, "CTRL_EVENT_WAIT", lsi3108_dcmd_event_wait },
    { LSI_DCMD_CTRL_EVENT_GET, "CTRL_EVENT_GET", lsi3108_dcmd_event_get },
    { LSI_DCMD_CTRL_CACHE_FLUSH, "CTRL_CACHE_FLUSH",
      lsi3108_dcmd_cache_flush },
    { LSI_DCMD_CTRL_SHUTDOWN, "CTRL_SHUTDOWN", lsi3108_dcmd_shutdown },
    { LSI_DCMD_HIBERNATE_SHUTDOWN, "HIBERNATE_SHUTDOWN",
      lsi3108_dcmd_shutdown },
    { LSI_DCMD_LD_GET_LIST, "LD_GET_LIST", lsi3108_dcmd_ld_get_list },
    { LSI_DCMD_LD_LIST_QUERY, "LD_LIST_QUERY", lsi3108_dcmd_ld_list_query },
    { LSI_DCMD_LD_GET_INFO, "LD_GET_INFO", lsi3108_dcmd_ld_get_info },
    { LSI_DCMD_LD_GET_PROPERTIES, "LD_GET_PROPERTIES",
      lsi3108_dcmd_ld_get_properties },
    { LSI_DCMD_LD_SET_PROPERTIES, "LD_SET_PROPERTIES",
      lsi3108_dcmd_ld_set_properties },
    { LSI_DCMD_LD_MAP_GET_INFO, "LD_MAP_GET_INFO",
      lsi3108_dcmd_ld_map_get_info },
    { LSI_DCMD_PD_GET_LIST, "PD_GET_LIST", lsi3108_dcmd_pd_get_list },
    { LSI_DCMD_PD_LIST_QUERY, "PD_LIST_QUERY", lsi3108_dcmd_pd_list_query },
    { LSI_DCMD_CFG_READ, "CFG_READ", lsi3108_dcmd_cfg_read },
    { LSI_DCMD_BBU_GET_STATUS, "BBU_GET_STATUS", lsi3108_dcmd_bbu_get_status },
    { LSI_DCMD_PD_GET_INFO, "PD_GET_INFO", lsi3108_dcmd_pd_get_info },
    { LSI_DCMD_SYSTEM_PD_MAP_GET_INFO, "SYSTEM_PD_MAP_GET_INFO",
      lsi3108_dcmd_pd_map_get_info },
};

static const Lsi3108Dcmd *lsi3108_find_dcmd(uint32_t opcode)
{
    unsigned int i;

    for (i = 0; i < ARRAY_SIZE(lsi3108_dcmds); i++) {
        if (lsi3108_dcmds[i].opcode == opcode) {
            return &lsi3108_dcmds[i];
        }
    }
    return NULL;
}

static void lsi3108_dcmd(Lsi3108State *s, Lsi3108Mfi *m)
{
    const struct lsi_mfi_dcmd_frame *f = (const void *)m->frame;
    const Lsi3108Dcmd *dcmd;
    int ret;

    m->opcode = le32_to_cpu(f->opcode);
    dcmd = lsi3108_find_dcmd(m->opcode);
    trace_lsi3108_dcmd(m->smid, m->opcode, dcmd ? dcmd->name : "unknown",
                       f->mbox[0], le32_to_cpu(f->hdr.data_xfer_len));
    if (!lsi3108_mfi_map_sgl(s, m, offsetof(struct lsi_mfi_dcmd_frame, sgl))) {
        lsi3108_mfi_complete(s, m, LSI_MFI_STAT_INVALID_PARAMETER);
        return;
    }
    if (!dcmd) {
        lsi3108_guest_error("unsupported DCMD", m->opcode, f->mbox[0]);
        lsi3108_mfi_complete(s, m, LSI_MFI_STAT_INVALID_CMD);
        return;
    }
    if (lsi3108_inject_hold_dcmd(s, m)) {
        return;
    }
    ret = dcmd->fn(s, m);
    if (ret != LSI3108_DCMD_DEFERRED) {
        lsi3108_mfi_complete(s, m, ret);
    }
}

/*
 * ABORT: find the held DCMD whose MFI frame is at abort_mfi_addr, complete
 * it with NOT_FOUND (Linux treats that as "aborted" for the map sync), then
 * complete the abort itself. Nothing held there: ABORT_NOT_POSSIBLE.
 */
static void lsi3108_mfi_abort(Lsi3108State *s, Lsi3108Mfi *m)
{
    const struct lsi_mfi_abort_frame *af = (const void *)m->frame;
    dma_addr_t victim = le32_to_cpu(af->abort_mfi_addr_lo) |
                        ((dma_addr_t)le32_to_cpu(af->abort_mfi_addr_hi) << 32);
    Lsi3108Mfi *v;

    QTAILQ_FOREACH(v, &s->held, next) {
        if (v->addr == victim) {
            break;
        }
    }
    trace_lsi3108_abort(m->smid, victim, v ? v->smid : 0);
    if (!v) {
        lsi3108_mfi_complete(s, m, LSI_MFI_STAT_ABORT_NOT_POSSIBLE);
        return;
    }
    QTAILQ_REMOVE(&s->held, v, next);
    lsi3108_mfi_complete(s, v, LSI_MFI_STAT_NOT_FOUND);
    lsi3108_mfi_complete(s, m, LSI_MFI_STAT_OK);
}

static void lsi3108_mfi_scsi(Lsi3108State *s, Lsi3108Mfi *m);

/*
 * Run an MFI frame: a DCMD, an ABORT or a PD pass-through SCSI command
 * (lsi3108-pd.c); in polled MFI mode also an LD pass-through SCSI command.
 * Anything else: INVALID_CMD.
 */
static void lsi3108_mfi_run(Lsi3108State *s, Lsi3108Mfi *m)
{
    uint8_t cmd = lsi3108_mfi_hdr(m)->cmd;

    if (cmd == LSI_MFI_CMD_DCMD) {
        lsi3108_dcmd(s, m);
    } else if (cmd == LSI_MFI_CMD_ABORT) {
        lsi3108_mfi_abort(s, m);
    } else if (cmd == LSI_MFI_CMD_PD_SCSI_IO) {
        lsi3108_pd_scsi(s, m);
    } else if (m->mfi_mode && cmd == LSI_MFI_CMD_LD_SCSI_IO) {
        lsi3108_mfi_scsi(s, m);
    } else {
        lsi3108_guest_error("unsupported MFI command", cmd, m->smid);
        lsi3108_mfi_complete(s, m, LSI_MFI_STAT_INVALID_CMD);
    }
}

/* Read the MFI frame at @addr (at most 256 of its @len bytes). */
static Lsi3108Mfi *lsi3108_mfi_new(Lsi3108State *s, dma_addr_t addr,
                                   uint32_t len)
{
    Lsi3108Mfi *m = g_new0(Lsi3108Mfi, 1);

    m->s = s;
    m->epoch = s->epoch;
    m->addr = addr;
    m->frame_len = MIN(len, sizeof(m->frame));
    qemu_sglist_init(&m->sgl, DEVICE(s), 1,
                     pci_get_address_space(PCI_DEVICE(s)));
    if (!lsi3108_dma_read(s, m->addr, m->frame, m->frame_len)) {
        lsi3108_mfi_free(m);
        return NULL;
    }
    return m;
}

/*
 * Which reply queue management completions (MFI pass-through, task
 * management) go to. MPI2 says the reply goes to the queue the request
 * descriptor's MSIxIndex names ("named", the default). Every upstream
 * driver names queue 0 for these (megaraid_sas megasas_issue_dcmd_fusion
 * and megasas_issue_tm, mfii, lmrc), so hardware has never been seen to
 * answer otherwise, and no upstream driver checks which queue a reply came
 * on; "zero" models firmware that always uses queue 0 for them.
 */
bool lsi3108_mgmt_queue_prop(Lsi3108State *s, Error **errp)
{
    if (!s->mfi_reply_queue || !strcmp(s->mfi_reply_queue, "named")) {
        s->mgmt_on_queue0 = false;
    } else if (!strcmp(s->mfi_reply_queue, "zero")) {
        s->mgmt_on_queue0 = true;
    } else {
        error_setg(errp, "mfi-reply-queue must be 'named' or 'zero'");
        return false;
    }
    return true;
}

/*
 * Function 0xF0: the IEEE chain element in slot ChainOffset (8 → the SGE at
 * 0x80) carries the MFI frame's address and length.
 */
void lsi3108_mfi_passthru(Lsi3108State *s, uint16_t smid, uint8_t qi,
                          dma_addr_t addr, const struct lsi_io_frame *f)
{
    unsigned int slot = f->chain_offset >= LSI_CHAIN_OFFSET_MFI &&
                        f->chain_offset <= LSI_CHAIN_OFFSET_IO ?
                        f->chain_offset - LSI_CHAIN_OFFSET_MFI : 0;
    const struct lsi_sge *sge = &f->sgl[slot];
    uint32_t len = le32_to_cpu(sge->length);
    Lsi3108Mfi *m;

    qi = lsi3108_mgmt_queue(s, qi);
    if (len < LSI3108_MFI_MIN_FRAME) {
        lsi3108_guest_error("MFI frame too short", len, smid);
        lsi3108_finish_frame(s, smid, qi, addr,
                             LSI_MFI_STAT_INVALID_PARAMETER, 0);
        return;
    }
    m = lsi3108_mfi_new(s, le64_to_cpu(sge->addr), len);
    if (!m) {
        lsi3108_finish_frame(s, smid, qi, addr,
                             LSI_MFI_STAT_INVALID_PARAMETER, 0);
        return;
    }
    m->smid = smid;
    m->msix = qi;
    lsi3108_mfi_run(s, m);
}

/* ------------------------------------------------------------------ */
/* Polled MFI mode (state READY, frames at the MFI queue port)         */
/* ------------------------------------------------------------------ */

/*
 * Before IOC INIT the firmware also runs single MFI frames posted at 0x40,
 * completing them in memory only (cmd_status). SeaBIOS's megasas driver
 * does this on a 3108 to list the LDs (LD_GET_LIST) and to read them with
 * LD_SCSI_IO pass-through frames; without answers it waits 60 s per frame.
 */

/* SeaBIOS's pass-through frames carry no direction flag: go by the CDB. */
static bool lsi3108_cdb_is_data_out(uint8_t opcode)
{
    switch (opcode) {
    case FORMAT_UNIT:
    case WRITE_6:
    case WRITE_10:
    case WRITE_12:
    case WRITE_16:
    case WRITE_VERIFY_10:
    case WRITE_VERIFY_12:
    case WRITE_VERIFY_16:
    case WRITE_SAME_10:
    case WRITE_SAME_16:
    case MODE_SELECT:
    case MODE_SELECT_10:
    case WRITE_BUFFER:
    case UNMAP:
    case SEND_DIAGNOSTIC:
    case PERSISTENT_RESERVE_OUT:
    case COMPARE_AND_WRITE:
        return true;
    default:
        return false;
    }
}

static Lsi3108Dir lsi3108_mfi_direction(const struct lsi_mfi_pthru_frame *f)
{
    if (!le32_to_cpu(f->hdr.data_xfer_len)) {
        return LSI3108_DIR_NONE;
    }
    switch (le16_to_cpu(f->hdr.flags) & LSI_MFI_FLAG_DIR_MASK) {
    case LSI_MFI_FLAG_DIR_WRITE:
        return LSI3108_DIR_TO_DEVICE;
    case LSI_MFI_FLAG_DIR_READ:
        return LSI3108_DIR_TO_HOST;
    default:
        return lsi3108_cdb_is_data_out(f->cdb[0]) ? LSI3108_DIR_TO_DEVICE
                                                  : LSI3108_DIR_TO_HOST;
    }
}

/* scsi_status, then cmd_status, into the pass-through frame. */
void lsi3108_mfi_scsi_finish(Lsi3108State *s, Lsi3108Cmd *cmd)
{
    Lsi3108Mfi *m = cmd->mfi;

    cmd->mfi = NULL;
    stb_pci_dma(PCI_DEVICE(s), m->addr +
                offsetof(struct lsi_mfi_header, scsi_status),
                cmd->req.scsi_status, MEMTXATTRS_UNSPECIFIED);
    lsi3108_mfi_complete(s, m, cmd->req.mfi_status);
    lsi3108_cmd_free(cmd);
}

static void lsi3108_mfi_scsi(Lsi3108State *s, Lsi3108Mfi *m)
{
    const struct lsi_mfi_pthru_frame *f = (const void *)m->frame;
    uint32_t data_len = le32_to_cpu(f->hdr.data_xfer_len);
    Lsi3108LD *ld = lsi3108_find_ld(s, f->hdr.target_id);
    Lsi3108Cmd *cmd;

    trace_lsi3108_mfi_scsi(f->hdr.target_id, f->hdr.lun, f->cdb[0],
                           data_len);
    if (f->hdr.cmd != LSI_MFI_CMD_LD_SCSI_IO || !ld || f->hdr.lun) {
        lsi3108_mfi_complete(s, m, LSI_MFI_STAT_DEVICE_NOT_FOUND);
        return;
    }
    if (!f->hdr.cdb_len || f->hdr.cdb_len > sizeof(f->cdb) ||
        data_len > LSI3108_MAX_XFER ||
        !lsi3108_mfi_map_sgl(s, m, offsetof(struct lsi_mfi_pthru_frame,
                                            sgl)) ||
        m->xfer_len < data_len) {
        lsi3108_guest_error("bad MFI pass-through frame", f->hdr.cdb_len,
                            data_len);
        lsi3108_mfi_complete(s, m, LSI_MFI_STAT_INVALID_PARAMETER);
        return;
    }
    cmd = g_new0(Lsi3108Cmd, 1);
    cmd->req.qsg = m->sgl;              /* the LD takes the buffer over */
    memset(&m->sgl, 0, sizeof(m->sgl));
    cmd->req.ctrl = s;
    cmd->req.ld = ld;
    memcpy(cmd->req.cdb, f->cdb, sizeof(f->cdb));
    cmd->req.cdb_len = f->hdr.cdb_len;
    cmd->req.dir = lsi3108_mfi_direction(f);
    cmd->req.data_len = data_len;
    cmd->epoch = s->epoch;
    cmd->mfi = m;
    cmd->sense_addr = le32_to_cpu(f->sense_addr_lo) |
                      ((dma_addr_t)le32_to_cpu(f->sense_addr_hi) << 32);
    cmd->sense_len = MIN(f->hdr.sense_len, LSI_SENSE_BUFFER_SIZE);
    lsi3108_ld_submit(ld, &cmd->req);
}

/* A frame address (and size) written to the MFI queue port (0x40). */
void lsi3108_mfi_queue_port(Lsi3108State *s, uint32_t val)
{
    dma_addr_t addr = val & LSI_MFI_QUEUE_PORT_ADDR_MASK;
    unsigned int frames = 1 + ((val & LSI_MFI_QUEUE_PORT_COUNT_MASK) >> 1);
    Lsi3108Mfi *m;

    trace_lsi3108_mfi_post(addr, frames);
    if (!(val & LSI_MFI_QUEUE_PORT_VALID) || !lsi3108_mfi_mode_ok(s)) {
        lsi3108_guest_error("MFI frame posted outside MFI mode", val,
                            s->fw_state);
        return;
    }
    m = lsi3108_mfi_new(s, addr, frames * LSI3108_MFI_MIN_FRAME);
    if (!m) {
        return;
    }
    /*
     * One frame at a time: while one is held (EVENT_WAIT, map sync), in an
     * LD or flushing, the next is refused at once (only ABORT, which never
     * waits, still runs), so no host can make the firmware hold an
     * unbounded number of frames and buffers before IOC INIT.
     */
    if (s->limits.mfi_inflight &&
        lsi3108_mfi_hdr(m)->cmd != LSI_MFI_CMD_ABORT) {
        trace_lsi3108_mfi_refused(addr, lsi3108_mfi_hdr(m)->cmd);
        s->limits.mfi_refused++;
        m->mfi_mode = true;     /* complete it like an MFI-mode frame */
        s->limits.mfi_inflight++;
        lsi3108_mfi_complete(s, m, LSI_MFI_STAT_MEMORY_NOT_AVAILABLE);
        return;
    }
    m->mfi_mode = true;
    s->limits.mfi_inflight++;
    lsi3108_mfi_run(s, m);
}

/* ------------------------------------------------------------------ */
/* The LD configuration (lsi3108.h)                                    */
/* ------------------------------------------------------------------ */

/*
 * Configuration sequence numbers. Each LD carries one (MR_LD_RAID seqNum in
 * the RAID map, the ref of LD_GET_LIST / LD_GET_PROPERTIES); a host that
 * builds I/O from the map copies it into the RAID context's config_seq_num
 * with the sequence-number-enable flag, and the firmware refuses the I/O
 * (0x67) when the LD has changed since. The LDs of the boot configuration
 * start at 1; every change (LD created, deleted, properties set) takes the
 * controller's next number, never 0 (the value of a host without a map).
 */
#define LSI3108_FIRST_CONFIG_SEQ    1

static uint16_t lsi3108_next_config_seq(Lsi3108State *s)
{
    s->config_seq = MAX(s->config_seq, LSI3108_FIRST_CONFIG_SEQ) + 1;
    if (!s->config_seq) {
        s->config_seq = LSI3108_FIRST_CONFIG_SEQ + 1;
    }
    return s->config_seq;
}

/*
 * An LD appeared (cold plug or device_add). The held map sync learns the
 * new configuration; a hot-plugged LD also logs "LD created" (0x8A), which
 * completes a held EVENT_WAIT and makes Linux rescan its LDs.
 */
void lsi3108_ld_attached(Lsi3108State *s, Lsi3108LD *ld)
{
    if (ld->target >= LSI3108_MAX_LD_TARGETS || s->lds[ld->target]) {
        error_report("lsi3108: LD target %u cannot be attached", ld->target);
        return;
    }
    trace_lsi3108_ld_attached(ld->target, ld->sectors);
    /* LDs of the boot configuration start at 1; a new one gets a new one */
    ld->seq_num = phase_check(PHASE_MACHINE_READY) ?
                  lsi3108_next_config_seq(s) : LSI3108_FIRST_CONFIG_SEQ;
    s->lds[ld->target] = ld;
    lsi3108_config_changed(s);
    if (phase_check(PHASE_MACHINE_READY)) {
        lsi3108_log_ld_event(s, LSI_EVT_LD_CREATED, ld->target, "Created");
    }
}

/* The LD is going away (device_del); it has no request in flight. */
void lsi3108_ld_detached(Lsi3108State *s, Lsi3108LD *ld)
{
    if (ld->target >= LSI3108_MAX_LD_TARGETS || s->lds[ld->target] != ld) {
        return;
    }
    trace_lsi3108_ld_detached(ld->target);
    s->lds[ld->target] = NULL;
    lsi3108_next_config_seq(s);     /* a new LD here never gets the old one */
    lsi3108_config_changed(s);
    lsi3108_log_ld_event(s, LSI_EVT_LD_DELETED, ld->target, "Deleted");
}

/* An LD's properties (write policy) changed: new sequence number, new map. */
void lsi3108_ld_changed(Lsi3108State *s, Lsi3108LD *ld)
{
    if (s->lds[ld->target % LSI3108_MAX_LD_TARGETS] != ld) {
        return;
    }
    ld->seq_num = lsi3108_next_config_seq(s);
    lsi3108_config_changed(s);
}
