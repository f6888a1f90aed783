/*
 * QEMU model of the LSI MegaRAID SAS3108 — interface between the controller
 * (lsi3108.c and its parts, lsi3108-ctrl.h) and the logical drives
 * (lsi3108-ld.c, lsi3108-cache.c; lsi3108-ld.h).
 *
 * The controller owns the PCI function, the register file, the firmware
 * state machine, the request/reply queues and the MFI management commands.
 * A logical drive (LD) is a qdev device on the controller's bus: it owns a
 * block backend, answers SCSI commands the way MegaRAID firmware does for a
 * volume, and keeps its share of the controller's volatile write-back cache.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef HW_SCSI_LSI3108_H
#define HW_SCSI_LSI3108_H

#include "hw/pci/pci.h"
#include "hw/qdev-core.h"
#include "qapi/qapi-types-common.h"
#include "sysemu/dma.h"
#include "sysemu/block-backend.h"
#include "lsi3108_hw.h"

#define TYPE_LSI3108            "lsi3108"
#define TYPE_LSI3108_LD         "lsi3108-ld"
#define TYPE_LSI3108_BUS        "lsi3108-bus"

/* LD target ids the model accepts (firmware: 0..255; legacy map: < 64) */
#define LSI3108_MAX_LD_TARGETS  LSI_MAX_LDS_LEGACY
/* PDs an LD may be built from (one row of the RAID map) */
#define LSI3108_LD_MAX_MEMBERS  LSI_CFG_MAX_ROW_SIZE

typedef struct Lsi3108State Lsi3108State;
typedef struct Lsi3108LD Lsi3108LD;
typedef struct Lsi3108PD Lsi3108PD;          /* lsi3108-pd.h */
typedef struct Lsi3108Request Lsi3108Request;

OBJECT_DECLARE_SIMPLE_TYPE(Lsi3108LD, LSI3108_LD)

typedef enum {
    LSI3108_DIR_NONE,
    LSI3108_DIR_TO_HOST,    /* READ-like: device → guest memory */
    LSI3108_DIR_TO_DEVICE,  /* WRITE-like: guest memory → device */
} Lsi3108Dir;

/*
 * One SCSI command for an LD (Function 0xF1 frame), or for a system PD (a
 * JBOD disk: an 0xF1 frame of the system-PD sub-type, or a fast-path frame).
 * The core builds it from the request frame, hands it to lsi3108_ld_submit()
 * or lsi3108_pd_submit() and gets it back through lsi3108_request_done(),
 * exactly once, possibly from a block-layer callback.
 */
struct Lsi3108Request {
    Lsi3108State    *ctrl;
    Lsi3108LD       *ld;
    struct Lsi3108PD *pd;           /* a system PD's command (ld NULL) */
    uint16_t        smid;
    uint8_t         msix;           /* reply queue for the completion */
    uint8_t         cdb[32];
    unsigned int    cdb_len;
    Lsi3108Dir      dir;
    uint32_t        data_len;       /* DataLength of the frame */
    QEMUSGList      qsg;            /* guest buffers, from the SGL */
    /* core-private from here on */
    QTAILQ_ENTRY(Lsi3108Request) next;  /* outstanding commands */
    uint8_t         mfi_status;
    uint8_t         scsi_status;
    uint32_t        residual;
};

/*
 * The BBU / CacheVault module (controller property "bbu"). Only GOOD
 * protects the cache: with a bad, absent or learning module, firmware runs
 * write-back LDs write-through unless they are "always write back".
 */
typedef enum {
    LSI3108_BBU_GOOD,
    LSI3108_BBU_BAD,
    LSI3108_BBU_ABSENT,
    LSI3108_BBU_LEARNING,
} Lsi3108Bbu;

/* An LD's configured write policy (LD property "write-back"). */
typedef enum {
    LSI3108_WB_OFF,         /* write-through */
    LSI3108_WB_ON,          /* write-back while the BBU is good */
    LSI3108_WB_ALWAYS,      /* write-back even without a good BBU */
} Lsi3108WbPolicy;

/* The controller-wide cache budget, shared by all LDs, and its protection. */
typedef struct Lsi3108Cache {
    uint64_t        max_bytes;      /* property "cache-size" */
    uint64_t        dirty_bytes;    /* sum over LDs, not yet on a backend */
    Lsi3108Bbu      bbu;            /* property "bbu" */
    /*
     * Property "sync-cache-writeback": SYNCHRONIZE CACHE to an LD whose
     * data is volatile writes it back (off: firmware answers GOOD and does
     * nothing, the strict reading of the evidence; docs/model.md).
     */
    bool            sync_writeback;
} Lsi3108Cache;

/* Counters the tests read with qom-get on the controller. */
typedef struct Lsi3108Stats {
    uint64_t        sync_cache;     /* SYNCHRONIZE CACHE 10/16 received */
    uint64_t        flush_dcmd;     /* MR_DCMD_CTRL_CACHE_FLUSH received */
    uint64_t        shutdown_dcmd;  /* CTRL_SHUTDOWN / HIBERNATE_SHUTDOWN */
    uint64_t        hibernate_dcmd; /* ... of which HIBERNATE_SHUTDOWN */
    uint64_t        shutdown_held;  /* ... sent while DCMDs were held */
    uint64_t        fua_writes;     /* writes with FUA set */
    uint64_t        writebacks;     /* cache pages written to a backend */
    uint64_t        tm_received;    /* task management requests */
    uint64_t        tm_terminated;  /* SCSI commands they terminated */
    uint64_t        tm_refused;     /* TMs for LDs that are not TM-capable */
    uint64_t        sgl_faults;     /* FAULTs for SGE flags (sgl-check) */
    uint64_t        seq_checked;    /* LD I/O with the sequence flag set */
    uint64_t        seq_mismatch;   /* ... answered CONFIG_SEQ_MISMATCH */
} Lsi3108Stats;

typedef struct Lsi3108CacheBlock Lsi3108CacheBlock;
typedef struct Lsi3108LDWrite Lsi3108LDWrite;   /* lsi3108-ld.h */

/*
 * Largest LD READ/WRITE the model accepts, in 512-byte blocks (1 MiB, as
 * lsi3108-ctrl.h's LSI3108_MAX_XFER); VPD page 0xB0 reports it. Added by
 * lsi3108-ld.c: ctrl_info's max_request_size should not exceed it.
 */
#define LSI3108_LD_MAX_XFER_BLOCKS      2048

/*
 * A logical drive. Properties: target, drive, write-back, disk-cache,
 * serial.
 */
struct Lsi3108LD {
    DeviceState     parent_obj;
    Lsi3108State    *ctrl;
    BlockBackend    *blk;           /* property "drive" */
    uint32_t        target;         /* property "target": LD target id */
    uint8_t         wb_policy;      /* property "write-back": Lsi3108WbPolicy */
    bool            disk_cache;     /* property "disk-cache" (default off) */
    bool            write_back;     /* current policy (from wb_policy, BBU) */
    char            *serial;        /* property "serial": VPD 0x80 */
    OnOffAuto       tm_capable;     /* property "tm-capable": RAID map bit;
                                       auto: the controller's tm-capable */
    uint64_t        sectors;        /* 512-byte blocks, from the backend */
    uint16_t        seq_num;        /* config sequence (RAID map seqNum) */
    /* built from PDs (lsi3108-pd.c): "pds", "raid-level", "strip-kib" */
    char            *pds;
    uint32_t        raid_level;
    uint32_t        strip_kib;
    uint16_t        members[LSI3108_LD_MAX_MEMBERS];    /* PD device ids */
    uint8_t         n_members;
    uint8_t         ld_state;       /* LSI_LD_STATE_* last reported */
    uint16_t        array_base;     /* its first array in the config read */
    /* write-back cache, owned by lsi3108-cache.c */
    GHashTable      *cache;         /* block index -> Lsi3108CacheBlock */
    QTAILQ_HEAD(, Lsi3108CacheBlock) lru;
    unsigned int    inflight;       /* requests submitted, not done */
    /* private to lsi3108-ld.c and lsi3108-cache.c as well */
    QTAILQ_HEAD(, Lsi3108LDWrite) writes;   /* backend writes, issue order */
    uint64_t        dirty_bytes;    /* this LD's share of cache->dirty_bytes */
    uint64_t        clock;          /* cache version stamps */
    unsigned int    jobs;           /* write-backs and flushes in flight */
    int             wb_error;       /* write-back failure not yet reported */
    bool            evicting;       /* an eviction pass is running */
    bool            removing;       /* unrealize: refuse new commands */
};

/* A READ or WRITE 6/10/12/16 CDB, decoded (lsi3108_decode_rw()). */
typedef struct Lsi3108Rw {
    uint64_t lba;
    uint32_t count;
    uint8_t flags;                      /* CDB byte 1 (0 for 6-byte CDBs) */
    uint8_t len_byte;                   /* offset of TRANSFER LENGTH */
} Lsi3108Rw;

void lsi3108_decode_rw(const uint8_t *cdb, Lsi3108Rw *rw);
/* LBA and block count of a 10- or 16-byte SYNCHRONIZE CACHE or VERIFY */
void lsi3108_decode_range(const uint8_t *cdb, uint64_t *lba, uint64_t *count);

/* ---- core → LD (lsi3108-ld.c; the cache calls: lsi3108-cache.c) ---- */

/* Execute one SCSI command; completes it with lsi3108_request_done(). */
void lsi3108_ld_submit(Lsi3108LD *ld, Lsi3108Request *req);

/*
 * Write every dirty cache block of the LD to its backend, then flush the
 * backend. cb(opaque, 0 or -errno) runs when that is done (maybe at once).
 */
typedef void Lsi3108FlushCB(void *opaque, int ret);
void lsi3108_ld_flush(Lsi3108LD *ld, Lsi3108FlushCB *cb, void *opaque);

/* Power cut: drop every dirty block without writing it. */
void lsi3108_ld_drop_cache(Lsi3108LD *ld);

/*
 * Change the LD's configured write policy live (MODE SELECT caching page,
 * or an LD_SET_PROPERTIES DCMD): on keeps "always" if it was set. The
 * current policy follows (lsi3108_ld_apply_policy()).
 */
void lsi3108_ld_set_write_back(Lsi3108LD *ld, bool on);
void lsi3108_ld_set_policy(Lsi3108LD *ld, Lsi3108WbPolicy policy);

/*
 * Cache protection (lsi3108-cache.c). The current policy is write-back for
 * "always", and for "on" while the BBU is good; switching to write-through
 * starts writing the dirty blocks back in the background. Returns true if
 * the current policy changed.
 */
bool lsi3108_ld_apply_policy(Lsi3108LD *ld);
/* Can data the LD acknowledged be lost at a power cut without a flush? */
bool lsi3108_ld_volatile(Lsi3108LD *ld);
/* Does the BBU protect the controller's cache now? */
bool lsi3108_bbu_protects(Lsi3108State *s);
/*
 * Power cut: a protected LD cache keeps its dirty data (the model writes it
 * to the backend at once, which is what the next boot would do), a volatile
 * one loses it.
 */
void lsi3108_ld_power_cut(Lsi3108LD *ld);
/* The controller's "bbu" and "sync-cache-writeback" properties. */
void lsi3108_cache_add_properties(Object *obj);

/*
 * Added by lsi3108-mfi.c: log a BBU event (locale BBU, no argument), and an
 * LD cache policy change (current policy now WB or WT) for LD @ld.
 */
void lsi3108_log_bbu_event(Lsi3108State *s, uint32_t code, int8_t cls,
                           const char *description);
void lsi3108_log_ld_policy_event(Lsi3108State *s, Lsi3108LD *ld);
/* Added by lsi3108-mfi.c: an LD's state moved (LSI_LD_STATE_*). */
void lsi3108_log_ld_state_event(Lsi3108State *s, Lsi3108LD *ld,
                                uint8_t prev, uint8_t now);

/*
 * Added by lsi3108-ld.c: the LD's VPD page 0x83 (device identification),
 * as INQUIRY returns it, for LD_GET_INFO's vpd_page83. Copies at most size
 * bytes to buf and returns the page's full length.
 */
size_t lsi3108_ld_vpd83(Lsi3108LD *ld, uint8_t *buf, size_t size);

/* ---- LD → core (lsi3108.c, lsi3108-scsi.c, lsi3108-mfi.c) ---- */

/*
 * Finish a request: mfi_status goes to the RAID context status, scsi_status
 * to ex_status; sense (CHECK CONDITION only) to the command's sense buffer;
 * residual = bytes not transferred (reported with status 0x2D).
 */
void lsi3108_request_done(Lsi3108Request *req, uint8_t mfi_status,
              uint8_t scsi_status, const uint8_t *sense,
              size_t sense_len, uint32_t residual);

/*
 * Added by lsi3108-ld.c: the controller owning an lsi3108-bus (an LD's
 * qdev_get_parent_bus()), since Lsi3108State is opaque to the LD code.
 */
Lsi3108State *lsi3108_from_bus(BusState *bus);

/*
 * Added by lsi3108-mfi.c: an LD's properties changed after it was attached
 * (write policy from MODE SELECT): bumps its seq_num and completes the
 * host's held RAID-map sync. lsi3108-mfi.c calls it itself after
 * lsi3108_ld_set_write_back() for LD_SET_PROPERTIES; the MODE SELECT path in
 * lsi3108-ld.c should call it too (not from lsi3108_ld_set_write_back).
 */
void lsi3108_ld_changed(Lsi3108State *s, Lsi3108LD *ld);

/*
 * Added by lsi3108-scsi.c: is the request still wanted by the host? False
 * once a reset, FLR, surprise removal or power cut has dropped the
 * firmware's work since the request arrived. An LD must not touch guest
 * memory for a request that is no longer live (its buffers may belong to
 * someone else by now); it still completes it with lsi3108_request_done(),
 * which frees it.
 */
bool lsi3108_request_live(Lsi3108Request *req);

/* The LD at a target id, or NULL. */
Lsi3108LD *lsi3108_find_ld(Lsi3108State *s, uint32_t target);

/* Hot-plug notifications from LD realize/unrealize (raise firmware events). */
void lsi3108_ld_attached(Lsi3108State *s, Lsi3108LD *ld);
void lsi3108_ld_detached(Lsi3108State *s, Lsi3108LD *ld);

/* Shared cache budget and counters of the LD's controller. */
Lsi3108Cache *lsi3108_cache(Lsi3108State *s);
Lsi3108Stats *lsi3108_stats(Lsi3108State *s);

/* Controller identity for INQUIRY and VPD pages. */
const char *lsi3108_product_id(Lsi3108State *s);        /* e.g. "MR9361-8i" */
const char *lsi3108_fw_revision(Lsi3108State *s);       /* 4 chars */
/* NAA-6 id base, per controller; an LD adds its target id */
uint64_t lsi3108_naa_base(Lsi3108State *s);

#endif /* HW_SCSI_LSI3108_H */
