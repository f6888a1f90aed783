/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * lsi3108: driver-internal definitions.
 *
 * The wire format (registers, frames, descriptors, opcodes) lives in
 * include/lsi3108_hw.h, shared with the QEMU model. This header holds what
 * only the driver needs: the controller, its reply queues and internal
 * commands, the per-command private data, the small protocol helpers of the
 * fast path (static inlines, below), and the functions the files of the
 * driver offer each other:
 *
 *   main.c   PCI probe/remove/shutdown, the controller state machine, the
 *            one way down (lsi_disable) and the one way up (lsi_bring_up),
 *            the SCSI host template
 *   fw.c     register access, firmware state handshake, limits, IOC INIT,
 *            the chip reset
 *   queue.c  DMA memory, interrupt vectors (installing and quieting the
 *            handlers)
 *   io.c     the fast path: queuecommand, frame and SGL building, posting,
 *            SCSI completion, the reply queue walk, the interrupt handlers
 *   eh.c     SCSI error handling: command timeouts, task management, host reset
 *   reset.c  watchdog, controller reset, suspend/resume, PCI reset and errors
 *   event.c  firmware events, hot-plug of LDs and system PDs
 *   icmd.c   internal commands: the reserved SMID slots DCMDs and TMs use
 *   mfi.c    DCMDs (MFI frames) and the ones the driver sends
 *   sysfs.c  Scsi_Host attributes
 *   ioctl.c  the megaraid management ioctl (character device)
 *   proto.c  pure protocol logic (MFI frames, firmware limits, DCMD payloads)
 *
 * The KUnit suite (tests/kunit/lsi3108_test.c) calls the inlines of this
 * header and the functions exported into EXPORTED_FOR_KUNIT_TESTING.
 */
#ifndef LSI3108_H
#define LSI3108_H

#include <linux/bitops.h>
#include <linux/completion.h>
#include <linux/device.h>
#include <linux/export.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/irq_poll.h>
#include <linux/list.h>
#include <linux/ratelimit_types.h>
#include <linux/rwsem.h>
#include <linux/semaphore.h>
#include <linux/scatterlist.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <scsi/scsi.h>

#include "compat.h"
#include "lsi3108_hw.h"
#include "lsi3108_ioctl.h"

/*
 * The functions the KUnit suite calls are exported into KUnit's namespace,
 * EXPORTED_FOR_KUNIT_TESTING, when the module is built beside its suite
 * (Kbuild defines LSI3108_TEST_EXPORTS where tests/kunit/ exists). Not with
 * EXPORT_SYMBOL_IF_KUNIT(): Debian's kernels are built without CONFIG_KUNIT,
 * where it exports nothing, and the suite then runs on the stand-in in
 * tests/kunit/. What DKMS builds and installs exports nothing.
 */
#ifdef LSI3108_TEST_EXPORTS
#define EXPORT_SYMBOL_IF_LSI_TEST(sym) \
	EXPORT_SYMBOL_NS_GPL(sym, EXPORTED_FOR_KUNIT_TESTING)
#else
#define EXPORT_SYMBOL_IF_LSI_TEST(sym)
#endif

struct pci_dev;
struct scsi_cmnd;
struct scsi_device;
struct Scsi_Host;
struct dma_pool;

/*
 * SCSI addressing, as megaraid_sas numbers its devices (so that by-path
 * names and H:C:T:L match): the system PDs (JBOD) sit on channel
 * device id / 128 (0-1) with id device id % 128, the LDs on channel
 * 2 + target / 128 with id target % 128; LUN 0 for both.
 */
#define LSI_PD_CHANNELS		(LSI_MAX_PDS / LSI_DEV_PER_CHANNEL)
#define LSI_DEV_PER_CHANNEL	128
#define LSI_LD_CHANNELS		(LSI_MAX_LDS / LSI_DEV_PER_CHANNEL)

/* Driver limits and timeouts */
#define LSI_NR_INTERNAL		8	/* SMIDs reserved for DCMDs */
#define LSI_MIN_FW_CMDS		32	/* fewer is not a usable controller */
#define LSI_MAX_FW_CMDS		8192	/* highest SMID the driver uses */
#define LSI_MAX_CHAIN_SIZE	4096	/* bytes per chain frame: 1 MiB I/O */
#define LSI_MAX_REPLY_QUEUES	(LSI_SUP_REPLY_POST_REGS * 8)
#define LSI_MIN_REG_WINDOW	0x400	/* reaches the supplemental registers */
#define LSI_REPLY_BUDGET	128	/* replies per interrupt / irq_poll round */
#define LSI_LD_QUEUE_DEPTH	256
/*
 * System PD queue depth: a SATA drive holds 32 commands (NCQ's tags), more
 * would only wait in the controller; SAS and the others get 64, deep enough
 * for any single drive without one JBOD taking the host's shared tags.
 */
#define LSI_PD_SATA_QUEUE_DEPTH	32
#define LSI_PD_QUEUE_DEPTH	64
#define LSI_IO_TIMEOUT_S	90	/* block-layer timeout for LD commands */
#define LSI_DCMD_DATA_SIZE	8192	/* data buffer of each internal slot */
#define LSI_IOC_INIT_REQ_OFFSET	2048	/* MPI2 request inside the INIT page */

#define LSI_POLL_MS		20
/*
 * Waits in a reset (docs/driver.md, "Reset waits"): each is bounded by what
 * the firmware says it is doing, so an attempt that cannot make progress ends
 * within a minute and is retried, or the controller is declared DEAD.
 */
#define LSI_FW_BOOT_STATE_S	60	/* per booting state (FW_INIT, DEVICE_SCAN, ...) */
#define LSI_FW_HANDSHAKE_S	10	/* a state that waits for the host's doorbell */
#define LSI_FW_MAX_STEPS	32	/* state changes allowed on the way to READY */
#define LSI_DOORBELL_TIMEOUT_S	10
#define LSI_IOC_INIT_TIMEOUT_S	30	/* READY firmware answers in milliseconds */
#define LSI_CHIP_RESET_DELAY_MS	50	/* before the first read after RESET_ADAPTER */
#define LSI_REGS_BACK_S		30	/* registers reading all-ones after a reset */
#define LSI_REVIVE_FIRST_S	10	/* a DEAD controller is retried after this, */
#define LSI_REVIVE_MAX_S	30	/* doubling up to this */
#define LSI_OPERATIONAL_TIMEOUT_S 10
#define LSI_DCMD_TIMEOUT_S	180
#define LSI_EVT_DCMD_TIMEOUT_S	30	/* DCMDs of the event path */
#define LSI_TM_TIMEOUT_S	30
#define LSI_TM_DRAIN_MS		1000	/* victims' replies after a TM */
#define LSI_WATCHDOG_MS		1000
#define LSI_MAX_RESET_TRIES	3
#define LSI_DIAG_ENABLE_TIMEOUT_S 10
#define LSI_RESCAN_TRIES	3
#define LSI_EVT_SEQ_WINDOW	65536	/* events the firmware may skip */
#define LSI_CMD_LIMIT_DEFAULT_S	60	/* module parameter cmd_limit */
#define LSI_CMD_LIMIT_MIN_S	5
#define LSI_CMD_LIMIT_MAX_S	3600

/* The management ioctl (ioctl.c; docs/driver.md, "Management ioctl") */
#define LSI_IOC_MAX_BUF		(1024 * 1024)	/* per buffer and per frame */
#define LSI_IOC_MAX_SENSE	255	/* what the frame's sense_len can say */
#define LSI_IOC_SENSE_OFF_MAX	(64 - 8)	/* a 64-bit address in the first frame */
#define LSI_IOC_MAX_ACTIVE	3	/* frames per controller at a time */
#define LSI_IOC_SLOT_WAIT_S	30	/* for a free internal slot */
#define LSI_IOC_TIMEOUT_S	180	/* ioctl_timeout: for the firmware's answer */
#define LSI_IOC_TIMEOUT_MIN_S	10
#define LSI_IOC_TIMEOUT_MAX_S	3600
#define LSI_IOC_RECLAIM_S	300	/* for the reset that takes the slot back */

/*
 * Controller state: the one variable that says what the controller may do.
 * Every change goes through lsi_change_state(), which knows the legal
 * transitions and refuses the others. Internal commands are posted under the
 * same lock (icmd.c), so once the state has left a "firmware up" state none
 * is posted any more; the interrupt handlers act only in those states too.
 *
 *   state      SCSI commands        firmware up (internal commands, handlers)
 *   NEW        (no host yet)        no
 *   CONNECTING wait (host blocked)  yes: IOC INIT done; CTRL_GET_INFO, lists
 *   LIVE       posted               yes
 *   RESETTING  wait                 no: the hardware is stopped
 *   SUSPENDING wait                 yes: cache flushed, firmware shut down
 *   SUSPENDED  wait                 no
 *   DELETING   posted (sd flushes)  yes: then the cache is flushed
 *   DEAD       fail at once         no: nothing reaches the hardware any more
 *
 *   NEW -> CONNECTING, DEAD
 *   CONNECTING -> LIVE, RESETTING (a failed restart), DEAD
 *   LIVE -> RESETTING, SUSPENDING, DELETING, DEAD
 *   RESETTING -> CONNECTING, DEAD
 *   SUSPENDING -> SUSPENDED, DEAD
 *   SUSPENDED -> RESETTING (resume), DEAD
 *   DELETING -> DEAD
 *   DEAD -> RESETTING (a revival: reset.c), unless removal or shutdown has
 *           begun (no_revive)
 */
enum lsi_ctrl_state {
	LSI_CTRL_NEW,
	LSI_CTRL_CONNECTING,
	LSI_CTRL_LIVE,
	LSI_CTRL_RESETTING,
	LSI_CTRL_SUSPENDING,
	LSI_CTRL_SUSPENDED,
	LSI_CTRL_DELETING,
	LSI_CTRL_DEAD,
};

/* Bit numbers in lsi_ctrl.flags: the event path's bookkeeping */
enum {
	LSI_AEN_ARMED,		/* an EVENT_WAIT is with the firmware */
	LSI_EVT_PENDING,	/* an EVENT_WAIT ended: event_work consumes it */
	LSI_EVT_RESCAN,		/* event_work re-reads the LD list */
	LSI_EVT_RESCAN_PDS,	/* event_work re-reads the system PD list */
	LSI_EVT_CACHE,		/* event_work re-reads the cache policies */
};

/* The last events taken, for the events attribute (event.c, sysfs.c) */
#define LSI_EVT_RING		16
#define LSI_EVT_DESC_LEN	96

struct lsi_evt_record {
	u32			seq;
	u32			code;
	s8			cls;
	char			desc[LSI_EVT_DESC_LEN];
};

/* The event log's rate limits, one per group of classes (event.c) */
enum {
	LSI_EVT_RS_FAILURE,	/* critical, fatal, dead */
	LSI_EVT_RS_NOTICE,	/* info, warning */
	LSI_EVT_RS_PROGRESS,	/* progress, debug */
	LSI_EVT_RS_COUNT,
};

/* What the driver does with a SYNCHRONIZE CACHE for an LD (cache.c). */
enum lsi_flush_mode {
	LSI_FLUSH_DCMD,		/* volatile data: CTRL_CACHE_FLUSH DCMD */
	LSI_FLUSH_FIRMWARE,	/* safe: forwarded (firmware handles it) */
	LSI_FLUSH_COMPLETE,	/* safe: completed by the driver at once */
};

/* ld_policy of an LD whose properties were not read (fits no real value) */
#define LSI_LD_POLICY_UNKNOWN	0xffff

/* The BBU / CacheVault as BBU_GET_STATUS reports it. */
enum lsi_bbu {
	LSI_BBU_UNKNOWN,	/* not read, or the DCMD failed */
	LSI_BBU_PROTECTS,
	LSI_BBU_NOT_PROTECTING,	/* bad, learning, charging too little */
	LSI_BBU_ABSENT,
};

/* How lsi_disable() stops DMA, and what becomes of the commands. */
enum lsi_disable_how {
	LSI_DISABLE_CHIP_RESET,	/* chip reset; commands requeued (OCR) */
	LSI_DISABLE_PAUSE,	/* bus mastering off; requeued (FLR, AER, sleep) */
	LSI_DISABLE_DEAD,	/* bus mastering off; commands fail */
};

/* What a reset attempt (lsi_disable, lsi_bring_up) came to. */
enum lsi_reset_result {
	LSI_RESET_OK,		/* done: the controller is (again) usable */
	LSI_RESET_RETRY,	/* this attempt failed; a chip reset may help */
	LSI_RESET_INVALID,	/* the firmware's limits are invalid, or shrank */
	LSI_RESET_GONE,		/* the device is gone or its fault forbids a reset */
};

enum lsi_irq_mode {
	LSI_IRQ_NONE,
	LSI_IRQ_INTX,
	LSI_IRQ_MSI,
	LSI_IRQ_MSIX,
};

enum lsi_data_dir {
	LSI_DIR_NONE,
	LSI_DIR_READ,		/* device to host */
	LSI_DIR_WRITE,		/* host to device */
};

/* One coherent DMA allocation. */
struct lsi_dma {
	void		*va;
	dma_addr_t	dma;
	size_t		size;
};

/* The chain frame of one SCSI SMID. */
struct lsi_chain {
	struct lsi_sge	*va;
	dma_addr_t	dma;
};

/*
 * A reply descriptor queue and the vector that signals it. The ring is
 * touched by one context at a time: the hard interrupt handler, or the
 * irq_poll softirq it hands over to with the vector disabled, or (with no
 * handler installed) the thread polling for a DCMD or tearing down. A poll
 * queue (queue.c) has no handler: whoever holds its poll_lock walks it
 * (blk-mq's poll, a sweep), and only while poll_on says the firmware is up.
 */
struct lsi_reply_queue {
	struct lsi_ctrl		*ctrl;
	__le64			*ring;
	u32			index;		/* next slot to look at */
	u16			vector;
	int			irq;		/* 0 when no handler is installed */
	void __iomem		*host_index_reg;
	struct irq_poll		iop;
	bool			iop_on;		/* irq_poll enabled */
	bool			polling;	/* vector off, irq_poll owns it */
	/* Poll queues only: all under poll_lock */
	spinlock_t		poll_lock;
	bool			poll_on;	/* the firmware is up: walk it */
	u32			sweep_index;	/* index at the last idle sweep */
	unsigned long		polled;		/* replies taken by mq_poll */
} ____cacheline_aligned_in_smp;

/* Bit numbers in lsi_cmd.flags and lsi_icmd.flags */
#define LSI_CMD_INFLIGHT	0	/* owned by the firmware */

enum lsi_cmd_kind {
	LSI_CMD_SCSI,		/* a RAID SCSI IO frame */
	LSI_CMD_FLUSH,		/* SYNCHRONIZE CACHE sent as a CACHE_FLUSH DCMD */
};

/*
 * What a SCSI device is to the firmware: decided once, by slave_alloc from
 * its address and the firmware's lists, and kept as its hostdata. The I/O
 * path, task management, the flush mode and the sysfs attributes ask this,
 * never the channel again, so an LD's frame can never go to a system PD nor
 * the other way round.
 */
struct lsi_sdev {
	u16			dev_id;		/* LD target id, or PD device id */
	bool			syspd;		/* a system PD (JBOD), not an LD */
};

/* Per-command private data of a scsi_cmnd (.cmd_size). SMID = tag + 1. */
struct lsi_cmd {
	unsigned long		flags;
	enum lsi_cmd_kind	kind;
	u16			queue;		/* reply queue the firmware must use */
	unsigned long		start;		/* jiffies when posted */
};

struct lsi_ctrl;
struct lsi_icmd;
typedef void (*lsi_icmd_done_t)(struct lsi_ctrl *ctrl, struct lsi_icmd *ic);

/*
 * A management command (DCMD or TM) in one of the internal SMID
 * slots. DCMDs carry an MFI frame in the slot's own MFI area; a TM is the
 * request frame itself.
 */
struct lsi_icmd {
	u16			smid;
	unsigned long		flags;
	struct lsi_mfi_dcmd_frame *mfi;	/* an LSI_MFI_FRAME_SIZE slot */
	dma_addr_t		mfi_dma;
	void			*data;		/* LSI_DCMD_DATA_SIZE bytes */
	dma_addr_t		data_dma;
	struct completion	done;
	lsi_icmd_done_t		done_fn;	/* asynchronous: called instead */
	bool			is_tm;
	u16			queue;		/* reply queue it names (0 for DCMDs) */
	u8			mfi_status;
	u8			tm_response;
	u32			tm_terminated;
	int			result;		/* 0, or -ENODEV if cancelled */
	bool			abandoned;	/* the waiter timed out */
	u32			releases;	/* times freed (icmd_lock) */
};

/* A DCMD as its callers describe it. */
struct lsi_dcmd {
	u32			opcode;
	u8			mbox[LSI_DCMD_MBOX_SIZE];
	enum lsi_data_dir	dir;
	void			*data;		/* kernel buffer, copied */
	u32			len;		/* at most LSI_DCMD_DATA_SIZE */
	/*
	 * Or a caller's DMA buffer of any size (len bytes at ext_dma, data
	 * unused): the firmware writes there directly. It must outlive a
	 * timed-out DCMD, which the firmware may still answer.
	 */
	dma_addr_t		ext_dma;
	unsigned int		timeout_s;	/* 0: LSI_DCMD_TIMEOUT_S */
	u8			mfi_status;	/* out: the firmware's answer */
};

struct lsi_ctrl {
	struct pci_dev		*pdev;
	struct device		*dev;
	struct Scsi_Host	*shost;
	void __iomem		*regs;
	int			bar;		/* -1 until requested */

	spinlock_t		state_lock;	/* state changes, internal posts */
	enum lsi_ctrl_state	state;
	unsigned long		flags;		/* LSI_AEN_*, LSI_EVT_* */

	/* Recovery (reset.c) and events (event.c) */
	struct workqueue_struct	*wq;		/* ordered: reset_work */
	struct work_struct	reset_work;
	struct delayed_work	revive_work;	/* DEAD: try again later */
	struct work_struct	rescan_work;	/* revived: re-read each disk */
	unsigned int		revive_delay_s;	/* the next retry's delay */
	bool			no_revive;	/* removed or shut down: stay DEAD */
	const char		*reset_reason;
	struct delayed_work	watchdog;
	struct work_struct	event_work;
	u32			evt_seq;	/* sequence number to wait for */
	bool			evt_seq_valid;
	int			evt_result;	/* of the last EVENT_WAIT */
	u8			evt_status;
	struct lsi_evt_detail	evt;		/* copy of the last event */
	struct ratelimit_state	evt_rs[LSI_EVT_RS_COUNT];	/* by class */
	spinlock_t		evt_ring_lock;
	struct lsi_evt_record	evt_ring[LSI_EVT_RING];
	u32			evt_ring_next;	/* records ever added */

	/* Counters for sysfs */
	atomic_long_t		reset_count;
	atomic_long_t		abort_count;
	atomic_long_t		lun_reset_count;
	atomic_long_t		target_reset_count;
	atomic_long_t		bad_reply_count;
	atomic_long_t		other_queue_reply_count;
	atomic_long_t		bad_event_count;
	atomic_long_t		event_count;

	/* What the firmware advertised at probe, validated (fw.c) */
	u32			max_smid;	/* SCSI 1..can_queue, internal above */
	u32			can_queue;
	u32			reply_depth;
	u32			chain_size;
	u32			max_sge;
	u32			fw_queues;
	bool			fw_msix;
	bool			dma64;		/* coherent memory may be above 4 GiB */
	bool			fw_sync_cache;	/* SYNCHRONIZE CACHE goes to firmware */

	/* Cache protection and flush policy per LD (cache.c) */
	enum lsi_bbu		bbu;
	u8			ld_flush[LSI_MAX_LDS];	/* enum lsi_flush_mode */
	u16			ld_policy[LSI_MAX_LDS];	/* current | disk << 8 */

	/* Interrupts and reply queues (queue.c) */
	enum lsi_irq_mode	irq_mode;
	u32			nr_queues;
	u32			nr_poll_queues;	/* the last of nr_queues: no IRQ */
	bool			combined;	/* supplemental host index registers */
	struct lsi_reply_queue	*queues;

	/* DMA memory (queue.c) */
	struct lsi_dma		frames;		/* (max_smid + 1) request frames */
	struct lsi_dma		replies;	/* nr_queues rings, one allocation */
	struct lsi_dma		sense;		/* can_queue sense buffers */
	struct lsi_dma		init;		/* IOC INIT: MFI frame + MPI2 request */
	struct lsi_dma		mfi;		/* MFI frames of the internal slots */
	struct lsi_dma		dcmd_data;	/* data buffers of the internal slots */
	struct dma_pool		*chain_pool;
	struct lsi_chain	*chains;	/* [smid - 1] for SCSI SMIDs */

	/* Internal commands (icmd.c) */
	spinlock_t		icmd_lock;	/* icmd_busy, abandoned, done */
	unsigned long		icmd_busy;
	wait_queue_head_t	icmd_wait;
	struct lsi_icmd		icmd[LSI_NR_INTERNAL];

	/* Logical drives and system PDs the firmware exposes (ld_lock) */
	spinlock_t		ld_lock;
	DECLARE_BITMAP(ld_present, LSI_MAX_LDS);
	DECLARE_BITMAP(pd_present, LSI_MAX_PDS);	/* system PDs (JBOD) */
	bool			pd_list_unsupported;	/* said once: no JBOD */
	/* LDs the RAID map marks TM-capable: only these get task management */
	DECLARE_BITMAP(ld_tm_capable, LSI_MAX_LDS);
	struct lsi_dma		raid_map;	/* LD_MAP_GET_INFO buffer, devres */
	bool			ext_lds;	/* up to 256 LDs */

	/* Identity and limits from CTRL_GET_INFO */
	char			product[81];
	char			serial[33];
	char			fw_version[33];
	char			fw_package[97];
	u32			info_max_sectors;	/* 0: no limit given */

	spinlock_t		desc_lock;	/* 32-bit kernels: descriptor halves */

	/* The management ioctl (ioctl.c) */
	struct list_head	ioc_node;	/* on the list of controllers */
	struct rw_semaphore	ioc_rwsem;	/* read: an ioctl; write: removal */
	struct semaphore	ioc_active;	/* LSI_IOC_MAX_ACTIVE frames */
	u32			aen_class_locale;	/* what the tools want */
	bool			aen_wanted;
};

static_assert(LSI_NR_INTERNAL <= BITS_PER_LONG);
static_assert(LSI_MIN_CHAIN_FRAME_SIZE >= LSI_MFI_FRAME_SIZE);

static inline unsigned int lsi_ld_channel(unsigned int target)
{
	return LSI_PD_CHANNELS + target / LSI_DEV_PER_CHANNEL;
}

static inline unsigned int lsi_ld_id(unsigned int target)
{
	return target % LSI_DEV_PER_CHANNEL;
}

/* The LD target id at SCSI channel:id, or LSI_MAX_LDS if none can be there. */
static inline unsigned int lsi_ld_target(unsigned int channel, unsigned int id)
{
	if (channel < LSI_PD_CHANNELS || id >= LSI_DEV_PER_CHANNEL)
		return LSI_MAX_LDS;
	channel -= LSI_PD_CHANNELS;
	if (channel >= LSI_LD_CHANNELS)
		return LSI_MAX_LDS;
	return channel * LSI_DEV_PER_CHANNEL + id;
}

static inline unsigned int lsi_pd_channel(unsigned int dev_id)
{
	return dev_id / LSI_DEV_PER_CHANNEL;
}

static inline unsigned int lsi_pd_id(unsigned int dev_id)
{
	return dev_id % LSI_DEV_PER_CHANNEL;
}

/* The system PD device id at SCSI channel:id, or LSI_MAX_PDS if none. */
static inline unsigned int lsi_pd_dev_id(unsigned int channel, unsigned int id)
{
	if (channel >= LSI_PD_CHANNELS || id >= LSI_DEV_PER_CHANNEL)
		return LSI_MAX_PDS;
	return channel * LSI_DEV_PER_CHANNEL + id;
}

/* The firmware is up: internal commands may be posted, handlers act. */
static inline bool lsi_state_fw_up(enum lsi_ctrl_state state)
{
	return state == LSI_CTRL_CONNECTING || state == LSI_CTRL_LIVE ||
	       state == LSI_CTRL_SUSPENDING || state == LSI_CTRL_DELETING;
}

/* SCSI commands wait: the host is brought up, reset, or put to sleep. */
static inline bool lsi_state_io_waits(enum lsi_ctrl_state state)
{
	return state == LSI_CTRL_CONNECTING || state == LSI_CTRL_RESETTING ||
	       state == LSI_CTRL_SUSPENDING || state == LSI_CTRL_SUSPENDED;
}

/* Remove, shutdown or death: no resets, no events, no watchdog any more. */
static inline bool lsi_ctrl_ending(struct lsi_ctrl *ctrl)
{
	enum lsi_ctrl_state state = READ_ONCE(ctrl->state);

	return state == LSI_CTRL_DELETING || state == LSI_CTRL_DEAD;
}

/* The SCSI host, and with it its tag set (SCSI SMIDs), exists. */
static inline bool lsi_host_added(struct lsi_ctrl *ctrl)
{
	return device_is_registered(&ctrl->shost->shost_gendev);
}

/* ---- protocol helpers: the wire format's small rules ---- */

static inline struct lsi_io_frame *lsi_frame(struct lsi_ctrl *ctrl, u32 smid)
{
	return ctrl->frames.va + (size_t)smid * LSI_FRAME_SIZE;
}

/* Request descriptor: type, reply queue (MSI-X index), SMID. */
static inline u64 lsi_req_desc(u8 flags, u8 msix, u16 smid)
{
	return flags | (u64)msix << 8 | (u64)smid << 16;
}

/* IOC INIT: the frame address with its low byte replaced by the type. */
static inline u64 lsi_mfa_desc(u64 frame_addr)
{
	return (frame_addr & ~0xffULL) | LSI_REQ_DESC_MFA;
}

/*
 * Post a request descriptor. The controller needs the 64 bits as one write,
 * or low then high with no other pair in between: 64-bit kernels write it
 * with one writeq() and take no lock; 32-bit kernels write the two halves
 * under a lock shared by all CPUs. writeq() orders the frame writes in
 * coherent memory before the MMIO write.
 */
static inline void lsi_post(struct lsi_ctrl *ctrl, u64 desc)
{
	unsigned long flags;

	if (IS_ENABLED(CONFIG_64BIT)) {
		writeq(desc, ctrl->regs + LSI_REG_REQ_DESC_LOW);
		return;
	}
	spin_lock_irqsave(&ctrl->desc_lock, flags);
	writeq(desc, ctrl->regs + LSI_REG_REQ_DESC_LOW);
	spin_unlock_irqrestore(&ctrl->desc_lock, flags);
}

/* An unused reply slot: type UNUSED, or a half still all-ones (torn write). */
static inline bool lsi_reply_empty(u64 desc)
{
	return (desc & LSI_RPY_TYPE_MASK) == LSI_RPY_TYPE_UNUSED ||
	       upper_32_bits(desc) == U32_MAX;
}

static inline u16 lsi_reply_smid(u64 desc)
{
	return (desc >> 16) & 0xffff;
}

static inline u32 lsi_reply_next(u32 index, u32 depth)
{
	return index + 1 < depth ? index + 1 : 0;
}

/*
 * Host index registers: 0x6C for all vectors, or in combined mode one
 * supplemental register per group of eight vectors.
 */
static inline u32 lsi_host_index_offset(u32 vector, bool combined)
{
	if (combined)
		return LSI_REG_SUP_REPLY_POST_HOST_INDEX(vector / 8);
	return LSI_REG_REPLY_POST_HOST_INDEX;
}

static inline u32 lsi_host_index_value(u32 vector, u32 index, bool combined)
{
	u32 msix = combined ? vector & 7 : vector;

	return msix << LSI_REPLY_HOST_INDEX_MSIX_SHIFT |
	       (index & LSI_REPLY_HOST_INDEX_MASK);
}

/* Reply queues 0 .. this - 1 take interrupts; the poll queues follow. */
static inline u32 lsi_irq_queues(const struct lsi_ctrl *ctrl)
{
	return ctrl->nr_queues - ctrl->nr_poll_queues;
}

static inline u32 lsi_fw_state(u32 pad0)
{
	return (pad0 & LSI_FW_STATE_MASK) >> LSI_FW_STATE_SHIFT;
}

/* Commands the firmware can hold, as reported (the driver uses one less). */
static inline u32 lsi_pad_max_cmds(u32 pad0)
{
	return pad0 & LSI_FW_MAX_CMDS_MASK;
}

/*
 * Data SGEs per command: the frame's eight slots plus the chain frame, less
 * the slot the chain element takes and one spare.
 */
static inline u32 lsi_max_data_sges(u32 chain_size)
{
	return LSI_FRAME_SGE_SLOTS + chain_size / LSI_SGE_SIZE - 2;
}

/*
 * Reply queue depth: a multiple of 16, twice the commands that can be
 * outstanding, so a queue can never fill up.
 */
static inline u32 lsi_reply_depth(u32 max_smid)
{
	return 2 * ALIGN(max_smid + 1, 16);
}

static inline bool lsi_cdb_is_rw(u8 opcode)
{
	switch (opcode) {
	case READ_6:
	case WRITE_6:
	case READ_10:
	case WRITE_10:
	case READ_12:
	case WRITE_12:
	case READ_16:
	case WRITE_16:
		return true;
	default:
		return false;
	}
}

static inline bool lsi_cdb_is_sync_cache(u8 opcode)
{
	return opcode == SYNCHRONIZE_CACHE || opcode == SYNCHRONIZE_CACHE_16;
}

/* A SYNCHRONIZE CACHE carried out as a controller cache flush. */
static inline int lsi_map_flush_status(u8 mfi_status)
{
	return mfi_status == LSI_MFI_STAT_OK ? DID_OK << 16 : DID_ERROR << 16;
}

/*
 * The event the firmware answers a wait for sequence number @armed with must
 * be that one or a later one, and not absurdly far ahead: anything else is a
 * confused firmware, and the driver resynchronises from EVENT_GET_INFO.
 */
static inline bool lsi_evt_seq_plausible(u32 armed, u32 seq)
{
	return seq - armed <= LSI_EVT_SEQ_WINDOW;
}

/*
 * The limits the firmware advertises in READY (scratch pads 0 and 1), as
 * lsi_parse_fw_limits() validated and clamped them to what the driver uses.
 */
struct lsi_fw_limits {
	u32			cmds;		/* as reported */
	u32			chain;		/* as reported, bytes */
	u32			max_smid;	/* cmds - 1, at most LSI_MAX_FW_CMDS */
	u32			chain_size;	/* at most LSI_MAX_CHAIN_SIZE */
	u32			queues;		/* at most LSI_MAX_REPLY_QUEUES */
	bool			msix;
	bool			dma64;
};

/* main.c */
bool lsi_change_state(struct lsi_ctrl *ctrl, enum lsi_ctrl_state new_state);
const char *lsi_ctrl_state_name(enum lsi_ctrl_state state);
enum lsi_reset_result lsi_disable(struct lsi_ctrl *ctrl,
				  enum lsi_disable_how how);
enum lsi_reset_result lsi_bring_up(struct lsi_ctrl *ctrl);

/* reset.c */
void lsi_request_reset(struct lsi_ctrl *ctrl, const char *why);
int lsi_host_reset(struct lsi_ctrl *ctrl, const char *why);
void lsi_kill(struct lsi_ctrl *ctrl, const char *why);
void lsi_forbid_revive(struct lsi_ctrl *ctrl);
void lsi_reset_init(struct lsi_ctrl *ctrl);
void lsi_watchdog_start(struct lsi_ctrl *ctrl);
void lsi_stop_workers(struct lsi_ctrl *ctrl);
extern const struct dev_pm_ops lsi_pm_ops;
extern const struct pci_error_handlers lsi_err_handlers;

/* event.c */
void lsi_event_init(struct lsi_ctrl *ctrl);
const char *lsi_evt_class_name(s8 cls);
ssize_t lsi_evt_ring_show(struct lsi_ctrl *ctrl, char *buf);
void lsi_events_start(struct lsi_ctrl *ctrl, bool rescan);

/* fw.c */
u32 lsi_read_pad0(struct lsi_ctrl *ctrl);
enum lsi_reset_result lsi_chip_reset(struct lsi_ctrl *ctrl);
void lsi_intr_mask(struct lsi_ctrl *ctrl);
void lsi_intr_unmask(struct lsi_ctrl *ctrl);
int lsi_fw_wait_ready(struct lsi_ctrl *ctrl);
bool lsi_fw_fault_final(u32 pad0);
int lsi_fw_limits(struct lsi_ctrl *ctrl, struct lsi_fw_limits *lim);
void lsi_fw_adopt_limits(struct lsi_ctrl *ctrl, const struct lsi_fw_limits *lim);
bool lsi_fw_limits_fit(struct lsi_ctrl *ctrl, const struct lsi_fw_limits *lim);
int lsi_ioc_init(struct lsi_ctrl *ctrl);

/* queue.c */
int lsi_set_dma_masks(struct lsi_ctrl *ctrl);
int lsi_alloc_vectors(struct lsi_ctrl *ctrl);
int lsi_alloc_memory(struct lsi_ctrl *ctrl);
void lsi_free_memory(struct lsi_ctrl *ctrl);
int lsi_request_irqs(struct lsi_ctrl *ctrl);
void lsi_free_irqs(struct lsi_ctrl *ctrl);
void lsi_irqs_quiet(struct lsi_ctrl *ctrl);
void lsi_irqs_resume(struct lsi_ctrl *ctrl);
void lsi_reset_reply_queues(struct lsi_ctrl *ctrl);
void lsi_reap_replies(struct lsi_ctrl *ctrl);
/* What bounded the poll queues lsi_poll_queues_fit() gives. */
enum lsi_poll_bound {
	LSI_POLL_AS_ASKED,
	LSI_POLL_NEGATIVE,	/* poll_queues < 0 */
	LSI_POLL_NO_ROOM,	/* no MSI-X, or one reply queue in all */
	LSI_POLL_CPUS,		/* one per CPU */
	LSI_POLL_ROOM,		/* the reply queues less one */
};

u32 lsi_poll_queues_fit(int asked, u32 cpus, u32 room,
			enum lsi_poll_bound *bound);
int lsi_mq_poll(struct Scsi_Host *shost, unsigned int queue_num);
void lsi_sweep_poll_queues(struct lsi_ctrl *ctrl, bool idle_only);
void lsi_map_poll_queues(struct Scsi_Host *shost);
unsigned long lsi_poll_completions(struct lsi_ctrl *ctrl);

/* io.c */
int lsi_queuecommand(struct Scsi_Host *shost, struct scsi_cmnd *scmd);
int lsi_init_cmd_priv(struct Scsi_Host *shost, struct scsi_cmnd *scmd);
irqreturn_t lsi_isr(int irq, void *data);
int lsi_irqpoll(struct irq_poll *iop, int budget);
int lsi_process_replies(struct lsi_reply_queue *rq, int budget);
void lsi_note_reply_queue(struct lsi_ctrl *ctrl, u32 asked, u32 queue);
void lsi_bad_reply(struct lsi_ctrl *ctrl, u32 smid, u32 queue,
		   const char *why);
void lsi_cancel_scsi(struct lsi_ctrl *ctrl, int host_byte);
bool lsi_scmd_inflight(struct scsi_cmnd *scmd);
u32 lsi_scmd_smid(struct scsi_cmnd *scmd);
int lsi_slave_alloc(struct scsi_device *sdev);
int lsi_slave_configure(struct scsi_device *sdev);
void lsi_slave_destroy(struct scsi_device *sdev);
void lsi_map_queues(struct Scsi_Host *shost);
void lsi_no_default_scheduler(struct Scsi_Host *shost);

/* eh.c */
extern unsigned int lsi_cmd_limit;
struct kernel_param;
int lsi_param_set_seconds(const char *val, const struct kernel_param *kp,
			  unsigned int min, unsigned int max);
int lsi_eh_abort(struct scsi_cmnd *scmd);
lsi_timeout_ret lsi_eh_timed_out(struct scsi_cmnd *scmd);
int lsi_eh_device_reset(struct scsi_cmnd *scmd);
int lsi_eh_target_reset(struct scsi_cmnd *scmd);
int lsi_eh_host_reset(struct scsi_cmnd *scmd);
int lsi_sysfs_host_reset(struct Scsi_Host *shost, int reset_type);

/* icmd.c */
void lsi_icmd_setup(struct lsi_ctrl *ctrl);
struct lsi_icmd *lsi_icmd_tryget(struct lsi_ctrl *ctrl);
struct lsi_icmd *lsi_icmd_get(struct lsi_ctrl *ctrl, unsigned long timeout,
			      const char *what);
void lsi_icmd_put(struct lsi_ctrl *ctrl, struct lsi_icmd *ic);
void lsi_icmd_prepare(struct lsi_icmd *ic, lsi_icmd_done_t done_fn,
		      bool is_tm);
int lsi_icmd_post(struct lsi_ctrl *ctrl, struct lsi_icmd *ic, u8 type);
int lsi_icmd_issue(struct lsi_ctrl *ctrl, struct lsi_icmd *ic, u8 type,
		   unsigned long timeout);
void lsi_complete_internal(struct lsi_ctrl *ctrl, u32 smid, u32 queue);
void lsi_cancel_internal(struct lsi_ctrl *ctrl);
bool lsi_fw_up(struct lsi_ctrl *ctrl);

/* mfi.c */
int lsi_dcmd_exec(struct lsi_ctrl *ctrl, struct lsi_dcmd *dcmd);
int lsi_dcmd_start(struct lsi_ctrl *ctrl, const struct lsi_dcmd *dcmd,
		   lsi_icmd_done_t done_fn);
int lsi_get_ctrl_info(struct lsi_ctrl *ctrl);
int lsi_read_ld_list(struct lsi_ctrl *ctrl);
bool lsi_ld_present(struct lsi_ctrl *ctrl, unsigned int target_id);
bool lsi_ld_tm_capable(struct lsi_ctrl *ctrl, unsigned int target_id);
int lsi_read_pd_list(struct lsi_ctrl *ctrl);
bool lsi_syspd_present(struct lsi_ctrl *ctrl, unsigned int dev_id);
void lsi_fw_flush_shutdown(struct lsi_ctrl *ctrl);
void lsi_fw_flush_hibernate(struct lsi_ctrl *ctrl);

/* cache.c */
void lsi_cache_refresh(struct lsi_ctrl *ctrl);
enum lsi_flush_mode lsi_flush_mode_of(struct lsi_ctrl *ctrl, unsigned int id);
const char *lsi_flush_mode_name(enum lsi_flush_mode mode);
const char *lsi_bbu_name(enum lsi_bbu bbu);

/* ioctl.c */
int lsi_ioc_register(void);
void lsi_ioc_unregister(void);
void lsi_ioc_ctrl_init(struct lsi_ctrl *ctrl);
void lsi_ioc_attach(struct lsi_ctrl *ctrl);
void lsi_ioc_detach(struct lsi_ctrl *ctrl);
void lsi_ioc_event(struct lsi_ctrl *ctrl, u32 class_locale);

/* pd.c */
ssize_t lsi_pds_show(struct lsi_ctrl *ctrl, char *buf);
ssize_t lsi_ld_pds_show(struct lsi_ctrl *ctrl, unsigned int target, char *buf);
u8 lsi_pd_interface(struct lsi_ctrl *ctrl, unsigned int dev_id);

/* sysfs.c */
extern const struct attribute_group *lsi_host_groups[];
extern const struct attribute_group *lsi_sdev_groups[];

/* io.c, the fast path's pure parts (no device access, unit-tested) */
struct lsi_io_req {
	const u8		*cdb;
	u8			cdb_len;
	u16			target_id;	/* LD target id, or PD device id */
	u8			lun;
	enum lsi_data_dir	dir;
	u32			data_len;
	u32			sense_lo;	/* low 32 bits of the sense buffer */
	u16			timeout_s;	/* non-read/write commands */
};

struct lsi_scsi_status {
	u8			mfi_status;	/* RAID context status */
	u8			ex_status;	/* RAID context ex_status */
	u32			bufflen;
	u32			xfer_len;	/* DataLength written back */
};

struct lsi_scsi_result {
	int			result;		/* for scsi_cmnd.result */
	u32			resid;
	bool			sense_valid;
};

u8 lsi_build_ld_io(struct lsi_io_frame *frame, const struct lsi_io_req *req);
u8 lsi_build_syspd_io(struct lsi_io_frame *frame, const struct lsi_io_req *req);
int lsi_build_sgl(struct lsi_io_frame *frame, struct lsi_sge *chain,
		  dma_addr_t chain_dma, u32 chain_slots,
		  struct scatterlist *sgl, int nseg);
void lsi_map_scsi_status(const struct lsi_scsi_status *st,
			 struct lsi_scsi_result *res);

/* proto.c: pure functions, no device access, no allocation, no sleeping */
struct lsi_ioc_init_params {
	dma_addr_t		frames;
	dma_addr_t		replies;
	dma_addr_t		sense;
	dma_addr_t		request;	/* the MPI2 request itself */
	u16			reply_depth;
	u8			msix_vectors;
	u32			drv_caps;
	u64			timestamp_ms;
};

const char *lsi_fw_state_name(u32 pad0);
u32 lsi_pad_chain_size(u32 pad1);
u32 lsi_pad_queue_count(u32 pad0, u32 pad1);
int lsi_parse_fw_limits(u32 pad0, u32 pad1, struct lsi_fw_limits *lim);
u32 lsi_info_max_sectors(u8 stripe_size_min, u16 max_strips_per_io,
			 u32 max_request_size);

void lsi_build_mfi_passthru(struct lsi_io_frame *frame, dma_addr_t mfi,
			    u32 mfi_len);
void lsi_build_dcmd(struct lsi_mfi_dcmd_frame *mfi, const struct lsi_dcmd *dcmd,
		    dma_addr_t data, u16 smid);
void lsi_build_mfi_abort(struct lsi_mfi_abort_frame *af, u16 smid,
			 u32 victim_ctx, dma_addr_t victim);
void lsi_build_ioc_init(struct lsi_mfi_init_frame *init,
			struct lsi_ioc_init_request *req,
			const struct lsi_ioc_init_params *p);

int lsi_parse_ld_targets(const struct lsi_ld_targetid_list *list, u32 max,
			 unsigned long *present);
int lsi_parse_ld_list(const struct lsi_ld_list *list, u32 max,
		      unsigned long *present);
int lsi_parse_raid_map(const struct lsi_raid_map *map, size_t len,
		       unsigned long *tm_capable);
int lsi_parse_pd_list(const struct lsi_pd_list *list, size_t len,
		      unsigned long *present, u32 *bad);
u32 lsi_pd_queue_depth(u8 intf);
bool lsi_evt_changes_lds(u32 code);
bool lsi_evt_changes_pds(u32 code);
bool lsi_evt_changes_cache(u32 code, u32 class_locale);
enum lsi_bbu lsi_parse_bbu(const struct lsi_bbu_status *st, u8 mfi_status);
enum lsi_flush_mode lsi_ld_flush_mode(const struct lsi_ld_properties *p,
				      bool bbu_protects, bool fw_sync_cache);
void lsi_build_tm(struct lsi_tm_request *tm, u8 type, u16 target_id, u8 lun,
		  u16 task_mid);
int lsi_map_tm_response(u8 response_code);
void lsi_fw_string(char *dst, size_t size, const char *src, size_t len);
const char *lsi_ioc_check(const struct lsi_ioc_head *h, const u32 *len);

#endif /* LSI3108_H */
