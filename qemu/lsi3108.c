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
 * descriptor named and raises that vector. Management commands are MFI
 * frames (DCMDs) carried by an MPI pass-through frame.
 *
 * This file owns the PCI function, the register file, the firmware state
 * machine (booting: FW_INIT / DEVICE_SCAN, then READY / OPERATIONAL /
 * FAULT), the request and reply queues, the MFI management commands, the
 * event log and the RAID map. The logical drives live in lsi3108-ld.c and
 * plug into the controller's bus; the interface between the two is
 * lsi3108.h.
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
#include "lsi3108.h"

OBJECT_DECLARE_SIMPLE_TYPE(Lsi3108State, LSI3108)

/* ------------------------------------------------------------------ */
/* Model parameters (choices of this model, not hardware facts)        */
/* ------------------------------------------------------------------ */

#define LSI3108_DEFAULT_VECTORS     8
#define LSI3108_DEFAULT_MAX_CMDS    928
#define LSI3108_MIN_MAX_CMDS        32
#define LSI3108_MAX_MAX_CMDS        8192
#define LSI3108_DEFAULT_CACHE_SIZE  (128 * MiB)
#define LSI3108_DEFAULT_FW_VERSION  "4.680.00-8527"
#define LSI3108_PACKAGE_VERSION     "24.21.0-0151"
#define LSI3108_PRODUCT_ID          "MR9361-8i"
#define LSI3108_PRODUCT_NAME        "AVAGO MegaRAID SAS 9361-8i"
#define LSI3108_LSI_OUI             0x00605bULL

/* pad 1 chain size field: 8 units of 512 B (4 KiB) or of 128 B (1 KiB) */
#define LSI3108_CHAIN_UNITS         8
/* largest data transfer of one SCSI command: 2048 sectors, as ctrl_info says */
#define LSI3108_MAX_XFER            (1 * MiB)
#define LSI3108_MAX_REQUEST_SECTORS (LSI3108_MAX_XFER / 512)
#define LSI3108_MAX_REPLY_DEPTH     0xfff0
#define LSI3108_CACHE_MEMORY_MB     1024
#define LSI3108_EVT_LOG_SIZE        64
/* smallest MFI frame we accept through a pass-through (the DCMD frame) */
#define LSI3108_MFI_MIN_FRAME       64
#define LSI3108_MSI_CAP_OFFSET      0x50
#define LSI3108_MSIX_CAP_OFFSET     0x68
#define LSI3108_PCIE_CAP_OFFSET     0xa0
#define LSI3108_IO_BAR_SIZE         256

/* Fault codes this model reports in pad 0 bits 27:16 */
#define LSI3108_FAULT_HOST_FORCED   0x0001  /* doorbell FORCE_FAULT */
#define LSI3108_FAULT_STOPPED       0x0002  /* doorbell STOP_ADAPTER */
#define LSI3108_FAULT_DMA           0x0003  /* a frame or queue DMA failed */

/* A DCMD handler's return value when it kept the command (held or async) */
#define LSI3108_DCMD_DEFERRED       (-1)

/*
 * Task management. A terminated command completes with this RAID context
 * status (Linux maps it to DID_ERROR; a host that sent the TM ignores it).
 */
#define LSI3108_TM_ABORT_STATUS     LSI_MFI_STAT_SCSI_IO_FAILED
#define LSI3108_MPI2_IOCSTATUS_OK   0x0000

/* Mailbox bytes asking for the 256-LD forms of the LD lists (Linux) */
#define LSI3108_LD_LIST_MBOX_EXT    0       /* LD_GET_LIST: b[0] = 1 */
#define LSI3108_LD_QUERY_MBOX_EXT   2       /* LD_LIST_QUERY: b[2] = 1 */

/* fuzz-replies: descriptors per batch, and the batch period (virtual time) */
#define LSI3108_FUZZ_BATCH          32
#define LSI3108_FUZZ_PERIOD_MS      2

/* ------------------------------------------------------------------ */
/* State                                                               */
/* ------------------------------------------------------------------ */

/* One reply descriptor ring (one per MSI-X vector the host asked for). */
typedef struct Lsi3108ReplyQueue {
    dma_addr_t  base;
    uint32_t    producer;       /* next slot the firmware writes */
    uint32_t    host_index;     /* next slot the host reads */
    GQueue      backlog;        /* SMIDs waiting for a free slot */
} Lsi3108ReplyQueue;

/* An entry of the firmware event log. */
typedef struct Lsi3108Event {
    uint32_t    seq;
    uint32_t    code;
    uint32_t    class_locale;
    uint32_t    time_stamp;
    uint8_t     arg_type;
    uint16_t    target;
    char        description[64];
} Lsi3108Event;

typedef struct Lsi3108Mfi Lsi3108Mfi;
typedef struct Lsi3108Tm Lsi3108Tm;

/*
 * Where an outstanding Fusion SCSI command is, as far as the firmware is
 * concerned. Its SMID stays busy in every state.
 */
typedef enum {
    LSI3108_CMD_RUNNING,            /* in the LD: backend I/O may be running */
    LSI3108_CMD_DELAYED,            /* done; the completion waits for a timer */
    LSI3108_CMD_LOST,               /* done; never completed by itself */
} Lsi3108CmdState;

/* Why a command is held (never completed) by fault injection. */
typedef enum {
    LSI3108_HOLD_NONE,
    LSI3108_HOLD_INJECT,            /* inject-reply wrong-queue */
    LSI3108_HOLD_FUZZ,              /* fuzz-replies */
} Lsi3108Hold;

/* A SCSI command for an LD: the request handed to lsi3108-ld.c, plus ours. */
typedef struct Lsi3108Cmd {
    Lsi3108Request  req;
    uint32_t        epoch;
    dma_addr_t      frame_addr;
    dma_addr_t      sense_addr;
    uint8_t         sense_len;
    Lsi3108Mfi      *mfi;           /* MFI-mode pass-through, else NULL */
    /* Fusion commands only: on s->outstanding (through req.next) */
    bool            tracked;
    Lsi3108CmdState state;
    uint32_t        target;         /* the LD's target id (the LD may go) */
    uint32_t        delay_ms;       /* delay-next-ms taken at arrival */
    Lsi3108Hold     hold;
    Lsi3108Tm       *tm;            /* terminated for this TM once LD is done */
} Lsi3108Cmd;

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

/*
 * An MFI command: a DCMD or ABORT that came through a pass-through frame
 * (Fusion), or any MFI frame posted at the MFI queue port while READY.
 */
struct Lsi3108Mfi {
    QTAILQ_ENTRY(Lsi3108Mfi) next;
    Lsi3108State    *s;
    uint32_t        epoch;
    bool            mfi_mode;       /* polled MFI mode: no reply descriptor */
    uint16_t        smid;
    uint8_t         msix;
    dma_addr_t      addr;           /* the MFI frame in host memory */
    uint8_t         frame[LSI_MFI_FRAME_SIZE];
    uint32_t        frame_len;
    uint32_t        opcode;
    QEMUSGList      sgl;            /* the DCMD's data buffer */
    uint32_t        xfer_len;       /* min(data_xfer_len, SGL length) */
    unsigned int    flushes_pending;
    int             flush_ret;
    uint8_t         fail_status;
    QEMUTimer       *timer;         /* flush-delay-ms of a cache flush DCMD */
};

/* Fault injection knobs (QOM properties) and what they did. */
typedef struct Lsi3108Inject {
    uint32_t    delay_us;           /* delay every SCSI completion */
    uint32_t    drop;               /* lose the next N SCSI completions */
    uint32_t    flush_delay_ms;     /* SYNCHRONIZE CACHE, CACHE_FLUSH DCMD */
    uint32_t    delay_next_ms;      /* delay the next delay_next_count ... */
    uint32_t    delay_next_count;   /* ... SCSI commands received */
    uint32_t    hold_armed;         /* inject-reply wrong-queue, pending */
    uint64_t    dropped;            /* counters */
    uint64_t    garbage;
    uint64_t    tm_count;
    uint64_t    tm_aborted;
} Lsi3108Inject;

/*
 * Seeded fuzzing. Each stream is a splitmix64 generator seeded from
 * fuzz-seed, so the same seed and the same sequence of property writes
 * give the same values.
 */
typedef struct Lsi3108Fuzz {
    uint64_t    seed;
    uint64_t    reply_rng;
    uint64_t    event_rng;
    uint64_t    dcmd_rng;
    QEMUTimer   *timer;             /* reply batches */
    uint32_t    replies_left;
    bool        hold_armed;         /* hold the next command as a victim */
    uint32_t    events_left;
    bool        lists_active;       /* a fuzzed event is being handled */
    bool        list_toggle;        /* every other LD list is invalid */
    uint64_t    replies_done;
    uint64_t    events_done;
    uint64_t    dcmd_done;
} Lsi3108Fuzz;

/*
 * Firmware (re)start. Every start (power-on or machine reset, chip reset,
 * FLR, revive, doorbell OPERATIONAL -> READY) counts; with boot-delay-ms
 * set, the firmware spends the first nine tenths of it in FW_INIT and the
 * last tenth in DEVICE_SCAN (virtual time) before READY.
 */
typedef struct Lsi3108Boot {
    uint32_t    delay_ms;           /* property boot-delay-ms */
    uint64_t    count;              /* property boot-count */
    int64_t     start_ns;           /* when the current boot began */
    int64_t     length_ns;          /* its length, fixed when it began */
    QEMUTimer   *timer;             /* FW_INIT -> DEVICE_SCAN -> READY */
} Lsi3108Boot;

struct Lsi3108State {
    PCIDevice       parent_obj;

    MemoryRegion    mmio;           /* BAR1: registers, MSI-X table, PBA */
    MemoryRegion    io;             /* BAR0: I/O alias of the first 256 B */
    MemoryRegion    gone;           /* over BAR1 while surprise-removed */
    BusState        bus;            /* "<id>.0": the LDs */

    /* properties */
    uint32_t        msix_vectors;
    uint32_t        max_cmds;
    bool            sync_cache;
    bool            chain_1mb;
    bool            rdpq;
    uint64_t        cache_size;
    char            *serial;
    char            *fw_version;
    bool            tm_capable;

    /* firmware */
    uint32_t        fw_state;       /* LSI_FW_STATE_* */
    uint32_t        fault_code;
    bool            fault_no_reset; /* FAULT without RESET_ADAPTER: dead */
    bool            powered_off;
    bool            removed;        /* surprise removal: off the bus */
    uint32_t        epoch;          /* bumped whenever work is dropped */
    bool            in_mmio;
    char            fw_rev[5];
    uint64_t        naa_base;
    int64_t         boot_ns;
    uint32_t        chain_size;

    /* registers */
    uint32_t        intr_status;    /* latched bits (doorbell) */
    uint32_t        intr_mask;
    uint32_t        desc_low;
    bool            desc_low_valid;
    unsigned int    wseq_pos;
    bool            diag_unlocked;

    /* what IOC INIT told us */
    dma_addr_t      frame_base;
    uint32_t        sense_high;
    uint32_t        nqueues;
    uint32_t        reply_depth;
    Lsi3108ReplyQueue queues[LSI_MAX_MSIX_VECTORS];
    unsigned long   *smid_busy;

    /* MFI commands the firmware holds (EVENT_WAIT, map sync) */
    QTAILQ_HEAD(, Lsi3108Mfi) held;
    /* Fusion SCSI commands whose SMID is busy (Lsi3108Cmd.req) */
    QTAILQ_HEAD(, Lsi3108Request) outstanding;
    /* task management requests waiting for backend I/O */
    QTAILQ_HEAD(, Lsi3108Tm) tms;
    Lsi3108Inject   inject;
    Lsi3108Fuzz     fuzz;
    Lsi3108Boot     boot;

    /* logical drives, by target id */
    Lsi3108LD       *lds[LSI3108_MAX_LD_TARGETS];

    /* event log */
    Lsi3108Event    events[LSI3108_EVT_LOG_SIZE];
    uint32_t        next_seq;
    uint32_t        boot_seq;
    uint32_t        shutdown_seq;

    Lsi3108Cache    cache;
    Lsi3108Stats    stats;
};

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */
/* ------------------------------------------------------------------ */

static void lsi3108_guest_error(const char *what, uint64_t a, uint64_t b)
{
    trace_lsi3108_guest_error(what, a, b);
    qemu_log_mask(LOG_GUEST_ERROR, "lsi3108: %s (0x%" PRIx64 ", 0x%" PRIx64
                  ")\n", what, a, b);
}

static bool lsi3108_dma_read(Lsi3108State *s, dma_addr_t addr, void *buf,
                             dma_addr_t len)
{
    if (pci_dma_read(PCI_DEVICE(s), addr, buf, len) != MEMTX_OK) {
        lsi3108_guest_error("DMA read failed", addr, len);
        return false;
    }
    return true;
}

static bool lsi3108_dma_write(Lsi3108State *s, dma_addr_t addr,
                              const void *buf, dma_addr_t len)
{
    if (pci_dma_write(PCI_DEVICE(s), addr, buf, len) != MEMTX_OK) {
        lsi3108_guest_error("DMA write failed", addr, len);
        return false;
    }
    return true;
}

static void lsi3108_copy_str(char *dst, size_t size, const char *src)
{
    strpadcpy(dst, size, src, '\0');
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

/*
 * splitmix64 (a Weyl sequence through a 64-bit mixer): the fuzzers' only
 * source of randomness, so a seed fixes everything they produce.
 */
static uint64_t lsi3108_rand(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* One independent stream per fuzzer, all derived from fuzz-seed. */
static void lsi3108_fuzz_reseed(Lsi3108State *s, uint64_t seed)
{
    s->fuzz.seed = seed;
    s->fuzz.reply_rng = seed ^ 0x7265706c79ULL;     /* "reply" */
    s->fuzz.event_rng = seed ^ 0x6576656e74ULL;     /* "event" */
    s->fuzz.dcmd_rng = seed ^ 0x64636d64ULL;        /* "dcmd" */
}

static const char *lsi3108_state_name(uint32_t state)
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
    default:
        return "?";
    }
}

/* Powered, and reachable on the bus: may DMA and interrupt. */
static bool lsi3108_alive(Lsi3108State *s)
{
    return !s->powered_off && !s->removed;
}

static bool lsi3108_running(Lsi3108State *s)
{
    return s->fw_state == LSI_FW_STATE_OPERATIONAL && lsi3108_alive(s);
}

/* Still booting after a (re)start (boot-delay-ms): not READY yet. */
static bool lsi3108_booting(Lsi3108State *s)
{
    return s->fw_state == LSI_FW_STATE_FW_INIT ||
           s->fw_state == LSI_FW_STATE_DEVICE_SCAN;
}

/* Polled MFI mode (frames at the MFI queue port) works before IOC INIT. */
static bool lsi3108_mfi_mode_ok(Lsi3108State *s)
{
    return s->fw_state == LSI_FW_STATE_READY && lsi3108_alive(s);
}

static unsigned int lsi3108_ld_count(Lsi3108State *s)
{
    unsigned int t, n = 0;

    for (t = 0; t < LSI3108_MAX_LD_TARGETS; t++) {
        n += s->lds[t] != NULL;
    }
    return n;
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
    return v | LSI_CAP_64BIT_DMA;
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

    if (!msix_enabled(d) && !msi_enabled(d) && !s->removed) {
        level = !!(lsi3108_intr_status(s) & ~s->intr_mask & LSI_INTR_ALL);
    }
    pci_set_irq(d, level);
}

/* Signal that ring @qi has new replies (the mask gates every mode). */
static void lsi3108_notify(Lsi3108State *s, unsigned int qi)
{
    PCIDevice *d = PCI_DEVICE(s);

    if (!lsi3108_alive(s)) {
        return;
    }
    if (!(s->intr_mask & LSI_INTR_REPLY)) {
        if (msix_enabled(d)) {
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

static void lsi3108_mfi_free(Lsi3108Mfi *m)
{
    if (m->timer) {
        timer_free(m->timer);
    }
    qemu_sglist_destroy(&m->sgl);
    g_free(m);
}

static void lsi3108_cmd_free(Lsi3108Cmd *cmd)
{
    if (cmd->mfi) {
        lsi3108_mfi_free(cmd->mfi);
    }
    if (cmd->req.delay_timer) {
        timer_free(cmd->req.delay_timer);
    }
    qemu_sglist_destroy(&cmd->req.qsg);
    g_free(cmd);
}

/* Take a command off the outstanding list; its SMID stays as it is. */
static void lsi3108_cmd_untrack(Lsi3108State *s, Lsi3108Cmd *cmd)
{
    if (cmd->tracked) {
        QTAILQ_REMOVE(&s->outstanding, &cmd->req, next);
        cmd->tracked = false;
    }
}

/* Free a command, taking it off the outstanding list if it is on it. */
static void lsi3108_cmd_release(Lsi3108State *s, Lsi3108Cmd *cmd)
{
    lsi3108_cmd_untrack(s, cmd);
    lsi3108_cmd_free(cmd);
}

/*
 * Forget every outstanding command: held DCMDs, delayed and lost commands
 * and waiting TMs are freed; commands still running in an LD or a flush are
 * orphaned (their epoch no longer matches, so the LD does no more DMA for
 * them and their completion is dropped), and the reply rings are forgotten.
 */
static void lsi3108_drop_work(Lsi3108State *s)
{
    Lsi3108Mfi *m, *mn;
    Lsi3108Request *r, *rn;
    Lsi3108Tm *t, *tn;
    unsigned int i;

    s->epoch++;
    QTAILQ_FOREACH_SAFE(m, &s->held, next, mn) {
        QTAILQ_REMOVE(&s->held, m, next);
        lsi3108_mfi_free(m);
    }
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
    for (i = 0; i < ARRAY_SIZE(s->queues); i++) {
        g_queue_clear(&s->queues[i].backlog);
        s->queues[i].producer = 0;
        s->queues[i].host_index = 0;
        s->queues[i].base = 0;
    }
    s->nqueues = 0;
    s->reply_depth = 0;
    s->desc_low_valid = false;
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
 * FW_INIT then DEVICE_SCAN for boot-delay-ms (taken now: a later change
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

/* A boot in progress stops where it is (FAULT, power cut). */
static void lsi3108_boot_stop(Lsi3108State *s)
{
    if (s->boot.timer) {
        timer_del(s->boot.timer);
    }
}

/* Stop processing and report @code; only a chip reset leaves FAULT. */
static void lsi3108_fault(Lsi3108State *s, uint32_t code)
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
 * firmware restarts (boot-delay-ms in FW_INIT / DEVICE_SCAN first).
 */
static void lsi3108_go_ready(Lsi3108State *s)
{
    lsi3108_drop_work(s);
    lsi3108_boot_start(s, "doorbell");
    lsi3108_update_intx(s);
}

/*
 * Chip reset (host diag RESET_ADAPTER, FLR, or a device reset): all work is
 * dropped and the firmware restarts to READY (after boot-delay-ms in
 * FW_INIT / DEVICE_SCAN); the reset itself is immediate, so host diag
 * RESET_ADAPTER never reads back set. The write-back cache is not
 * touched: like the controller's cache memory, it survives the reset, and
 * write-backs already started run to completion. A firmware that faulted
 * with fault-no-reset does not come back: it stays in FAULT.
 */
static void lsi3108_chip_reset(Lsi3108State *s, const char *why)
{
    trace_lsi3108_chip_reset(lsi3108_state_name(s->fw_state),
                             s->fault_no_reset);
    lsi3108_drop_work(s);
    s->intr_status = 0;
    s->intr_mask = LSI_INTR_ALL;
    s->wseq_pos = 0;
    s->diag_unlocked = false;
    if (!s->fault_no_reset) {
        s->fault_code = 0;
        lsi3108_boot_start(s, why);
    }
    lsi3108_update_intx(s);
}

/* The firmware boots again (power-on, revive): even a dead one recovers. */
static void lsi3108_firmware_reboot(Lsi3108State *s, const char *why)
{
    s->fault_no_reset = false;
    lsi3108_chip_reset(s, why);
}

/* ------------------------------------------------------------------ */
/* Reply rings                                                         */
/* ------------------------------------------------------------------ */

static bool lsi3108_queue_full(Lsi3108State *s, Lsi3108ReplyQueue *q)
{
    return (q->producer + 1) % s->reply_depth == q->host_index;
}

/* One 8-byte store of {type 0, vector, SMID, 0} at the producer slot. */
static bool lsi3108_write_reply(Lsi3108State *s, unsigned int qi,
                                uint16_t smid)
{
    Lsi3108ReplyQueue *q = &s->queues[qi];
    dma_addr_t addr = q->base + (dma_addr_t)q->producer * 8;
    uint64_t desc;

    desc = LSI_RPY_TYPE_SCSI_IO_SUCCESS | ((uint64_t)qi << 8) |
           ((uint64_t)smid << 16);
    trace_lsi3108_reply_post(qi, q->producer, smid);
    if (stq_le_pci_dma(PCI_DEVICE(s), addr, desc,
                       MEMTXATTRS_UNSPECIFIED) != MEMTX_OK) {
        lsi3108_guest_error("reply ring write failed", addr, smid);
        lsi3108_fault(s, LSI3108_FAULT_DMA);
        return false;
    }
    q->producer = (q->producer + 1) % s->reply_depth;
    return true;
}

/*
 * Post the completion of @smid on ring @qi. When the ring is full (the
 * producer would catch up with the host index) the SMID waits in a backlog
 * that drains when the host index moves: completions are never dropped.
 */
static void lsi3108_post_reply(Lsi3108State *s, unsigned int qi,
                               uint16_t smid)
{
    Lsi3108ReplyQueue *q;

    if (!lsi3108_running(s) || qi >= s->nqueues) {
        trace_lsi3108_reply_dropped(qi, smid);
        return;
    }
    q = &s->queues[qi];
    if (!g_queue_is_empty(&q->backlog) || lsi3108_queue_full(s, q)) {
        trace_lsi3108_reply_backlog(qi, smid);
        g_queue_push_tail(&q->backlog, GUINT_TO_POINTER(smid));
        return;
    }
    if (lsi3108_write_reply(s, qi, smid)) {
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

/*
 * A reply descriptor the host cannot match to a command of its own. Never
 * a slot that reads as empty: the type is not UNUSED and neither half is
 * all-ones, so the host consumes it (and sees what follows it).
 */
static uint64_t lsi3108_bogus_desc(uint8_t type, unsigned int qi,
                                   uint16_t smid, uint32_t high)
{
    type &= LSI_RPY_TYPE_MASK;
    if (type == LSI_RPY_TYPE_UNUSED) {
        type = LSI_RPY_TYPE_SCSI_IO_SUCCESS;
    }
    if (high == UINT32_MAX) {
        high--;
    }
    return type | ((uint64_t)(qi & 0xff) << 8) | ((uint64_t)smid << 16) |
           ((uint64_t)high << 32);
}

/*
 * Post the bogus descriptor @desc on ring @qi if the ring has room now. It
 * never waits in the backlog (it is no completion). The caller makes sure
 * it names no SMID that is idle in the firmware, which the host could be
 * reusing. Returns whether it was posted.
 */
static bool lsi3108_post_garbage(Lsi3108State *s, unsigned int qi,
                                 uint64_t desc, const char *what)
{
    Lsi3108ReplyQueue *q;
    dma_addr_t addr;

    if (!lsi3108_running(s) || qi >= s->nqueues) {
        return false;
    }
    q = &s->queues[qi];
    if (!g_queue_is_empty(&q->backlog) || lsi3108_queue_full(s, q)) {
        trace_lsi3108_garbage_full(what, qi);
        return false;
    }
    addr = q->base + (dma_addr_t)q->producer * 8;
    trace_lsi3108_garbage(what, qi, q->producer, desc);
    if (stq_le_pci_dma(PCI_DEVICE(s), addr, desc,
                       MEMTXATTRS_UNSPECIFIED) != MEMTX_OK) {
        lsi3108_guest_error("reply ring write failed", addr, desc);
        lsi3108_fault(s, LSI3108_FAULT_DMA);
        return false;
    }
    q->producer = (q->producer + 1) % s->reply_depth;
    s->inject.garbage++;
    lsi3108_notify(s, qi);
    return true;
}

/* Give @smid back and post its reply. */
static void lsi3108_complete_smid(Lsi3108State *s, uint16_t smid,
                                  unsigned int qi)
{
    clear_bit(smid, s->smid_busy);
    lsi3108_post_reply(s, qi, smid);
}

/* Status into a request frame's RAID context, then the reply. */
static void lsi3108_finish_frame(Lsi3108State *s, uint16_t smid,
                                 unsigned int qi, dma_addr_t frame,
                                 uint8_t status, uint8_t ex_status)
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

static void lsi3108_fuzz_schedule(Lsi3108State *s);

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

/* Check the MPI2 IOC INIT request and, if it is sane, adopt it. */
static uint8_t lsi3108_ioc_init_apply(Lsi3108State *s,
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
    st = lsi3108_ioc_init_queues(s, r, nq, depth, bases);
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
    trace_lsi3108_ioc_init(s->frame_base, bases[0], nq, depth,
                           !!(r->msg_flags & LSI_IOCINIT_MSGFLAG_RDPQ));
    return LSI_MFI_STAT_OK;
}

/*
 * IOC INIT arrives as an MFA descriptor pointing at an MFI INIT frame. The
 * result goes into the frame's cmd_status; no reply descriptor is posted.
 */
static void lsi3108_ioc_init(Lsi3108State *s, dma_addr_t mfa)
{
    struct lsi_mfi_init_frame init;
    struct lsi_ioc_init_request req;
    dma_addr_t req_addr;
    uint8_t status;

    if (!lsi3108_dma_read(s, mfa, &init, sizeof(init))) {
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
        status = LSI_MFI_STAT_INVALID_PARAMETER;
    } else {
        status = lsi3108_ioc_init_apply(s, &req);
    }
    if (status == LSI_MFI_STAT_OK) {
        lsi3108_set_state(s, LSI_FW_STATE_OPERATIONAL);
        lsi3108_fuzz_schedule(s);
    }
    stb_pci_dma(PCI_DEVICE(s), mfa + offsetof(struct lsi_mfi_init_frame,
                                              cmd_status),
                status, MEMTXATTRS_UNSPECIFIED);
}

/* ------------------------------------------------------------------ */
/* Scatter-gather lists of SCSI commands (IEEE SGEs)                   */
/* ------------------------------------------------------------------ */

/*
 * Walk the SGL of a request frame into @qsg, up to @data_len bytes: the
 * SGEs at 0x80, an optional chain element (Flags bit 7; Linux puts it in
 * slot ChainOffset = 15) leading to one chain buffer, stopping after
 * num_sge data SGEs or at END_OF_LIST. The list must cover DataLength.
 */
static bool lsi3108_map_sgl(Lsi3108State *s, const struct lsi_io_frame *f,
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
                return false;
            }
            if (!len || len % LSI_SGE_SIZE || len > s->chain_size) {
                lsi3108_guest_error("bad SGL chain length", addr, len);
                return false;
            }
            chain = g_malloc(len);
            if (!lsi3108_dma_read(s, addr, chain, len)) {
                return false;
            }
            sge = chain;
            avail = len / LSI_SGE_SIZE;
            continue;
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
        return false;
    }
    return true;
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

/*
 * Which LD a frame addresses: DevHandle is the target id, and the RAID
 * context must agree. System PDs (raid_flags sub-type 1) do not exist here,
 * and LDs have only LUN 0. NULL means "answer DEVICE_NOT_FOUND", which is
 * how the host's scan of every target id finds only the real LDs.
 */
static Lsi3108LD *lsi3108_frame_ld(Lsi3108State *s,
                                   const struct lsi_io_frame *f)
{
    uint32_t target = le16_to_cpu(f->dev_handle);

    if ((f->raid_context.raid_flags & LSI_RAID_FLAGS_IO_SUBTYPE_MASK) ==
        LSI_RAID_FLAGS_SYSPD) {
        return NULL;
    }
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

static void lsi3108_scsi_io(Lsi3108State *s, uint16_t smid, uint8_t qi,
                            dma_addr_t addr, const struct lsi_io_frame *f)
{
    uint32_t data_len = le32_to_cpu(f->data_length);
    unsigned int cdb_len = le16_to_cpu(f->io_flags) &
                           LSI_IO_FLAGS_CDB_LEN_MASK;
    Lsi3108LD *ld = lsi3108_frame_ld(s, f);
    Lsi3108Cmd *cmd;
    Lsi3108Dir dir;

    trace_lsi3108_scsi_cmd(smid, le16_to_cpu(f->dev_handle), f->cdb[0],
                           data_len, qi);
    if (!ld) {
        lsi3108_finish_frame(s, smid, qi, addr,
                             LSI_MFI_STAT_DEVICE_NOT_FOUND, 0);
        return;
    }
    if (cdb_len == 0 || cdb_len > sizeof(f->cdb) ||
        !lsi3108_direction(le32_to_cpu(f->control), data_len, &dir) ||
        data_len > LSI3108_MAX_XFER) {
        lsi3108_guest_error("bad SCSI IO frame", cdb_len, data_len);
        lsi3108_finish_frame(s, smid, qi, addr,
                             LSI_MFI_STAT_INVALID_PARAMETER, 0);
        return;
    }

    cmd = g_new0(Lsi3108Cmd, 1);
    qemu_sglist_init(&cmd->req.qsg, DEVICE(s), 4,
                     pci_get_address_space(PCI_DEVICE(s)));
    if (dir != LSI3108_DIR_NONE &&
        !lsi3108_map_sgl(s, f, &cmd->req.qsg, data_len)) {
        lsi3108_cmd_free(cmd);
        lsi3108_finish_frame(s, smid, qi, addr,
                             LSI_MFI_STAT_INVALID_PARAMETER, 0);
        return;
    }
    cmd->req.ctrl = s;
    cmd->req.ld = ld;
    cmd->req.smid = smid;
    cmd->req.msix = qi;
    memcpy(cmd->req.cdb, f->cdb, sizeof(cmd->req.cdb));
    cmd->req.cdb_len = cdb_len;
    cmd->req.dir = dir;
    cmd->req.data_len = data_len;
    cmd->epoch = s->epoch;
    cmd->frame_addr = addr;
    cmd->sense_addr = ((dma_addr_t)s->sense_high << 32) |
                      le32_to_cpu(f->sense_addr_low);
    cmd->sense_len = f->sense_length ? MIN(f->sense_length,
                                           LSI_SENSE_BUFFER_SIZE)
                                     : LSI_SENSE_BUFFER_SIZE;
    cmd->target = ld->target;
    cmd->state = LSI3108_CMD_RUNNING;
    /* fault injection that picks commands as they arrive */
    if (s->inject.delay_next_count) {
        s->inject.delay_next_count--;
        cmd->delay_ms = s->inject.delay_next_ms;
    }
    if (s->inject.hold_armed) {
        s->inject.hold_armed--;
        cmd->hold = LSI3108_HOLD_INJECT;
    } else if (s->fuzz.hold_armed) {
        s->fuzz.hold_armed = false;
        cmd->hold = LSI3108_HOLD_FUZZ;
    }
    cmd->tracked = true;
    QTAILQ_INSERT_TAIL(&s->outstanding, &cmd->req, next);
    lsi3108_ld_submit(ld, &cmd->req);
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
static void lsi3108_cmd_complete(Lsi3108State *s, Lsi3108Cmd *cmd)
{
    lsi3108_cmd_untrack(s, cmd);
    lsi3108_scsi_finish(cmd);
    lsi3108_cmd_free(cmd);
}

static void lsi3108_delayed_done(void *opaque)
{
    Lsi3108Cmd *cmd = opaque;
    Lsi3108State *s = cmd->req.ctrl;

    if (cmd->epoch == s->epoch && lsi3108_running(s)) {
        lsi3108_cmd_complete(s, cmd);
    } else {
        lsi3108_cmd_release(s, cmd);
    }
}

static bool lsi3108_is_sync_cache(uint8_t opcode)
{
    return opcode == SYNCHRONIZE_CACHE || opcode == SYNCHRONIZE_CACHE_16;
}

/*
 * Post the SMID of held command @cmd on a ring other than the one its
 * descriptor named: ring msix + 1 + pick % (nqueues - 1). With one ring
 * there is no wrong ring: a SMID above max-cmds goes on ring 0 instead.
 */
static bool lsi3108_post_wrong_queue(Lsi3108State *s, Lsi3108Cmd *cmd,
                                     uint8_t type, uint32_t high,
                                     uint32_t pick, const char *what)
{
    unsigned int qi;

    if (s->nqueues < 2) {
        return lsi3108_post_garbage(s, 0, lsi3108_bogus_desc(type, 0,
                                    s->max_cmds + 1, high), what);
    }
    qi = (cmd->req.msix + 1 + pick % (s->nqueues - 1)) % s->nqueues;
    return lsi3108_post_garbage(s, qi, lsi3108_bogus_desc(type, qi,
                                cmd->req.smid, high), what);
}

/*
 * The completion choke point, where fault injection applies; the LD is done
 * with the command. Returns true if the command was kept: held (and its
 * SMID posted on a wrong ring), lost, or delayed.
 */
static bool lsi3108_inject_completion(Lsi3108State *s, Lsi3108Cmd *cmd)
{
    uint64_t delay_us;

    if (cmd->hold != LSI3108_HOLD_NONE) {
        trace_lsi3108_inject("held", cmd->req.smid);
        cmd->state = LSI3108_CMD_LOST;
        if (lsi3108_post_wrong_queue(s, cmd, LSI_RPY_TYPE_SCSI_IO_SUCCESS, 0,
                                     0, "wrong-queue") &&
            cmd->hold == LSI3108_HOLD_FUZZ) {
            s->fuzz.replies_left -= !!s->fuzz.replies_left;
            s->fuzz.replies_done++;
        }
        return true;
    }
    if (s->inject.drop) {
        s->inject.drop--;
        s->inject.dropped++;
        trace_lsi3108_inject("lost", cmd->req.smid);
        cmd->state = LSI3108_CMD_LOST;
        return true;
    }
    delay_us = MAX((uint64_t)s->inject.delay_us, cmd->delay_ms * 1000ULL);
    if (lsi3108_is_sync_cache(cmd->req.cdb[0])) {
        delay_us = MAX(delay_us, s->inject.flush_delay_ms * 1000ULL);
    }
    if (delay_us) {
        trace_lsi3108_delay(cmd->req.smid, delay_us);
        cmd->state = LSI3108_CMD_DELAYED;
        cmd->req.delay_timer = timer_new_us(QEMU_CLOCK_VIRTUAL,
                                            lsi3108_delayed_done, cmd);
        timer_mod(cmd->req.delay_timer,
                  qemu_clock_get_us(QEMU_CLOCK_VIRTUAL) + delay_us);
        return true;
    }
    return false;
}

static void lsi3108_mfi_scsi_finish(Lsi3108State *s, Lsi3108Cmd *cmd);
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
/* Task management (Function 0x01) and fast path (Function 0x00)       */
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
 * LD that does not exist, a non-zero LUN or a PD TM: INVALID_LUN.
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
    s->inject.tm_aborted++;
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
    if (cmd->target != t->dev_handle || cmd->tm) {
        return false;
    }
    return t->task_type != LSI_TM_ABORT_TASK || cmd->req.smid == task_mid;
}

static uint8_t lsi3108_tm_check(Lsi3108State *s,
                                const struct lsi_tm_request *tm)
{
    uint32_t flags = le32_to_cpu(tm->tm_flags);

    switch (tm->task_type) {
    case LSI_TM_ABORT_TASK:
    case LSI_TM_TARGET_RESET:
    case LSI_TM_LUN_RESET:
        break;
    default:
        return LSI_TM_RSP_NOT_SUPPORTED;
    }
    if ((flags & LSI_TM_FLAG_PD) && !(flags & LSI_TM_FLAG_LD)) {
        return LSI_TM_RSP_INVALID_LUN;      /* no system PDs here */
    }
    if (!lsi3108_find_ld(s, le16_to_cpu(tm->dev_handle)) ||
        !lsi3108_lun_is_zero(tm->lun)) {
        return LSI_TM_RSP_INVALID_LUN;
    }
    return LSI_TM_RSP_COMPLETE;
}

static void lsi3108_task_mgmt(Lsi3108State *s, uint16_t smid, uint8_t qi,
                              dma_addr_t addr, const struct lsi_io_frame *f)
{
    const struct lsi_tm_request *tm = (const struct lsi_tm_request *)f;
    uint16_t task_mid = le16_to_cpu(tm->task_mid);
    uint32_t epoch = s->epoch;
    Lsi3108Request *r, *rn;
    uint8_t response;
    Lsi3108Tm *t;

    s->inject.tm_count++;
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

/* ------------------------------------------------------------------ */
/* Fuzzed reply descriptors (fuzz-replies)                             */
/* ------------------------------------------------------------------ */

/* The (pick % n)-th of the n lost or held commands, or NULL. */
static Lsi3108Cmd *lsi3108_lost_cmd(Lsi3108State *s, uint32_t pick)
{
    Lsi3108Request *r;
    unsigned int n = 0;

    QTAILQ_FOREACH(r, &s->outstanding, next) {
        n += container_of(r, Lsi3108Cmd, req)->state == LSI3108_CMD_LOST;
    }
    if (!n) {
        return NULL;
    }
    pick %= n;
    QTAILQ_FOREACH(r, &s->outstanding, next) {
        Lsi3108Cmd *cmd = container_of(r, Lsi3108Cmd, req);

        if (cmd->state == LSI3108_CMD_LOST && !pick--) {
            return cmd;
        }
    }
    return NULL;
}

/*
 * One fuzzed descriptor from two draws of the reply stream: r1 picks the
 * form, the ring and the SMID, r2 the type nibble (never UNUSED) and the
 * upper 32 bits (never all-ones). Forms: SMID 0; a SMID in
 * max-cmds+1..0xffff; the SMID of a lost or held command (busy in the
 * firmware, so the host cannot be reusing it) on a ring other than its
 * own. The last needs two rings; with no such command it arms a hold of
 * the next command received and the descriptor takes one of the first
 * two forms. A descriptor that does not fit (ring full) is retried with the
 * same draws at the next batch, so the sequence depends on the seed only.
 */
static bool lsi3108_fuzz_reply(Lsi3108State *s)
{
    uint64_t saved = s->fuzz.reply_rng;
    uint64_t r1 = lsi3108_rand(&s->fuzz.reply_rng);
    uint64_t r2 = lsi3108_rand(&s->fuzz.reply_rng);
    unsigned int kind = r1 % 3, qi = (r1 >> 8) % s->nqueues;
    Lsi3108Cmd *victim = NULL;
    uint16_t smid;
    bool posted;

    if (kind == 2) {
        victim = s->nqueues >= 2 ? lsi3108_lost_cmd(s, r1 >> 32) : NULL;
        if (!victim) {
            s->fuzz.hold_armed = s->nqueues >= 2;
            kind = (r1 >> 4) & 1;
        }
    }
    if (victim) {
        posted = lsi3108_post_wrong_queue(s, victim, r2, r2 >> 32, r1 >> 16,
                                          "fuzz-wrong-queue");
    } else {
        smid = kind ? s->max_cmds + 1 + (r1 >> 32) % (0xffff - s->max_cmds)
                    : 0;
        posted = lsi3108_post_garbage(s, qi, lsi3108_bogus_desc(r2, qi, smid,
                                                                r2 >> 32),
                                      kind ? "fuzz-smid-high" : "fuzz-smid0");
    }
    if (!posted) {
        s->fuzz.reply_rng = saved;
        return false;
    }
    s->fuzz.replies_left--;
    s->fuzz.replies_done++;
    return true;
}

/* Next batch in 2 ms while OPERATIONAL; IOC INIT resumes a paused run. */
static void lsi3108_fuzz_schedule(Lsi3108State *s)
{
    if (!s->fuzz.replies_left) {
        s->fuzz.hold_armed = false;
        timer_del(s->fuzz.timer);
        return;
    }
    if (lsi3108_running(s)) {
        timer_mod(s->fuzz.timer, qemu_clock_get_ms(QEMU_CLOCK_VIRTUAL) +
                                 LSI3108_FUZZ_PERIOD_MS);
    }
}

static void lsi3108_fuzz_tick(void *opaque)
{
    Lsi3108State *s = opaque;
    unsigned int i;

    for (i = 0; i < LSI3108_FUZZ_BATCH && s->fuzz.replies_left &&
                lsi3108_running(s); i++) {
        if (!lsi3108_fuzz_reply(s)) {
            break;
        }
    }
    lsi3108_fuzz_schedule(s);
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
static bool lsi3108_mfi_live(Lsi3108State *s, Lsi3108Mfi *m)
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
static void lsi3108_mfi_complete(Lsi3108State *s, Lsi3108Mfi *m,
                                 uint8_t status)
{
    trace_lsi3108_mfi_done(m->smid, lsi3108_mfi_hdr(m)->cmd, m->opcode,
                           status);
    if (lsi3108_mfi_live(s, m)) {
        stb_pci_dma(PCI_DEVICE(s), m->addr +
                    offsetof(struct lsi_mfi_header, cmd_status),
                    status, MEMTXATTRS_UNSPECIFIED);
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
static bool lsi3108_mfi_map_sgl(Lsi3108State *s, Lsi3108Mfi *m, size_t off)
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
static uint8_t lsi3108_mfi_data_in(Lsi3108Mfi *m, const void *buf, size_t len)
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

static void lsi3108_hold(Lsi3108State *s, Lsi3108Mfi *m)
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

/* The oldest logged event with sequence number >= @seq that matches. */
static const Lsi3108Event *lsi3108_find_event(Lsi3108State *s, uint32_t seq,
                                              uint32_t class_locale)
{
    uint32_t n;

    for (n = MAX(seq, lsi3108_oldest_seq(s)); n < s->next_seq; n++) {
        const Lsi3108Event *e = &s->events[n % LSI3108_EVT_LOG_SIZE];

        if (lsi3108_event_matches(e, seq, class_locale)) {
            return e;
        }
    }
    return NULL;
}

static uint8_t lsi3108_event_reply(Lsi3108Mfi *m, const Lsi3108Event *e)
{
    struct lsi_evt_detail d = {
        .seq_num = cpu_to_le32(e->seq),
        .time_stamp = cpu_to_le32(e->time_stamp),
        .code = cpu_to_le32(e->code),
        .class_locale = cpu_to_le32(e->class_locale),
        .arg_type = e->arg_type,
    };

    if (e->arg_type == LSI_EVT_ARG_LD) {
        d.args.ld.target_id = cpu_to_le16(e->target);
        d.args.ld.ld_index = e->target;
    }
    lsi3108_copy_str(d.description, sizeof(d.description), e->description);
    trace_lsi3108_event_delivered(m->smid, e->seq, e->code);
    return lsi3108_mfi_data_in(m, &d, sizeof(d));
}

static const uint32_t lsi3108_fuzz_event_codes[] = {
    LSI_EVT_LD_CREATED, LSI_EVT_LD_DELETED, LSI_EVT_LD_STATE_CHANGE,
    LSI_EVT_CFG_CLEARED,
};

/*
 * fuzz-events: answer an EVENT_WAIT with random event details. Draws from
 * the event stream, in this order: seq_num/time_stamp, code, class/locale
 * and arg_type, 12 draws of args, the LD target id, 16 draws of
 * description (128 printable characters, no NUL).
 */
static uint8_t lsi3108_fuzz_event_reply(Lsi3108State *s, Lsi3108Mfi *m)
{
    uint64_t *rng = &s->fuzz.event_rng;
    struct lsi_evt_detail d = { 0 };
    unsigned int i, pick;
    uint64_t r;

    r = lsi3108_rand(rng);
    d.seq_num = cpu_to_le32(r);
    d.time_stamp = cpu_to_le32(r >> 32);
    r = lsi3108_rand(rng);
    pick = r % (ARRAY_SIZE(lsi3108_fuzz_event_codes) + 1);
    d.code = cpu_to_le32(pick < ARRAY_SIZE(lsi3108_fuzz_event_codes) ?
                         lsi3108_fuzz_event_codes[pick] : r >> 32);
    r = lsi3108_rand(rng);
    d.class_locale = cpu_to_le32(r);
    d.arg_type = (r >> 32) & 1 ? LSI_EVT_ARG_LD : r >> 40;
    for (i = 0; i < sizeof(d.args.raw); i += 8) {
        stq_le_p(d.args.raw + i, lsi3108_rand(rng));
    }
    /* half in the legacy range (maybe no such LD), half anything */
    r = lsi3108_rand(rng);
    d.args.ld.target_id = cpu_to_le16(r & 1 ? (r >> 8) % LSI_MAX_LDS_LEGACY
                                            : r >> 16);
    for (i = 0; i < sizeof(d.description); i++) {
        if (i % 8 == 0) {
            r = lsi3108_rand(rng);
        }
        d.description[i] = 0x20 + (uint8_t)(r >> (i % 8 * 8)) % 95;
    }
    s->fuzz.events_left--;
    s->fuzz.events_done++;
    s->fuzz.lists_active = true;
    trace_lsi3108_fuzz_event(m->smid, le32_to_cpu(d.seq_num),
                             le32_to_cpu(d.code), d.arg_type,
                             le16_to_cpu(d.args.ld.target_id));
    return lsi3108_mfi_data_in(m, &d, sizeof(d));
}

/* fuzz-events was written: held EVENT_WAITs get fuzzed events now. */
static void lsi3108_fuzz_wake_waiters(Lsi3108State *s)
{
    uint32_t epoch = s->epoch;
    Lsi3108Mfi *m, *mn;

    if (!lsi3108_running(s)) {
        return;
    }
    QTAILQ_FOREACH_SAFE(m, &s->held, next, mn) {
        if (!s->fuzz.events_left) {
            break;
        }
        if (m->opcode != LSI_DCMD_CTRL_EVENT_WAIT) {
            continue;
        }
        QTAILQ_REMOVE(&s->held, m, next);
        lsi3108_mfi_complete(s, m, lsi3108_fuzz_event_reply(s, m));
        if (s->epoch != epoch) {
            break;          /* a DMA fault dropped the rest of the list */
        }
    }
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

static void lsi3108_log_event(Lsi3108State *s, uint32_t code, int8_t cls,
                              uint16_t locale, uint8_t arg_type,
                              uint16_t target, const char *description)
{
    Lsi3108Event *e = &s->events[s->next_seq % LSI3108_EVT_LOG_SIZE];

    memset(e, 0, sizeof(*e));
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
 * One RAID-0 span map per LD, in ascending target order. capability: no
 * fast path; TM-capable only with the tm-capable property. row_data_size =
 * spanRowDataSize = 0, so the host builds every LD I/O for the firmware
 * path without region locks, exactly as without a map; and it never
 * divides by a row size.
 */
static void lsi3108_fill_ld_raid(Lsi3108State *s, struct lsi_map_ld_raid *raid,
                                 Lsi3108LD *ld)
{
    /* tm-capable: Linux then sends TMs to the LD before a reset */
    raid->capability = cpu_to_le32(s->tm_capable ? LSI_LD_CAP_TM_CAPABLE : 0);
    raid->size = cpu_to_le64(ld->sectors);
    raid->span_depth = 1;
    raid->level = 0;
    raid->stripe_shift = 7;
    raid->row_size = 1;
    raid->row_data_size = 0;
    raid->write_mode = ld->write_back ? 1 : 0;
    raid->target_id = cpu_to_le16(ld->target);
    raid->ld_state = LSI_LD_STATE_OPTIMAL;
    raid->seq_num = cpu_to_le16(ld->seq_num);
    raid->logical_block_length = cpu_to_le32(512);
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
        struct lsi_map_dev_handle_info *h = &map->dev_hndl_info[t];

        h->cur_dev_handle = cpu_to_le16(LSI_MAP_INVALID_DEV_HANDLE);
        h->dev_handle[0] = cpu_to_le16(LSI_MAP_INVALID_DEV_HANDLE);
        h->dev_handle[1] = cpu_to_le16(LSI_MAP_INVALID_DEV_HANDLE);
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
    ci->memory_size = cpu_to_le16(LSI3108_CACHE_MEMORY_MB);
    ci->max_strips_per_io = cpu_to_le16(42);
    ci->stripe_size_min = 7;
    ci->stripe_size_max = 11;
    ci->ld_operations = cpu_to_le32(0x1f);
    ci->on_off_properties = cpu_to_le32(0);     /* OCR allowed, JBOD off */
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

    if (s->fuzz.events_left) {
        return lsi3108_fuzz_event_reply(s, m);
    }
    /* the host re-armed after the last fuzzed event: lists are valid again */
    s->fuzz.lists_active = false;
    e = lsi3108_find_event(s, ldl_le_p(mbox), ldl_le_p(mbox + 4));
    if (e) {
        return lsi3108_event_reply(m, e);
    }
    lsi3108_hold(s, m);
    return LSI3108_DCMD_DEFERRED;
}

static void lsi3108_flush_delay_done(void *opaque)
{
    Lsi3108Mfi *m = opaque;

    QTAILQ_REMOVE(&m->s->held, m, next);
    lsi3108_mfi_complete(m->s, m, m->flush_ret ? m->fail_status
                                               : LSI_MFI_STAT_OK);
}

/*
 * Every LD is written back. A CACHE_FLUSH DCMD then waits flush-delay-ms
 * (held, so a reset frees it) before it completes.
 */
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
    if (m->opcode == LSI_DCMD_CTRL_CACHE_FLUSH && s->inject.flush_delay_ms &&
        lsi3108_mfi_live(s, m)) {
        trace_lsi3108_delay(m->smid, s->inject.flush_delay_ms * 1000ULL);
        m->timer = timer_new_ms(QEMU_CLOCK_VIRTUAL, lsi3108_flush_delay_done,
                                m);
        lsi3108_hold(s, m);
        timer_mod(m->timer, qemu_clock_get_ms(QEMU_CLOCK_VIRTUAL) +
                            s->inject.flush_delay_ms);
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

/* The firmware stays usable after a shutdown: the host re-inits it. */
static int lsi3108_dcmd_shutdown(Lsi3108State *s, Lsi3108Mfi *m)
{
    s->stats.shutdown_dcmd++;
    s->shutdown_seq = lsi3108_newest_seq(s);
    return lsi3108_flush_all(s, m, LSI_MFI_STAT_SHUTDOWN_FAILED);
}

/*
 * An LD list made structurally invalid (fuzz-events): how many entries the
 * count claims, and an extra entry at index n (slot >= 0) with target id id.
 */
typedef struct Lsi3108BadList {
    uint32_t    count;
    int         slot;
    uint8_t     id;
} Lsi3108BadList;

/*
 * While fuzz-events runs (and until the host re-arms EVENT_WAIT after the
 * last fuzzed event), every other LD_GET_LIST / LD_LIST_QUERY answer is
 * invalid, never a plausible list that hides or invents an LD. One draw
 * from the DCMD stream picks one of: a count beyond both 256 and the
 * entries the host's buffer holds (@room); one extra entry whose target id
 * is beyond the maximum the mailbox asked for (64 legacy; impossible in a
 * u8 for 256, then the next form); one extra entry duplicating a real LD
 * (with no LD, the count form).
 */
static bool lsi3108_fuzz_list(Lsi3108State *s, Lsi3108Mfi *m, bool ext,
                              unsigned int n, uint32_t room,
                              const uint8_t *ids, Lsi3108BadList *bad)
{
    uint32_t max = ext ? LSI_MAX_LDS : LSI_MAX_LDS_LEGACY;
    unsigned int variant;
    uint64_t r;

    if (!s->fuzz.events_left && !s->fuzz.lists_active) {
        return false;
    }
    s->fuzz.list_toggle = !s->fuzz.list_toggle;
    if (!s->fuzz.list_toggle) {
        return false;
    }
    r = lsi3108_rand(&s->fuzz.dcmd_rng);
    variant = r % 3;
    if (variant == 1 && max > UINT8_MAX) {
        variant = 2;
    }
    if (variant == 2 && !n) {
        variant = 0;
    }
    bad->slot = -1;
    switch (variant) {
    case 1:
        bad->slot = n;
        bad->id = max + (r >> 8) % (UINT8_MAX + 1 - max);
        bad->count = n + 1;
        break;
    case 2:
        bad->slot = n;
        bad->id = ids[(r >> 8) % n];
        bad->count = n + 1;
        break;
    default:
        bad->count = MAX(room, LSI_MAX_LDS) + 1 + (r >> 8) % 0x10000;
        break;
    }
    s->fuzz.dcmd_done++;
    trace_lsi3108_fuzz_list(m->smid, m->opcode, variant, bad->count);
    return true;
}

static void lsi3108_fill_ld_entry(struct lsi_ld_list_entry *e, Lsi3108LD *ld)
{
    e->target_id = ld->target;
    e->seq_num = cpu_to_le16(ld->seq_num);
    e->state = LSI_LD_STATE_OPTIMAL;
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
            lsi3108_fill_ld_entry(&list->ld[n++], s->lds[t]);
        }
    }
    list->ld_count = cpu_to_le32(n);
    sent = n;
    if (lsi3108_fuzz_list(s, m, lsi3108_mbox(m)[LSI3108_LD_LIST_MBOX_EXT] == 1,
                          n, m->xfer_len > hdr ?
                             (m->xfer_len - hdr) / sizeof(list->ld[0]) : 0,
                          ids, &bad)) {
        list->ld_count = cpu_to_le32(bad.count);
        if (bad.slot >= 0) {
            if (bad.id < LSI3108_MAX_LD_TARGETS && s->lds[bad.id]) {
                lsi3108_fill_ld_entry(&list->ld[n], s->lds[bad.id]);
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
    if (lsi3108_fuzz_list(s, m,
                          lsi3108_mbox(m)[LSI3108_LD_QUERY_MBOX_EXT] == 1, n,
                          m->xfer_len > hdr ? m->xfer_len - hdr : 0,
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

static void lsi3108_fill_ld_props(struct lsi_ld_properties *p, Lsi3108LD *ld)
{
    uint8_t policy = ld->write_back ? LSI_LD_CACHE_WRITE_BACK : 0;

    p->target_id = ld->target;
    p->seq_num = cpu_to_le16(ld->seq_num);
    p->default_cache_policy = policy;
    p->current_cache_policy = policy;
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
    if (wb != ld->write_back) {
        lsi3108_ld_set_write_back(ld, wb);
        lsi3108_ld_changed(s, ld);
    }
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
    info->params.stripe_size = 7;
    info->params.num_drives = 1;
    info->params.span_depth = 1;
    info->params.state = LSI_LD_STATE_OPTIMAL;
    info->params.is_consistent = 1;
    info->span[0].num_blocks = cpu_to_le64(ld->sectors);
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

/* No JBODs are exposed: an empty PD list. */
static int lsi3108_dcmd_pd_list_query(Lsi3108State *s, Lsi3108Mfi *m)
{
    struct lsi_pd_list list = {
        .size = cpu_to_le32(sizeof(list)),
        .count = 0,
    };

    return lsi3108_mfi_data_in(m, &list, sizeof(list));
}

static int lsi3108_dcmd_pd_get_info(Lsi3108State *s, Lsi3108Mfi *m)
{
    return LSI_MFI_STAT_DEVICE_NOT_FOUND;
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
    { LSI_DCMD_PD_LIST_QUERY, "PD_LIST_QUERY", lsi3108_dcmd_pd_list_query },
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
 * Function 0xF0: the IEEE chain element in slot ChainOffset (8 → the SGE at
 * 0x80) carries the MFI frame's address and length.
 */
static void lsi3108_mfi_passthru(Lsi3108State *s, uint16_t smid, uint8_t qi,
                                 dma_addr_t addr, const struct lsi_io_frame *f)
{
    unsigned int slot = f->chain_offset >= LSI_CHAIN_OFFSET_MFI &&
                        f->chain_offset <= LSI_CHAIN_OFFSET_IO ?
                        f->chain_offset - LSI_CHAIN_OFFSET_MFI : 0;
    const struct lsi_sge *sge = &f->sgl[slot];
    uint32_t len = le32_to_cpu(sge->length);
    Lsi3108Mfi *m;

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
    switch (lsi3108_mfi_hdr(m)->cmd) {
    case LSI_MFI_CMD_DCMD:
        lsi3108_dcmd(s, m);
        break;
    case LSI_MFI_CMD_ABORT:
        lsi3108_mfi_abort(s, m);
        break;
    default:
        lsi3108_guest_error("unsupported MFI command",
                            lsi3108_mfi_hdr(m)->cmd, smid);
        lsi3108_mfi_complete(s, m, LSI_MFI_STAT_INVALID_CMD);
        break;
    }
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
static void lsi3108_mfi_scsi_finish(Lsi3108State *s, Lsi3108Cmd *cmd)
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

static void lsi3108_mfi_queue_port(Lsi3108State *s, uint32_t val)
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
    m->mfi_mode = true;
    switch (lsi3108_mfi_hdr(m)->cmd) {
    case LSI_MFI_CMD_DCMD:
        lsi3108_dcmd(s, m);
        break;
    case LSI_MFI_CMD_ABORT:
        lsi3108_mfi_abort(s, m);
        break;
    case LSI_MFI_CMD_LD_SCSI_IO:
    case LSI_MFI_CMD_PD_SCSI_IO:
        lsi3108_mfi_scsi(s, m);
        break;
    default:
        lsi3108_guest_error("unsupported MFI command",
                            lsi3108_mfi_hdr(m)->cmd, 0);
        lsi3108_mfi_complete(s, m, LSI_MFI_STAT_INVALID_CMD);
        break;
    }
}

/* ------------------------------------------------------------------ */
/* Request descriptors                                                 */
/* ------------------------------------------------------------------ */

static void lsi3108_process_frame(Lsi3108State *s, uint16_t smid, uint8_t qi)
{
    dma_addr_t addr = s->frame_base + (dma_addr_t)smid * LSI_FRAME_SIZE;
    struct lsi_io_frame f;

    if (!lsi3108_dma_read(s, addr, &f, sizeof(f))) {
        lsi3108_fault(s, LSI3108_FAULT_DMA);
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
        /* fast path: no LD is fpCapable and no PD device handle exists */
        lsi3108_guest_error("fast path I/O not supported",
                            le16_to_cpu(f.dev_handle), smid);
        lsi3108_finish_frame(s, smid, qi, addr,
                             LSI_MFI_STAT_DEVICE_NOT_FOUND, 0);
        break;
    default:
        lsi3108_guest_error("unsupported frame function", f.function, smid);
        lsi3108_finish_frame(s, smid, qi, addr, LSI_MFI_STAT_INVALID_CMD, 0);
        break;
    }
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
        lsi3108_guest_error("SMID already outstanding", smid, 0);
        return;
    }
    if (qi >= s->nqueues) {
        trace_lsi3108_bad_msix(smid, qi, s->nqueues);
        qi = 0;
    }
    set_bit(smid, s->smid_busy);
    lsi3108_process_frame(s, smid, qi);
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
        lsi3108_chip_reset(s, "chip reset");
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

/* 0x30C + 0x10 n serves vectors 8n..8n+7 (combined reply queue mode) */
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
        lsi3108_host_index(s, val >> LSI_REPLY_HOST_INDEX_MSIX_SHIFT,
                           val & LSI_REPLY_HOST_INDEX_MASK);
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

    if (s->removed) {
        return lsi3108_all_ones(size);
    }
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
    if (!lsi3108_alive(s)) {
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

/* ------------------------------------------------------------------ */
/* Interface for the logical drives (lsi3108.h)                        */
/* ------------------------------------------------------------------ */

Lsi3108LD *lsi3108_find_ld(Lsi3108State *s, uint32_t target)
{
    return target < LSI3108_MAX_LD_TARGETS ? s->lds[target] : NULL;
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
    lsi3108_config_changed(s);
    lsi3108_log_ld_event(s, LSI_EVT_LD_DELETED, ld->target, "Deleted");
}

/* An LD's properties (write policy) changed: new sequence number, new map. */
void lsi3108_ld_changed(Lsi3108State *s, Lsi3108LD *ld)
{
    if (s->lds[ld->target % LSI3108_MAX_LD_TARGETS] != ld) {
        return;
    }
    ld->seq_num++;
    lsi3108_config_changed(s);
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
/* QOM properties for tests                                            */
/* ------------------------------------------------------------------ */

/*
 * qom-get/qom-set on /machine/peripheral/<id> (docs/model.md has the table):
 *   read:  flush-count (SYNCHRONIZE CACHE received), cache-flush-dcmd-count,
 *          shutdown-count, fua-count, writeback-count, dirty-bytes,
 *          fw-state ("READY", "OPERATIONAL", "FAULT", or while booting
 *          "FW_INIT" / "DEVICE_SCAN"), boot-count (firmware (re)starts),
 *          dropped-count (completions lost by drop-completions),
 *          tm-count (TMs received), tm-aborted (commands TMs terminated),
 *          garbage-posted (bogus reply descriptors posted, any source),
 *          fuzz-replies-done, fuzz-events-done, fuzz-dcmd-done (fuzzed
 *          descriptors posted, EVENT_WAITs answered, LD lists spoiled)
 *   write: power-cut (true: lose the cache, stop);
 *          fault (code: FAULT with RESET_ADAPTER; a chip reset recovers);
 *          fault-no-reset (code: FAULT without RESET_ADAPTER; only revive,
 *          or a machine reset, recovers);
 *          revive (true: firmware reboot to READY from any state, cache kept);
 *          surprise-removed (true: off the bus; false: back as at power-on);
 *          completion-delay-us (every SCSI completion),
 *          flush-delay-ms (SYNCHRONIZE CACHE and CACHE_FLUSH DCMD),
 *          delay-next-ms + delay-next-count (the next N SCSI commands),
 *          drop-completions (the next N SCSI completions are lost: the
 *          command stays outstanding until a TM or a reset ends it);
 *          inject-reply ("smid0", "smid-high", "wrong-queue");
 *          fuzz-seed, fuzz-replies (N fuzzed descriptors), fuzz-events (N
 *          fuzzed EVENT_WAIT answers, invalid LD lists meanwhile);
 *          boot-delay-ms (every firmware (re)start spends this long in
 *          FW_INIT, then DEVICE_SCAN for the last tenth, before READY)
 *   (read back, the write-side numbers show what is still pending)
 * Device property (command line): tm-capable (the RAID map's tmCapable).
 */

/*
 * The controls that act on the firmware (fault, fault-no-reset, power-cut,
 * surprise-removed, revive) need a realized device: on the command line
 * (-device lsi3108,fault=1) they would run before there are queues and
 * timers to act on.
 */
static bool lsi3108_control_ok(Lsi3108State *s, const char *name,
                               Error **errp)
{
    if (!DEVICE(s)->realized) {
        error_setg(errp, "%s: only on a running controller (qom-set)", name);
        return false;
    }
    return true;
}

static char *lsi3108_get_fw_state(Object *obj, Error **errp)
{
    return g_strdup(lsi3108_state_name(LSI3108(obj)->fw_state));
}

static bool lsi3108_get_power_cut(Object *obj, Error **errp)
{
    return LSI3108(obj)->powered_off;
}

/* Power cut: the volatile cache is lost and the controller stops. */
static void lsi3108_set_power_cut(Object *obj, bool value, Error **errp)
{
    Lsi3108State *s = LSI3108(obj);
    unsigned int t;

    if (!value || s->powered_off ||
        !lsi3108_control_ok(s, "power-cut", errp)) {
        return;
    }
    trace_lsi3108_power_cut(s->cache.dirty_bytes);
    for (t = 0; t < LSI3108_MAX_LD_TARGETS; t++) {
        if (s->lds[t]) {
            lsi3108_ld_drop_cache(s->lds[t]);
        }
    }
    s->powered_off = true;
    lsi3108_boot_stop(s);
    lsi3108_drop_work(s);
}

static void lsi3108_get_fault(Object *obj, Visitor *v, const char *name,
                              void *opaque, Error **errp)
{
    Lsi3108State *s = LSI3108(obj);
    bool dead = !strcmp(name, "fault-no-reset");
    uint32_t code = 0;

    if (s->fw_state == LSI_FW_STATE_FAULT && s->fault_no_reset == dead) {
        code = s->fault_code;
    }
    visit_type_uint32(v, name, &code, errp);
}

/*
 * fault: a non-zero code puts the firmware in FAULT with RESET_ADAPTER set
 * (the host's chip reset recovers it). fault-no-reset: FAULT with
 * RESET_ADAPTER clear; the chip reset does nothing, the controller is dead
 * until revive (or a machine reset).
 */
static void lsi3108_set_fault(Object *obj, Visitor *v, const char *name,
                              void *opaque, Error **errp)
{
    Lsi3108State *s = LSI3108(obj);
    uint32_t code;

    if (!visit_type_uint32(v, name, &code, errp)) {
        return;
    }
    if (code && lsi3108_control_ok(s, name, errp)) {
        s->fault_no_reset = !strcmp(name, "fault-no-reset");
        lsi3108_fault(s, code);
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

static bool lsi3108_get_removed(Object *obj, Error **errp)
{
    return LSI3108(obj)->removed;
}

/*
 * Surprise removal: MMIO and config reads return all-ones, writes are
 * dropped, no DMA and no interrupt happen; outstanding work is dropped and
 * late backend completions are discarded. The cache is kept.
 */
static void lsi3108_set_removed(Object *obj, bool value, Error **errp)
{
    Lsi3108State *s = LSI3108(obj);

    if (value == s->removed ||
        !lsi3108_control_ok(s, "surprise-removed", errp)) {
        return;
    }
    if (!value) {
        lsi3108_reinsert(s);
        return;
    }
    trace_lsi3108_surprise_removed(true);
    s->removed = true;
    memory_region_set_enabled(&s->gone, true);
    lsi3108_drop_work(s);
    pci_set_irq(PCI_DEVICE(s), 0);
}

static bool lsi3108_get_false(Object *obj, Error **errp)
{
    return false;
}

/* revive: the firmware reboots to READY from any state; the cache is kept */
static void lsi3108_set_revive(Object *obj, bool value, Error **errp)
{
    Lsi3108State *s = LSI3108(obj);

    if (!value || !lsi3108_control_ok(s, "revive", errp)) {
        return;
    }
    trace_lsi3108_revive(lsi3108_state_name(s->fw_state), s->removed,
                         s->powered_off);
    s->powered_off = false;
    if (s->removed) {
        lsi3108_reinsert(s);
    } else {
        lsi3108_firmware_reboot(s, "revive");
    }
}

/*
 * inject-reply: one bogus descriptor on ring 0 now ("smid0": SMID 0;
 * "smid-high": SMID max-cmds + 1), or ("wrong-queue") arm a hold: the next
 * SCSI command received is held for ever and its SMID is posted on another
 * ring once the LD is done with it (with one ring: "smid-high" instead).
 */
static void lsi3108_set_inject_reply(Object *obj, const char *value,
                                     Error **errp)
{
    Lsi3108State *s = LSI3108(obj);
    uint16_t smid;

    if (!lsi3108_running(s)) {
        error_setg(errp, "inject-reply: the firmware is not OPERATIONAL");
        return;
    }
    if (!strcmp(value, "wrong-queue") && s->nqueues >= 2) {
        s->inject.hold_armed++;
        trace_lsi3108_inject("hold armed", 0);
        return;
    }
    if (!strcmp(value, "smid0")) {
        smid = 0;
    } else if (!strcmp(value, "smid-high") || !strcmp(value, "wrong-queue")) {
        smid = s->max_cmds + 1;
    } else {
        error_setg(errp, "inject-reply: '%s' is not smid0, smid-high or "
                   "wrong-queue", value);
        return;
    }
    if (!lsi3108_post_garbage(s, 0, lsi3108_bogus_desc(0, 0, smid, 0),
                              value)) {
        error_setg(errp, "inject-reply: reply queue 0 is full");
    }
}

static void lsi3108_get_fuzz_seed(Object *obj, Visitor *v, const char *name,
                                  void *opaque, Error **errp)
{
    visit_type_uint64(v, name, &LSI3108(obj)->fuzz.seed, errp);
}

/* A new seed restarts every fuzz stream. */
static void lsi3108_set_fuzz_seed(Object *obj, Visitor *v, const char *name,
                                  void *opaque, Error **errp)
{
    uint64_t seed;

    if (visit_type_uint64(v, name, &seed, errp)) {
        lsi3108_fuzz_reseed(LSI3108(obj), seed);
    }
}

static void lsi3108_get_fuzz(Object *obj, Visitor *v, const char *name,
                             void *opaque, Error **errp)
{
    Lsi3108State *s = LSI3108(obj);
    uint32_t left = !strcmp(name, "fuzz-replies") ? s->fuzz.replies_left
                                                  : s->fuzz.events_left;

    visit_type_uint32(v, name, &left, errp);
}

/*
 * fuzz-replies N: N fuzzed descriptors, in batches while OPERATIONAL.
 * fuzz-events N: the next N EVENT_WAITs get fuzzed events (held ones now).
 * 0 stops either.
 */
static void lsi3108_set_fuzz(Object *obj, Visitor *v, const char *name,
                             void *opaque, Error **errp)
{
    Lsi3108State *s = LSI3108(obj);
    uint32_t n;

    if (!visit_type_uint32(v, name, &n, errp)) {
        return;
    }
    trace_lsi3108_fuzz_start(name, n);
    if (!strcmp(name, "fuzz-replies")) {
        s->fuzz.replies_left = n;
        lsi3108_fuzz_schedule(s);
        return;
    }
    s->fuzz.events_left = n;
    if (!n) {
        s->fuzz.lists_active = false;
    }
    lsi3108_fuzz_wake_waiters(s);
}

static void lsi3108_add_counter(Object *obj, const char *name, uint64_t *v)
{
    object_property_add_uint64_ptr(obj, name, v, OBJ_PROP_FLAG_READ);
}

static void lsi3108_add_knob(Object *obj, const char *name, uint32_t *v)
{
    object_property_add_uint32_ptr(obj, name, v, OBJ_PROP_FLAG_READWRITE);
}

static void lsi3108_instance_init(Object *obj)
{
    Lsi3108State *s = LSI3108(obj);

    QTAILQ_INIT(&s->held);
    QTAILQ_INIT(&s->outstanding);
    QTAILQ_INIT(&s->tms);
    lsi3108_fuzz_reseed(s, 1);

    lsi3108_add_counter(obj, "flush-count", &s->stats.sync_cache);
    lsi3108_add_counter(obj, "cache-flush-dcmd-count", &s->stats.flush_dcmd);
    lsi3108_add_counter(obj, "shutdown-count", &s->stats.shutdown_dcmd);
    lsi3108_add_counter(obj, "fua-count", &s->stats.fua_writes);
    lsi3108_add_counter(obj, "writeback-count", &s->stats.writebacks);
    lsi3108_add_counter(obj, "dirty-bytes", &s->cache.dirty_bytes);
    lsi3108_add_counter(obj, "dropped-count", &s->inject.dropped);
    lsi3108_add_counter(obj, "tm-count", &s->inject.tm_count);
    lsi3108_add_counter(obj, "tm-aborted", &s->inject.tm_aborted);
    lsi3108_add_counter(obj, "garbage-posted", &s->inject.garbage);
    lsi3108_add_counter(obj, "fuzz-replies-done", &s->fuzz.replies_done);
    lsi3108_add_counter(obj, "fuzz-events-done", &s->fuzz.events_done);
    lsi3108_add_counter(obj, "fuzz-dcmd-done", &s->fuzz.dcmd_done);
    object_property_add_str(obj, "fw-state", lsi3108_get_fw_state, NULL);

    object_property_add_bool(obj, "power-cut", lsi3108_get_power_cut,
                             lsi3108_set_power_cut);
    object_property_add(obj, "fault", "uint32", lsi3108_get_fault,
                        lsi3108_set_fault, NULL, NULL);
    object_property_add(obj, "fault-no-reset", "uint32", lsi3108_get_fault,
                        lsi3108_set_fault, NULL, NULL);
    object_property_add_bool(obj, "revive", lsi3108_get_false,
                             lsi3108_set_revive);
    object_property_add_bool(obj, "surprise-removed", lsi3108_get_removed,
                             lsi3108_set_removed);
    lsi3108_add_knob(obj, "completion-delay-us", &s->inject.delay_us);
    lsi3108_add_knob(obj, "flush-delay-ms", &s->inject.flush_delay_ms);
    lsi3108_add_knob(obj, "delay-next-ms", &s->inject.delay_next_ms);
    lsi3108_add_knob(obj, "delay-next-count", &s->inject.delay_next_count);
    lsi3108_add_knob(obj, "drop-completions", &s->inject.drop);
    lsi3108_add_knob(obj, "boot-delay-ms", &s->boot.delay_ms);
    lsi3108_add_counter(obj, "boot-count", &s->boot.count);
    object_property_add_str(obj, "inject-reply", NULL,
                            lsi3108_set_inject_reply);
    object_property_add(obj, "fuzz-seed", "uint64", lsi3108_get_fuzz_seed,
                        lsi3108_set_fuzz_seed, NULL, NULL);
    object_property_add(obj, "fuzz-replies", "uint32", lsi3108_get_fuzz,
                        lsi3108_set_fuzz, NULL, NULL);
    object_property_add(obj, "fuzz-events", "uint32", lsi3108_get_fuzz,
                        lsi3108_set_fuzz, NULL, NULL);
}

/* ------------------------------------------------------------------ */
/* Device life cycle                                                   */
/* ------------------------------------------------------------------ */

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
    if (s->fw_version && strlen(s->fw_version) >= 32) {
        error_setg(errp, "fw-version is longer than 31 characters");
        return false;
    }
    if (s->serial && strlen(s->serial) >= 32) {
        error_setg(errp, "serial is longer than 31 characters");
        return false;
    }
    return true;
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

static void lsi3108_realize(PCIDevice *d, Error **errp)
{
    Lsi3108State *s = LSI3108(d);
    Error *err = NULL;

    if (!lsi3108_check_props(s, errp)) {
        return;
    }
    d->config[PCI_LATENCY_TIMER] = 0;
    d->config[PCI_INTERRUPT_PIN] = 0x01;

    memory_region_init_io(&s->mmio, OBJECT(s), &lsi3108_mmio_ops, s,
                          "lsi3108-regs", LSI_REG_BAR_SIZE);
    memory_region_init_io(&s->io, OBJECT(s), &lsi3108_io_ops, s,
                          "lsi3108-io", LSI3108_IO_BAR_SIZE);
    memory_region_init_io(&s->gone, OBJECT(s), &lsi3108_gone_ops, s,
                          "lsi3108-removed", LSI_REG_BAR_SIZE);
    lsi3108_init_interrupts(s, &err);
    if (err) {
        error_propagate(errp, err);
        return;
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
            return;
        }
        pcie_cap_flr_init(d);
    }
    pci_register_bar(d, 0, PCI_BASE_ADDRESS_SPACE_IO, &s->io);
    pci_register_bar(d, LSI_REG_BAR, PCI_BASE_ADDRESS_SPACE_MEMORY |
                     PCI_BASE_ADDRESS_MEM_TYPE_64, &s->mmio);

    lsi3108_identity(s);
    s->chain_size = LSI3108_CHAIN_UNITS * (s->chain_1mb ?
                                           LSI_CHAIN_UNIT_LARGE :
                                           LSI_CHAIN_UNIT_SMALL);
    s->cache.max_bytes = s->cache_size;
    s->smid_busy = bitmap_new(s->max_cmds);
    s->boot_ns = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    s->fuzz.timer = timer_new_ms(QEMU_CLOCK_VIRTUAL, lsi3108_fuzz_tick, s);
    s->boot.timer = timer_new_ns(QEMU_CLOCK_VIRTUAL, lsi3108_boot_tick, s);
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
    timer_free(s->fuzz.timer);
    s->fuzz.timer = NULL;
    timer_free(s->boot.timer);
    s->boot.timer = NULL;
    memory_region_del_subregion(&s->mmio, &s->gone);
    if (msix_present(d)) {
        msix_unuse_all_vectors(d);
        msix_uninit(d, &s->mmio, &s->mmio);
    }
    msi_uninit(d);
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
 * is a power cycle: the firmware boots again, even from fault-no-reset.
 */
static void lsi3108_reset(DeviceState *dev)
{
    Lsi3108State *s = LSI3108(dev);

    if (lsi3108_in_flr(PCI_DEVICE(dev))) {
        trace_lsi3108_flr(lsi3108_state_name(s->fw_state));
        lsi3108_chip_reset(s, "FLR");
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
    if (LSI3108(d)->removed) {
        return;
    }
    pci_default_write_config(d, addr, val, len);
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
    DEFINE_PROP_SIZE("cache-size", Lsi3108State, cache_size,
                     LSI3108_DEFAULT_CACHE_SIZE),
    DEFINE_PROP_STRING("serial", Lsi3108State, serial),
    DEFINE_PROP_STRING("fw-version", Lsi3108State, fw_version),
    DEFINE_PROP_BOOL("tm-capable", Lsi3108State, tm_capable, false),
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
