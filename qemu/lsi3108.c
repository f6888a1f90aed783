/*
 * QEMU model of the LSI/Broadcom MegaRAID SAS3108 ("Invader") RAID-on-Chip,
 * as found on the MegaRAID SAS 9361-8i: the controller core.
 *
 * The 3108 speaks the "Fusion" host interface. The host hands the firmware,
 * with one IOC INIT message, a pool of 256-byte request frames indexed by
 * SMID, one ring of 8-byte reply descriptors per MSI-X vector and the upper
 * half of its sense-buffer addresses. To start a command it fills a frame
 * and writes a 64-bit request descriptor naming the SMID to the request
 * queue port. The firmware writes the result into the frame itself (the
 * RAID context), then posts a reply descriptor with the SMID on the ring the
 * descriptor named and raises that vector.
 *
 * Before IOC INIT there are only registers: the scratch pads report the
 * firmware's state (booting, READY, OPERATIONAL, FAULT) and its limits, the
 * doorbell asks it to fault or to drop its work, and a key sequence written
 * to WRITE_SEQ unlocks HOST_DIAG, whose RESET_ADAPTER bit resets the chip.
 *
 * This file owns the PCI function, that register file, the firmware state
 * machine, IOC INIT, the request queue port (which hands each frame to the
 * part that runs it: lsi3108-scsi.c for SCSI commands and task management,
 * lsi3108-mfi.c for management commands) and the reply rings. What the
 * parts share is lsi3108-ctrl.h; the logical drives live in lsi3108-ld.c
 * behind lsi3108.h.
 *
 * Every value the guest supplies (SMIDs, queue numbers, SGLs, lengths,
 * addresses, counts) is checked: bad input ends in an MFI error status or a
 * firmware FAULT plus a trace event and a guest-error log line.
 *
 * Copyright (c) 2026 The lsi3108 project authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bitmap.h"
#include "qemu/cutils.h"
#include "qemu/log.h"
#include "qemu/main-loop.h"
#include "qemu/module.h"
#include "qemu/timer.h"
#include "qemu/units.h"
#include "qapi/error.h"
#include "qapi/visitor.h"
#include "hw/hotplug.h"
#include "hw/pci/msi.h"
#include "hw/pci/msix.h"
#include "hw/pci/pci.h"
#include "hw/pci/pcie.h"
#include "hw/qdev-core.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"
#include "scsi/constants.h"
#include "sysemu/dma.h"
#include "trace.h"
#include "lsi3108-ctrl.h"
#include "lsi3108-pd.h"

/* ------------------------------------------------------------------ */
/* Model parameters (choices of this model, not hardware facts)        */
/* ------------------------------------------------------------------ */

#define LSI3108_DEFAULT_VECTORS     8
#define LSI3108_DEFAULT_MAX_CMDS    928
#define LSI3108_MIN_MAX_CMDS        32
#define LSI3108_MAX_MAX_CMDS        8192
#define LSI3108_DEFAULT_CACHE_SIZE  (128 * MiB)
#define LSI3108_DEFAULT_BOUNCE_MAX  (64 * MiB)
#define LSI3108_DEFAULT_FW_VERSION  "4.680.00-8527"
#define LSI3108_PRODUCT_ID          "MR9361-8i"
#define LSI3108_LSI_OUI             0x00605bULL

/* pad 1 chain size field: 8 units of 512 B (4 KiB) or of 128 B (1 KiB) */
#define LSI3108_CHAIN_UNITS         8
#define LSI3108_MAX_REPLY_DEPTH     0xfff0
/* chain frame size for a driver without EXT_IO_SIZE (Linux's minimum) */
#define LSI3108_CHAIN_SIZE_MIN      1024
#define LSI3108_MSI_CAP_OFFSET      0x50
#define LSI3108_MSIX_CAP_OFFSET     0x68
#define LSI3108_PCIE_CAP_OFFSET     0xa0
#define LSI3108_PM_CAP_OFFSET       0x80
#define LSI3108_PM_CAP_VER_1_2      0x0003
#define LSI3108_PM_STATE_D3HOT      3
#define LSI3108_IO_BAR_SIZE         256

/*
 * How long a chip reset (RESET_ADAPTER, FLR) keeps the registers reading
 * all-ones: MPI2's reset read window (255 ms after the 50 ms first-read
 * delay), inside what upstream drivers wait: lmrc reads at 50 ms and again
 * 256 ms later, megaraid_sas after 3 s (docs/model.md, "Chip reset and DMA
 * errors").
 */
#define LSI3108_DEFAULT_RESET_MS    250
#define LSI3108_MAX_RESET_MS        60000

/* Fault codes this model reports in pad 0 bits 27:16 (and LSI3108_FAULT_DMA) */
#define LSI3108_FAULT_HOST_FORCED   0x0001  /* doorbell FORCE_FAULT */
#define LSI3108_FAULT_STOPPED       0x0002  /* doorbell STOP_ADAPTER */

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */
/* ------------------------------------------------------------------ */

void lsi3108_guest_error(const char *what, uint64_t a, uint64_t b)
{
    trace_lsi3108_guest_error(what, a, b);
    qemu_log_mask(LOG_GUEST_ERROR, "lsi3108: %s (0x%" PRIx64 ", 0x%" PRIx64
                  ")\n", what, a, b);
}

/*
 * A DMA of the firmware's own structures failed (bus mastering off, an
 * IOMMU fault): the firmware FAULTs with LSI3108_FAULT_DMA. Not here and
 * now: the caller may still hold a command that dropping all work would
 * free. The fault is taken at the next register access or request (the
 * guest never sees the firmware carry on), or from a bottom half soon after
 * (a completion that failed in the main loop), whichever comes first.
 */
static void lsi3108_dma_failed(Lsi3108State *s, const char *what,
                               dma_addr_t addr, dma_addr_t len)
{
    lsi3108_guest_error(what, addr, len);
    if (s->fw_state == LSI_FW_STATE_FAULT || s->reset.dma_fault_pending) {
        return;
    }
    s->reset.dma_fault_pending = true;
    if (s->reset.dma_fault_bh) {
        qemu_bh_schedule(s->reset.dma_fault_bh);
    }
}

/* Take a DMA fault recorded by lsi3108_dma_failed(), if there is one. */
static void lsi3108_take_dma_fault(Lsi3108State *s)
{
    if (!s->reset.dma_fault_pending) {
        return;
    }
    s->reset.dma_fault_pending = false;
    if (s->fw_state != LSI_FW_STATE_FAULT && !s->reset.active &&
        lsi3108_alive(s)) {
        lsi3108_fault(s, LSI3108_FAULT_DMA);
    }
}

static void lsi3108_dma_fault_bh(void *opaque)
{
    lsi3108_take_dma_fault(opaque);
}

bool lsi3108_dma_read(Lsi3108State *s, dma_addr_t addr, void *buf,
                      dma_addr_t len)
{
    if (s->reset.dma_blocked ||
        pci_dma_read(PCI_DEVICE(s), addr, buf, len) != MEMTX_OK) {
        lsi3108_dma_failed(s, "DMA read failed", addr, len);
        return false;
    }
    return true;
}

bool lsi3108_dma_write(Lsi3108State *s, dma_addr_t addr, const void *buf,
                       dma_addr_t len)
{
    if (s->reset.dma_blocked ||
        pci_dma_write(PCI_DEVICE(s), addr, buf, len) != MEMTX_OK) {
        lsi3108_dma_failed(s, "DMA write failed", addr, len);
        return false;
    }
    return true;
}

/* FNV-1a: a stable hash for serial numbers and NAA identifiers */
static uint32_t lsi3108_hash(const char *str)
{
    uint32_t h = 2166136261u;

    for (; *str; str++) {
        h ^= (uint8_t)*str;
        h *= 16777619u;
    }
    return h;
}

const char *lsi3108_state_name(uint32_t state)
{
    switch (state) {
    case LSI_FW_STATE_READY:
        return "READY";
    case LSI_FW_STATE_OPERATIONAL:
        return "OPERATIONAL";
    case LSI_FW_STATE_FAULT:
        return "FAULT";
    case LSI_FW_STATE_FW_INIT:
        return "FW_INIT";
    case LSI_FW_STATE_DEVICE_SCAN:
        return "DEVICE_SCAN";
    case LSI_FW_STATE_UNDEFINED:
        return "RESET";                 /* in a chip reset's all-ones window */
    default:
        return "?";
    }
}

/* ------------------------------------------------------------------ */
/* Scratch pads                                                        */
/* ------------------------------------------------------------------ */

/*
 * Pad 0: state, MSI-X capability and max commands; fault code in FAULT;
 * only the state while booting (the limits are not known yet).
 */
static uint32_t lsi3108_fw_status(Lsi3108State *s)
{
    uint32_t v = s->fw_state << LSI_FW_STATE_SHIFT;

    if (s->fw_state == LSI_FW_STATE_FAULT) {
        v |= (s->fault_code << LSI_FW_FAULT_CODE_SHIFT) &
             LSI_FW_FAULT_CODE_MASK;
        return s->fault_no_reset ? v : v | LSI_FW_RESET_ADAPTER;
    }
    if (lsi3108_booting(s)) {
        return v;
    }
    if (msix_present(PCI_DEVICE(s))) {
        v |= LSI_FW_MSIX_CAPABLE;
    }
    return v | (s->max_cmds & LSI_FW_MAX_CMDS_MASK);
}

/*
 * Pad 1: capabilities. RDPQ is advertised only with the "rdpq" property;
 * the RDPQ array is implemented (upstream Linux uses it when it is set).
 * Bit 25 (control structures may be above 4 GiB) follows "dma64".
 */
static uint32_t lsi3108_capabilities(Lsi3108State *s)
{
    uint32_t v;

    v = ((s->msix_vectors - 1) << LSI_CAP_REPLY_QUEUES_SHIFT) &
        LSI_CAP_REPLY_QUEUES_MASK;
    v |= (LSI3108_CHAIN_UNITS << LSI_CAP_CHAIN_SIZE_SHIFT) &
         LSI_CAP_CHAIN_SIZE_MASK;
    if (s->chain_1mb) {
        v |= LSI_CAP_CHAIN_UNITS_1MB;
    }
    if (s->rdpq) {
        v |= LSI_CAP_RDPQ;
    }
    if (s->sync_cache) {
        v |= LSI_CAP_SYNC_CACHE;
    }
    if (s->dma64) {
        v |= LSI_CAP_64BIT_DMA;
    }
    return v;
}

/* The chain frame size pad 1 reports (4 KiB, or 1 KiB without chain-1mb) */
static uint32_t lsi3108_pad_chain_size(Lsi3108State *s)
{
    return LSI3108_CHAIN_UNITS * (s->chain_1mb ? LSI_CHAIN_UNIT_LARGE :
                                                 LSI_CHAIN_UNIT_SMALL);
}

/* ------------------------------------------------------------------ */
/* Interrupts                                                          */
/* ------------------------------------------------------------------ */

static bool lsi3108_queue_has_replies(Lsi3108ReplyQueue *q)
{
    return q->producer != q->host_index;
}

/* 0x30: bit 0 latched (state change), bit 3 while a ring holds replies */
static uint32_t lsi3108_intr_status(Lsi3108State *s)
{
    uint32_t v = s->intr_status;
    unsigned int i;

    for (i = 0; i < s->nqueues; i++) {
        if (lsi3108_queue_has_replies(&s->queues[i])) {
            v |= LSI_INTR_REPLY;
            break;
        }
    }
    return v;
}

static void lsi3108_update_intx(Lsi3108State *s)
{
    PCIDevice *d = PCI_DEVICE(s);
    int level = 0;

    if (!msix_enabled(d) && !msi_enabled(d) && !s->removed && !s->d3hot) {
        level = !!(lsi3108_intr_status(s) & ~s->intr_mask & LSI_INTR_ALL);
    }
    pci_set_irq(d, level);
}

/* Signal that ring @qi has new replies (the mask gates every mode). */
void lsi3108_notify(Lsi3108State *s, unsigned int qi)
{
    PCIDevice *d = PCI_DEVICE(s);

    if (!lsi3108_alive(s)) {
        return;
    }
    if (!(s->intr_mask & LSI_INTR_REPLY)) {
        if (msix_enabled(d)) {
            /*
             * A vector the host did not set up (a reply queue it polls)
             * is masked: msix_notify() only sets its pending bit.
             */
            if (msix_is_masked(d, qi)) {
                s->queues[qi].masked++;
            }
            trace_lsi3108_irq("msix", qi);
            msix_notify(d, qi);
        } else if (msi_enabled(d)) {
            trace_lsi3108_irq("msi", 0);
            msi_notify(d, 0);
        }
    }
    lsi3108_update_intx(s);
}

/* After an unmask, raise every vector whose ring still holds replies. */
static void lsi3108_renotify(Lsi3108State *s)
{
    unsigned int i;

    for (i = 0; i < s->nqueues; i++) {
        if (lsi3108_queue_has_replies(&s->queues[i])) {
            lsi3108_notify(s, i);
        }
    }
    lsi3108_update_intx(s);
}

/* ------------------------------------------------------------------ */
/* Firmware state machine                                              */
/* ------------------------------------------------------------------ */

/*
 * Forget all work: held DCMDs, delayed and lost commands and waiting TMs are
 * freed; commands still running in an LD or a flush are orphaned (their
 * epoch no longer matches, so the LD does no more DMA for them and their
 * completion is dropped), and the reply rings are forgotten.
 */
static void lsi3108_drop_work(Lsi3108State *s)
{
    unsigned int i;

    s->epoch++;
    lsi3108_mfi_drop_work(s);
    lsi3108_scsi_drop_work(s);
    for (i = 0; i < ARRAY_SIZE(s->queues); i++) {
        g_queue_clear(&s->queues[i].backlog);
        s->queues[i].producer = 0;
        s->queues[i].host_index = 0;
        s->queues[i].base = 0;
    }
    s->nqueues = 0;
    s->reply_depth = 0;
    s->desc_low_valid = false;
    s->inbound_head = 0;
    s->inbound_count = 0;
    bitmap_zero(s->smid_busy, s->max_cmds);
}

static void lsi3108_set_state(Lsi3108State *s, uint32_t state)
{
    if (s->fw_state != state) {
        trace_lsi3108_state(lsi3108_state_name(s->fw_state),
                            lsi3108_state_name(state));
    }
    s->fw_state = state;
}

/*
 * The firmware (re)starts after its work was dropped: READY at once, or
 * FW_INIT then DEVICE_SCAN for x-boot-delay-ms (taken now: a later change
 * applies to the next start) and then READY from lsi3108_boot_tick().
 */
static void lsi3108_boot_start(Lsi3108State *s, const char *why)
{
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);

    s->boot.count++;
    s->boot.start_ns = now;
    s->boot.length_ns = (int64_t)s->boot.delay_ms * SCALE_MS;
    trace_lsi3108_boot_start(s->boot.count, why, s->boot.delay_ms);
    if (!s->boot.length_ns) {
        timer_del(s->boot.timer);
        lsi3108_set_state(s, LSI_FW_STATE_READY);
        trace_lsi3108_boot_done(0);
        return;
    }
    lsi3108_set_state(s, LSI_FW_STATE_FW_INIT);
    timer_mod_ns(s->boot.timer, now + s->boot.length_ns -
                                s->boot.length_ns / 10);
}

/* The next boot phase: FW_INIT -> DEVICE_SCAN (last tenth) -> READY. */
static void lsi3108_boot_tick(void *opaque)
{
    Lsi3108State *s = opaque;
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    int64_t end = s->boot.start_ns + s->boot.length_ns;

    if (s->fw_state == LSI_FW_STATE_FW_INIT && now < end) {
        lsi3108_set_state(s, LSI_FW_STATE_DEVICE_SCAN);
        timer_mod_ns(s->boot.timer, end);
    } else if (lsi3108_booting(s)) {
        lsi3108_set_state(s, LSI_FW_STATE_READY);
        trace_lsi3108_boot_done((now - s->boot.start_ns) / SCALE_MS);
    }
}

/* A boot (or a chip reset) in progress stops where it is (FAULT, power cut). */
static void lsi3108_boot_stop(Lsi3108State *s)
{
    if (s->boot.timer) {
        timer_del(s->boot.timer);
    }
    if (s->reset.timer) {
        timer_del(s->reset.timer);
    }
    s->reset.active = false;
}

/* Stop processing and report @code; only a chip reset leaves FAULT. */
void lsi3108_fault(Lsi3108State *s, uint32_t code)
{
    trace_lsi3108_fault(code);
    lsi3108_boot_stop(s);
    lsi3108_drop_work(s);
    s->fault_code = code & (LSI_FW_FAULT_CODE_MASK >> LSI_FW_FAULT_CODE_SHIFT);
    lsi3108_set_state(s, LSI_FW_STATE_FAULT);
    s->intr_status |= LSI_INTR_DOORBELL;
    lsi3108_update_intx(s);
}

/*
 * OPERATIONAL -> READY by doorbell: drop all work, keep the registers; the
 * firmware restarts (x-boot-delay-ms in FW_INIT / DEVICE_SCAN first).
 */
static void lsi3108_go_ready(Lsi3108State *s)
{
    lsi3108_drop_work(s);
    lsi3108_boot_start(s, "doorbell");
    lsi3108_update_intx(s);
}

/* The end of a chip reset's all-ones window: the firmware starts booting. */
static void lsi3108_reset_window_end(void *opaque)
{
    Lsi3108State *s = opaque;

    s->reset.active = false;
    trace_lsi3108_reset_window(s->reset.why, false);
    lsi3108_boot_start(s, s->reset.why);
}

/*
 * Chip reset (host diag RESET_ADAPTER, FLR, or a device reset): all work is
 * dropped and the firmware restarts to READY (after x-boot-delay-ms in
 * FW_INIT / DEVICE_SCAN). With @window (RESET_ADAPTER, FLR) the chip is
 * first out of reach for reset-time-ms: every register reads all-ones
 * (host diag with RESET_ADAPTER still set, as megaraid_sas polls for) and
 * writes are ignored; a device reset (power cycle, revive) skips that. The
 * write-back cache is not touched: like the controller's cache memory, it
 * survives the reset, and write-backs already started run to completion. A
 * firmware that faulted with x-fault-no-reset does not come back: it stays
 * in FAULT, and its registers stay readable.
 */
static void lsi3108_chip_reset(Lsi3108State *s, const char *why, bool window)
{
    trace_lsi3108_chip_reset(lsi3108_state_name(s->fw_state),
                             s->fault_no_reset);
    lsi3108_boot_stop(s);
    lsi3108_drop_work(s);
    s->reset.dma_fault_pending = false;
    s->intr_status = 0;
    s->intr_mask = LSI_INTR_ALL;
    s->wseq_pos = 0;
    s->diag_unlocked = false;
    if (s->fault_no_reset) {
        lsi3108_update_intx(s);
        return;
    }
    s->fault_code = 0;
    if (window && s->reset.time_ms) {
        s->reset.active = true;
        s->reset.why = why;
        lsi3108_set_state(s, LSI_FW_STATE_UNDEFINED);
        trace_lsi3108_reset_window(why, true);
        timer_mod(s->reset.timer, qemu_clock_get_ms(QEMU_CLOCK_VIRTUAL) +
                                  s->reset.time_ms);
    } else {
        lsi3108_boot_start(s, why);
    }
    lsi3108_update_intx(s);
}

/* The firmware boots again (power-on, revive): even a dead one recovers. */
static void lsi3108_firmware_reboot(Lsi3108State *s, const char *why)
{
    s->fault_no_reset = false;
    lsi3108_chip_reset(s, why, false);
}

/* ------------------------------------------------------------------ */
/* Reply rings                                                         */
/* ------------------------------------------------------------------ */

static bool lsi3108_queue_full(Lsi3108State *s, Lsi3108ReplyQueue *q)
{
    return (q->producer + 1) % s->reply_depth == q->host_index;
}

bool lsi3108_ring_has_room(Lsi3108State *s, unsigned int qi)
{
    Lsi3108ReplyQueue *q = &s->queues[qi];

    return g_queue_is_empty(&q->backlog) && !lsi3108_queue_full(s, q);
}

/* One 8-byte store at the producer slot of ring @qi, which has room. */
bool lsi3108_ring_store(Lsi3108State *s, unsigned int qi, uint64_t desc)
{
    Lsi3108ReplyQueue *q = &s->queues[qi];
    dma_addr_t addr = q->base + (dma_addr_t)q->producer * 8;

    if (s->reset.dma_blocked ||
        stq_le_pci_dma(PCI_DEVICE(s), addr, desc,
                       MEMTXATTRS_UNSPECIFIED) != MEMTX_OK) {
        lsi3108_dma_failed(s, "reply ring write failed", addr, desc);
        return false;
    }
    q->producer = (q->producer + 1) % s->reply_depth;
    return true;
}

/* The reply descriptor of a completion: {type 0, vector, SMID, 0}. */
static bool lsi3108_write_reply(Lsi3108State *s, unsigned int qi,
                                uint16_t smid)
{
    trace_lsi3108_reply_post(qi, s->queues[qi].producer, smid);
    if (!lsi3108_ring_store(s, qi, LSI_RPY_TYPE_SCSI_IO_SUCCESS |
                                   ((uint64_t)qi << 8) |
                                   ((uint64_t)smid << 16))) {
        return false;
    }
    s->queues[qi].posted++;
    return true;
}

/* Entries waiting in every ring's backlog (x-reply-backlog). */
static uint64_t lsi3108_backlog_len(Lsi3108State *s)
{
    uint64_t n = 0;
    unsigned int i;

    for (i = 0; i < ARRAY_SIZE(s->queues); i++) {
        n += g_queue_get_length(&s->queues[i].backlog);
    }
    return n;
}

/*
 * Post the completion of @smid on ring @qi. When the ring is full (the
 * producer would catch up with the host index) the SMID waits in a backlog
 * that drains when the host index moves: completions are never dropped.
 *
 * The SMID is given back only once its descriptor is in the ring: until
 * then the host cannot have seen the reply, and a descriptor naming the
 * SMID again is refused as "already outstanding". So the backlogs together
 * never hold more than max-cmds entries, whatever the host writes (a host
 * that never moves the host index and re-posts one SMID would otherwise
 * grow a backlog entry per register write).
 */
static void lsi3108_post_reply(Lsi3108State *s, unsigned int qi,
                               uint16_t smid)
{
    if (!lsi3108_running(s) || qi >= s->nqueues) {
        trace_lsi3108_reply_dropped(qi, smid);
        clear_bit(smid, s->smid_busy);
        return;
    }
    if (!lsi3108_ring_has_room(s, qi)) {
        trace_lsi3108_reply_backlog(qi, smid);
        g_queue_push_tail(&s->queues[qi].backlog, GUINT_TO_POINTER(smid));
        s->limits.backlog_peak = MAX(s->limits.backlog_peak,
                                     lsi3108_backlog_len(s));
        return;
    }
    if (lsi3108_write_reply(s, qi, smid)) {
        clear_bit(smid, s->smid_busy);
        lsi3108_notify(s, qi);
    }
}

static void lsi3108_drain_backlog(Lsi3108State *s, unsigned int qi)
{
    Lsi3108ReplyQueue *q = &s->queues[qi];
    bool posted = false;

    while (!g_queue_is_empty(&q->backlog) && !lsi3108_queue_full(s, q)) {
        uint16_t smid = GPOINTER_TO_UINT(g_queue_pop_head(&q->backlog));

        if (!lsi3108_write_reply(s, qi, smid)) {
            return;
        }
        clear_bit(smid, s->smid_busy);
        posted = true;
    }
    if (posted) {
        lsi3108_notify(s, qi);
    }
}

/* A write to a reply-post host index register: the host consumed up to @idx */
static void lsi3108_host_index(Lsi3108State *s, unsigned int qi, uint32_t idx)
{
    trace_lsi3108_host_index(qi, idx);
    if (!lsi3108_running(s)) {
        return;
    }
    if (qi >= s->nqueues || idx >= s->reply_depth) {
        lsi3108_guest_error("bad reply host index", qi, idx);
        return;
    }
    s->queues[qi].host_index = idx;
    lsi3108_drain_backlog(s, qi);
    lsi3108_update_intx(s);
}

/* Post the reply of @smid; the SMID is free again once it is in the ring. */
void lsi3108_complete_smid(Lsi3108State *s, uint16_t smid, unsigned int qi)
{
    lsi3108_post_reply(s, qi, smid);
}

/* Status into a request frame's RAID context, then the reply. */
void lsi3108_finish_frame(Lsi3108State *s, uint16_t smid, unsigned int qi,
                          dma_addr_t frame, uint8_t status,
                          uint8_t ex_status)
{
    uint8_t st[2] = { ex_status, status };

    trace_lsi3108_frame_status(smid, status, ex_status);
    lsi3108_dma_write(s, frame + offsetof(struct lsi_io_frame,
                                          raid_context.ex_status),
                      st, sizeof(st));
    lsi3108_complete_smid(s, smid, qi);
}

/* ------------------------------------------------------------------ */
/* IOC INIT                                                            */
/* ------------------------------------------------------------------ */

static uint8_t lsi3108_ioc_init_error(const char *why, uint64_t val)
{
    trace_lsi3108_ioc_init_error(why, val);
    lsi3108_guest_error(why, val, 0);
    return LSI_MFI_STAT_INVALID_PARAMETER;
}

/* The per-ring base addresses: contiguous, or from the RDPQ array. */
static uint8_t lsi3108_ioc_init_queues(Lsi3108State *s,
                                       const struct lsi_ioc_init_request *r,
                                       unsigned int nq, uint32_t depth,
                                       dma_addr_t *bases)
{
    dma_addr_t addr = le64_to_cpu(r->reply_descriptor_post_queue_address);
    unsigned int i;

    if (!(r->msg_flags & LSI_IOCINIT_MSGFLAG_RDPQ)) {
        for (i = 0; i < nq; i++) {
            bases[i] = addr + (dma_addr_t)i * depth * 8;
        }
    } else {
        struct lsi_rdpq_entry e[LSI_MAX_MSIX_VECTORS];

        if (!s->rdpq) {
            return lsi3108_ioc_init_error("RDPQ mode not advertised", 0);
        }
        if (!lsi3108_dma_read(s, addr, e, nq * sizeof(e[0]))) {
            return lsi3108_ioc_init_error("RDPQ array unreadable", addr);
        }
        for (i = 0; i < nq; i++) {
            bases[i] = le64_to_cpu(e[i].base);
        }
    }
    for (i = 0; i < nq; i++) {
        if (bases[i] & 0xf) {
            return lsi3108_ioc_init_error("reply ring misaligned", bases[i]);
        }
    }
    return LSI_MFI_STAT_OK;
}

/*
 * Without 64-bit mode (driver capability bit 13, which needs pad 1 bit 25)
 * the firmware takes the addresses of its control structures as 32-bit
 * ones: every one the IOC INIT request names must be below 4 GiB.
 */
static uint8_t lsi3108_ioc_init_dma32(Lsi3108State *s,
                                      const struct lsi_ioc_init_request *r,
                                      unsigned int nq, const dma_addr_t *bases)
{
    dma_addr_t frames = le64_to_cpu(r->system_request_frame_base_address);
    uint64_t pool = (uint64_t)LSI_FRAME_SIZE * s->max_cmds;
    unsigned int i;

    if (frames > UINT32_MAX || pool > (uint64_t)UINT32_MAX + 1 - frames ||
        le32_to_cpu(r->sense_buffer_address_high) ||
        le64_to_cpu(r->reply_descriptor_post_queue_address) > UINT32_MAX) {
        return lsi3108_ioc_init_error("control structure above 4 GiB "
                                      "without 64-bit mode", frames);
    }
    for (i = 0; i < nq; i++) {
        if (bases[i] > UINT32_MAX) {
            return lsi3108_ioc_init_error("reply ring above 4 GiB without "
                                          "64-bit mode", bases[i]);
        }
    }
    return LSI_MFI_STAT_OK;
}

/*
 * The driver capabilities of the MFI INIT frame the firmware acts on: more
 * than 8 reply queues only with ADDITIONAL_MSIX (which, when the firmware
 * offers more than 8, also selects combined reply-queue mode); 64-bit mode
 * only if pad 1 offered it.
 */
static uint8_t lsi3108_ioc_init_caps(Lsi3108State *s, uint32_t caps,
                                     unsigned int nq)
{
    if (nq > 8 && !(caps & LSI_DRVCAP_ADDITIONAL_MSIX)) {
        return lsi3108_ioc_init_error("more than 8 reply queues without "
                                      "ADDITIONAL_MSIX", nq);
    }
    if ((caps & LSI_DRVCAP_64BIT_MODE) && !s->dma64) {
        return lsi3108_ioc_init_error("64-bit mode not offered (pad 1 bit "
                                      "25 clear)", caps);
    }
    return LSI_MFI_STAT_OK;
}

/* Check the MPI2 IOC INIT request and, if it is sane, adopt it. */
static uint8_t lsi3108_ioc_init_apply(Lsi3108State *s, uint32_t caps,
                                      const struct lsi_ioc_init_request *r)
{
    uint32_t depth = le16_to_cpu(r->reply_descriptor_post_queue_depth);
    unsigned int nq = r->host_msix_vectors ? r->host_msix_vectors : 1;
    dma_addr_t bases[LSI_MAX_MSIX_VECTORS];
    unsigned int i;
    uint8_t st;

    if (r->who_init == 0 || r->who_init > LSI_WHOINIT_HOST_DRIVER + 1) {
        return lsi3108_ioc_init_error("bad WhoInit", r->who_init);
    }
    if (r->function != LSI_FUNC_IOC_INIT) {
        return lsi3108_ioc_init_error("not an IOC INIT", r->function);
    }
    if (le16_to_cpu(r->system_request_frame_size) != LSI_FRAME_SIZE / 4) {
        return lsi3108_ioc_init_error("bad request frame size",
                            le16_to_cpu(r->system_request_frame_size));
    }
    if (depth < 16 || depth % 16 || depth > LSI3108_MAX_REPLY_DEPTH) {
        return lsi3108_ioc_init_error("bad reply queue depth", depth);
    }
    if (nq > s->msix_vectors) {
        return lsi3108_ioc_init_error("too many reply queues", nq);
    }
    st = lsi3108_ioc_init_caps(s, caps, nq);
    if (st != LSI_MFI_STAT_OK) {
        return st;
    }
    st = lsi3108_ioc_init_queues(s, r, nq, depth, bases);
    if (st == LSI_MFI_STAT_OK && !(caps & LSI_DRVCAP_64BIT_MODE)) {
        st = lsi3108_ioc_init_dma32(s, r, nq, bases);
    }
    if (st != LSI_MFI_STAT_OK) {
        return st;
    }

    lsi3108_drop_work(s);
    s->frame_base = le64_to_cpu(r->system_request_frame_base_address);
    s->sense_high = le32_to_cpu(r->sense_buffer_address_high);
    s->reply_depth = depth;
    s->nqueues = nq;
    for (i = 0; i < nq; i++) {
        s->queues[i].base = bases[i];
    }
    s->driver_caps = caps;
    s->combined = s->msix_vectors > 8 && (caps & LSI_DRVCAP_ADDITIONAL_MSIX);
    /* chain frames beyond 1 KiB (1 MiB I/O) only for a driver that knows */
    s->chain_size = lsi3108_pad_chain_size(s);
    if (!(caps & LSI_DRVCAP_EXT_IO_SIZE)) {
        s->chain_size = MIN(s->chain_size, LSI3108_CHAIN_SIZE_MIN);
    }
    trace_lsi3108_ioc_init(s->frame_base, bases[0], nq, depth,
                           !!(r->msg_flags & LSI_IOCINIT_MSGFLAG_RDPQ));
    return LSI_MFI_STAT_OK;
}

/*
 * IOC INIT arrives as an MFA descriptor pointing at an MFI INIT frame. The
 * result goes into the frame's cmd_status; no reply descriptor is posted.
 * When the INIT frame or the IOC INIT request cannot be read, or the status
 * cannot be written, the firmware FAULTs (LSI3108_FAULT_DMA) at once: the
 * host polling cmd_status sees the FAULT in pad 0 instead of waiting for an
 * answer that cannot come.
 */
static void lsi3108_ioc_init(Lsi3108State *s, dma_addr_t mfa)
{
    struct lsi_mfi_init_frame init;
    struct lsi_ioc_init_request req;
    dma_addr_t req_addr;
    uint8_t status;

    if (!lsi3108_dma_read(s, mfa, &init, sizeof(init))) {
        lsi3108_take_dma_fault(s);
        return;
    }
    req_addr = le32_to_cpu(init.queue_info_new_lo) |
               ((dma_addr_t)le32_to_cpu(init.queue_info_new_hi) << 32);
    trace_lsi3108_ioc_init_frame(mfa, req_addr,
                                 le32_to_cpu(init.driver_operations));
    if (s->fw_state != LSI_FW_STATE_READY) {
        lsi3108_guest_error("IOC INIT while not READY", s->fw_state, 0);
        status = LSI_MFI_STAT_WRONG_STATE;
    } else if (init.cmd != LSI_MFI_CMD_INIT) {
        status = lsi3108_ioc_init_error("not an MFI INIT frame", init.cmd);
    } else if (!lsi3108_dma_read(s, req_addr, &req, sizeof(req))) {
        lsi3108_take_dma_fault(s);
        return;
    } else {
        status = lsi3108_ioc_init_apply(s, le32_to_cpu(init.driver_operations),
                                        &req);
    }
    if (status == LSI_MFI_STAT_OK) {
        lsi3108_set_state(s, LSI_FW_STATE_OPERATIONAL);
        lsi3108_inject_operational(s);
    }
    lsi3108_dma_write(s, mfa + offsetof(struct lsi_mfi_init_frame,
                                        cmd_status), &status, 1);
    lsi3108_take_dma_fault(s);
}

/* ------------------------------------------------------------------ */
/* Request descriptors                                                 */
/* ------------------------------------------------------------------ */

static void lsi3108_process_frame(Lsi3108State *s, uint16_t smid, uint8_t qi)
{
    dma_addr_t addr = s->frame_base + (dma_addr_t)smid * LSI_FRAME_SIZE;
    struct lsi_io_frame f;

    if (!lsi3108_dma_read(s, addr, &f, sizeof(f))) {
        lsi3108_take_dma_fault(s);
        return;
    }
    trace_lsi3108_frame(smid, f.function, le16_to_cpu(f.dev_handle));
    switch (f.function) {
    case LSI_FUNC_LD_IO:
        lsi3108_scsi_io(s, smid, qi, addr, &f);
        break;
    case LSI_FUNC_MFI_PASSTHRU:
        lsi3108_mfi_passthru(s, smid, qi, addr, &f);
        break;
    case LSI_FUNC_SCSI_TASK_MGMT:
        lsi3108_task_mgmt(s, smid, qi, addr, &f);
        break;
    case LSI_FUNC_SCSI_IO:
        lsi3108_scsi_fp_io(s, smid, qi, addr, &f);
        break;
    default:
        lsi3108_guest_error("unsupported frame function", f.function, smid);
        lsi3108_finish_frame(s, smid, qi, addr, LSI_MFI_STAT_INVALID_CMD, 0);
        break;
    }
}

/*
 * The inbound request FIFO. A write to the request queue port is a posted
 * write into the chip's FIFO: it returns to the host before the firmware has
 * even read the frame, and the firmware takes the frames in arrival order on
 * its own processor. So here: the descriptor is checked and its SMID marked
 * busy at the write (a descriptor naming a busy SMID is refused there, as
 * before), and a bottom half of the main loop reads and starts the frames.
 * Only a running firmware takes them; work dropped by a reset, a fault or a
 * power cut empties the FIFO with everything else (lsi3108_drop_work()).
 */
static void lsi3108_inbound_run(void *opaque)
{
    Lsi3108State *s = opaque;

    if (s->in_mmio) {
        return;         /* a nested event loop: lsi3108_mmio_write() reruns it */
    }
    while (s->inbound_count && lsi3108_running(s)) {
        uint32_t e = s->inbound[s->inbound_head];

        s->inbound_head = (s->inbound_head + 1) % s->max_cmds;
        s->inbound_count--;
        s->in_mmio = true;      /* a frame's DMA into our BAR is refused */
        lsi3108_process_frame(s, e & 0xffff, e >> 16);
        s->in_mmio = false;
    }
}

/* Queue the frame of busy @smid, replying on @qi; false if the FIFO is full. */
static bool lsi3108_inbound_push(Lsi3108State *s, uint16_t smid, uint8_t qi)
{
    uint32_t tail = (s->inbound_head + s->inbound_count) % s->max_cmds;

    /* one entry per busy SMID: never more than max_cmds - 1 */
    if (s->inbound_count >= s->max_cmds) {
        lsi3108_guest_error("inbound FIFO full", smid, s->inbound_count);
        return false;
    }
    s->inbound[tail] = smid | (uint32_t)qi << 16;
    s->inbound_count++;
    return true;        /* lsi3108_mmio_write() schedules the bottom half */
}

/* A complete 64-bit request descriptor arrived at the queue port. */
static void lsi3108_post_request(Lsi3108State *s, uint64_t desc)
{
    uint8_t type = desc & LSI_REQ_DESC_TYPE_MASK;
    uint8_t qi = desc >> 8;
    uint16_t smid = desc >> 16;

    trace_lsi3108_req_desc(desc, type, smid, qi);
    if (s->powered_off) {
        return;
    }
    lsi3108_take_dma_fault(s);
    if (type == LSI_REQ_DESC_MFA) {
        lsi3108_ioc_init(s, desc & ~0xffULL);
        return;
    }
    if (s->fw_state != LSI_FW_STATE_OPERATIONAL) {
        lsi3108_guest_error("request while not OPERATIONAL", desc,
                            s->fw_state);
        return;
    }
    switch (type) {
    case LSI_REQ_DESC_SCSI_IO:
    case LSI_REQ_DESC_NO_LOCK:
    case LSI_REQ_DESC_LD_IO:
    case LSI_REQ_DESC_FP_IO:
    case LSI_REQ_DESC_HIGH_PRIORITY:
        break;
    default:
        lsi3108_guest_error("bad request descriptor type", desc, type);
        return;
    }
    if (smid == 0 || smid >= s->max_cmds) {
        lsi3108_guest_error("SMID out of range", smid, s->max_cmds);
        return;
    }
    if (test_bit(smid, s->smid_busy)) {
        /* running, held, or its reply still waits for room in the ring */
        lsi3108_guest_error("SMID already outstanding", smid, 0);
        s->limits.smid_reposts++;
        return;
    }
    if (qi >= s->nqueues) {
        trace_lsi3108_bad_msix(smid, qi, s->nqueues);
        qi = 0;
    }
    if (lsi3108_inbound_push(s, smid, qi)) {
        set_bit(smid, s->smid_busy);
    }
}

/* ------------------------------------------------------------------ */
/* Registers                                                           */
/* ------------------------------------------------------------------ */

static void lsi3108_doorbell(Lsi3108State *s, uint32_t val)
{
    trace_lsi3108_doorbell(val, lsi3108_state_name(s->fw_state));
    if (s->fw_state == LSI_FW_STATE_FAULT) {
        /* a faulted firmware keeps its fault code; only a reset helps */
        return;
    }
    if (val & LSI_DB_FORCE_FAULT) {
        lsi3108_fault(s, LSI3108_FAULT_HOST_FORCED);
    } else if (val & LSI_DB_STOP_ADAPTER) {
        lsi3108_fault(s, LSI3108_FAULT_STOPPED);
    } else if (s->fw_state == LSI_FW_STATE_OPERATIONAL &&
               (val & (LSI_DB_READY | LSI_DB_ABORT))) {
        /* RESET_FLAGS (Linux, lmrc) or READY (mfii): back to READY */
        lsi3108_go_ready(s);
    }
    /*
     * READY: CLEAR_HANDSHAKE / HOTPLUG / READY need no action; a booting
     * firmware ignores them too (it reaches READY by itself)
     */
}

/* Unlock host diag with the key sequence; anything else relocks it. */
static void lsi3108_write_seq(Lsi3108State *s, uint32_t val)
{
    static const uint8_t keys[LSI_WRITE_SEQ_NKEYS] = LSI_WRITE_SEQ_KEYS;

    val &= 0xf;
    if (s->wseq_pos < LSI_WRITE_SEQ_NKEYS && val == keys[s->wseq_pos]) {
        s->wseq_pos++;
    } else {
        s->wseq_pos = val == keys[0] ? 1 : 0;
        s->diag_unlocked = false;
    }
    if (s->wseq_pos == LSI_WRITE_SEQ_NKEYS) {
        s->diag_unlocked = true;
        s->wseq_pos = 0;
    }
    trace_lsi3108_write_seq(val, s->wseq_pos, s->diag_unlocked);
}

static void lsi3108_host_diag(Lsi3108State *s, uint32_t val)
{
    if (!s->diag_unlocked) {
        lsi3108_guest_error("host diag write while locked", val, 0);
        return;
    }
    if (val & LSI_HOST_DIAG_RESET_ADAPTER) {
        lsi3108_chip_reset(s, "chip reset", true);
    }
}

static void lsi3108_intr_mask_write(Lsi3108State *s, uint32_t val)
{
    bool unmasked = (s->intr_mask & LSI_INTR_REPLY) &&
                    !(val & LSI_INTR_REPLY);

    s->intr_mask = val;
    if (unmasked) {
        lsi3108_renotify(s);
    } else {
        lsi3108_update_intx(s);
    }
}

static void lsi3108_desc_high(Lsi3108State *s, uint32_t val)
{
    if (!s->desc_low_valid) {
        lsi3108_guest_error("descriptor high half without low half", val, 0);
        return;
    }
    s->desc_low_valid = false;
    lsi3108_post_request(s, s->desc_low | ((uint64_t)val << 32));
}

/*
 * A host index register the mode in use does not have: ignored (the ring
 * does not move), counted in x-host-index-ignored.
 */
static void lsi3108_host_index_ignored(Lsi3108State *s, hwaddr addr,
                                       uint32_t val)
{
    if (!lsi3108_running(s)) {
        return;                 /* no ring to move in any mode */
    }
    trace_lsi3108_host_index_ignored(addr, val, s->combined);
    lsi3108_guest_error("host index register of the other reply-queue mode",
                        addr, val);
    s->limits.host_index_ignored++;
}

/*
 * 0x6C, ReplyPostHostIndex. Without combined mode it serves every ring
 * (vector in bits 31:24). In combined mode it is register 0 of the group
 * of eight: vectors 0..7 only (megaraid_sas writes them here, mpt3sas to
 * 0x30C, which the model takes too); a vector beyond 7 is not there.
 */
static void lsi3108_reply_post_host_index(Lsi3108State *s, uint32_t val)
{
    unsigned int qi = val >> LSI_REPLY_HOST_INDEX_MSIX_SHIFT;

    if (s->combined && qi >= 8) {
        lsi3108_host_index_ignored(s, LSI_REG_REPLY_POST_HOST_INDEX, val);
        return;
    }
    lsi3108_host_index(s, qi, val & LSI_REPLY_HOST_INDEX_MASK);
}

/*
 * 0x30C + 0x10 n serves vectors 8n..8n+7, only in combined reply-queue
 * mode (negotiated at IOC INIT); false if @addr is no such register.
 */
static bool lsi3108_sup_host_index(Lsi3108State *s, hwaddr addr, uint32_t val)
{
    hwaddr base = LSI_REG_SUP_REPLY_POST_HOST_INDEX(0);
    unsigned int n;

    if (addr < base || (addr - base) % 0x10) {
        return false;
    }
    n = (addr - base) / 0x10;
    if (n >= LSI_SUP_REPLY_POST_REGS) {
        return false;
    }
    if (!s->combined) {
        lsi3108_host_index_ignored(s, addr, val);
        return true;
    }
    n = n * 8 + ((val >> LSI_REPLY_HOST_INDEX_MSIX_SHIFT) & 7);
    lsi3108_host_index(s, n, val & LSI_REPLY_HOST_INDEX_MASK);
    return true;
}

static uint32_t lsi3108_reg_read(Lsi3108State *s, hwaddr addr)
{
    switch (addr) {
    case LSI_REG_DOORBELL:
        return 0;                       /* never busy, not even booting */
    case LSI_REG_HOST_DIAG:
        return s->diag_unlocked ? LSI_HOST_DIAG_WRITE_ENABLE : 0;
    case LSI_REG_OUTBOUND_INTR_STATUS:
        return lsi3108_intr_status(s);
    case LSI_REG_OUTBOUND_INTR_MASK:
        return s->intr_mask;
    case LSI_REG_SCRATCH_PAD0:
        return lsi3108_fw_status(s);
    case LSI_REG_SCRATCH_PAD1:
        return lsi3108_capabilities(s);
    default:
        return 0;                       /* pad 2/3 and the rest */
    }
}

static void lsi3108_reg_write(Lsi3108State *s, hwaddr addr, uint32_t val)
{
    switch (addr) {
    case LSI_REG_DOORBELL:
        lsi3108_doorbell(s, val);
        break;
    case LSI_REG_WRITE_SEQ:
        lsi3108_write_seq(s, val);
        break;
    case LSI_REG_HOST_DIAG:
        lsi3108_host_diag(s, val);
        break;
    case LSI_REG_OUTBOUND_INTR_STATUS:
        s->intr_status &= ~(val & LSI_INTR_DOORBELL);
        lsi3108_update_intx(s);
        break;
    case LSI_REG_OUTBOUND_INTR_MASK:
        lsi3108_intr_mask_write(s, val);
        break;
    case LSI_REG_REPLY_POST_HOST_INDEX:
        lsi3108_reply_post_host_index(s, val);
        break;
    case LSI_REG_REQ_DESC_LOW:
        s->desc_low = val;
        s->desc_low_valid = true;
        break;
    case LSI_REG_REQ_DESC_HIGH:
        lsi3108_desc_high(s, val);
        break;
    case LSI_REG_MFI_QUEUE_PORT:
        lsi3108_mfi_queue_port(s, val);
        break;
    default:
        if (!lsi3108_sup_host_index(s, addr, val)) {
            trace_lsi3108_mmio_unknown(addr, val);
        }
        break;
    }
}

static uint64_t lsi3108_all_ones(unsigned size)
{
    return size >= 8 ? UINT64_MAX : (1ULL << (size * 8)) - 1;
}

static uint64_t lsi3108_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    Lsi3108State *s = opaque;
    uint64_t val;

    if (s->removed || s->reset.active || s->d3hot) {
        return lsi3108_all_ones(size);
    }
    lsi3108_take_dma_fault(s);
    val = lsi3108_reg_read(s, addr);
    if (size == 8) {
        val |= (uint64_t)lsi3108_reg_read(s, addr + 4) << 32;
    }
    trace_lsi3108_mmio_read(addr, val, size);
    return val;
}

static void lsi3108_mmio_write(void *opaque, hwaddr addr, uint64_t val,
                               unsigned size)
{
    Lsi3108State *s = opaque;

    trace_lsi3108_mmio_write(addr, val, size);
    if (!lsi3108_alive(s) || s->reset.active) {
        return;
    }
    if (s->in_mmio) {
        /* a DMA of ours aimed at our own registers */
        lsi3108_guest_error("re-entrant register write", addr, val);
        return;
    }
    s->in_mmio = true;
    if (size == 8 && addr == LSI_REG_REQ_DESC_LOW) {
        s->desc_low_valid = false;
        lsi3108_post_request(s, val);
    } else if (size == 8) {
        lsi3108_reg_write(s, addr, val);
        lsi3108_reg_write(s, addr + 4, val >> 32);
    } else {
        lsi3108_reg_write(s, addr, val);
    }
    s->in_mmio = false;
    /* frames this write queued, or left by a nested event loop */
    if (s->inbound_count) {
        qemu_bh_schedule(s->inbound_bh);
    }
}

static const MemoryRegionOps lsi3108_mmio_ops = {
    .read = lsi3108_mmio_read,
    .write = lsi3108_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {
        .min_access_size = 4,
        .max_access_size = 8,
    },
    .impl = {
        .min_access_size = 4,
        .max_access_size = 8,
    },
};

/*
 * Surprise removal: this region covers all of BAR1 (registers, MSI-X table
 * and PBA): reads are all-ones, writes go nowhere.
 */
static uint64_t lsi3108_gone_read(void *opaque, hwaddr addr, unsigned size)
{
    return lsi3108_all_ones(size);
}

static void lsi3108_gone_write(void *opaque, hwaddr addr, uint64_t val,
                               unsigned size)
{
}

static const MemoryRegionOps lsi3108_gone_ops = {
    .read = lsi3108_gone_read,
    .write = lsi3108_gone_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {
        .min_access_size = 1,
        .max_access_size = 8,
    },
    .impl = {
        .min_access_size = 1,
        .max_access_size = 8,
    },
};

static const MemoryRegionOps lsi3108_io_ops = {
    .read = lsi3108_mmio_read,
    .write = lsi3108_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {
        .min_access_size = 4,
        .max_access_size = 4,
    },
    .impl = {
        .min_access_size = 4,
        .max_access_size = 4,
    },
};

Lsi3108LD *lsi3108_find_ld(Lsi3108State *s, uint32_t target)
{
    return target < LSI3108_MAX_LD_TARGETS ? s->lds[target] : NULL;
}

Lsi3108State *lsi3108_from_bus(BusState *bus)
{
    return LSI3108(bus->parent);
}

Lsi3108Cache *lsi3108_cache(Lsi3108State *s)
{
    return &s->cache;
}

Lsi3108Stats *lsi3108_stats(Lsi3108State *s)
{
    return &s->stats;
}

const char *lsi3108_product_id(Lsi3108State *s)
{
    return LSI3108_PRODUCT_ID;
}

const char *lsi3108_fw_revision(Lsi3108State *s)
{
    return s->fw_rev;
}

uint64_t lsi3108_naa_base(Lsi3108State *s)
{
    return s->naa_base;
}

/* ------------------------------------------------------------------ */
/* Hot plug of LDs on the controller's bus                             */
/* ------------------------------------------------------------------ */

static void lsi3108_pre_plug(HotplugHandler *hotplug_dev, DeviceState *dev,
                             Error **errp)
{
    Lsi3108State *s = LSI3108(hotplug_dev);
    Lsi3108LD *ld = (Lsi3108LD *)object_dynamic_cast(OBJECT(dev),
                                                     TYPE_LSI3108_LD);

    if (object_dynamic_cast(OBJECT(dev), TYPE_LSI3108_PD)) {
        return;                         /* PDs check themselves */
    }
    if (!ld) {
        error_setg(errp, "only %s devices plug into %s", TYPE_LSI3108_LD,
                   TYPE_LSI3108_BUS);
    } else if (ld->target >= LSI3108_MAX_LD_TARGETS) {
        error_setg(errp, "LD target %u out of range (0..%u)", ld->target,
                   LSI3108_MAX_LD_TARGETS - 1);
    } else if (s->lds[ld->target]) {
        error_setg(errp, "LD target %u is already in use", ld->target);
    }
}

/* ------------------------------------------------------------------ */
/* Power loss, surprise removal, revival                               */
/* ------------------------------------------------------------------ */

/*
 * What happens to the controller when the world around it changes (the
 * test controls in lsi3108-inject.c make these happen).
 */

/*
 * Power cut: the controller stops; each LD's cache is lost, or kept where
 * the BBU protects it (lsi3108_ld_power_cut).
 */
void lsi3108_power_cut(Lsi3108State *s)
{
    unsigned int t;

    trace_lsi3108_power_cut(s->cache.dirty_bytes);
    s->powered_off = true;
    lsi3108_boot_stop(s);
    lsi3108_drop_work(s);
    for (t = 0; t < LSI3108_MAX_LD_TARGETS; t++) {
        if (s->lds[t]) {
            lsi3108_ld_power_cut(s->lds[t]);
        }
    }
}

/*
 * Back on the bus as at power-on: config space reset (BARs unassigned, as
 * for a hot-added card the host rescans), firmware READY, cache kept.
 */
static void lsi3108_reinsert(Lsi3108State *s)
{
    s->removed = false;
    memory_region_set_enabled(&s->gone, false);
    trace_lsi3108_surprise_removed(false);
    pci_device_reset(PCI_DEVICE(s));    /* our reset: firmware reboot */
}

/*
 * Surprise removal: MMIO and config reads return all-ones, writes are
 * dropped, no DMA and no interrupt happen; outstanding work is dropped and
 * late backend completions are discarded. The cache is kept. Undoing it
 * (@removed false) brings the function back as after power-on.
 */
void lsi3108_surprise_remove(Lsi3108State *s, bool removed)
{
    if (removed == s->removed) {
        return;
    }
    if (!removed) {
        lsi3108_reinsert(s);
        return;
    }
    trace_lsi3108_surprise_removed(true);
    s->removed = true;
    memory_region_set_enabled(&s->gone, true);
    lsi3108_drop_work(s);
    pci_set_irq(PCI_DEVICE(s), 0);
}

/* The firmware reboots to READY from any state; the cache is kept. */
void lsi3108_revive(Lsi3108State *s)
{
    trace_lsi3108_revive(lsi3108_state_name(s->fw_state), s->removed,
                         s->powered_off);
    s->powered_off = false;
    if (s->removed) {
        lsi3108_reinsert(s);
    } else {
        lsi3108_firmware_reboot(s, "revive");
    }
}

/* ------------------------------------------------------------------ */
/* Device life cycle                                                   */
/* ------------------------------------------------------------------ */

static void lsi3108_get_backlog(Object *obj, Visitor *v, const char *name,
                                void *opaque, Error **errp)
{
    uint64_t n = lsi3108_backlog_len(LSI3108(obj));

    visit_type_uint64(v, name, &n, errp);
}

/*
 * x-queue-replies, x-queue-masked: per reply queue of the last IOC INIT,
 * comma-separated, the replies written to it and how many of their signals
 * found its MSI-X vector masked (counted since power-on).
 */
static char *lsi3108_queue_counts(Lsi3108State *s, bool masked)
{
    GString *str = g_string_new("");
    unsigned int i;

    for (i = 0; i < s->nqueues; i++) {
        g_string_append_printf(str, "%s%" PRIu64, i ? "," : "",
                               masked ? s->queues[i].masked :
                                        s->queues[i].posted);
    }
    return g_string_free(str, false);
}

static char *lsi3108_get_queue_replies(Object *obj, Error **errp)
{
    return lsi3108_queue_counts(LSI3108(obj), false);
}

static char *lsi3108_get_queue_masked(Object *obj, Error **errp)
{
    return lsi3108_queue_counts(LSI3108(obj), true);
}

/* The memory-bound and register-strictness counters (x-..., read only). */
static void lsi3108_limits_init(Lsi3108State *s)
{
    static const struct {
        const char *name;
        size_t off;
    } counters[] = {
        { "x-bounce-bytes", offsetof(Lsi3108Limits, bounce_used) },
        { "x-bounce-waits", offsetof(Lsi3108Limits, bounce_waits) },
        { "x-smid-reposts", offsetof(Lsi3108Limits, smid_reposts) },
        { "x-reply-backlog-peak", offsetof(Lsi3108Limits, backlog_peak) },
        { "x-mfi-refused", offsetof(Lsi3108Limits, mfi_refused) },
        { "x-host-index-ignored",
          offsetof(Lsi3108Limits, host_index_ignored) },
        { "x-d3hot-count", offsetof(Lsi3108Limits, d3hot_entries) },
    };
    Object *obj = OBJECT(s);
    unsigned int i;

    for (i = 0; i < ARRAY_SIZE(counters); i++) {
        object_property_add_uint64_ptr(obj, counters[i].name,
                                       (uint64_t *)((char *)&s->limits +
                                                    counters[i].off),
                                       OBJ_PROP_FLAG_READ);
    }
    object_property_add(obj, "x-reply-backlog", "uint64",
                        lsi3108_get_backlog, NULL, NULL, NULL);
    object_property_add_uint32_ptr(obj, "x-driver-caps", &s->driver_caps,
                                   OBJ_PROP_FLAG_READ);
    object_property_add_uint32_ptr(obj, "x-reply-queues", &s->nqueues,
                                   OBJ_PROP_FLAG_READ);
    object_property_add_str(obj, "x-queue-replies",
                            lsi3108_get_queue_replies, NULL);
    object_property_add_str(obj, "x-queue-masked",
                            lsi3108_get_queue_masked, NULL);
}

static void lsi3108_instance_init(Object *obj)
{
    Lsi3108State *s = LSI3108(obj);

    QTAILQ_INIT(&s->held);
    QTAILQ_INIT(&s->outstanding);
    QTAILQ_INIT(&s->tms);
    QTAILQ_INIT(&s->bounce_waiting);
    lsi3108_inject_init(s);
    lsi3108_cache_add_properties(obj);
    lsi3108_limits_init(s);
}

static void lsi3108_instance_finalize(Object *obj)
{
    lsi3108_inject_finalize(LSI3108(obj));
}

static bool lsi3108_check_props(Lsi3108State *s, Error **errp)
{
    if (s->msix_vectors < 1 || s->msix_vectors > LSI_MAX_MSIX_VECTORS) {
        error_setg(errp, "msix-vectors must be 1..%u", LSI_MAX_MSIX_VECTORS);
        return false;
    }
    if (s->max_cmds < LSI3108_MIN_MAX_CMDS ||
        s->max_cmds > LSI3108_MAX_MAX_CMDS) {
        error_setg(errp, "max-cmds must be %u..%u", LSI3108_MIN_MAX_CMDS,
                   LSI3108_MAX_MAX_CMDS);
        return false;
    }
    if (s->reset.time_ms > LSI3108_MAX_RESET_MS) {
        error_setg(errp, "reset-time-ms must be 0..%u", LSI3108_MAX_RESET_MS);
        return false;
    }
    if (s->limits.bounce_max < LSI3108_MAX_XFER) {
        error_setg(errp, "bounce-max must be at least %lu bytes (one command)",
                   (unsigned long)LSI3108_MAX_XFER);
        return false;
    }
    if (s->fw_version && strlen(s->fw_version) >= 32) {
        error_setg(errp, "fw-version is longer than 31 characters");
        return false;
    }
    if (s->serial && strlen(s->serial) >= 32) {
        error_setg(errp, "serial is longer than 31 characters");
        return false;
    }
    return lsi3108_mgmt_queue_prop(s, errp);
}

/* Defaults that depend on the instance: serial, NAA base, FW revision. */
static void lsi3108_identity(Lsi3108State *s)
{
    g_autofree char *path = object_get_canonical_path(OBJECT(s));
    uint32_t h;

    if (!s->fw_version) {
        s->fw_version = g_strdup(LSI3108_DEFAULT_FW_VERSION);
    }
    if (!s->serial) {
        s->serial = g_strdup_printf("SV%08X", lsi3108_hash(path ? path : ""));
    }
    h = lsi3108_hash(s->serial);
    s->naa_base = (6ULL << 60) | (LSI3108_LSI_OUI << 36) |
                  ((uint64_t)(h & 0x0fffffff) << 8);
    memset(s->fw_rev, ' ', 4);
    memcpy(s->fw_rev, s->fw_version, MIN(strlen(s->fw_version), 4));
    s->fw_rev[4] = '\0';
}

/* ------------------------------------------------------------------ */
/* Power management (D0 / D3hot)                                       */
/* ------------------------------------------------------------------ */

/*
 * The PCI power-management capability (PCIe requires one): D0 and D3hot
 * only, No_Soft_Reset clear. In D3hot the function answers only config
 * cycles: register reads return all-ones, writes are dropped, and it does
 * no DMA and raises no interrupt (lsi3108_alive()). D3hot -> D0 is a soft
 * reset, as the spec has it when No_Soft_Reset is 0: the firmware restarts
 * like after a chip reset (READY, work dropped, cache kept) and the host
 * restores config space and brings it up again.
 */
static void lsi3108_init_pm(Lsi3108State *s, Error **errp)
{
    PCIDevice *d = PCI_DEVICE(s);
    uint8_t pm = LSI3108_PM_CAP_OFFSET;

    if (pci_add_capability(d, PCI_CAP_ID_PM, pm, PCI_PM_SIZEOF, errp) < 0) {
        return;
    }
    pci_set_word(d->config + pm + PCI_PM_PMC, LSI3108_PM_CAP_VER_1_2);
    pci_set_word(d->wmask + pm + PCI_PM_CTRL, PCI_PM_CTRL_STATE_MASK);
}

static unsigned int lsi3108_pm_state(PCIDevice *d)
{
    return pci_get_word(d->config + LSI3108_PM_CAP_OFFSET + PCI_PM_CTRL) &
           PCI_PM_CTRL_STATE_MASK;
}

/* A write to the PM control register: enter D3hot, or leave it (reset). */
static void lsi3108_pm_write(Lsi3108State *s, unsigned int old)
{
    PCIDevice *d = PCI_DEVICE(s);
    unsigned int state = lsi3108_pm_state(d);

    if (state == old) {
        return;
    }
    trace_lsi3108_power_state(old, state);
    s->d3hot = state == LSI3108_PM_STATE_D3HOT;
    if (s->d3hot) {
        s->limits.d3hot_entries++;
        pci_set_irq(d, 0);
    } else if (old == LSI3108_PM_STATE_D3HOT) {
        lsi3108_chip_reset(s, "D3hot to D0", false);
    }
}

static void lsi3108_init_interrupts(Lsi3108State *s, Error **errp)
{
    PCIDevice *d = PCI_DEVICE(s);
    Error *err = NULL;
    unsigned int v;
    int ret;

    ret = msi_init(d, LSI3108_MSI_CAP_OFFSET, 1, true, false, &err);
    if (ret) {
        /* -ENOTSUP: the machine's MSI is broken; run without it */
        error_free(err);
        err = NULL;
    }
    ret = msix_init(d, s->msix_vectors, &s->mmio, LSI_REG_BAR,
                    LSI_MSIX_TABLE_OFFSET, &s->mmio, LSI_REG_BAR,
                    LSI_MSIX_PBA_OFFSET, LSI3108_MSIX_CAP_OFFSET, &err);
    if (ret == -ENOTSUP) {
        error_free(err);
    } else if (ret) {
        error_propagate(errp, err);
        return;
    } else {
        for (v = 0; v < s->msix_vectors; v++) {
            msix_vector_use(d, v);
        }
    }
}

/* The register BARs, the interrupts and (on PCIe) FLR; false on error. */
static bool lsi3108_init_pci(Lsi3108State *s, Error **errp)
{
    PCIDevice *d = PCI_DEVICE(s);
    Error *err = NULL;

    d->config[PCI_LATENCY_TIMER] = 0;
    d->config[PCI_INTERRUPT_PIN] = 0x01;
    memory_region_init_io(&s->mmio, OBJECT(s), &lsi3108_mmio_ops, s,
                          "lsi3108-regs", LSI_REG_BAR_SIZE);
    memory_region_init_io(&s->io, OBJECT(s), &lsi3108_io_ops, s,
                          "lsi3108-io", LSI3108_IO_BAR_SIZE);
    memory_region_init_io(&s->gone, OBJECT(s), &lsi3108_gone_ops, s,
                          "lsi3108-removed", LSI_REG_BAR_SIZE);
    lsi3108_init_interrupts(s, &err);
    if (!err) {
        lsi3108_init_pm(s, &err);
    }
    if (err) {
        error_propagate(errp, err);
        return false;
    }
    /* over the MSI-X table and PBA too, enabled by surprise removal */
    memory_region_add_subregion_overlap(&s->mmio, 0, &s->gone, 1);
    memory_region_set_enabled(&s->gone, false);
    /*
     * On a PCIe bus: an endpoint (a root-complex integrated one on q35's
     * pcie.0) with Function Level Reset, so the host can reset the
     * function (Linux: reset_method "flr").
     */
    if (pci_is_express(d)) {
        if (pcie_endpoint_cap_init(d, LSI3108_PCIE_CAP_OFFSET) < 0) {
            error_setg(errp, "cannot add the PCI Express capability");
            return false;
        }
        pcie_cap_flr_init(d);
    }
    pci_register_bar(d, 0, PCI_BASE_ADDRESS_SPACE_IO, &s->io);
    pci_register_bar(d, LSI_REG_BAR, PCI_BASE_ADDRESS_SPACE_MEMORY |
                     PCI_BASE_ADDRESS_MEM_TYPE_64, &s->mmio);
    return true;
}

static void lsi3108_realize(PCIDevice *d, Error **errp)
{
    Lsi3108State *s = LSI3108(d);

    if (!lsi3108_check_props(s, errp) || !lsi3108_init_pci(s, errp)) {
        return;
    }
    lsi3108_identity(s);
    s->chain_size = lsi3108_pad_chain_size(s);
    s->cache.max_bytes = s->cache_size;
    s->smid_busy = bitmap_new(s->max_cmds);
    s->inbound = g_new0(uint32_t, s->max_cmds);
    s->inbound_bh = qemu_bh_new(lsi3108_inbound_run, s);
    s->limits.bounce_bh = qemu_bh_new(lsi3108_bounce_run, s);
    s->boot_ns = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    lsi3108_inject_realize(s);
    s->boot.timer = timer_new_ns(QEMU_CLOCK_VIRTUAL, lsi3108_boot_tick, s);
    s->reset.timer = timer_new_ms(QEMU_CLOCK_VIRTUAL,
                                  lsi3108_reset_window_end, s);
    s->reset.dma_fault_bh = qemu_bh_new(lsi3108_dma_fault_bh, s);
    s->next_seq = 1;
    s->boot_seq = 1;
    s->shutdown_seq = 0;

    qbus_init(&s->bus, sizeof(s->bus), TYPE_LSI3108_BUS, DEVICE(d), NULL);
    qbus_set_hotplug_handler(&s->bus, OBJECT(s));
    s->intr_mask = LSI_INTR_ALL;
    s->fw_state = LSI_FW_STATE_READY;
}

static void lsi3108_exit(PCIDevice *d)
{
    Lsi3108State *s = LSI3108(d);

    lsi3108_drop_work(s);
    g_free(s->smid_busy);
    s->smid_busy = NULL;
    g_free(s->inbound);
    s->inbound = NULL;
    qemu_bh_delete(s->inbound_bh);
    s->inbound_bh = NULL;
    qemu_bh_delete(s->limits.bounce_bh);
    s->limits.bounce_bh = NULL;
    lsi3108_inject_exit(s);
    timer_free(s->boot.timer);
    s->boot.timer = NULL;
    timer_free(s->reset.timer);
    s->reset.timer = NULL;
    qemu_bh_delete(s->reset.dma_fault_bh);
    s->reset.dma_fault_bh = NULL;
    memory_region_del_subregion(&s->mmio, &s->gone);
    if (msix_present(d)) {
        msix_unuse_all_vectors(d);
        msix_uninit(d, &s->mmio, &s->mmio);
    }
    msi_uninit(d);
}

/* Every reset (FLR, machine reset) leaves the function in D0. */
static void lsi3108_pm_reset(Lsi3108State *s)
{
    PCIDevice *d = PCI_DEVICE(s);

    pci_word_test_and_clear_mask(d->config + LSI3108_PM_CAP_OFFSET +
                                 PCI_PM_CTRL, PCI_PM_CTRL_STATE_MASK);
    s->d3hot = false;
}

/* An FLR is in progress while the bus-command bit is still set. */
static bool lsi3108_in_flr(PCIDevice *d)
{
    return pci_is_express(d) && d->exp.exp_cap &&
           (pci_get_word(d->config + d->exp.exp_cap + PCI_EXP_DEVCTL) &
            PCI_EXP_DEVCTL_BCR_FLR);
}

/*
 * Device reset. An FLR resets the firmware like a chip reset (READY, all
 * work dropped, cache kept; a dead firmware stays dead); a machine reset
 * is a power cycle: the firmware boots again, even from x-fault-no-reset.
 */
static void lsi3108_reset(DeviceState *dev)
{
    Lsi3108State *s = LSI3108(dev);

    lsi3108_pm_reset(s);
    if (lsi3108_in_flr(PCI_DEVICE(dev))) {
        trace_lsi3108_flr(lsi3108_state_name(s->fw_state));
        lsi3108_chip_reset(s, "FLR", true);
        return;
    }
    lsi3108_firmware_reboot(s, "device reset");
}

/* A surprise-removed function answers config reads with all-ones. */
static uint32_t lsi3108_config_read(PCIDevice *d, uint32_t addr, int len)
{
    if (LSI3108(d)->removed) {
        return lsi3108_all_ones(len);
    }
    return pci_default_read_config(d, addr, len);
}

static void lsi3108_config_write(PCIDevice *d, uint32_t addr, uint32_t val,
                                 int len)
{
    unsigned int pm_state = lsi3108_pm_state(d);

    if (LSI3108(d)->removed) {
        return;
    }
    pci_default_write_config(d, addr, val, len);
    if (ranges_overlap(addr, len, LSI3108_PM_CAP_OFFSET + PCI_PM_CTRL, 2)) {
        lsi3108_pm_write(LSI3108(d), pm_state);
    }
    if (pci_is_express(d) && d->exp.exp_cap) {
        pcie_cap_flr_write_config(d, addr, val, len);
    }
}

static const VMStateDescription vmstate_lsi3108 = {
    .name = TYPE_LSI3108,
    .unmigratable = 1,
};

static Property lsi3108_properties[] = {
    DEFINE_PROP_UINT32("msix-vectors", Lsi3108State, msix_vectors,
                       LSI3108_DEFAULT_VECTORS),
    DEFINE_PROP_UINT32("max-cmds", Lsi3108State, max_cmds,
                       LSI3108_DEFAULT_MAX_CMDS),
    DEFINE_PROP_BOOL("sync-cache", Lsi3108State, sync_cache, true),
    DEFINE_PROP_BOOL("chain-1mb", Lsi3108State, chain_1mb, true),
    DEFINE_PROP_BOOL("rdpq", Lsi3108State, rdpq, true),
    DEFINE_PROP_BOOL("dma64", Lsi3108State, dma64, true),
    DEFINE_PROP_SIZE("cache-size", Lsi3108State, cache_size,
                     LSI3108_DEFAULT_CACHE_SIZE),
    DEFINE_PROP_SIZE("bounce-max", Lsi3108State, limits.bounce_max,
                     LSI3108_DEFAULT_BOUNCE_MAX),
    DEFINE_PROP_STRING("serial", Lsi3108State, serial),
    DEFINE_PROP_STRING("fw-version", Lsi3108State, fw_version),
    DEFINE_PROP_BOOL("tm-capable", Lsi3108State, tm_capable, false),
    DEFINE_PROP_UINT32("reset-time-ms", Lsi3108State, reset.time_ms,
                       LSI3108_DEFAULT_RESET_MS),
    DEFINE_PROP_BOOL("config-seq-check", Lsi3108State, config_seq_check,
                     true),
    DEFINE_PROP_STRING("mfi-reply-queue", Lsi3108State, mfi_reply_queue),
    DEFINE_PROP_BOOL("sgl-check", Lsi3108State, sgl_check, true),
    DEFINE_PROP_BOOL("expose-jbod", Lsi3108State, expose_jbod, false),
    DEFINE_PROP_END_OF_LIST(),
};

static void lsi3108_class_init(ObjectClass *oc, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);
    PCIDeviceClass *pc = PCI_DEVICE_CLASS(oc);
    HotplugHandlerClass *hc = HOTPLUG_HANDLER_CLASS(oc);

    pc->realize = lsi3108_realize;
    pc->exit = lsi3108_exit;
    pc->config_read = lsi3108_config_read;
    pc->config_write = lsi3108_config_write;
    pc->vendor_id = LSI_PCI_VENDOR_ID;
    pc->device_id = LSI_PCI_DEVICE_ID_3108;
    pc->subsystem_vendor_id = LSI_PCI_VENDOR_ID;
    pc->subsystem_id = LSI_PCI_SUBSYS_ID_9361_8I;
    pc->class_id = LSI_PCI_CLASS_RAID;
    hc->pre_plug = lsi3108_pre_plug;
    hc->unplug = qdev_simple_device_unplug_cb;
    dc->desc = "LSI MegaRAID SAS3108 RAID controller (MegaRAID SAS 9361-8i)";
    dc->reset = lsi3108_reset;
    dc->vmsd = &vmstate_lsi3108;
    device_class_set_props(dc, lsi3108_properties);
    set_bit(DEVICE_CATEGORY_STORAGE, dc->categories);
}

static const TypeInfo lsi3108_bus_info = {
    .name = TYPE_LSI3108_BUS,
    .parent = TYPE_BUS,
    .instance_size = sizeof(BusState),
};

static const TypeInfo lsi3108_info = {
    .name = TYPE_LSI3108,
    .parent = TYPE_PCI_DEVICE,
    .instance_size = sizeof(Lsi3108State),
    .instance_init = lsi3108_instance_init,
    .instance_finalize = lsi3108_instance_finalize,
    .class_init = lsi3108_class_init,
    .interfaces = (InterfaceInfo[]) {
        { TYPE_HOTPLUG_HANDLER },
        { INTERFACE_PCIE_DEVICE },
        { }
    },
};

static void lsi3108_register_types(void)
{
    type_register_static(&lsi3108_bus_info);
    type_register_static(&lsi3108_info);
}

type_init(lsi3108_register_types)
