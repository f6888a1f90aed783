/*
 * QEMU model of the LSI MegaRAID SAS3108: the controller's write-back cache.
 *
 * A controller with a write-back LD completes a WRITE once the data is in
 * its (battery-less, here volatile) memory; the data reaches the disks
 * later. The model keeps that data in per-LD 4 KiB pages and writes it to
 * the LD's block backend only when
 *   - the host sends SYNCHRONIZE CACHE, or stops the unit (START STOP UNIT),
 *   - the controller flushes (cache-flush and shutdown DCMDs, unplug), or
 *   - the controller-wide budget (cache-size) is exhausted: the write that
 *     does not fit goes straight to the backend, and meanwhile a quarter of
 *     the budget is written back: the least recently written pages of the LD
 *     holding the most dirty data.
 * A FUA write, and every write to a write-through LD, goes to the backend
 * (FUA in the block layer) and completes when it is there; cached copies of
 * its blocks take the new data. A READ reads the backend and lays the dirty
 * cached blocks over it. A power cut (lsi3108_ld_drop_cache) loses the dirty
 * pages. A write-back that fails leaves its blocks dirty, and the next
 * SYNCHRONIZE CACHE fails with MEDIUM ERROR / WRITE ERROR.
 *
 * Writes to overlapping blocks reach the backend in issue order, so a stale
 * write-back never lands after a newer write of the same blocks. Everything
 * is asynchronous: no guest-triggered path waits for the block layer.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bitmap.h"
#include "qemu/host-utils.h"
#include "qemu/memalign.h"
#include "qemu/error-report.h"
#include "qapi/error.h"
#include "hw/qdev-core.h"
#include "sysemu/block-backend.h"
#include "trace.h"
#include "lsi3108-ld.h"

/*
 * The cache works in 4 KiB pages of 8 blocks, each block with its own dirty
 * bit, so a partial write needs no read-modify-write. A page exists only while
 * it holds dirty blocks; clean data is never kept (no read caching).
 */
#define LD_PAGE_BLOCKS          8
#define LD_PAGE_SIZE            (LD_PAGE_BLOCKS * LD_BLOCK_SIZE)

/* Longest run of dirty blocks written back with one request (1 MiB) */
#define LD_RUN_MAX_BLOCKS       2048

/* A dirty-cache page: 8 blocks of one LD. */
struct Lsi3108CacheBlock {
    uint64_t index;                     /* first LBA / LD_PAGE_BLOCKS */
    uint8_t dirty;                      /* bit i: block i not on the backend */
    QTAILQ_ENTRY(Lsi3108CacheBlock) lru;
    /*
     * Version of each block's data, from ld->clock. A write to the backend
     * records the version it carries; when it succeeds, only the blocks
     * still at that version become clean. So a block rewritten while its
     * write-back is in flight stays dirty.
     */
    uint64_t stamp[LD_PAGE_BLOCKS];
    uint8_t data[LD_PAGE_SIZE];
};

/*
 * Writing back a set of dirty pages: a flush (cb set: then the backend is
 * flushed and cb called) or an eviction (cb NULL).
 */
typedef struct LDFlush {
    Lsi3108LD *ld;
    Lsi3108FlushCB *cb;
    void *opaque;
    unsigned int pending;               /* jobs + 1 while being built */
    int ret;
} LDFlush;

/* One run of dirty blocks being written back. */
typedef struct LDJob {
    LDFlush *flush;
    uint64_t stamp;
    uint8_t *buf;
    QEMUIOVector qiov;
    Lsi3108LDWrite w;
} LDJob;

/* ------------------------------------------------------------------ */
/* Ordering of backend writes                                          */
/* ------------------------------------------------------------------ */

/* Does an earlier write in ld->writes overlap w? */
static bool ld_write_blocked(Lsi3108LD *ld, Lsi3108LDWrite *w)
{
    Lsi3108LDWrite *o;

    QTAILQ_FOREACH(o, &ld->writes, next) {
        if (o == w) {
            break;
        }
        if (o->lba < w->lba + w->count && w->lba < o->lba + o->count) {
            return true;
        }
    }
    return false;
}

void lsi3108_ld_write_begin(Lsi3108LD *ld, Lsi3108LDWrite *w, uint64_t lba,
                            uint64_t count,
                            void (*start)(Lsi3108LDWrite *w))
{
    w->lba = lba;
    w->count = count;
    w->start = start;
    QTAILQ_INSERT_TAIL(&ld->writes, w, next);
    w->running = !ld_write_blocked(ld, w);
    if (w->running) {
        start(w);
    } else {
        trace_lsi3108_ld_write_wait(ld->target, lba, count);
    }
}

/* Block-layer callbacks never run from inside start(), so this is safe. */
void lsi3108_ld_write_end(Lsi3108LD *ld, Lsi3108LDWrite *w)
{
    Lsi3108LDWrite *o;

    QTAILQ_REMOVE(&ld->writes, w, next);
    QTAILQ_FOREACH(o, &ld->writes, next) {
        if (!o->running && !ld_write_blocked(ld, o)) {
            o->running = true;
            o->start(o);
        }
    }
}

/* ------------------------------------------------------------------ */
/* Cache pages                                                         */
/* ------------------------------------------------------------------ */

static Lsi3108CacheBlock *ld_page_find(Lsi3108LD *ld, uint64_t index)
{
    return g_hash_table_lookup(ld->cache, &index);
}

static Lsi3108CacheBlock *ld_page_get(Lsi3108LD *ld, uint64_t index)
{
    Lsi3108CacheBlock *p = ld_page_find(ld, index);

    if (!p) {
        p = g_new0(Lsi3108CacheBlock, 1);
        p->index = index;
        g_hash_table_insert(ld->cache, &p->index, p);
        QTAILQ_INSERT_TAIL(&ld->lru, p, lru);
    }
    return p;
}

static void ld_page_free(Lsi3108LD *ld, Lsi3108CacheBlock *p)
{
    QTAILQ_REMOVE(&ld->lru, p, lru);
    g_hash_table_remove(ld->cache, &p->index);
    g_free(p);
}

static void ld_dirty_add(Lsi3108LD *ld, int64_t bytes)
{
    Lsi3108Cache *cache = lsi3108_cache(ld->ctrl);

    ld->dirty_bytes += bytes;
    cache->dirty_bytes += bytes;
}

static void ld_block_set_dirty(Lsi3108LD *ld, Lsi3108CacheBlock *p,
                               unsigned int i)
{
    if (!(p->dirty & BIT(i))) {
        p->dirty |= BIT(i);
        ld_dirty_add(ld, LD_BLOCK_SIZE);
    }
}

static void ld_block_clean(Lsi3108LD *ld, Lsi3108CacheBlock *p,
                           unsigned int i)
{
    if (p->dirty & BIT(i)) {
        p->dirty &= ~BIT(i);
        ld_dirty_add(ld, -LD_BLOCK_SIZE);
    }
}

/*
 * Call fn for each cache page an LBA range touches: blocks first..first+n-1
 * of page index, which are blocks pos..pos+n-1 of the range.
 */
typedef void LDPageFn(Lsi3108LD *ld, uint64_t index, unsigned int first,
                      unsigned int n, uint64_t pos, void *opaque);

static void ld_for_each_page(Lsi3108LD *ld, uint64_t lba, uint64_t count,
                             LDPageFn *fn, void *opaque)
{
    uint64_t pos = 0;

    while (pos < count) {
        uint64_t block = lba + pos;
        unsigned int first = block % LD_PAGE_BLOCKS;
        unsigned int n = MIN(LD_PAGE_BLOCKS - first, count - pos);

        fn(ld, block / LD_PAGE_BLOCKS, first, n, pos, opaque);
        pos += n;
    }
}

static unsigned int ld_mask(unsigned int first, unsigned int n)
{
    return ((1u << n) - 1) << first;
}

/* New data for a range: buf holds the whole range. */
typedef struct LDStore {
    const uint8_t *buf;
    uint64_t stamp;
} LDStore;

/* Count the bytes a cached write would newly dirty. */
static void ld_page_count_new(Lsi3108LD *ld, uint64_t index,
                              unsigned int first, unsigned int n,
                              uint64_t pos, void *opaque)
{
    Lsi3108CacheBlock *p = ld_page_find(ld, index);
    uint64_t *bytes = opaque;

    *bytes += ctpop8(ld_mask(first, n) & ~(p ? p->dirty : 0)) * LD_BLOCK_SIZE;
}

/* Cached write: the blocks become dirty, the page most recently written. */
static void ld_page_store(Lsi3108LD *ld, uint64_t index, unsigned int first,
                          unsigned int n, uint64_t pos, void *opaque)
{
    LDStore *st = opaque;
    Lsi3108CacheBlock *p = ld_page_get(ld, index);
    unsigned int i;

    memcpy(p->data + first * LD_BLOCK_SIZE, st->buf + pos * LD_BLOCK_SIZE,
           n * LD_BLOCK_SIZE);
    for (i = first; i < first + n; i++) {
        p->stamp[i] = st->stamp;
        ld_block_set_dirty(ld, p, i);
    }
    QTAILQ_REMOVE(&ld->lru, p, lru);
    QTAILQ_INSERT_TAIL(&ld->lru, p, lru);
}

/* Write going to the backend: dirty copies of its blocks take the new data. */
static void ld_page_update(Lsi3108LD *ld, uint64_t index, unsigned int first,
                           unsigned int n, uint64_t pos, void *opaque)
{
    LDStore *st = opaque;
    Lsi3108CacheBlock *p = ld_page_find(ld, index);
    unsigned int i;

    for (i = first; p && i < first + n; i++) {
        if (p->dirty & BIT(i)) {
            memcpy(p->data + i * LD_BLOCK_SIZE,
                   st->buf + (pos + i - first) * LD_BLOCK_SIZE, LD_BLOCK_SIZE);
            p->stamp[i] = st->stamp;
        }
    }
}

/* A backend write of version *opaque succeeded: those blocks are clean. */
static void ld_page_clean(Lsi3108LD *ld, uint64_t index, unsigned int first,
                          unsigned int n, uint64_t pos, void *opaque)
{
    uint64_t stamp = *(uint64_t *)opaque;
    Lsi3108CacheBlock *p = ld_page_find(ld, index);
    unsigned int i;

    if (!p) {
        return;
    }
    for (i = first; i < first + n; i++) {
        if (p->stamp[i] == stamp) {
            ld_block_clean(ld, p, i);
        }
    }
    if (!p->dirty) {
        ld_page_free(ld, p);
    }
}

/* READ: keep a copy of the dirty blocks the backend does not have yet. */
static void ld_page_snapshot(Lsi3108LD *ld, uint64_t index, unsigned int first,
                             unsigned int n, uint64_t pos, void *opaque)
{
    LDCmd *cmd = opaque;
    Lsi3108CacheBlock *p = ld_page_find(ld, index);
    unsigned int i;

    for (i = first; p && i < first + n; i++) {
        uint64_t bit = pos + i - first;

        if (!(p->dirty & BIT(i))) {
            continue;
        }
        if (!cmd->overlay) {
            cmd->overlay = g_malloc((size_t)cmd->count * LD_BLOCK_SIZE);
            cmd->overlay_map = bitmap_new(cmd->count);
        }
        memcpy(cmd->overlay + bit * LD_BLOCK_SIZE,
               p->data + i * LD_BLOCK_SIZE, LD_BLOCK_SIZE);
        set_bit(bit, cmd->overlay_map);
    }
}

/* Write-back: copy a run of dirty blocks and give them the job's version. */
static void ld_page_collect(Lsi3108LD *ld, uint64_t index, unsigned int first,
                            unsigned int n, uint64_t pos, void *opaque)
{
    LDJob *job = opaque;
    Lsi3108CacheBlock *p = ld_page_find(ld, index);
    unsigned int i;

    assert(p && (p->dirty & ld_mask(first, n)) == ld_mask(first, n));
    memcpy(job->buf + pos * LD_BLOCK_SIZE, p->data + first * LD_BLOCK_SIZE,
           n * LD_BLOCK_SIZE);
    for (i = first; i < first + n; i++) {
        p->stamp[i] = job->stamp;
    }
}

/* ------------------------------------------------------------------ */
/* Write-back: flush and eviction                                      */
/* ------------------------------------------------------------------ */

static LDFlush *ld_flush_new(Lsi3108LD *ld, Lsi3108FlushCB *cb, void *opaque)
{
    LDFlush *f = g_new0(LDFlush, 1);

    f->ld = ld;
    f->cb = cb;
    f->opaque = opaque;
    f->pending = 1;
    ld->jobs++;
    return f;
}

static void ld_flush_backend_done(void *opaque, int ret)
{
    LDFlush *f = opaque;
    Lsi3108LD *ld = f->ld;

    if (ret < 0) {
        trace_lsi3108_ld_io_error(ld->target, "flush", 0, 0, ret);
    }
    /* a write-back that failed earlier fails this flush too, once */
    ret = f->ret ? f->ret : ret;
    ret = ret ? ret : ld->wb_error;
    ld->wb_error = 0;
    trace_lsi3108_ld_flush_done(ld->target, ret);
    ld->jobs--;
    f->cb(f->opaque, ret);
    g_free(f);
}

static void ld_flush_put(LDFlush *f)
{
    Lsi3108LD *ld = f->ld;

    if (--f->pending) {
        return;
    }
    if (f->cb) {
        blk_aio_flush(ld->blk, ld_flush_backend_done, f);
        return;
    }
    trace_lsi3108_ld_evict_done(ld->target, f->ret, ld->dirty_bytes);
    ld->evicting = false;
    ld->jobs--;
    g_free(f);
}

static void ld_job_done(void *opaque, int ret)
{
    LDJob *job = opaque;
    LDFlush *f = job->flush;
    Lsi3108LD *ld = f->ld;
    uint64_t lba = job->w.lba, count = job->w.count;

    if (ret < 0) {
        trace_lsi3108_ld_io_error(ld->target, "write-back", lba, count, ret);
        ld->wb_error = ret;
        f->ret = f->ret ? f->ret : ret;
    } else {
        ld_for_each_page(ld, lba, count, ld_page_clean, &job->stamp);
        lsi3108_stats(ld->ctrl)->writebacks +=
            (lba + count - 1) / LD_PAGE_BLOCKS - lba / LD_PAGE_BLOCKS + 1;
    }
    trace_lsi3108_ld_writeback_done(ld->target, lba, count, ret,
                                    ld->dirty_bytes);
    lsi3108_ld_write_end(ld, &job->w);
    qemu_vfree(job->buf);
    g_free(job);
    ld_flush_put(f);
}

static void ld_job_issue(Lsi3108LDWrite *w)
{
    LDJob *job = container_of(w, LDJob, w);

    blk_aio_pwritev(job->flush->ld->blk, w->lba << LD_BLOCK_SHIFT,
                    &job->qiov, 0, ld_job_done, job);
}

/* Write back blocks lba..lba+count-1, all dirty, as part of f. */
static void ld_job_start(LDFlush *f, uint64_t lba, uint64_t count)
{
    Lsi3108LD *ld = f->ld;
    LDJob *job = g_new0(LDJob, 1);
    size_t bytes = count * LD_BLOCK_SIZE;

    job->flush = f;
    job->stamp = ++ld->clock;
    job->buf = blk_blockalign(ld->blk, bytes);
    ld_for_each_page(ld, lba, count, ld_page_collect, job);
    qemu_iovec_init_buf(&job->qiov, job->buf, bytes);
    f->pending++;
    trace_lsi3108_ld_writeback(ld->target, lba, count, job->stamp);
    lsi3108_ld_write_begin(ld, &job->w, lba, count, ld_job_issue);
}

static gint ld_page_cmp(gconstpointer a, gconstpointer b)
{
    const Lsi3108CacheBlock *pa = *(Lsi3108CacheBlock * const *)a;
    const Lsi3108CacheBlock *pb = *(Lsi3108CacheBlock * const *)b;

    return pa->index < pb->index ? -1 : pa->index > pb->index;
}

/* Write back the dirty blocks of pages, in LBA order, in adjacent runs. */
static void ld_writeback_pages(LDFlush *f, GPtrArray *pages)
{
    uint64_t start = 0, len = 0;
    guint k;
    unsigned int i;

    g_ptr_array_sort(pages, ld_page_cmp);
    for (k = 0; k < pages->len; k++) {
        Lsi3108CacheBlock *p = g_ptr_array_index(pages, k);

        for (i = 0; i < LD_PAGE_BLOCKS; i++) {
            uint64_t lba = p->index * LD_PAGE_BLOCKS + i;

            if (!(p->dirty & BIT(i))) {
                continue;
            }
            if (len && lba == start + len && len < LD_RUN_MAX_BLOCKS) {
                len++;
                continue;
            }
            if (len) {
                ld_job_start(f, start, len);
            }
            start = lba;
            len = 1;
        }
    }
    if (len) {
        ld_job_start(f, start, len);
    }
}

void lsi3108_ld_flush(Lsi3108LD *ld, Lsi3108FlushCB *cb, void *opaque)
{
    LDFlush *f = ld_flush_new(ld, cb, opaque);
    GPtrArray *pages = g_ptr_array_new();
    GHashTableIter it;
    gpointer value;

    trace_lsi3108_ld_flush(ld->target, ld->dirty_bytes);
    g_hash_table_iter_init(&it, ld->cache);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        g_ptr_array_add(pages, value);
    }
    ld_writeback_pages(f, pages);
    g_ptr_array_free(pages, true);
    ld_flush_put(f);
}

/*
 * Start writing back the least recently written pages, at least want bytes
 * of dirty blocks (or all there are). One eviction runs at a time.
 */
static void ld_evict(Lsi3108LD *ld, uint64_t want)
{
    GPtrArray *pages;
    Lsi3108CacheBlock *p;
    uint64_t bytes = 0;
    LDFlush *f;

    if (ld->evicting || QTAILQ_EMPTY(&ld->lru)) {
        return;
    }
    pages = g_ptr_array_new();
    QTAILQ_FOREACH(p, &ld->lru, lru) {
        g_ptr_array_add(pages, p);
        bytes += ctpop8(p->dirty) * LD_BLOCK_SIZE;
        if (bytes >= want) {
            break;
        }
    }
    trace_lsi3108_ld_evict(ld->target, want, bytes);
    ld->evicting = true;
    f = ld_flush_new(ld, NULL, NULL);
    ld_writeback_pages(f, pages);
    g_ptr_array_free(pages, true);
    ld_flush_put(f);
}

void lsi3108_ld_drop_cache(Lsi3108LD *ld)
{
    Lsi3108CacheBlock *p;

    trace_lsi3108_ld_drop(ld->target, ld->dirty_bytes);
    while ((p = QTAILQ_FIRST(&ld->lru))) {
        ld_dirty_add(ld, -(int64_t)ctpop8(p->dirty) * LD_BLOCK_SIZE);
        ld_page_free(ld, p);
    }
    assert(ld->dirty_bytes == 0);
}

/* A flush nobody waits for: its error fails the next SYNCHRONIZE CACHE. */
static void ld_background_flush_done(void *opaque, int ret)
{
    Lsi3108LD *ld = opaque;

    if (ret < 0) {
        ld->wb_error = ret;
    }
}

void lsi3108_ld_cache_flush_background(Lsi3108LD *ld)
{
    lsi3108_ld_flush(ld, ld_background_flush_done, ld);
}

/* ------------------------------------------------------------------ */
/* Cache protection: the BBU and the LD's current write policy          */
/* ------------------------------------------------------------------ */

bool lsi3108_bbu_protects(Lsi3108State *s)
{
    return lsi3108_cache(s)->bbu == LSI3108_BBU_GOOD;
}

/*
 * Firmware policy: a write-back LD stays write-back only while the BBU
 * protects the cache, unless it is "always write back". When it falls back
 * to write-through, the dirty data goes to the disks in the background.
 */
bool lsi3108_ld_apply_policy(Lsi3108LD *ld)
{
    bool wb = ld->wb_policy == LSI3108_WB_ALWAYS ||
              (ld->wb_policy == LSI3108_WB_ON &&
               lsi3108_bbu_protects(ld->ctrl));

    if (ld->write_back == wb) {
        return false;
    }
    trace_lsi3108_ld_write_back(ld->target, wb);
    ld->write_back = wb;
    if (!wb && ld->dirty_bytes) {
        lsi3108_ld_cache_flush_background(ld);
    }
    return true;
}

void lsi3108_ld_set_policy(Lsi3108LD *ld, Lsi3108WbPolicy policy)
{
    ld->wb_policy = policy;
    lsi3108_ld_apply_policy(ld);
}

void lsi3108_ld_set_write_back(Lsi3108LD *ld, bool on)
{
    if (!on) {
        lsi3108_ld_set_policy(ld, LSI3108_WB_OFF);
    } else if (ld->wb_policy == LSI3108_WB_OFF) {
        lsi3108_ld_set_policy(ld, LSI3108_WB_ON);
    }
}

/*
 * Volatile: acknowledged data can be lost at a power cut. Either the
 * controller caches it without a good BBU ("always write back"), or the
 * disks' own write caches are on: the model keeps that data in the same
 * dirty pages and treats all of them as volatile then (it does not track
 * which blocks already left the controller for a disk's cache), so such an
 * LD may lose more at a cut than the hardware would, never less.
 */
bool lsi3108_ld_volatile(Lsi3108LD *ld)
{
    return ld->disk_cache ||
           (ld->write_back && !lsi3108_bbu_protects(ld->ctrl));
}

/* Write a page's runs of dirty blocks to the backend, synchronously. */
static int ld_page_destage(Lsi3108LD *ld, Lsi3108CacheBlock *p)
{
    unsigned int i = 0, n;
    int ret;

    while (i < LD_PAGE_BLOCKS) {
        if (!(p->dirty & BIT(i))) {
            i++;
            continue;
        }
        for (n = 1; i + n < LD_PAGE_BLOCKS && (p->dirty & BIT(i + n)); n++) {
        }
        ret = blk_pwrite(ld->blk,
                         (int64_t)(p->index * LD_PAGE_BLOCKS + i) <<
                         LD_BLOCK_SHIFT, n * LD_BLOCK_SIZE,
                         p->data + i * LD_BLOCK_SIZE, 0);
        if (ret < 0) {
            return ret;
        }
        i += n;
    }
    return 0;
}

/*
 * A protected cache survives the cut and is written back when the
 * controller boots again. The model cannot keep memory across the QEMU
 * process a test kills after the cut, so it writes the data back now: no
 * one can read the LD in between, so the outcome is the same. Writes still
 * in flight land first (blk_drain), so none of them overtakes newer data.
 */
static void ld_destage(Lsi3108LD *ld)
{
    Lsi3108CacheBlock *p;
    int ret = 0;

    blk_drain(ld->blk);
    QTAILQ_FOREACH(p, &ld->lru, lru) {
        ret = ld_page_destage(ld, p);
        if (ret < 0) {
            break;
        }
    }
    if (!ret) {
        ret = blk_flush(ld->blk);
    }
    trace_lsi3108_ld_destage(ld->target, ld->dirty_bytes, ret);
    if (ret < 0) {
        warn_report("lsi3108-ld target %u: keeping the protected cache "
                    "failed (%s)", ld->target, strerror(-ret));
    }
}

void lsi3108_ld_power_cut(Lsi3108LD *ld)
{
    if (ld->dirty_bytes && !lsi3108_ld_volatile(ld)) {
        ld_destage(ld);
    }
    lsi3108_ld_drop_cache(ld);
}

/* ------------------------------------------------------------------ */
/* The data path: what READ and WRITE ask of the cache                 */
/* ------------------------------------------------------------------ */

/*
 * READ reads the backend, then lays the dirty cached blocks over it. They
 * are copied at submission: by the time the backend answers they may have
 * been written back and freed, and the backend read may predate that write.
 */
void lsi3108_ld_cache_snapshot(Lsi3108LD *ld, LDCmd *cmd)
{
    if (ld->dirty_bytes) {
        ld_for_each_page(ld, cmd->lba, cmd->count, ld_page_snapshot, cmd);
    }
}

/*
 * A write to the backend (FUA, write-through LD, or no room in the cache).
 * Dirty cached copies take the new data at once, so reads see it, and become
 * clean when the write succeeds unless rewritten meanwhile.
 */
uint64_t lsi3108_ld_cache_update(Lsi3108LD *ld, LDCmd *cmd)
{
    LDStore st = { .buf = cmd->buf, .stamp = ++ld->clock };

    if (ld->dirty_bytes) {
        ld_for_each_page(ld, cmd->lba, cmd->count, ld_page_update, &st);
    }
    return st.stamp;
}

void lsi3108_ld_cache_clean(Lsi3108LD *ld, uint64_t lba, uint64_t count,
                            uint64_t stamp)
{
    if (ld->dirty_bytes) {
        ld_for_each_page(ld, lba, count, ld_page_clean, &stamp);
    }
}

/* The LD of ld's controller holding the most dirty data (maybe ld). */
static Lsi3108LD *ld_most_dirty(Lsi3108LD *ld)
{
    Lsi3108LD *best = ld, *other;
    uint32_t t;

    for (t = 0; t < LSI3108_MAX_LD_TARGETS; t++) {
        other = lsi3108_find_ld(ld->ctrl, t);
        if (other && other->dirty_bytes > best->dirty_bytes) {
            best = other;
        }
    }
    return best;
}

/*
 * Put a write in the cache if the controller's budget allows; otherwise the
 * caller writes it through, and an eviction of the oldest pages of the LD
 * that holds the most dirty data starts, so that later writes find room.
 */
bool lsi3108_ld_cache_store(Lsi3108LD *ld, LDCmd *cmd)
{
    Lsi3108Cache *cache = lsi3108_cache(ld->ctrl);
    LDStore st = { .buf = cmd->buf };
    uint64_t need = 0;

    ld_for_each_page(ld, cmd->lba, cmd->count, ld_page_count_new, &need);
    if (cache->dirty_bytes + need > cache->max_bytes) {
        trace_lsi3108_ld_cache_full(ld->target, cmd->lba, cmd->count, need,
                                    cache->dirty_bytes, cache->max_bytes);
        ld_evict(ld_most_dirty(ld), MAX(need, cache->max_bytes / 4));
        return false;
    }
    st.stamp = ++ld->clock;
    ld_for_each_page(ld, cmd->lba, cmd->count, ld_page_store, &st);
    trace_lsi3108_ld_cache_store(ld->target, cmd->lba, cmd->count,
                                 ld->dirty_bytes, cache->dirty_bytes);
    return true;
}

void lsi3108_ld_cache_init(Lsi3108LD *ld)
{
    ld->cache = g_hash_table_new(g_int64_hash, g_int64_equal);
    QTAILQ_INIT(&ld->lru);
    QTAILQ_INIT(&ld->writes);
}

/* Unrealize: the cache was written back (or lost); no write is running. */
void lsi3108_ld_cache_fini(Lsi3108LD *ld)
{
    lsi3108_ld_drop_cache(ld);
    g_hash_table_destroy(ld->cache);
    ld->cache = NULL;
}

/* ------------------------------------------------------------------ */
/* The controller's BBU / CacheVault                                   */
/* ------------------------------------------------------------------ */

static const char *const bbu_names[] = {
    [LSI3108_BBU_GOOD] = "good",
    [LSI3108_BBU_BAD] = "bad",
    [LSI3108_BBU_ABSENT] = "absent",
    [LSI3108_BBU_LEARNING] = "learning",
};

static const QEnumLookup bbu_lookup = {
    .array = bbu_names,
    .size = ARRAY_SIZE(bbu_names),
};

static Lsi3108State *cache_ctrl(Object *obj)
{
    return OBJECT_CHECK(Lsi3108State, obj, TYPE_LSI3108);
}

/*
 * The events firmware logs when the module changes: it (dis)appears, a
 * learn cycle starts or ends, it turns good or bad.
 */
static void bbu_log_events(Lsi3108State *s, Lsi3108Bbu from, Lsi3108Bbu to)
{
    if (from == LSI3108_BBU_ABSENT) {
        lsi3108_log_bbu_event(s, LSI_EVT_BBU_PRESENT, LSI_EVT_CLASS_INFO,
                              "Battery Present");
    }
    if (from == LSI3108_BBU_LEARNING && to != LSI3108_BBU_ABSENT) {
        lsi3108_log_bbu_event(s, LSI_EVT_BBU_RELEARN_COMPLETE,
                              LSI_EVT_CLASS_INFO, "Battery relearn completed");
    }
    switch (to) {
    case LSI3108_BBU_GOOD:
        lsi3108_log_bbu_event(s, LSI_EVT_BBU_GOOD, LSI_EVT_CLASS_INFO,
                              "BBU enabled; changing WT virtual disks to WB");
        break;
    case LSI3108_BBU_BAD:
        lsi3108_log_bbu_event(s, LSI_EVT_BBU_BAD, LSI_EVT_CLASS_WARNING,
                              "BBU disabled; changing WB virtual disks to WT");
        break;
    case LSI3108_BBU_ABSENT:
        lsi3108_log_bbu_event(s, LSI_EVT_BBU_NOT_PRESENT,
                              LSI_EVT_CLASS_WARNING, "Battery Not Present");
        break;
    case LSI3108_BBU_LEARNING:
        lsi3108_log_bbu_event(s, LSI_EVT_BBU_RELEARN_STARTED,
                              LSI_EVT_CLASS_INFO, "Battery relearn started");
        break;
    }
}

/* Every LD whose current policy changed reports it (event, RAID map). */
static void bbu_apply_to_lds(Lsi3108State *s)
{
    uint32_t t;

    for (t = 0; t < LSI3108_MAX_LD_TARGETS; t++) {
        Lsi3108LD *ld = lsi3108_find_ld(s, t);

        if (ld && lsi3108_ld_apply_policy(ld)) {
            lsi3108_log_ld_policy_event(s, ld);
            lsi3108_ld_changed(s, ld);
        }
    }
}

static int bbu_get(Object *obj, Error **errp)
{
    return lsi3108_cache(cache_ctrl(obj))->bbu;
}

/* Before realize only the state is set; afterwards firmware reacts. */
static void bbu_set(Object *obj, int value, Error **errp)
{
    Lsi3108State *s = cache_ctrl(obj);
    Lsi3108Cache *cache = lsi3108_cache(s);
    Lsi3108Bbu from = cache->bbu;

    if (value == from) {
        return;
    }
    cache->bbu = value;
    trace_lsi3108_bbu(bbu_names[from], bbu_names[value]);
    if (DEVICE(obj)->realized) {
        bbu_log_events(s, from, value);
        bbu_apply_to_lds(s);
    }
}

static bool sync_writeback_get(Object *obj, Error **errp)
{
    return lsi3108_cache(cache_ctrl(obj))->sync_writeback;
}

static void sync_writeback_set(Object *obj, bool value, Error **errp)
{
    lsi3108_cache(cache_ctrl(obj))->sync_writeback = value;
}

void lsi3108_cache_add_properties(Object *obj)
{
    object_property_add_enum(obj, "bbu", "Lsi3108Bbu", &bbu_lookup,
                             bbu_get, bbu_set);
    object_property_set_description(obj, "bbu",
        "BBU/CacheVault: good (protects the cache), bad, absent, learning");
    object_property_add_bool(obj, "sync-cache-writeback", sync_writeback_get,
                             sync_writeback_set);
    object_property_set_description(obj, "sync-cache-writeback",
        "SYNCHRONIZE CACHE writes volatile LD data back (default off)");
}
