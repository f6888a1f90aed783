/*
 * QEMU model of the LSI MegaRAID SAS3108: test controls — fault injection,
 * fuzzing and delays, and the counters tests read.
 *
 * A real controller fails in ways a test bench cannot wait for: its
 * firmware faults, completions go missing or come late, garbage appears on
 * a reply ring, the event log says odd things. The controls here make the
 * model do those things on request (QMP qom-set on the controller, property
 * names starting with x-; docs/model.md has the table), deterministically:
 * every random choice comes from a seeded generator.
 *
 * Like null_blk's should_timeout_request(), the controls reach the firmware
 * only through hooks it calls at fixed points (lsi3108-ctrl.h):
 * lsi3108_inject_arrival() when a SCSI command arrives (pick it to be
 * delayed or held), lsi3108_inject_completion() when the LD is done with it
 * (hold, lose or delay it), lsi3108_inject_flush_done() when a CACHE_FLUSH
 * is written back, lsi3108_inject_event_wait() and lsi3108_inject_ld_list()
 * for the fuzzed management answers, lsi3108_inject_operational() after
 * IOC INIT. With no control set, every hook leaves the command alone.
 *
 * Copyright (c) 2026 The lsi3108 project authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/visitor.h"
#include "hw/qdev-core.h"
#include "scsi/constants.h"
#include "trace.h"
#include "lsi3108-ctrl.h"

/* x-fuzz-replies: descriptors per batch, and the batch period (virtual time) */
#define LSI3108_FUZZ_BATCH          32
#define LSI3108_FUZZ_PERIOD_MS      2

/*
 * Seeded fuzzing. Each stream is a splitmix64 generator seeded from
 * x-fuzz-seed, so the same seed and the same sequence of property writes
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

/* Fault injection knobs (QOM properties), what they did, and the fuzzers. */
struct Lsi3108Inject {
    uint32_t    delay_us;           /* delay every SCSI completion */
    uint32_t    drop;               /* lose the next N SCSI completions */
    uint32_t    flush_delay_ms;     /* SYNCHRONIZE CACHE, CACHE_FLUSH DCMD */
    uint32_t    delay_next_ms;      /* delay the next delay_next_count ... */
    uint32_t    delay_next_count;   /* ... SCSI commands received */
    uint32_t    hold_armed;         /* x-inject-reply wrong-queue, pending */
    uint32_t    stale_seq;          /* refuse the next N LD reads/writes 0x67 */
    uint32_t    hold_dcmd;          /* keep every DCMD of this opcode */
    uint64_t    dropped;            /* counters */
    uint64_t    held_dcmds;
    uint64_t    garbage;
    Lsi3108Fuzz fuzz;
};

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

/* One independent stream per fuzzer, all derived from x-fuzz-seed. */
static void lsi3108_fuzz_reseed(Lsi3108State *s, uint64_t seed)
{
    s->inject->fuzz.seed = seed;
    s->inject->fuzz.reply_rng = seed ^ 0x7265706c79ULL;     /* "reply" */
    s->inject->fuzz.event_rng = seed ^ 0x6576656e74ULL;     /* "event" */
    s->inject->fuzz.dcmd_rng = seed ^ 0x64636d64ULL;        /* "dcmd" */
}

/* ------------------------------------------------------------------ */
/* A SCSI command's arrival and completion                             */
/* ------------------------------------------------------------------ */

/* The arrival hook: delay-next and armed holds pick commands as they come. */
void lsi3108_inject_arrival(Lsi3108State *s, Lsi3108Cmd *cmd)
{
    Lsi3108Inject *in = s->inject;

    if (in->delay_next_count) {
        in->delay_next_count--;
        cmd->inject.delay_ms = in->delay_next_ms;
    }
    if (in->hold_armed) {
        in->hold_armed--;
        cmd->inject.hold = LSI3108_HOLD_INJECT;
    } else if (in->fuzz.hold_armed) {
        in->fuzz.hold_armed = false;
        cmd->inject.hold = LSI3108_HOLD_FUZZ;
    }
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
    if (!lsi3108_running(s) || qi >= s->nqueues) {
        return false;
    }
    if (!lsi3108_ring_has_room(s, qi)) {
        trace_lsi3108_garbage_full(what, qi);
        return false;
    }
    trace_lsi3108_garbage(what, qi, s->queues[qi].producer, desc);
    if (!lsi3108_ring_store(s, qi, desc)) {
        return false;
    }
    s->inject->garbage++;
    lsi3108_notify(s, qi);
    return true;
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
 * A held command (x-inject-reply wrong-queue, or the reply fuzzer) completes
 * as usual, status and all, but on a ring other than the one its descriptor
 * named: ring msix + 1 + pick % (nqueues - 1). That is a real completion,
 * which firmware may legitimately post anywhere (the host must take it);
 * it counts in x-garbage-posted as what the controls posted.
 */
static void lsi3108_complete_elsewhere(Lsi3108State *s, Lsi3108Cmd *cmd,
                                       uint32_t pick)
{
    uint8_t from = cmd->req.msix;

    if (s->nqueues >= 2) {
        cmd->req.msix = (from + 1 + pick % (s->nqueues - 1)) % s->nqueues;
    }
    trace_lsi3108_inject_queue(cmd->req.smid, from, cmd->req.msix);
    s->inject->garbage++;
    if (cmd->inject.hold == LSI3108_HOLD_FUZZ) {
        s->inject->fuzz.replies_left -= !!s->inject->fuzz.replies_left;
        s->inject->fuzz.replies_done++;
    }
    cmd->inject.hold = LSI3108_HOLD_NONE;
}

/*
 * The sequence hook: an LD read or write arrived. With x-seq-mismatch-next
 * N, the next N are refused with CONFIG_SEQ_MISMATCH whatever their RAID
 * context says, as if the configuration had just changed under each of
 * them: how a host bounds its retries of 0x67.
 */
bool lsi3108_inject_seq_mismatch(Lsi3108State *s)
{
    if (!s->inject->stale_seq) {
        return false;
    }
    s->inject->stale_seq--;
    trace_lsi3108_inject("stale sequence", 0);
    return true;
}

/*
 * The completion hook: the LD is done with the command. Lost or delayed:
 * kept, true. Held: completed now, on another ring.
 */
bool lsi3108_inject_completion(Lsi3108State *s, Lsi3108Cmd *cmd)
{
    uint64_t delay_us;

    if (cmd->inject.hold != LSI3108_HOLD_NONE) {
        lsi3108_complete_elsewhere(s, cmd, cmd->req.smid);
        return false;
    }
    if (s->inject->drop) {
        s->inject->drop--;
        s->inject->dropped++;
        trace_lsi3108_inject("lost", cmd->req.smid);
        cmd->state = LSI3108_CMD_LOST;
        return true;
    }
    delay_us = MAX((uint64_t)s->inject->delay_us,
                   cmd->inject.delay_ms * 1000ULL);
    if (lsi3108_is_sync_cache(cmd->req.cdb[0])) {
        delay_us = MAX(delay_us, s->inject->flush_delay_ms * 1000ULL);
    }
    if (delay_us) {
        trace_lsi3108_delay(cmd->req.smid, delay_us);
        cmd->state = LSI3108_CMD_DELAYED;
        cmd->inject.timer = timer_new_us(QEMU_CLOCK_VIRTUAL,
                                            lsi3108_delayed_done, cmd);
        timer_mod(cmd->inject.timer,
                  qemu_clock_get_us(QEMU_CLOCK_VIRTUAL) + delay_us);
        return true;
    }
    return false;
}

static void lsi3108_flush_delay_done(void *opaque)
{
    Lsi3108Mfi *m = opaque;

    QTAILQ_REMOVE(&m->s->held, m, next);
    lsi3108_mfi_complete(m->s, m, m->flush_ret ? m->fail_status
                                               : LSI_MFI_STAT_OK);
}

/*
 * The flush hook: every LD is written back for a flush DCMD. A CACHE_FLUSH
 * then waits x-flush-delay-ms (held, so a reset frees it) before it completes.
 */
bool lsi3108_inject_flush_done(Lsi3108State *s, Lsi3108Mfi *m)
{
    uint32_t delay_ms = s->inject->flush_delay_ms;

    if (m->opcode != LSI_DCMD_CTRL_CACHE_FLUSH || !delay_ms ||
        !lsi3108_mfi_live(s, m)) {
        return false;
    }
    trace_lsi3108_delay(m->smid, delay_ms * 1000ULL);
    m->timer = timer_new_ms(QEMU_CLOCK_VIRTUAL, lsi3108_flush_delay_done, m);
    lsi3108_hold(s, m);
    timer_mod(m->timer, qemu_clock_get_ms(QEMU_CLOCK_VIRTUAL) + delay_ms);
    return true;
}

/*
 * x-hold-dcmd: a DCMD with this opcode is kept and never answered (held: a
 * reset frees it), as a firmware busy with a long operation keeps one; the
 * host's timeout for it is what a test watches.
 */
bool lsi3108_inject_hold_dcmd(Lsi3108State *s, Lsi3108Mfi *m)
{
    if (!s->inject->hold_dcmd || m->opcode != s->inject->hold_dcmd) {
        return false;
    }
    s->inject->held_dcmds++;
    trace_lsi3108_inject("DCMD kept", m->smid);
    lsi3108_hold(s, m);
    return true;
}

/* ------------------------------------------------------------------ */
/* Fuzzed reply descriptors (x-fuzz-replies)                          */
/* ------------------------------------------------------------------ */

/*
 * One fuzzed descriptor from two draws of the reply stream: r1 picks the
 * form, the ring and the SMID, r2 the type nibble (never UNUSED) and the
 * upper 32 bits (never all-ones). Forms: SMID 0; a SMID in
 * max-cmds+1..0xffff; and, with two rings or more, a real completion on a
 * ring other than the one the command named: that arms a hold of the next
 * command received (lsi3108_complete_elsewhere() counts it when it
 * completes) and the descriptor takes one of the first two forms. A
 * descriptor that does not fit (ring full) is retried with the same draws
 * at the next batch, so the sequence depends on the seed only.
 */
static bool lsi3108_fuzz_reply(Lsi3108State *s)
{
    uint64_t saved = s->inject->fuzz.reply_rng;
    uint64_t r1 = lsi3108_rand(&s->inject->fuzz.reply_rng);
    uint64_t r2 = lsi3108_rand(&s->inject->fuzz.reply_rng);
    unsigned int kind = r1 % 3, qi = (r1 >> 8) % s->nqueues;
    uint16_t smid;
    bool posted;

    if (kind == 2) {
        s->inject->fuzz.hold_armed = s->nqueues >= 2;
        kind = (r1 >> 4) & 1;
    }
    smid = kind ? s->max_cmds + 1 + (r1 >> 32) % (0xffff - s->max_cmds) : 0;
    posted = lsi3108_post_garbage(s, qi, lsi3108_bogus_desc(r2, qi, smid,
                                                            r2 >> 32),
                                  kind ? "fuzz-smid-high" : "fuzz-smid0");
    if (!posted) {
        s->inject->fuzz.reply_rng = saved;
        return false;
    }
    s->inject->fuzz.replies_left--;
    s->inject->fuzz.replies_done++;
    return true;
}

/* Next batch in 2 ms while OPERATIONAL; IOC INIT resumes a paused run. */
static void lsi3108_fuzz_schedule(Lsi3108State *s)
{
    if (!s->inject->fuzz.replies_left) {
        s->inject->fuzz.hold_armed = false;
        timer_del(s->inject->fuzz.timer);
        return;
    }
    if (lsi3108_running(s)) {
        timer_mod(s->inject->fuzz.timer, qemu_clock_get_ms(QEMU_CLOCK_VIRTUAL) +
                                 LSI3108_FUZZ_PERIOD_MS);
    }
}

static void lsi3108_fuzz_tick(void *opaque)
{
    Lsi3108State *s = opaque;
    unsigned int i;

    for (i = 0; i < LSI3108_FUZZ_BATCH && s->inject->fuzz.replies_left &&
                lsi3108_running(s); i++) {
        if (!lsi3108_fuzz_reply(s)) {
            break;
        }
    }
    lsi3108_fuzz_schedule(s);
}

/* IOC INIT made the firmware OPERATIONAL: a paused x-fuzz-replies resumes. */
void lsi3108_inject_operational(Lsi3108State *s)
{
    lsi3108_fuzz_schedule(s);
}

/* ------------------------------------------------------------------ */
/* Fuzzed events and LD lists (x-fuzz-events)                         */
/* ------------------------------------------------------------------ */

static const uint32_t lsi3108_fuzz_event_codes[] = {
    LSI_EVT_LD_CREATED, LSI_EVT_LD_DELETED, LSI_EVT_LD_STATE_CHANGE,
    LSI_EVT_CFG_CLEARED,
};

/*
 * x-fuzz-events: answer an EVENT_WAIT with random event details. Draws from
 * the event stream, in this order: seq_num/time_stamp, code, class/locale
 * and arg_type, 12 draws of args, the LD target id, 16 draws of
 * description (128 printable characters, no NUL).
 */
static uint8_t lsi3108_fuzz_event_reply(Lsi3108State *s, Lsi3108Mfi *m)
{
    uint64_t *rng = &s->inject->fuzz.event_rng;
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
    s->inject->fuzz.events_left--;
    s->inject->fuzz.events_done++;
    s->inject->fuzz.lists_active = true;
    trace_lsi3108_fuzz_event(m->smid, le32_to_cpu(d.seq_num),
                             le32_to_cpu(d.code), d.arg_type,
                             le16_to_cpu(d.args.ld.target_id));
    return lsi3108_mfi_data_in(m, &d, sizeof(d));
}

/* x-fuzz-events was written: held EVENT_WAITs get fuzzed events now. */
static void lsi3108_fuzz_wake_waiters(Lsi3108State *s)
{
    uint32_t epoch = s->epoch;
    Lsi3108Mfi *m, *mn;

    if (!lsi3108_running(s)) {
        return;
    }
    QTAILQ_FOREACH_SAFE(m, &s->held, next, mn) {
        if (!s->inject->fuzz.events_left) {
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

/*
 * The EVENT_WAIT hook: while x-fuzz-events runs, answered with a fuzzed event.
 * Once the host re-arms after the last one, LD lists are valid again.
 */
bool lsi3108_inject_event_wait(Lsi3108State *s, Lsi3108Mfi *m,
                               uint8_t *status)
{
    if (s->inject->fuzz.events_left) {
        *status = lsi3108_fuzz_event_reply(s, m);
        return true;
    }
    s->inject->fuzz.lists_active = false;
    return false;
}

/*
 * While x-fuzz-events runs (and until the host re-arms EVENT_WAIT after the
 * last fuzzed event), every other LD_GET_LIST / LD_LIST_QUERY answer is
 * invalid, never a plausible list that hides or invents an LD. One draw
 * from the DCMD stream picks one of: a count beyond both 256 and the
 * entries the host's buffer holds (@room); one extra entry whose target id
 * is beyond the maximum the mailbox asked for (64 legacy; impossible in a
 * u8 for 256, then the next form); one extra entry duplicating a real LD
 * (with no LD, the count form).
 */
bool lsi3108_inject_ld_list(Lsi3108State *s, Lsi3108Mfi *m, bool ext,
                            unsigned int n, uint32_t room,
                            const uint8_t *ids, Lsi3108BadList *bad)
{
    uint32_t max = ext ? LSI_MAX_LDS : LSI_MAX_LDS_LEGACY;
    unsigned int variant;
    uint64_t r;

    if (!s->inject->fuzz.events_left && !s->inject->fuzz.lists_active) {
        return false;
    }
    s->inject->fuzz.list_toggle = !s->inject->fuzz.list_toggle;
    if (!s->inject->fuzz.list_toggle) {
        return false;
    }
    r = lsi3108_rand(&s->inject->fuzz.dcmd_rng);
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
    s->inject->fuzz.dcmd_done++;
    trace_lsi3108_fuzz_list(m->smid, m->opcode, variant, bad->count);
    return true;
}

/* ------------------------------------------------------------------ */
/* QOM properties for tests                                            */
/* ------------------------------------------------------------------ */

/*
 * qom-get/qom-set on /machine/peripheral/<id> (docs/model.md has the table);
 * every test-only property is named x-... (QEMU's mark for unstable ones):
 *   read:  x-flush-count (SYNCHRONIZE CACHE received),
 *          x-cache-flush-dcmd-count, x-shutdown-count, x-fua-count,
 *          x-writeback-count, x-dirty-bytes, x-fw-state ("READY",
 *          "OPERATIONAL", "FAULT", or while booting "FW_INIT" /
 *          "DEVICE_SCAN", "RESET" in a chip reset's all-ones window),
 *          x-boot-count (firmware (re)starts),
 *          x-dropped-count (completions lost by x-drop-completions),
 *          x-tm-count (TMs received), x-tm-aborted (commands TMs terminated),
 *          x-garbage-posted (bogus reply descriptors posted, any source),
 *          x-fuzz-replies-done, x-fuzz-events-done, x-fuzz-dcmd-done (fuzzed
 *          descriptors posted, EVENT_WAITs answered, LD lists spoiled)
 *   write: x-power-cut (true: lose the cache, stop);
 *          x-fault (code: FAULT with RESET_ADAPTER; a chip reset recovers);
 *          x-fault-no-reset (code: FAULT without RESET_ADAPTER; only
 *          x-revive, or a machine reset, recovers);
 *          x-revive (true: firmware reboot to READY from any state, cache
 *          kept); x-dma-fail (true: DMA of frames, replies and IOC INIT
 *          fails, the firmware FAULTs; false: DMA works again); x-surprise-removed (true: off the bus; false: back as at
 *          power-on);
 *          x-completion-delay-us (every SCSI completion),
 *          x-flush-delay-ms (SYNCHRONIZE CACHE and CACHE_FLUSH DCMD),
 *          x-delay-next-ms + x-delay-next-count (the next N SCSI commands),
 *          x-seq-mismatch-next (the next N LD reads/writes are refused
 *          with 0x67, CONFIG_SEQ_MISMATCH),
 *          x-drop-completions (the next N SCSI completions are lost: the
 *          command stays outstanding until a TM or a reset ends it);
 *          x-inject-reply ("smid0", "smid-high", "wrong-queue");
 *          x-fuzz-seed, x-fuzz-replies (N fuzzed descriptors), x-fuzz-events
 *          (N fuzzed EVENT_WAIT answers, invalid LD lists meanwhile);
 *          x-boot-delay-ms (every firmware (re)start spends this long in
 *          FW_INIT, then DEVICE_SCAN for the last tenth, before READY)
 *   (read back, the write-side numbers show what is still pending)
 * Device property (command line): tm-capable (the RAID map's tmCapable).
 */

/*
 * The controls that act on the firmware (x-fault, x-fault-no-reset,
 * x-power-cut, x-surprise-removed, x-revive) need a realized device: on the
 * command line (-device lsi3108,x-fault=1) they would run before there are
 * queues and timers to act on.
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

/*
 * x-dma-fail: every DMA of the firmware's own structures (frames, replies,
 * IOC INIT) fails, as behind an IOMMU that blocks the function: the
 * firmware FAULTs (0x003) at the first one, and every IOC INIT after a
 * chip reset FAULTs again, until it is cleared. Unlike bus mastering (the
 * host's driver turns that back on in every reset), the host cannot undo it.
 */
static bool lsi3108_get_dma_fail(Object *obj, Error **errp)
{
    return LSI3108(obj)->reset.dma_blocked;
}

static void lsi3108_set_dma_fail(Object *obj, bool value, Error **errp)
{
    LSI3108(obj)->reset.dma_blocked = value;
}

/* Power cut: the volatile cache is lost and the controller stops. */
static void lsi3108_set_power_cut(Object *obj, bool value, Error **errp)
{
    Lsi3108State *s = LSI3108(obj);

    if (value && !s->powered_off &&
        lsi3108_control_ok(s, "x-power-cut", errp)) {
        lsi3108_power_cut(s);
    }
}

static void lsi3108_get_fault(Object *obj, Visitor *v, const char *name,
                              void *opaque, Error **errp)
{
    Lsi3108State *s = LSI3108(obj);
    bool dead = !strcmp(name, "x-fault-no-reset");
    uint32_t code = 0;

    if (s->fw_state == LSI_FW_STATE_FAULT && s->fault_no_reset == dead) {
        code = s->fault_code;
    }
    visit_type_uint32(v, name, &code, errp);
}

/*
 * x-fault: a non-zero code puts the firmware in FAULT with RESET_ADAPTER set
 * (the host's chip reset recovers it). x-fault-no-reset: FAULT with
 * RESET_ADAPTER clear; the chip reset does nothing, the controller is dead
 * until x-revive (or a machine reset).
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
        s->fault_no_reset = !strcmp(name, "x-fault-no-reset");
        lsi3108_fault(s, code);
    }
}

static bool lsi3108_get_removed(Object *obj, Error **errp)
{
    return LSI3108(obj)->removed;
}

/* Surprise removal (true) and reinsertion (false), see lsi3108.c. */
static void lsi3108_set_removed(Object *obj, bool value, Error **errp)
{
    Lsi3108State *s = LSI3108(obj);

    if (value != s->removed &&
        lsi3108_control_ok(s, "x-surprise-removed", errp)) {
        lsi3108_surprise_remove(s, value);
    }
}

static bool lsi3108_get_false(Object *obj, Error **errp)
{
    return false;
}

/* x-revive: the firmware reboots to READY from any state; the cache is kept */
static void lsi3108_set_revive(Object *obj, bool value, Error **errp)
{
    Lsi3108State *s = LSI3108(obj);

    if (value && lsi3108_control_ok(s, "x-revive", errp)) {
        lsi3108_revive(s);
    }
}

/*
 * x-inject-reply: one bogus descriptor on ring 0 now ("smid0": SMID 0;
 * "smid-high": SMID max-cmds + 1), or ("wrong-queue") arm a hold: the next
 * SCSI command received completes normally but on another ring than the
 * one it named (with one ring: "smid-high" instead).
 */
static void lsi3108_set_inject_reply(Object *obj, const char *value,
                                     Error **errp)
{
    Lsi3108State *s = LSI3108(obj);
    uint16_t smid;

    if (!lsi3108_running(s)) {
        error_setg(errp, "x-inject-reply: the firmware is not OPERATIONAL");
        return;
    }
    if (!strcmp(value, "wrong-queue") && s->nqueues >= 2) {
        s->inject->hold_armed++;
        trace_lsi3108_inject("hold armed", 0);
        return;
    }
    if (!strcmp(value, "smid0")) {
        smid = 0;
    } else if (!strcmp(value, "smid-high") || !strcmp(value, "wrong-queue")) {
        smid = s->max_cmds + 1;
    } else {
        error_setg(errp, "x-inject-reply: '%s' is not smid0, smid-high or "
                   "wrong-queue", value);
        return;
    }
    if (!lsi3108_post_garbage(s, 0, lsi3108_bogus_desc(0, 0, smid, 0),
                              value)) {
        error_setg(errp, "x-inject-reply: reply queue 0 is full");
    }
}

static void lsi3108_get_fuzz_seed(Object *obj, Visitor *v, const char *name,
                                  void *opaque, Error **errp)
{
    visit_type_uint64(v, name, &LSI3108(obj)->inject->fuzz.seed, errp);
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
    uint32_t left = !strcmp(name, "x-fuzz-replies")
                    ? s->inject->fuzz.replies_left
                    : s->inject->fuzz.events_left;

    visit_type_uint32(v, name, &left, errp);
}

/*
 * x-fuzz-replies N: N fuzzed descriptors, in batches while OPERATIONAL.
 * x-fuzz-events N: the next N EVENT_WAITs get fuzzed events (held ones now).
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
    if (!strcmp(name, "x-fuzz-replies")) {
        s->inject->fuzz.replies_left = n;
        lsi3108_fuzz_schedule(s);
        return;
    }
    s->inject->fuzz.events_left = n;
    if (!n) {
        s->inject->fuzz.lists_active = false;
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

/* What happened, for qom-get: the controller's counters and state. */
static void lsi3108_add_counters(Lsi3108State *s)
{
    Object *obj = OBJECT(s);
    Lsi3108Inject *in = s->inject;

    lsi3108_add_counter(obj, "x-flush-count", &s->stats.sync_cache);
    lsi3108_add_counter(obj, "x-cache-flush-dcmd-count", &s->stats.flush_dcmd);
    lsi3108_add_counter(obj, "x-shutdown-count", &s->stats.shutdown_dcmd);
    lsi3108_add_counter(obj, "x-hibernate-count", &s->stats.hibernate_dcmd);
    lsi3108_add_counter(obj, "x-shutdown-held-count", &s->stats.shutdown_held);
    lsi3108_add_counter(obj, "x-fua-count", &s->stats.fua_writes);
    lsi3108_add_counter(obj, "x-writeback-count", &s->stats.writebacks);
    lsi3108_add_counter(obj, "x-dirty-bytes", &s->cache.dirty_bytes);
    lsi3108_add_counter(obj, "x-tm-count", &s->stats.tm_received);
    lsi3108_add_counter(obj, "x-tm-aborted", &s->stats.tm_terminated);
    lsi3108_add_counter(obj, "x-tm-refused", &s->stats.tm_refused);
    lsi3108_add_counter(obj, "x-sgl-fault-count", &s->stats.sgl_faults);
    lsi3108_add_counter(obj, "x-seq-checked-count", &s->stats.seq_checked);
    lsi3108_add_counter(obj, "x-seq-mismatch-count", &s->stats.seq_mismatch);
    lsi3108_add_counter(obj, "x-boot-count", &s->boot.count);
    lsi3108_add_counter(obj, "x-dropped-count", &in->dropped);
    lsi3108_add_counter(obj, "x-held-dcmd-count", &in->held_dcmds);
    lsi3108_add_counter(obj, "x-garbage-posted", &in->garbage);
    lsi3108_add_counter(obj, "x-fuzz-replies-done", &in->fuzz.replies_done);
    lsi3108_add_counter(obj, "x-fuzz-events-done", &in->fuzz.events_done);
    lsi3108_add_counter(obj, "x-fuzz-dcmd-done", &in->fuzz.dcmd_done);
    object_property_add_str(obj, "x-fw-state", lsi3108_get_fw_state, NULL);
}

/* What happens to the whole controller: power, faults, removal, boots. */
static void lsi3108_add_firmware_controls(Lsi3108State *s)
{
    Object *obj = OBJECT(s);

    object_property_add_bool(obj, "x-power-cut", lsi3108_get_power_cut,
                             lsi3108_set_power_cut);
    object_property_add(obj, "x-fault", "uint32", lsi3108_get_fault,
                        lsi3108_set_fault, NULL, NULL);
    object_property_add(obj, "x-fault-no-reset", "uint32", lsi3108_get_fault,
                        lsi3108_set_fault, NULL, NULL);
    object_property_add_bool(obj, "x-revive", lsi3108_get_false,
                             lsi3108_set_revive);
    object_property_add_bool(obj, "x-surprise-removed", lsi3108_get_removed,
                             lsi3108_set_removed);
    lsi3108_add_knob(obj, "x-boot-delay-ms", &s->boot.delay_ms);
    object_property_add_bool(obj, "x-dma-fail", lsi3108_get_dma_fail,
                             lsi3108_set_dma_fail);
}

/* What happens to commands: delays, losses, garbage replies, fuzzing. */
static void lsi3108_add_command_controls(Lsi3108State *s)
{
    Object *obj = OBJECT(s);
    Lsi3108Inject *in = s->inject;

    lsi3108_add_knob(obj, "x-completion-delay-us", &in->delay_us);
    lsi3108_add_knob(obj, "x-flush-delay-ms", &in->flush_delay_ms);
    lsi3108_add_knob(obj, "x-delay-next-ms", &in->delay_next_ms);
    lsi3108_add_knob(obj, "x-delay-next-count", &in->delay_next_count);
    lsi3108_add_knob(obj, "x-drop-completions", &in->drop);
    lsi3108_add_knob(obj, "x-seq-mismatch-next", &in->stale_seq);
    lsi3108_add_knob(obj, "x-hold-dcmd", &in->hold_dcmd);
    object_property_add_str(obj, "x-inject-reply", NULL,
                            lsi3108_set_inject_reply);
    object_property_add(obj, "x-fuzz-seed", "uint64", lsi3108_get_fuzz_seed,
                        lsi3108_set_fuzz_seed, NULL, NULL);
    object_property_add(obj, "x-fuzz-replies", "uint32", lsi3108_get_fuzz,
                        lsi3108_set_fuzz, NULL, NULL);
    object_property_add(obj, "x-fuzz-events", "uint32", lsi3108_get_fuzz,
                        lsi3108_set_fuzz, NULL, NULL);
}

/* The test controls' state, counters and QOM properties (instance_init). */
void lsi3108_inject_init(Lsi3108State *s)
{
    s->inject = g_new0(Lsi3108Inject, 1);
    lsi3108_fuzz_reseed(s, 1);
    lsi3108_add_counters(s);
    lsi3108_add_firmware_controls(s);
    lsi3108_add_command_controls(s);
}

void lsi3108_inject_realize(Lsi3108State *s)
{
    s->inject->fuzz.timer = timer_new_ms(QEMU_CLOCK_VIRTUAL,
                                         lsi3108_fuzz_tick, s);
}

void lsi3108_inject_exit(Lsi3108State *s)
{
    timer_free(s->inject->fuzz.timer);
    s->inject->fuzz.timer = NULL;
}

void lsi3108_inject_finalize(Lsi3108State *s)
{
    g_free(s->inject);
    s->inject = NULL;
}
