/*
 * QEMU model of the LSI MegaRAID SAS3108 — what the parts of the controller
 * share (lsi3108.c, lsi3108-scsi.c, lsi3108-mfi.c, lsi3108-inject.c). The
 * logical drives see only lsi3108.h.
 *
 * The firmware of a RAID-on-Chip is one program with several jobs, and so
 * is this model: the core (lsi3108.c) is the chip as the host's registers
 * show it — the firmware state machine, the request and reply queues, IOC
 * INIT, resets; lsi3108-scsi.c runs the SCSI commands for the logical drives
 * and the task management that ends them early; lsi3108-mfi.c is the
 * management side (MFI frames, DCMDs, the event log and the RAID map). The
 * test controls (fault injection, fuzzing, delays) live in lsi3108-inject.c
 * and enter the command path only through the lsi3108_inject_*() hooks
 * below, called at a command's arrival and at its completion.
 *
 * Copyright (c) 2026 The lsi3108 project authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef HW_SCSI_LSI3108_CTRL_H
#define HW_SCSI_LSI3108_CTRL_H

#include "qemu/queue.h"
#include "qemu/timer.h"
#include "qemu/units.h"
#include "lsi3108.h"

OBJECT_DECLARE_SIMPLE_TYPE(Lsi3108State, LSI3108)

/* largest data transfer of one SCSI command: 2048 sectors, as ctrl_info says */
#define LSI3108_MAX_XFER            (1 * MiB)
#define LSI3108_EVT_LOG_SIZE        64

/* Fault code this model reports in pad 0 bits 27:16 when a DMA fails */
#define LSI3108_FAULT_DMA           0x0003  /* a frame or queue DMA failed */
#define LSI3108_FAULT_SGL           0x0004  /* SGE flags a 3108 locks up on */

/* One reply descriptor ring (one per MSI-X vector the host asked for). */
typedef struct Lsi3108ReplyQueue {
    dma_addr_t  base;
    uint32_t    producer;       /* next slot the firmware writes */
    uint32_t    host_index;     /* next slot the host reads */
    GQueue      backlog;        /* SMIDs waiting for a free slot */
    uint64_t    posted;         /* replies written, since power-on */
    uint64_t    masked;         /* of their signals, to a masked vector */
} Lsi3108ReplyQueue;

/* An entry of the firmware event log. */
typedef struct Lsi3108Event {
    uint32_t    seq;
    uint32_t    code;
    uint32_t    class_locale;
    uint32_t    time_stamp;
    uint8_t     arg_type;
    uint16_t    target;
    uint8_t     args[12];           /* PD_STATE / LD_STATE arguments */
    char        description[128];   /* as evt_detail's */
} Lsi3108Event;

typedef struct Lsi3108Mfi Lsi3108Mfi;
typedef struct Lsi3108Tm Lsi3108Tm;          /* lsi3108-scsi.c */
typedef struct Lsi3108Inject Lsi3108Inject;  /* lsi3108-inject.c */

/*
 * Where an outstanding Fusion SCSI command is, as far as the firmware is
 * concerned. Its SMID stays busy in every state.
 */
typedef enum {
    LSI3108_CMD_WAITING,            /* waits for bounce-buffer room */
    LSI3108_CMD_RUNNING,            /* in the LD: backend I/O may be running */
    LSI3108_CMD_DELAYED,            /* done; the completion waits for a timer */
    LSI3108_CMD_LOST,               /* done; never completed by itself */
} Lsi3108CmdState;

/* Why a command is held (never completed) by a test control. */
typedef enum {
    LSI3108_HOLD_NONE,
    LSI3108_HOLD_INJECT,            /* x-inject-reply wrong-queue */
    LSI3108_HOLD_FUZZ,              /* x-fuzz-replies */
} Lsi3108Hold;

/* What the test controls decided for one command when it arrived. */
typedef struct Lsi3108CmdInject {
    uint32_t        delay_ms;       /* x-delay-next-ms taken at arrival */
    Lsi3108Hold     hold;
    QEMUTimer       *timer;         /* the delayed completion */
} Lsi3108CmdInject;

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
    bool            syspd;          /* for a system PD, not an LD */
    uint32_t        target;         /* the LD's target id or the PD's device
                                     * id (either may go) */
    Lsi3108Tm       *tm;            /* terminated for this TM once LD is done */
    Lsi3108CmdInject inject;        /* lsi3108-inject.c */
    uint32_t        bounce;         /* bytes of the bounce budget it holds */
    QTAILQ_ENTRY(Lsi3108Cmd) wait_next; /* on s->bounce_waiting */
} Lsi3108Cmd;

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
    QEMUTimer       *timer;         /* x-flush-delay-ms of a CACHE_FLUSH DCMD */
};

/*
 * Firmware (re)start. Every start (power-on or machine reset, chip reset,
 * FLR, revive, doorbell OPERATIONAL -> READY) counts; with x-boot-delay-ms
 * set, the firmware spends the first nine tenths of it in FW_INIT and the
 * last tenth in DEVICE_SCAN (virtual time) before READY.
 */
typedef struct Lsi3108Boot {
    uint32_t    delay_ms;           /* property x-boot-delay-ms */
    uint64_t    count;              /* property x-boot-count */
    int64_t     start_ns;           /* when the current boot began */
    int64_t     length_ns;          /* its length, fixed when it began */
    QEMUTimer   *timer;             /* FW_INIT -> DEVICE_SCAN -> READY */
} Lsi3108Boot;

/*
 * Chip reset (host diag RESET_ADAPTER, FLR): for time_ms (property
 * reset-time-ms) the registers read all-ones and ignore writes, then the
 * firmware boots (Lsi3108Boot). docs/model.md has the evidence.
 */
typedef struct Lsi3108ChipReset {
    uint32_t    time_ms;            /* property reset-time-ms */
    bool        active;             /* the registers read all-ones */
    QEMUTimer   *timer;             /* end of the all-ones window */
    const char  *why;               /* what started it (for the boot trace) */
    bool        dma_fault_pending;  /* a DMA failed: FAULT at the next entry */
    bool        dma_blocked;        /* x-dma-fail: as if an IOMMU blocked us */
    QEMUBH      *dma_fault_bh;      /* ... or from the main loop, soon */
} Lsi3108ChipReset;

/*
 * What the firmware refuses or postpones so that no host, however it
 * behaves, makes it (and so QEMU) hold an unbounded amount of memory; the
 * counters are read as x-... properties.
 */
typedef struct Lsi3108Limits {
    uint64_t    bounce_max;         /* property bounce-max */
    uint64_t    bounce_used;        /* data bytes of Fusion commands in LDs */
    uint64_t    bounce_waits;       /* commands that waited for bounce room */
    uint64_t    smid_reposts;       /* descriptors for a SMID still busy */
    uint64_t    backlog_peak;       /* most reply descriptors in backlogs */
    uint64_t    mfi_refused;        /* MFI-mode frames refused: one in flight */
    uint32_t    mfi_inflight;       /* MFI-mode frames the firmware holds */
    uint64_t    host_index_ignored; /* writes to the other mode's register */
    uint64_t    d3hot_entries;      /* D0 -> D3hot transitions */
    QEMUBH      *bounce_bh;         /* starts the waiting commands */
} Lsi3108Limits;

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
    bool            dma64;          /* pad 1 bit 25: 64-bit control DMA */
    uint64_t        cache_size;
    char            *serial;
    char            *fw_version;
    bool            tm_capable;
    bool            config_seq_check;   /* answer a stale sequence 0x67 */
    bool            sgl_check;          /* FAULT on Thunderbolt SGE flags */
    char            *mfi_reply_queue;   /* "named" (default) or "zero" */
    bool            mgmt_on_queue0;     /* ... parsed: "zero" */

    /* firmware */
    uint32_t        fw_state;       /* LSI_FW_STATE_* */
    uint32_t        fault_code;
    bool            fault_no_reset; /* FAULT without RESET_ADAPTER: dead */
    bool            powered_off;
    bool            removed;        /* surprise removal: off the bus */
    bool            d3hot;          /* PCI power state D3hot */
    uint32_t        epoch;          /* bumped whenever work is dropped */
    bool            in_mmio;
    char            fw_rev[5];
    uint64_t        naa_base;
    int64_t         boot_ns;
    uint32_t        chain_size;     /* in use: pad 1's, 1 KiB without EXT_IO */

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
    uint32_t        driver_caps;    /* MFI INIT driver_operations taken */
    bool            combined;       /* combined reply-queue mode */
    Lsi3108ReplyQueue queues[LSI_MAX_MSIX_VECTORS];
    unsigned long   *smid_busy;
    /*
     * The inbound request FIFO: descriptors taken at the queue port whose
     * frames the firmware has not read yet (SMID | reply queue << 16). Each
     * names a busy SMID, so it never holds more than max_cmds entries.
     */
    uint32_t        *inbound;
    uint32_t        inbound_head;
    uint32_t        inbound_count;
    QEMUBH          *inbound_bh;

    /* MFI commands the firmware holds (EVENT_WAIT, map sync) */
    QTAILQ_HEAD(, Lsi3108Mfi) held;
    /* Fusion SCSI commands whose SMID is busy (Lsi3108Cmd.req) */
    QTAILQ_HEAD(, Lsi3108Request) outstanding;
    /* those of them waiting for bounce-buffer room, in arrival order */
    QTAILQ_HEAD(, Lsi3108Cmd) bounce_waiting;
    Lsi3108Limits   limits;
    /* task management requests waiting for backend I/O */
    QTAILQ_HEAD(, Lsi3108Tm) tms;
    Lsi3108Boot     boot;
    Lsi3108ChipReset reset;
    Lsi3108Inject   *inject;        /* test controls: lsi3108-inject.c */

    /* logical drives, by target id */
    Lsi3108LD       *lds[LSI3108_MAX_LD_TARGETS];
    /* physical disks, by device id (lsi3108-pd.c) */
    Lsi3108PD       *pds[LSI_MAX_PDS];
    bool            expose_jbod;    /* property "expose-jbod" */
    uint16_t        config_seq;     /* the configuration's generation */

    /* event log */
    Lsi3108Event    events[LSI3108_EVT_LOG_SIZE];
    uint32_t        next_seq;
    uint32_t        boot_seq;
    uint32_t        shutdown_seq;

    Lsi3108Cache    cache;
    Lsi3108Stats    stats;
};

/* Powered, on the bus and not in D3hot: may DMA and interrupt. */
static inline bool lsi3108_alive(Lsi3108State *s)
{
    return !s->powered_off && !s->removed && !s->d3hot;
}

static inline bool lsi3108_running(Lsi3108State *s)
{
    return s->fw_state == LSI_FW_STATE_OPERATIONAL && lsi3108_alive(s);
}

/* Still booting after a (re)start (x-boot-delay-ms): not READY yet. */
static inline bool lsi3108_booting(Lsi3108State *s)
{
    return s->fw_state == LSI_FW_STATE_FW_INIT ||
           s->fw_state == LSI_FW_STATE_DEVICE_SCAN;
}

/* Polled MFI mode (frames at the MFI queue port) works before IOC INIT. */
static inline bool lsi3108_mfi_mode_ok(Lsi3108State *s)
{
    return s->fw_state == LSI_FW_STATE_READY && lsi3108_alive(s);
}

/* ---- the core: lsi3108.c ---- */

void lsi3108_guest_error(const char *what, uint64_t a, uint64_t b);
bool lsi3108_dma_read(Lsi3108State *s, dma_addr_t addr, void *buf,
                      dma_addr_t len);
bool lsi3108_dma_write(Lsi3108State *s, dma_addr_t addr, const void *buf,
                       dma_addr_t len);
const char *lsi3108_state_name(uint32_t state);

/* Stop processing and report @code; only a chip reset leaves FAULT. */
void lsi3108_fault(Lsi3108State *s, uint32_t code);
/* Events from outside: power loss, surprise removal and back, revival. */
void lsi3108_power_cut(Lsi3108State *s);
void lsi3108_surprise_remove(Lsi3108State *s, bool removed);
void lsi3108_revive(Lsi3108State *s);

/* Signal that ring @qi has new replies. */
void lsi3108_notify(Lsi3108State *s, unsigned int qi);
/* Can ring @qi take a descriptor now (no backlog waiting, not full)? */
bool lsi3108_ring_has_room(Lsi3108State *s, unsigned int qi);
/* Store @desc at ring @qi's producer slot; a failed DMA faults (false). */
bool lsi3108_ring_store(Lsi3108State *s, unsigned int qi, uint64_t desc);
/* Give @smid back and post its reply on ring @qi. */
void lsi3108_complete_smid(Lsi3108State *s, uint16_t smid, unsigned int qi);
/* Status into a request frame's RAID context, then the reply. */
void lsi3108_finish_frame(Lsi3108State *s, uint16_t smid, unsigned int qi,
                          dma_addr_t frame, uint8_t status,
                          uint8_t ex_status);

/* ---- SCSI commands and task management: lsi3108-scsi.c ---- */

void lsi3108_scsi_io(Lsi3108State *s, uint16_t smid, uint8_t qi,
                     dma_addr_t addr, const struct lsi_io_frame *f);
/* A fast-path SCSI IO frame (Function 0x00): system PDs only here. */
void lsi3108_scsi_fp_io(Lsi3108State *s, uint16_t smid, uint8_t qi,
                        dma_addr_t addr, const struct lsi_io_frame *f);
void lsi3108_task_mgmt(Lsi3108State *s, uint16_t smid, uint8_t qi,
                       dma_addr_t addr, const struct lsi_io_frame *f);
/* Complete a command with its own result and free it. */
void lsi3108_cmd_complete(Lsi3108State *s, Lsi3108Cmd *cmd);
void lsi3108_cmd_free(Lsi3108Cmd *cmd);
/* Free a command, taking it off the outstanding list if it is on it. */
void lsi3108_cmd_release(Lsi3108State *s, Lsi3108Cmd *cmd);
/* A reset: forget the outstanding commands and the waiting TMs. */
void lsi3108_scsi_drop_work(Lsi3108State *s);
/* Bottom half: start the commands waiting for bounce-buffer room. */
void lsi3108_bounce_run(void *opaque);

/* ---- MFI commands, events, the RAID map: lsi3108-mfi.c ---- */

void lsi3108_mfi_passthru(Lsi3108State *s, uint16_t smid, uint8_t qi,
                          dma_addr_t addr, const struct lsi_io_frame *f);
void lsi3108_mfi_queue_port(Lsi3108State *s, uint32_t val);
/* The LD finished an MFI-mode pass-through command. */
void lsi3108_mfi_scsi_finish(Lsi3108State *s, Lsi3108Cmd *cmd);
/* Is the MFI command still wanted (no reset since it arrived)? */
bool lsi3108_mfi_live(Lsi3108State *s, Lsi3108Mfi *m);
void lsi3108_mfi_complete(Lsi3108State *s, Lsi3108Mfi *m, uint8_t status);
void lsi3108_mfi_free(Lsi3108Mfi *m);
/* The firmware keeps @m on s->held until something completes it. */
void lsi3108_hold(Lsi3108State *s, Lsi3108Mfi *m);
/* DCMD data to the host, truncated to what the host's buffer holds. */
uint8_t lsi3108_mfi_data_in(Lsi3108Mfi *m, const void *buf, size_t len);
/* Map an MFI frame's SGL at @off (DCMD 0x28, pass-through 0x30) into m->sgl */
bool lsi3108_mfi_map_sgl(Lsi3108State *s, Lsi3108Mfi *m, size_t off);
/* A PD's state moved (LSI_PD_STATE_*): the firmware's PD event */
void lsi3108_log_pd_rebuild_event(Lsi3108State *s, Lsi3108PD *pd,
                                  uint32_t code, uint16_t progress,
                                  uint16_t elapsed);
void lsi3108_log_pd_state_event(Lsi3108State *s, Lsi3108PD *pd,
                                uint16_t prev, uint16_t now);
/* A PD hot-plugged into or out of its slot: PD_INSERTED / PD_REMOVED */
void lsi3108_log_pd_slot_event(Lsi3108State *s, Lsi3108PD *pd, bool inserted);
/* The set of devices the host may address changed: HOST_BUS_SCAN_REQUESTED */
void lsi3108_log_bus_scan_event(Lsi3108State *s);
/* A reset: forget every held MFI command. */
void lsi3108_mfi_drop_work(Lsi3108State *s);
/* Does @ld take task management (its RAID map tmCapable bit)? */
static inline bool lsi3108_ld_tm_capable(Lsi3108State *s, Lsi3108LD *ld)
{
    return ld->tm_capable == ON_OFF_AUTO_AUTO ? s->tm_capable
                                              : ld->tm_capable == ON_OFF_AUTO_ON;
}
/* Property mfi-reply-queue: "named" or "zero"; false (errp) otherwise. */
bool lsi3108_mgmt_queue_prop(Lsi3108State *s, Error **errp);
/* The reply queue of an MFI pass-through or TM whose descriptor named @qi. */
static inline uint8_t lsi3108_mgmt_queue(Lsi3108State *s, uint8_t qi)
{
    return s->mgmt_on_queue0 ? 0 : qi;
}

/*
 * An LD list made structurally invalid (x-fuzz-events): how many entries the
 * count claims, and an extra entry at index n (slot >= 0) with target id id.
 */
typedef struct Lsi3108BadList {
    uint32_t    count;
    int         slot;
    uint8_t     id;
} Lsi3108BadList;

/*
 * ---- Test controls: lsi3108-inject.c ----
 * The firmware calls these hooks at fixed points of a command's life; with
 * no control set they change nothing. They are the only way injected faults,
 * delays and fuzzed answers reach the command path.
 */

/* Life cycle: instance_init (state, QOM properties), realize, exit, free. */
void lsi3108_inject_init(Lsi3108State *s);
void lsi3108_inject_realize(Lsi3108State *s);
void lsi3108_inject_exit(Lsi3108State *s);
void lsi3108_inject_finalize(Lsi3108State *s);
/* IOC INIT made the firmware OPERATIONAL: a paused fuzzer resumes. */
void lsi3108_inject_operational(Lsi3108State *s);
/* A SCSI command for an LD arrived: it may be picked for a delay or hold. */
void lsi3108_inject_arrival(Lsi3108State *s, Lsi3108Cmd *cmd);
/*
 * The LD is done with a SCSI command: true if a control kept it (held and
 * its SMID posted on a wrong ring, lost, or delayed); false to complete it.
 */
bool lsi3108_inject_completion(Lsi3108State *s, Lsi3108Cmd *cmd);
/* An LD read/write arrived: true to refuse it with 0x67 (x-seq-mismatch-next). */
bool lsi3108_inject_seq_mismatch(Lsi3108State *s);
/*
 * Every LD is written back for a flush DCMD: true if a control delays its
 * completion (CACHE_FLUSH and x-flush-delay-ms); false to complete it now.
 */
bool lsi3108_inject_flush_done(Lsi3108State *s, Lsi3108Mfi *m);
/* A DCMD arrived: true if x-hold-dcmd keeps it (held, never answered). */
bool lsi3108_inject_hold_dcmd(Lsi3108State *s, Lsi3108Mfi *m);
/* EVENT_WAIT: true, with *status, if it was answered by the event fuzzer. */
bool lsi3108_inject_event_wait(Lsi3108State *s, Lsi3108Mfi *m,
                               uint8_t *status);
/*
 * An LD list of @n LDs (@ids) for a buffer of @room entries is built: true
 * if the fuzzer wants this answer invalid, as @bad describes.
 */
bool lsi3108_inject_ld_list(Lsi3108State *s, Lsi3108Mfi *m, bool ext,
                            unsigned int n, uint32_t room,
                            const uint8_t *ids, Lsi3108BadList *bad);

#endif /* HW_SCSI_LSI3108_CTRL_H */
