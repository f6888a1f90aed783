/*
 * QEMU model of the LSI MegaRAID SAS3108 — what the two halves of a logical
 * drive share: the SCSI target (lsi3108-ld.c) and the controller's
 * write-back cache (lsi3108-cache.c). The controller core sees lsi3108.h.
 *
 * A READ or WRITE is decoded and checked by the target, which then moves
 * the data between guest memory and a bounce buffer; where the data lives
 * meanwhile (the cache's dirty pages or the block backend) is the cache's
 * business, through the functions below.
 *
 * Copyright (c) 2026 The lsi3108 project authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef HW_SCSI_LSI3108_LD_H
#define HW_SCSI_LSI3108_LD_H

#include "qemu/iov.h"
#include "lsi3108.h"

#define LD_BLOCK_SIZE           512
#define LD_BLOCK_SHIFT          9

/*
 * A write to the backend. Writes to overlapping ranges reach the backend in
 * the order they were issued: a later one waits in ld->writes until no
 * earlier overlapping one is left. This keeps a stale write-back from landing
 * after a newer FUA or write-through write of the same blocks.
 */
struct Lsi3108LDWrite {
    uint64_t lba;
    uint64_t count;
    bool running;
    void (*start)(Lsi3108LDWrite *w);
    QTAILQ_ENTRY(Lsi3108LDWrite) next;
};

/* Per-command state of a command that waits for the block layer. */
typedef struct LDCmd {
    Lsi3108LD *ld;
    Lsi3108Request *req;
    uint64_t lba;
    uint32_t count;                     /* blocks */
    bool fua;
    uint8_t *buf;                       /* bounce buffer */
    QEMUIOVector qiov;
    uint8_t *overlay;                   /* READ: dirty blocks at submission */
    unsigned long *overlay_map;
    uint64_t stamp;                     /* WRITE: version of cached copies */
    Lsi3108LDWrite w;
} LDCmd;

/*
 * Do the LD's writes stop in a volatile or protected cache on their way
 * (controller write-back, or the disks' own write caches)? That is the
 * caching mode page's WCE.
 */
static inline bool ld_caches_writes(Lsi3108LD *ld)
{
    return ld->write_back || ld->disk_cache;
}

/* ---- the write-back cache: lsi3108-cache.c ---- */

/* Set up and tear down an LD's cache (realize, unrealize). */
void lsi3108_ld_cache_init(Lsi3108LD *ld);
void lsi3108_ld_cache_fini(Lsi3108LD *ld);

/*
 * Backend writes in issue order: @w (lba, count) starts with start(w) once
 * no earlier overlapping write is left; the writer calls
 * lsi3108_ld_write_end() when the backend has answered.
 */
void lsi3108_ld_write_begin(Lsi3108LD *ld, Lsi3108LDWrite *w, uint64_t lba,
                            uint64_t count,
                            void (*start)(Lsi3108LDWrite *w));
void lsi3108_ld_write_end(Lsi3108LD *ld, Lsi3108LDWrite *w);

/*
 * READ: copy the dirty cached blocks of cmd's range (which the backend does
 * not have yet) into cmd->overlay, marked in cmd->overlay_map.
 */
void lsi3108_ld_cache_snapshot(Lsi3108LD *ld, LDCmd *cmd);
/*
 * WRITE to a write-back LD: the data in cmd->buf becomes dirty cache pages
 * if the controller's budget allows (true); otherwise (false) the caller
 * writes it through, and an eviction starts making room.
 */
bool lsi3108_ld_cache_store(Lsi3108LD *ld, LDCmd *cmd);
/*
 * A write of cmd->buf to the backend begins: dirty cached copies of its
 * blocks take the new data. Returns the data's version for
 * lsi3108_ld_cache_clean() once the backend has it.
 */
uint64_t lsi3108_ld_cache_update(Lsi3108LD *ld, LDCmd *cmd);
/* The backend has blocks lba..lba+count-1 at version @stamp: clean. */
void lsi3108_ld_cache_clean(Lsi3108LD *ld, uint64_t lba, uint64_t count,
                            uint64_t stamp);
/* Write the LD back in the background; an error fails the next SYNC. */
void lsi3108_ld_cache_flush_background(Lsi3108LD *ld);

#endif /* HW_SCSI_LSI3108_LD_H */
