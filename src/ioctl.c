// SPDX-License-Identifier: GPL-2.0-only
/*
 * The megaraid management ioctl: the character device smartctl and
 * storcli-class tools talk to (include/lsi3108_ioctl.h has the user ABI).
 *
 * A tool finds "megaraid_sas_ioctl" in /proc/devices, makes
 * /dev/megaraid_sas_ioctl_node from its major and sends MFI frames it built
 * itself: DCMDs (controller, LD, PD, BBU queries), SCSI pass-through to a PD
 * or an LD, SMP/STP to expanders and SATA disks. The driver's part:
 *
 *   - who: CAP_SYS_ADMIN, at open (as megaraid_sas) and again at each
 *     ioctl (a descriptor handed to an unprivileged process is no key);
 *   - which controller: the packet's host_no, one of ours;
 *   - what: every field is checked before anything is allocated
 *     (lsi_ioc_check, proto.c): the frame's command class, the DCMDs
 *     the driver keeps for itself, the SGE count, each buffer's length
 *     and their sum, where in the frame the SGL and the sense address go;
 *   - the data: each user buffer is copied into a DMA buffer of its own
 *     (a bounce buffer), the driver writes the frame's SGL, SGE count,
 *     context and sense address itself, so the firmware reaches only
 *     memory the driver gave it;
 *   - the run: on an internal command slot (icmd.c), like the driver's own
 *     DCMDs, with a timeout; at most LSI_IOC_MAX_ACTIVE at a time per
 *     controller, so the driver's own commands always find a slot. The
 *     ioctl holds no lock a reset takes: a reset cancels the slot and the
 *     ioctl ends with -ENODEV. If the firmware does not answer in time
 *     (ioctl_timeout, 180 s by default as megaraid_sas), the controller is
 *     reset (the slot and its buffers are the firmware's until then) and
 *     the ioctl ends with -ETIMEDOUT;
 *   - the answer: the buffers are copied back, the sense (at most the
 *     length asked for, from a zeroed buffer) and the frame's cmd_status.
 *
 * Both megaraid_sas and lsi3108 register a character device named
 * megaraid_sas_ioctl, each with its own dynamic major; /proc/devices then
 * lists both, and a tool uses the first it finds. Each driver answers only
 * for its own hosts (-ENODEV for another's host_no), so with both loaded the
 * tools see the controllers of one driver: docs/driver.md, "Management
 * ioctl".
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/compat.h>
#include <linux/dma-mapping.h>
#include <linux/fs.h>
#include <linux/jiffies.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <scsi/scsi_host.h>

#include "lsi3108.h"

static_assert(sizeof(struct lsi_iocpacket64) == 404);
static_assert(sizeof(struct lsi_iocpacket32) == 276);
static_assert(sizeof(struct lsi_ioc_aen) == 12);

static unsigned int lsi_ioc_timeout = LSI_IOC_TIMEOUT_S;

static int lsi_ioc_timeout_set(const char *val, const struct kernel_param *kp)
{
	return lsi_param_set_seconds(val, kp, LSI_IOC_TIMEOUT_MIN_S,
				     LSI_IOC_TIMEOUT_MAX_S);
}

static const struct kernel_param_ops lsi_ioc_timeout_ops = {
	.set	= lsi_ioc_timeout_set,
	.get	= param_get_uint,
};
module_param_cb(ioctl_timeout, &lsi_ioc_timeout_ops, &lsi_ioc_timeout, 0644);
MODULE_PARM_DESC(ioctl_timeout,
		 "seconds the firmware has to answer a management (ioctl) frame before the controller is reset (10-3600, default 180)");

static int lsi_ioc_major = -1;
static DEFINE_MUTEX(lsi_ioc_lock);	/* lsi_ioc_ctrls */
static LIST_HEAD(lsi_ioc_ctrls);
static struct fasync_struct *lsi_ioc_async;
static DEFINE_SPINLOCK(lsi_ioc_async_lock);	/* the AEN wishes */

/* A packet as the driver uses it, from either layout. */
struct lsi_ioc_req {
	struct lsi_ioc_head	head;
	void __user		*ubuf[LSI_IOC_MAX_SGE];
	u32			len[LSI_IOC_MAX_SGE];
	bool			compat;		/* 32-bit process */
};

/* The bounce buffers of one request. */
struct lsi_ioc_bufs {
	void			*va[LSI_IOC_MAX_SGE];
	dma_addr_t		dma[LSI_IOC_MAX_SGE];
	void			*sense;
	dma_addr_t		sense_dma;
};

/* ---- copying the packet in ---- */

static int lsi_ioc_read64(struct lsi_ioc_req *req, void __user *arg)
{
	struct lsi_iocpacket64 *p = memdup_user(arg, sizeof(*p));
	u32 i;

	if (IS_ERR(p))
		return PTR_ERR(p);
	req->head = p->head;
	for (i = 0; i < LSI_IOC_MAX_SGE; i++) {
		req->ubuf[i] = u64_to_user_ptr(p->sgl[i].base);
		/* Anything above the limit is refused by lsi_ioc_check(). */
		req->len[i] = min_t(u64, p->sgl[i].len, LSI_IOC_MAX_BUF + 1);
	}
	kfree(p);
	return 0;
}

static int lsi_ioc_read32(struct lsi_ioc_req *req, void __user *arg)
{
	struct lsi_iocpacket32 *p = memdup_user(arg, sizeof(*p));
	u32 i;

	if (IS_ERR(p))
		return PTR_ERR(p);
	req->head = p->head;
	for (i = 0; i < LSI_IOC_MAX_SGE; i++) {
		req->ubuf[i] = compat_ptr(p->sgl[i].base);
		req->len[i] = min_t(u32, p->sgl[i].len, LSI_IOC_MAX_BUF + 1);
	}
	kfree(p);
	return 0;
}

/* The user's sense buffer: the pointer the tool left at sense_off. */
static void __user *lsi_ioc_sense_ptr(const struct lsi_ioc_req *req)
{
	const u8 *at = req->head.frame + req->head.sense_off;
	__le64 p64;
	__le32 p32;

	if (req->compat) {
		memcpy(&p32, at, sizeof(p32));
		return compat_ptr(le32_to_cpu(p32));
	}
	memcpy(&p64, at, sizeof(p64));
	return u64_to_user_ptr(le64_to_cpu(p64));
}

/* ---- the controllers ---- */

/*
 * The controller with SCSI host number @host_no, held against removal
 * (ioctl_rwsem, read) until lsi_ioc_put(); NULL if none of ours.
 */
static struct lsi_ctrl *lsi_ioc_get(u16 host_no)
{
	struct lsi_ctrl *ctrl, *found = NULL;

	mutex_lock(&lsi_ioc_lock);
	list_for_each_entry(ctrl, &lsi_ioc_ctrls, ioc_node) {
		if (ctrl->shost->host_no == host_no) {
			down_read(&ctrl->ioc_rwsem);
			found = ctrl;
			break;
		}
	}
	mutex_unlock(&lsi_ioc_lock);
	return found;
}

static void lsi_ioc_put(struct lsi_ctrl *ctrl)
{
	up_read(&ctrl->ioc_rwsem);
}

void lsi_ioc_attach(struct lsi_ctrl *ctrl)
{
	mutex_lock(&lsi_ioc_lock);
	list_add_tail(&ctrl->ioc_node, &lsi_ioc_ctrls);
	mutex_unlock(&lsi_ioc_lock);
}

/*
 * Removal, after the firmware is down (every slot cancelled): no new
 * ioctl finds the controller, and the ones under way have ended.
 */
void lsi_ioc_detach(struct lsi_ctrl *ctrl)
{
	mutex_lock(&lsi_ioc_lock);
	list_del_init(&ctrl->ioc_node);
	mutex_unlock(&lsi_ioc_lock);
	down_write(&ctrl->ioc_rwsem);
	up_write(&ctrl->ioc_rwsem);
}

void lsi_ioc_ctrl_init(struct lsi_ctrl *ctrl)
{
	INIT_LIST_HEAD(&ctrl->ioc_node);
	init_rwsem(&ctrl->ioc_rwsem);
	sema_init(&ctrl->ioc_active, LSI_IOC_MAX_ACTIVE);
	ctrl->aen_class_locale = 0;
	ctrl->aen_wanted = false;
}

/* ---- bounce buffers ---- */

static void lsi_ioc_free_bufs(struct lsi_ctrl *ctrl,
			      const struct lsi_ioc_req *req,
			      struct lsi_ioc_bufs *b)
{
	u32 i;

	for (i = 0; i < req->head.sge_count; i++)
		if (b->va[i])
			dma_free_coherent(ctrl->dev, req->len[i], b->va[i],
					  b->dma[i]);
	if (b->sense)
		dma_free_coherent(ctrl->dev, req->head.sense_len, b->sense,
				  b->sense_dma);
}

/* Zeroed DMA buffers, filled from the user's (whatever the direction). */
static int lsi_ioc_alloc_bufs(struct lsi_ctrl *ctrl,
			      const struct lsi_ioc_req *req,
			      struct lsi_ioc_bufs *b)
{
	u32 i;

	for (i = 0; i < req->head.sge_count; i++) {
		if (!req->len[i])
			continue;
		b->va[i] = dma_alloc_coherent(ctrl->dev, req->len[i],
					      &b->dma[i], GFP_KERNEL);
		if (!b->va[i])
			return -ENOMEM;
		if (copy_from_user(b->va[i], req->ubuf[i], req->len[i]))
			return -EFAULT;
	}
	if (req->head.sense_len) {
		b->sense = dma_alloc_coherent(ctrl->dev, req->head.sense_len,
					      &b->sense_dma, GFP_KERNEL);
		if (!b->sense)
			return -ENOMEM;
	}
	return 0;
}

static int lsi_ioc_copy_out(const struct lsi_ioc_req *req,
			    const struct lsi_ioc_bufs *b, void __user *arg,
			    u8 cmd_status)
{
	u32 i;

	for (i = 0; i < req->head.sge_count; i++)
		if (req->len[i] &&
		    copy_to_user(req->ubuf[i], b->va[i], req->len[i]))
			return -EFAULT;
	if (req->head.sense_len &&
	    copy_to_user(lsi_ioc_sense_ptr(req), b->sense, req->head.sense_len))
		return -EFAULT;
	if (copy_to_user(arg + LSI_IOC_CMD_STATUS_OFF, &cmd_status, 1))
		return -EFAULT;
	return 0;
}

/* ---- the run ---- */

/*
 * The tool's frame in the slot's MFI area, with what the driver owns
 * written over it: context, status, 64-bit SGL and sense flags, the SGL and
 * its count, the sense address and length (none: no sense address at all).
 */
static void lsi_ioc_build(struct lsi_ctrl *ctrl, struct lsi_icmd *ic,
			  const struct lsi_ioc_req *req,
			  const struct lsi_ioc_bufs *b)
{
	struct lsi_mfi_header *hdr = &ic->mfi->hdr;
	u8 *frame = (u8 *)ic->mfi;
	u16 flags;
	u32 i;

	memset(frame, 0, LSI_MFI_FRAME_SIZE);
	memcpy(frame, req->head.frame, LSI_IOC_FRAME_SIZE);
	hdr->context = cpu_to_le32(ic->smid);
	hdr->pad0 = 0;
	hdr->cmd_status = LSI_MFI_STAT_INVALID_STATUS;
	flags = le16_to_cpu(hdr->flags) & ~LSI_MFI_FLAG_IEEE_SGL;
	hdr->flags = cpu_to_le16(flags | LSI_MFI_FLAG_SGL64 |
				 LSI_MFI_FLAG_SENSE64);
	hdr->sge_count = req->head.sge_count;
	for (i = 0; i < req->head.sge_count; i++) {
		struct lsi_mfi_sge64 sge = {
			.addr_lo = cpu_to_le32(lower_32_bits(b->dma[i])),
			.addr_hi = cpu_to_le32(upper_32_bits(b->dma[i])),
			.length = cpu_to_le32(req->len[i]),
		};

		memcpy(frame + req->head.sgl_off + i * sizeof(sge), &sge,
		       sizeof(sge));
	}
	hdr->sense_len = req->head.sense_len;
	if (req->head.sense_len) {
		__le64 sense = cpu_to_le64(b->sense_dma);

		memcpy(frame + req->head.sense_off, &sense, sizeof(sense));
	} else if (hdr->cmd == LSI_MFI_CMD_LD_SCSI_IO ||
		   hdr->cmd == LSI_MFI_CMD_PD_SCSI_IO) {
		struct lsi_mfi_pthru_frame *pt = (void *)frame;

		pt->sense_addr_lo = 0;
		pt->sense_addr_hi = 0;
	}
	lsi_build_mfi_passthru(lsi_frame(ctrl, ic->smid), ic->mfi_dma,
			       LSI_MFI_FRAME_SIZE);
}

static bool lsi_ioc_slot_back(struct lsi_ctrl *ctrl, struct lsi_icmd *ic,
			      u32 releases)
{
	bool back;

	spin_lock_irq(&ctrl->icmd_lock);
	back = ic->releases != releases;
	spin_unlock_irq(&ctrl->icmd_lock);
	return back;
}

/*
 * The firmware kept the frame past the timeout: reset the controller, which
 * cancels the slot, and wait for that. Returns false if the slot never came
 * back: its buffers are then left to the firmware (never freed).
 */
static bool lsi_ioc_reclaim(struct lsi_ctrl *ctrl, struct lsi_icmd *ic,
			    u32 releases, unsigned int timeout)
{
	dev_err(ctrl->dev, "ioctl frame (MFI command %#04x) not answered in %u s: resetting the controller\n",
		ic->mfi->hdr.cmd, timeout);
	lsi_request_reset(ctrl, "an ioctl frame was not answered");
	if (wait_event_timeout(ctrl->icmd_wait,
			       lsi_ioc_slot_back(ctrl, ic, releases),
			       LSI_IOC_RECLAIM_S * HZ))
		return true;
	dev_err(ctrl->dev, "ioctl slot still with the firmware: leaving its buffers to it\n");
	return false;
}

/*
 * Run a checked request on an internal slot. Returns 0 with *status set,
 * -ENODEV if the firmware is not up or a reset cancelled the frame,
 * -ETIMEDOUT, -EBUSY if no slot freed up; *keep is set if the buffers must
 * not be freed.
 */
static int lsi_ioc_run(struct lsi_ctrl *ctrl, const struct lsi_ioc_req *req,
		       const struct lsi_ioc_bufs *b, u8 *status, bool *keep)
{
	unsigned int timeout = READ_ONCE(lsi_ioc_timeout);
	struct lsi_icmd *ic;
	u32 releases;
	int ret;

	if (!lsi_fw_up(ctrl))
		return -ENODEV;
	ic = lsi_icmd_get(ctrl, LSI_IOC_SLOT_WAIT_S * HZ, "ioctl");
	if (!ic)
		return -EBUSY;
	lsi_icmd_prepare(ic, NULL, false);
	lsi_ioc_build(ctrl, ic, req, b);
	releases = ic->releases;
	ret = lsi_icmd_issue(ctrl, ic, LSI_REQ_DESC_SCSI_IO, timeout * HZ);
	if (ret == -ETIMEDOUT) {
		*keep = !lsi_ioc_reclaim(ctrl, ic, releases, timeout);
		return ret;
	}
	if (ret)
		return ret;
	ret = ic->result;
	*status = ic->mfi_status;
	lsi_icmd_put(ctrl, ic);
	return ret;
}

static int lsi_ioc_firmware(void __user *arg, bool compat)
{
	struct lsi_ioc_bufs bufs = { };
	struct lsi_ioc_req *req;
	struct lsi_ctrl *ctrl;
	u8 status = LSI_MFI_STAT_INVALID_STATUS;
	bool keep = false;
	const char *why;
	int ret;

	req = kzalloc(sizeof(*req), GFP_KERNEL);
	if (!req)
		return -ENOMEM;
	req->compat = compat;
	ret = compat ? lsi_ioc_read32(req, arg) : lsi_ioc_read64(req, arg);
	if (ret)
		goto out;
	ctrl = lsi_ioc_get(req->head.host_no);
	if (!ctrl) {
		ret = -ENODEV;
		goto out;
	}
	why = lsi_ioc_check(&req->head, req->len);
	if (why) {
		dev_warn_ratelimited(ctrl->dev, "ioctl frame refused: %s\n", why);
		ret = -EINVAL;
		goto put;
	}
	if (down_interruptible(&ctrl->ioc_active)) {
		ret = -ERESTARTSYS;
		goto put;
	}
	ret = lsi_ioc_alloc_bufs(ctrl, req, &bufs);
	if (!ret)
		ret = lsi_ioc_run(ctrl, req, &bufs, &status, &keep);
	if (!ret)
		ret = lsi_ioc_copy_out(req, &bufs, arg, status);
	if (!keep)
		lsi_ioc_free_bufs(ctrl, req, &bufs);
	up(&ctrl->ioc_active);
put:
	lsi_ioc_put(ctrl);
out:
	kfree(req);
	return ret;
}

/* ---- events for the tools ---- */

/* The file has asked for SIGIO (fasync): GET_AEN is for such files only. */
static int lsi_ioc_fasync(int fd, struct file *file, int on)
{
	int ret = fasync_helper(fd, file, on, &lsi_ioc_async);

	if (ret < 0)
		return ret;
	file->private_data = on ? file : NULL;
	return 0;
}

/*
 * Widen what the tools are told about: the lowest class and the union of
 * the locales any tool asked for (the firmware's own rule for merged
 * waits). The driver's own wait already covers every event.
 */
static int lsi_ioc_get_aen(struct file *file, void __user *arg)
{
	struct lsi_ioc_aen aen;
	struct lsi_ctrl *ctrl;
	s8 cls, want_cls;
	u16 loc;

	if (file->private_data != file)
		return -EINVAL;		/* no fasync: nobody to signal */
	if (copy_from_user(&aen, arg, sizeof(aen)))
		return -EFAULT;
	ctrl = lsi_ioc_get(aen.host_no);
	if (!ctrl)
		return -ENODEV;
	cls = (s8)(aen.class_locale >> 24);
	loc = aen.class_locale & 0xffff;
	if (cls < LSI_EVT_CLASS_DEBUG || cls > LSI_EVT_CLASS_DEAD) {
		lsi_ioc_put(ctrl);
		return -EINVAL;
	}
	spin_lock_irq(&lsi_ioc_async_lock);
	if (ctrl->aen_wanted) {
		want_cls = (s8)(ctrl->aen_class_locale >> 24);
		cls = min(cls, want_cls);
		loc |= ctrl->aen_class_locale & 0xffff;
	}
	ctrl->aen_class_locale = LSI_EVT_CLASS_LOCALE(cls, loc);
	ctrl->aen_wanted = true;
	spin_unlock_irq(&lsi_ioc_async_lock);
	lsi_ioc_put(ctrl);
	return 0;
}

/* An event the driver took from the firmware: SIGIO if a tool wants it. */
void lsi_ioc_event(struct lsi_ctrl *ctrl, u32 class_locale)
{
	s8 cls = (s8)(class_locale >> 24);
	bool signal = false;
	unsigned long flags;

	spin_lock_irqsave(&lsi_ioc_async_lock, flags);
	if (ctrl->aen_wanted)
		signal = cls >= (s8)(ctrl->aen_class_locale >> 24) &&
			 (class_locale & ctrl->aen_class_locale & 0xffff);
	spin_unlock_irqrestore(&lsi_ioc_async_lock, flags);
	if (signal)
		kill_fasync(&lsi_ioc_async, SIGIO, POLL_IN);
}

/* ---- the character device ---- */

static int lsi_ioc_open(struct inode *inode, struct file *file)
{
	if (!capable(CAP_SYS_ADMIN))
		return -EACCES;		/* as megaraid_sas answers */
	return 0;
}

static int lsi_ioc_release(struct inode *inode, struct file *file)
{
	fasync_helper(-1, file, 0, &lsi_ioc_async);
	return 0;
}

static long lsi_ioc_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg, bool compat)
{
	void __user *uarg = compat ? compat_ptr(arg) : (void __user *)arg;
	unsigned int native = IS_ENABLED(CONFIG_64BIT) ? LSI_IOC_FIRMWARE64 :
							 LSI_IOC_FIRMWARE32;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (cmd == LSI_IOC_GET_AEN)
		return lsi_ioc_get_aen(file, uarg);
	if (compat && cmd == LSI_IOC_FIRMWARE32)
		return lsi_ioc_firmware(uarg, true);
	if (!compat && cmd == native)
		return lsi_ioc_firmware(uarg, !IS_ENABLED(CONFIG_64BIT));
	return -ENOTTY;
}

static long lsi_ioc_unlocked_ioctl(struct file *file, unsigned int cmd,
				   unsigned long arg)
{
	return lsi_ioc_ioctl(file, cmd, arg, false);
}

#ifdef CONFIG_COMPAT
static long lsi_ioc_compat_ioctl(struct file *file, unsigned int cmd,
				 unsigned long arg)
{
	return lsi_ioc_ioctl(file, cmd, arg, true);
}
#endif

static const struct file_operations lsi_ioc_fops = {
	.owner		= THIS_MODULE,
	.open		= lsi_ioc_open,
	.release	= lsi_ioc_release,
	.fasync		= lsi_ioc_fasync,
	.unlocked_ioctl	= lsi_ioc_unlocked_ioctl,
#ifdef CONFIG_COMPAT
	.compat_ioctl	= lsi_ioc_compat_ioctl,
#endif
	.llseek		= noop_llseek,
};

int lsi_ioc_register(void)
{
	int major = register_chrdev(0, LSI_IOC_CHRDEV_NAME, &lsi_ioc_fops);

	if (major < 0) {
		pr_err("cannot register the %s character device: %d\n",
		       LSI_IOC_CHRDEV_NAME, major);
		return major;
	}
	lsi_ioc_major = major;
	return 0;
}

void lsi_ioc_unregister(void)
{
	if (lsi_ioc_major >= 0)
		unregister_chrdev(lsi_ioc_major, LSI_IOC_CHRDEV_NAME);
	lsi_ioc_major = -1;
}
