// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host memory and interrupt vectors.
 *
 * Memory. The firmware is given base addresses only: the request frames
 * (frame s at base + 256 * s, SMID 0 never used), the reply queues (queue i
 * at base + i * depth * 8) and the sense buffers (the firmware is told only
 * their common upper 32 bits). Each of these is therefore one coherent
 * allocation that must not cross a 4 GiB boundary. Chain frames are
 * addressed by full 64-bit chain elements and come from a DMA pool.
 *
 * DMA masks. Data buffers are mapped with a 63-bit mask, as Linux's own
 * driver does on this chip family. Control structures use a 64-bit (63-bit)
 * coherent mask when the firmware advertises LSI_CAP_64BIT_DMA, which the
 * driver then announces in IOC INIT (LSI_DRVCAP_64BIT_MODE); otherwise they
 * stay below 4 GiB.
 *
 * Interrupts. One reply queue per MSI-X vector (else one queue on MSI or
 * INTx). The handlers (lsi_isr, lsi_irqpoll: the fast path, io.c) are
 * installed at probe before IOC INIT and act only while the state says the
 * firmware is up. Quieting them (resets, teardown) and freeing them is here.
 *
 * Poll queues (module parameter poll_queues, MSI-X only). The firmware is
 * given that many more reply queues, after the interrupt-driven ones; their
 * MSI-X vectors are never allocated, so they stay masked in the table and a
 * reply there raises nothing (the device only sets the vector's pending
 * bit). blk-mq maps them as its HCTX_TYPE_POLL queues: hardware queue i is
 * reply queue i, so a command names its queue as any other does, and
 * lsi_mq_poll() walks the ring with the walker the interrupt handlers use,
 * under the queue's poll_lock. The same one-way-down and one-way-up quiet
 * and resume them (poll_on) with the handlers, and the teardown takes what
 * is left on them with the rest.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blk-mq.h>
#include <linux/dma-mapping.h>
#include <linux/dmapool.h>
#include <linux/interrupt.h>
#include <linux/moduleparam.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <scsi/scsi_host.h>

#include "compat.h"
#include "lsi3108.h"

/*
 * Any value loads: lsi_poll_queue_count() says what it uses instead of one
 * it cannot use. Read at probe.
 */
static int lsi_poll_queues;
module_param_named(poll_queues, lsi_poll_queues, int, 0444);
MODULE_PARM_DESC(poll_queues,
		 "reply queues completed by polling (io_uring IOPOLL) beside the interrupt-driven ones: MSI-X only, at most one per CPU and the firmware's queues less one (default 0)");

int lsi_set_dma_masks(struct lsi_ctrl *ctrl)
{
	u64 coherent = ctrl->dma64 ? DMA_BIT_MASK(63) : DMA_BIT_MASK(32);
	int ret;

	ret = dma_set_mask(ctrl->dev, DMA_BIT_MASK(63));
	if (!ret)
		ret = dma_set_coherent_mask(ctrl->dev, coherent);
	if (ret)
		dev_err(ctrl->dev, "no usable DMA mask (streaming 63-bit, coherent %s): %d\n",
			ctrl->dma64 ? "63-bit" : "32-bit", ret);
	return ret;
}

/* ---- memory ---- */

/* The allocator reports a failure itself; a 4 GiB crossing is ours to tell. */
static int lsi_dma_alloc(struct lsi_ctrl *ctrl, struct lsi_dma *buf,
			 size_t size, const char *what)
{
	buf->size = size;
	buf->va = dma_alloc_coherent(ctrl->dev, size, &buf->dma, GFP_KERNEL);
	if (!buf->va)
		return -ENOMEM;
	if (upper_32_bits(buf->dma) != upper_32_bits(buf->dma + size - 1)) {
		dev_err(ctrl->dev, "%s at %pad (%zu bytes) crosses a 4 GiB boundary\n",
			what, &buf->dma, size);
		return -ENOMEM;
	}
	return 0;
}

static void lsi_dma_free(struct lsi_ctrl *ctrl, struct lsi_dma *buf)
{
	if (buf->va)
		dma_free_coherent(ctrl->dev, buf->size, buf->va, buf->dma);
	buf->va = NULL;
}

static int lsi_alloc_chains(struct lsi_ctrl *ctrl)
{
	u32 i;

	ctrl->chains = kcalloc(ctrl->can_queue, sizeof(*ctrl->chains),
			       GFP_KERNEL);
	ctrl->chain_pool = dma_pool_create("lsi3108_chain", ctrl->dev,
					   ctrl->chain_size, LSI_FRAME_SIZE, 0);
	if (!ctrl->chains || !ctrl->chain_pool)
		return -ENOMEM;
	for (i = 0; i < ctrl->can_queue; i++) {
		struct lsi_chain *c = &ctrl->chains[i];

		c->va = dma_pool_alloc(ctrl->chain_pool, GFP_KERNEL, &c->dma);
		if (!c->va)
			return -ENOMEM;
	}
	return 0;
}

static void lsi_free_chains(struct lsi_ctrl *ctrl)
{
	u32 i;

	for (i = 0; ctrl->chains && i < ctrl->can_queue; i++) {
		if (ctrl->chains[i].va)
			dma_pool_free(ctrl->chain_pool, ctrl->chains[i].va,
				      ctrl->chains[i].dma);
	}
	dma_pool_destroy(ctrl->chain_pool);
	ctrl->chain_pool = NULL;
	kfree(ctrl->chains);
	ctrl->chains = NULL;
}

/*
 * Empty every reply queue and point each at its host index register: at
 * probe, and before each IOC INIT of a reset, with the handlers quiet.
 */
void lsi_reset_reply_queues(struct lsi_ctrl *ctrl)
{
	u32 i;

	memset(ctrl->replies.va, 0xff, ctrl->replies.size);
	for (i = 0; i < ctrl->nr_queues; i++) {
		struct lsi_reply_queue *rq = &ctrl->queues[i];

		rq->ctrl = ctrl;
		rq->ring = (__le64 *)ctrl->replies.va + (size_t)i * ctrl->reply_depth;
		rq->index = 0;
		rq->vector = i;
		rq->host_index_reg = ctrl->regs +
				     lsi_host_index_offset(i, ctrl->combined);
	}
}

int lsi_alloc_memory(struct lsi_ctrl *ctrl)
{
	size_t ring_bytes = (size_t)ctrl->reply_depth * sizeof(__le64);
	const struct {
		struct lsi_dma	*buf;
		size_t		size;
		const char	*what;
	} bufs[] = {
		{ &ctrl->frames, ((size_t)ctrl->max_smid + 1) * LSI_FRAME_SIZE,
		  "request frames" },
		{ &ctrl->replies, ring_bytes * ctrl->nr_queues, "reply queues" },
		{ &ctrl->sense, (size_t)ctrl->can_queue * LSI_SENSE_BUFFER_SIZE,
		  "sense buffers" },
		{ &ctrl->init, LSI_IOC_INIT_FRAME_SIZE, "IOC INIT frame" },
		{ &ctrl->mfi, LSI_NR_INTERNAL * LSI_MFI_FRAME_SIZE, "MFI frames" },
		{ &ctrl->dcmd_data, LSI_NR_INTERNAL * LSI_DCMD_DATA_SIZE,
		  "DCMD data" },
	};
	int i, ret = 0;

	ctrl->queues = kcalloc(ctrl->nr_queues, sizeof(*ctrl->queues),
			       GFP_KERNEL);
	if (!ctrl->queues)
		ret = -ENOMEM;
	for (i = 0; !ret && i < ctrl->nr_queues; i++)
		spin_lock_init(&ctrl->queues[i].poll_lock);
	for (i = 0; !ret && i < ARRAY_SIZE(bufs); i++)
		ret = lsi_dma_alloc(ctrl, bufs[i].buf, bufs[i].size,
				    bufs[i].what);
	if (!ret)
		ret = lsi_alloc_chains(ctrl);
	if (ret) {
		dev_err(ctrl->dev, "cannot set up host memory for %u commands and %u reply queue(s) of %u: %d\n",
			ctrl->max_smid, ctrl->nr_queues, ctrl->reply_depth, ret);
		return ret;
	}
	lsi_reset_reply_queues(ctrl);
	return 0;
}

/* Safe on partly allocated memory; called with DMA stopped. */
void lsi_free_memory(struct lsi_ctrl *ctrl)
{
	lsi_free_chains(ctrl);
	lsi_dma_free(ctrl, &ctrl->dcmd_data);
	lsi_dma_free(ctrl, &ctrl->mfi);
	lsi_dma_free(ctrl, &ctrl->init);
	lsi_dma_free(ctrl, &ctrl->sense);
	lsi_dma_free(ctrl, &ctrl->replies);
	lsi_dma_free(ctrl, &ctrl->frames);
	kfree(ctrl->queues);
	ctrl->queues = NULL;
}

/* Teardown, with handlers quiet and DMA stopped: take what was posted. */
void lsi_reap_replies(struct lsi_ctrl *ctrl)
{
	u32 i;

	for (i = 0; ctrl->queues && ctrl->replies.va && i < ctrl->nr_queues; i++)
		lsi_process_replies(&ctrl->queues[i], ctrl->reply_depth);
}

/* ---- interrupts ---- */

/* Reply queues MSI-X can have: the firmware's, within the MSI-X table. */
static u32 lsi_msix_room(struct lsi_ctrl *ctrl)
{
	int table = pci_msix_vec_count(ctrl->pdev);

	if (!ctrl->fw_msix || table <= 0)
		return 0;
	return min_t(u32, ctrl->fw_queues, table);
}

/*
 * Poll queues for poll_queues=@asked, of the @room reply queues MSI-X can
 * have: at most one per CPU, and one queue at least is left for interrupts
 * (internal commands complete on queue 0). *@bound says what bounded them.
 */
u32 lsi_poll_queues_fit(int asked, u32 cpus, u32 room,
			enum lsi_poll_bound *bound)
{
	*bound = LSI_POLL_AS_ASKED;
	if (asked < 0)
		*bound = LSI_POLL_NEGATIVE;
	if (asked <= 0)
		return 0;
	if (room < 2) {
		*bound = LSI_POLL_NO_ROOM;
		return 0;
	}
	if ((u32)asked > cpus && cpus < room) {
		*bound = LSI_POLL_CPUS;
		return cpus;
	}
	if ((u32)asked >= room) {
		*bound = LSI_POLL_ROOM;
		return room - 1;
	}
	return asked;
}
EXPORT_SYMBOL_IF_LSI_TEST(lsi_poll_queues_fit);

/* Poll queues for the module parameter; one line for a value not used as is. */
static u32 lsi_poll_queue_count(struct lsi_ctrl *ctrl, u32 room)
{
	int asked = lsi_poll_queues;
	u32 cpus = num_possible_cpus();
	enum lsi_poll_bound bound;
	u32 n = lsi_poll_queues_fit(asked, cpus, room, &bound);

	switch (bound) {
	case LSI_POLL_AS_ASKED:
		break;
	case LSI_POLL_NEGATIVE:
		dev_warn(ctrl->dev, "poll_queues=%d is negative: using 0\n",
			 asked);
		break;
	case LSI_POLL_NO_ROOM:
		dev_info(ctrl->dev, "poll_queues=%d: using 0: %s\n", asked,
			 room ? "the one reply queue takes interrupts" :
				"no MSI-X");
		break;
	case LSI_POLL_CPUS:
		dev_warn(ctrl->dev, "poll_queues=%d is more than the %u CPUs: using %u\n",
			 asked, cpus, n);
		break;
	case LSI_POLL_ROOM:
		dev_info(ctrl->dev, "poll_queues=%d: using %u: room for %u reply queues (firmware %u, MSI-X table %d), one at least takes interrupts\n",
			 asked, n, room, ctrl->fw_queues,
			 pci_msix_vec_count(ctrl->pdev));
		break;
	}
	return n;
}

/*
 * One reply queue per MSI-X vector, spread over the CPUs, and the poll
 * queues after them; else a single queue on MSI or INTx, and no poll queue.
 */
int lsi_alloc_vectors(struct lsi_ctrl *ctrl)
{
	struct irq_affinity affd = { };
	u32 room = lsi_msix_room(ctrl);
	u32 poll = lsi_poll_queue_count(ctrl, room);
	u32 want = min_t(u32, room - poll, num_possible_cpus());
	int n = -ENODEV;

	if (room)
		n = pci_alloc_irq_vectors_affinity(ctrl->pdev, 1, want,
						   PCI_IRQ_MSIX | PCI_IRQ_AFFINITY,
						   &affd);
	if (n > 0) {
		ctrl->irq_mode = LSI_IRQ_MSIX;
		ctrl->nr_queues = n + poll;
		ctrl->nr_poll_queues = poll;
		ctrl->combined = ctrl->fw_queues > 8;
		return 0;
	}
	if (poll)
		dev_info(ctrl->dev, "poll_queues=%d: using 0: no MSI-X vector (%d)\n",
			 lsi_poll_queues, n);
	ctrl->nr_poll_queues = 0;
	n = pci_alloc_irq_vectors(ctrl->pdev, 1, 1, PCI_IRQ_MSI | PCI_IRQ_INTX);
	if (n < 0) {
		dev_err(ctrl->dev, "no usable interrupt (MSI-X, MSI, INTx): %d\n", n);
		return n;
	}
	ctrl->irq_mode = ctrl->pdev->msi_enabled ? LSI_IRQ_MSI : LSI_IRQ_INTX;
	ctrl->nr_queues = 1;
	ctrl->combined = false;
	return 0;
}

int lsi_request_irqs(struct lsi_ctrl *ctrl)
{
	u32 i;
	int ret;

	for (i = 0; i < lsi_irq_queues(ctrl); i++) {
		struct lsi_reply_queue *rq = &ctrl->queues[i];

		irq_poll_init(&rq->iop, LSI_REPLY_BUDGET, lsi_irqpoll);
		rq->iop_on = true;
		rq->polling = false;
		rq->irq = pci_irq_vector(ctrl->pdev, i);
		ret = pci_request_irq(ctrl->pdev, i, lsi_isr, NULL, rq,
				      "lsi3108_h%u_q%u", ctrl->shost->host_no, i);
		if (ret) {
			dev_err(ctrl->dev, "cannot install the handler of reply queue %u (IRQ %d): %d\n",
				i, rq->irq, ret);
			rq->irq = 0;
			lsi_free_irqs(ctrl);
			return ret;
		}
	}
	dev_info(ctrl->dev, "%u reply queue(s) on %s, %u polled\n",
		 ctrl->nr_queues,
		 ctrl->irq_mode == LSI_IRQ_MSIX ? "MSI-X" :
		 ctrl->irq_mode == LSI_IRQ_MSI ? "MSI" : "INTx",
		 ctrl->nr_poll_queues);
	return 0;
}

/* Poll queue @rq walked or not from now on; a walk under way has ended. */
static void lsi_poll_queue_switch(struct lsi_reply_queue *rq, bool on)
{
	spin_lock(&rq->poll_lock);
	rq->poll_on = on;
	rq->sweep_index = rq->index;
	spin_unlock(&rq->poll_lock);
}

/*
 * Make sure no handler runs or will run on the reply queues: with the state
 * out of the "firmware up" states handlers return at once, those already
 * running are waited for, irq_poll is stopped (and a vector it had switched
 * off switched on again). The device's interrupts must be masked. Idempotent.
 */
void lsi_irqs_quiet(struct lsi_ctrl *ctrl)
{
	u32 i;

	for (i = 0; ctrl->queues && i < ctrl->nr_queues; i++) {
		struct lsi_reply_queue *rq = &ctrl->queues[i];

		if (i >= lsi_irq_queues(ctrl))
			lsi_poll_queue_switch(rq, false);
		if (!rq->irq)
			continue;
		synchronize_irq(rq->irq);
		if (rq->iop_on) {
			irq_poll_disable(&rq->iop);
			rq->iop_on = false;
		}
		if (rq->polling) {
			rq->polling = false;
			enable_irq(rq->irq);
		}
	}
}

/*
 * Undo lsi_irqs_quiet() once the queues are reset and the firmware is up:
 * irq_poll on, the device's interrupts unmasked.
 */
void lsi_irqs_resume(struct lsi_ctrl *ctrl)
{
	u32 i;

	for (i = 0; ctrl->queues && i < ctrl->nr_queues; i++) {
		struct lsi_reply_queue *rq = &ctrl->queues[i];

		if (rq->irq && !rq->iop_on) {
			irq_poll_enable(&rq->iop);
			rq->iop_on = true;
		}
		if (i >= lsi_irq_queues(ctrl))
			lsi_poll_queue_switch(rq, true);
	}
	lsi_intr_unmask(ctrl);
}

/* Safe to call at any stage; the device's interrupts must be masked. */
void lsi_free_irqs(struct lsi_ctrl *ctrl)
{
	u32 i;

	lsi_irqs_quiet(ctrl);
	for (i = 0; ctrl->queues && i < ctrl->nr_queues; i++) {
		struct lsi_reply_queue *rq = &ctrl->queues[i];

		if (!rq->irq)
			continue;
		pci_free_irq(ctrl->pdev, i, rq);
		rq->irq = 0;
	}
	if (ctrl->irq_mode != LSI_IRQ_NONE)
		pci_free_irq_vectors(ctrl->pdev);
	ctrl->irq_mode = LSI_IRQ_NONE;
}

/* ---- poll queues ---- */

/*
 * blk-mq's poll of hardware queue @queue_num, which is reply queue
 * @queue_num: the interrupt handlers' walker, under the queue's poll_lock.
 * A poller that finds another walking returns at once (that one takes what
 * is there); so does one while the queue is quiet (a reset, a teardown).
 * Returns the replies taken.
 */
int lsi_mq_poll(struct Scsi_Host *shost, unsigned int queue_num)
{
	struct lsi_ctrl *ctrl = shost_priv(shost);
	struct lsi_reply_queue *rq;
	int done = 0;

	if (queue_num < lsi_irq_queues(ctrl) || queue_num >= ctrl->nr_queues)
		return 0;
	rq = &ctrl->queues[queue_num];
	if (!spin_trylock(&rq->poll_lock))
		return 0;
	if (rq->poll_on) {
		done = lsi_process_replies(rq, LSI_REPLY_BUDGET);
		WRITE_ONCE(rq->polled, rq->polled + done);
	}
	spin_unlock(&rq->poll_lock);
	return done;
}

/*
 * Take the replies waiting on the poll queues that no poller will come for:
 * the firmware may complete any command on any queue it was given (a
 * non-polled command's reply, a command a task management request ended).
 * @idle_only (the watchdog, every second): only from a queue no one took a
 * reply from since the last such sweep; else (after a TM) from all.
 */
void lsi_sweep_poll_queues(struct lsi_ctrl *ctrl, bool idle_only)
{
	u32 i;

	for (i = lsi_irq_queues(ctrl); i < ctrl->nr_queues; i++) {
		struct lsi_reply_queue *rq = &ctrl->queues[i];

		if (!spin_trylock(&rq->poll_lock))
			continue;
		if (rq->poll_on && (!idle_only || rq->index == rq->sweep_index))
			lsi_process_replies(rq, ctrl->reply_depth);
		rq->sweep_index = rq->index;
		spin_unlock(&rq->poll_lock);
	}
}

/*
 * blk-mq's maps when there are poll queues: HCTX_TYPE_DEFAULT holds the
 * interrupt queues (lsi_map_queues), HCTX_TYPE_READ none, HCTX_TYPE_POLL
 * the poll queues after them, spread over the CPUs (they have no vector
 * and so no affinity).
 */
void lsi_map_poll_queues(struct Scsi_Host *shost)
{
	struct lsi_ctrl *ctrl = shost_priv(shost);
	struct blk_mq_queue_map *map = &shost->tag_set.map[HCTX_TYPE_POLL];

	shost->tag_set.map[HCTX_TYPE_READ].nr_queues = 0;
	map->nr_queues = ctrl->nr_poll_queues;
	map->queue_offset = lsi_irq_queues(ctrl);
	blk_mq_map_queues(map);
}

/* Replies mq_poll took, all poll queues together (sysfs). */
unsigned long lsi_poll_completions(struct lsi_ctrl *ctrl)
{
	unsigned long n = 0;
	u32 i;

	for (i = lsi_irq_queues(ctrl); ctrl->queues && i < ctrl->nr_queues; i++)
		n += READ_ONCE(ctrl->queues[i].polled);
	return n;
}
