// SPDX-License-Identifier: GPL-2.0-only
/*
 * Firmware events, and hot-plug of logical drives and system PDs (JBOD).
 *
 * The driver keeps one EVENT_WAIT with the firmware: "tell me about the event
 * with this sequence number or a later one". The firmware holds it until
 * such an event exists and completes it with the event's details; the driver
 * then handles the event and waits for the next number. The wait is started
 * after probe and after every reset (the reset cancels it), always from
 * event_work, which is the only place that arms it.
 *
 * The firmware's word is checked, not trusted: an event must carry the
 * number waited for or a later one (otherwise the driver resynchronises from
 * EVENT_GET_INFO), and an event that says the LDs or the system PDs changed
 * only makes the driver re-read that list, which is validated as a whole;
 * the SCSI devices are then added and removed to match it, by one helper
 * for both kinds (lsi_rescan_kind).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/moduleparam.h>
#include <linux/ratelimit.h>
#include <linux/slab.h>
#include <scsi/scsi_device.h>
#include <scsi/scsi_host.h>

#include "lsi3108.h"

/*
 * Which events are logged: those of this class and above (the firmware's
 * classes: -2 debug, -1 progress, 0 info, 1 warning, 2 critical, 3 fatal,
 * 4 dead). The name and default are megaraid_sas's event_log_level; unlike
 * it, a value out of range is refused.
 */
static int lsi_evt_log_level = LSI_EVT_CLASS_CRITICAL;

static int lsi_evt_log_level_set(const char *val, const struct kernel_param *kp)
{
	int v;

	if (kstrtoint(val, 0, &v) || v < LSI_EVT_CLASS_DEBUG ||
	    v > LSI_EVT_CLASS_DEAD) {
		pr_err("event_log_level must be -2 (debug) .. 4 (dead), not '%.*s'\n",
		       (int)strcspn(val, "\n"), val);
		return -EINVAL;
	}
	WRITE_ONCE(lsi_evt_log_level, v);
	return 0;
}

static const struct kernel_param_ops lsi_evt_log_level_ops = {
	.set	= lsi_evt_log_level_set,
	.get	= param_get_int,
};
module_param_cb(event_log_level, &lsi_evt_log_level_ops, &lsi_evt_log_level,
		0644);
MODULE_PARM_DESC(event_log_level,
		 "firmware events logged: this class and above (-2 debug, -1 progress, 0 info, 1 warning, 2 critical (default), 3 fatal, 4 dead)");

const char *lsi_evt_class_name(s8 cls)
{
	static const char * const names[] = {
		"debug", "progress", "info", "warning", "critical", "fatal",
		"dead",
	};
	int i = cls - LSI_EVT_CLASS_DEBUG;

	return i >= 0 && i < ARRAY_SIZE(names) ? names[i] : "unknown";
}

/*
 * Each group of classes has its own rate limit, so that a flood of progress
 * reports never hides a failure, nor warnings a critical event.
 */
static struct ratelimit_state *lsi_evt_ratelimit(struct lsi_ctrl *ctrl, s8 cls)
{
	if (cls >= LSI_EVT_CLASS_CRITICAL)
		return &ctrl->evt_rs[LSI_EVT_RS_FAILURE];
	if (cls >= LSI_EVT_CLASS_INFO)
		return &ctrl->evt_rs[LSI_EVT_RS_NOTICE];
	return &ctrl->evt_rs[LSI_EVT_RS_PROGRESS];
}

static const char *lsi_evt_kern_level(s8 cls)
{
	if (cls >= LSI_EVT_CLASS_FATAL)
		return KERN_CRIT;
	if (cls == LSI_EVT_CLASS_CRITICAL)
		return KERN_ERR;
	if (cls == LSI_EVT_CLASS_WARNING)
		return KERN_WARNING;
	if (cls >= LSI_EVT_CLASS_PROGRESS)
		return KERN_INFO;
	return KERN_DEBUG;
}

/* Keep the event among the last LSI_EVT_RING, for the events attribute. */
static void lsi_evt_remember(struct lsi_ctrl *ctrl, u32 seq, u32 code, s8 cls,
			     const char *desc)
{
	struct lsi_evt_record *r;

	spin_lock(&ctrl->evt_ring_lock);
	r = &ctrl->evt_ring[ctrl->evt_ring_next++ % LSI_EVT_RING];
	r->seq = seq;
	r->code = code;
	r->cls = cls;
	strscpy(r->desc, desc, sizeof(r->desc));
	spin_unlock(&ctrl->evt_ring_lock);
}

/* The kept events, oldest first: "seq class code description" lines. */
ssize_t lsi_evt_ring_show(struct lsi_ctrl *ctrl, char *buf)
{
	u32 n, i, first;
	ssize_t len = 0;

	spin_lock(&ctrl->evt_ring_lock);
	n = min_t(u32, ctrl->evt_ring_next, LSI_EVT_RING);
	first = ctrl->evt_ring_next - n;
	for (i = 0; i < n; i++) {
		const struct lsi_evt_record *r =
			&ctrl->evt_ring[(first + i) % LSI_EVT_RING];

		len += sysfs_emit_at(buf, len, "%u %s %#06x %s\n", r->seq,
				     lsi_evt_class_name(r->cls), r->code,
				     r->desc);
	}
	spin_unlock(&ctrl->evt_ring_lock);
	return len;
}

/* Log an event by its class, if event_log_level asks for it. */
static void lsi_evt_log(struct lsi_ctrl *ctrl, u32 class_locale, u32 seq,
			u32 code, const char *desc)
{
	s8 cls = (s8)(class_locale >> 24);

	if (cls < READ_ONCE(lsi_evt_log_level))
		return;
	if (!__ratelimit(lsi_evt_ratelimit(ctrl, cls)))
		return;
	dev_printk(lsi_evt_kern_level(cls), ctrl->dev,
		   "firmware event %u (%s), code %#06x: %s\n", seq,
		   lsi_evt_class_name(cls), code, desc);
}

/* The sequence number after the last kept event; 0 when none is kept. */
static u32 lsi_evt_ring_after(struct lsi_ctrl *ctrl)
{
	u32 after = 0;

	spin_lock(&ctrl->evt_ring_lock);
	if (ctrl->evt_ring_next)
		after = ctrl->evt_ring[(ctrl->evt_ring_next - 1) %
				       LSI_EVT_RING].seq + 1;
	spin_unlock(&ctrl->evt_ring_lock);
	return after;
}

/*
 * Keep @d in the events ring (what the wait and the catch-up share); its
 * description, as a string, is left in @desc for the caller's log line.
 */
static void lsi_evt_keep(struct lsi_ctrl *ctrl, const struct lsi_evt_detail *d,
			 char *desc, size_t size)
{
	lsi_fw_string(desc, size, d->description, sizeof(d->description));
	lsi_evt_remember(ctrl, le32_to_cpu(d->seq_num), le32_to_cpu(d->code),
			 (s8)(le32_to_cpu(d->class_locale) >> 24), desc);
}

/*
 * Keep one event of an EVENT_GET list; false to stop: an event logged after
 * @newest (the wait for newest + 1 delivers it) or one out of order.
 */
static bool lsi_evt_keep_logged(struct lsi_ctrl *ctrl,
				const struct lsi_evt_detail *d, u32 *next,
				u32 newest)
{
	char desc[sizeof(d->description) + 1];
	u32 seq = le32_to_cpu(d->seq_num);

	if ((s32)(seq - newest) > 0)
		return false;
	if ((s32)(seq - *next) < 0) {
		atomic_long_inc(&ctrl->bad_event_count);
		dev_warn_ratelimited(ctrl->dev, "EVENT_GET returned event %u, expected %u or later\n",
				     seq, *next);
		return false;
	}
	lsi_evt_keep(ctrl, d, desc, sizeof(desc));
	*next = seq + 1;
	return true;
}

/*
 * Bring the kept events up to @newest from the firmware's log (EVENT_GET):
 * after probe, the events logged before the driver came; after a reset, those
 * logged while no wait was armed. At most LSI_EVT_RING of them, the newest;
 * only the events attribute depends on it, so a failure costs history only.
 */
static void lsi_evt_catch_up(struct lsi_ctrl *ctrl, u32 oldest, u32 newest)
{
	u32 next = max(lsi_evt_ring_after(ctrl), oldest), i, count;
	__le32 first, cl = cpu_to_le32(LSI_EVT_CLASS_LOCALE(LSI_EVT_CLASS_DEBUG,
							     LSI_EVT_LOCALE_ALL));
	struct lsi_evt_list *l;
	struct lsi_dcmd get = {
		.opcode		= LSI_DCMD_CTRL_EVENT_GET,
		.dir		= LSI_DIR_READ,
		.len		= struct_size(l, event, LSI_EVT_RING),
		.timeout_s	= LSI_EVT_DCMD_TIMEOUT_S,
	};

	if ((s32)(newest - next) < 0)
		return;				/* nothing new, or an empty log */
	if (newest - next >= LSI_EVT_RING)
		next = newest - LSI_EVT_RING + 1;
	l = kzalloc(get.len, GFP_KERNEL);
	if (!l)
		return;
	first = cpu_to_le32(next);
	memcpy(&get.mbox[0], &first, sizeof(first));
	memcpy(&get.mbox[4], &cl, sizeof(cl));
	get.data = l;
	if (lsi_dcmd_exec(ctrl, &get)) {
		dev_dbg(ctrl->dev, "EVENT_GET from %u: MFI status %#04x\n",
			next, get.mfi_status);
		goto out;
	}
	count = le32_to_cpu(l->count);
	if (count > LSI_EVT_RING) {
		atomic_long_inc(&ctrl->bad_event_count);
		dev_warn_ratelimited(ctrl->dev, "EVENT_GET returned %u events, room for %u\n",
				     count, LSI_EVT_RING);
		goto out;
	}
	for (i = 0; i < count; i++)
		if (!lsi_evt_keep_logged(ctrl, &l->event[i], &next, newest))
			break;
out:
	kfree(l);
}

/* Learn the newest event number: the next wait is for the one after it. */
static int lsi_evt_resync(struct lsi_ctrl *ctrl)
{
	struct lsi_evt_log_info info = { };
	struct lsi_dcmd dcmd = {
		.opcode		= LSI_DCMD_CTRL_EVENT_GET_INFO,
		.dir		= LSI_DIR_READ,
		.data		= &info,
		.len		= sizeof(info),
		.timeout_s	= LSI_EVT_DCMD_TIMEOUT_S,
	};
	int ret = lsi_dcmd_exec(ctrl, &dcmd);

	if (ret) {
		dev_warn_ratelimited(ctrl->dev, "EVENT_GET_INFO failed: %d (MFI status %#04x)\n",
				     ret, dcmd.mfi_status);
		return ret;
	}
	lsi_evt_catch_up(ctrl, le32_to_cpu(info.oldest_seq_num),
			 le32_to_cpu(info.newest_seq_num));
	ctrl->evt_seq = le32_to_cpu(info.newest_seq_num) + 1;
	ctrl->evt_seq_valid = true;
	return 0;
}

/*
 * The wait ended: an event or an error (interrupt context), or a teardown
 * cancelled it (process context). Must not sleep.
 */
static void lsi_aen_done(struct lsi_ctrl *ctrl, struct lsi_icmd *ic)
{
	ctrl->evt_result = ic->result;
	ctrl->evt_status = ic->mfi_status;
	if (!ic->result && ic->mfi_status == LSI_MFI_STAT_OK)
		memcpy(&ctrl->evt, ic->data, sizeof(ctrl->evt));
	set_bit(LSI_EVT_PENDING, &ctrl->flags);
	clear_bit(LSI_AEN_ARMED, &ctrl->flags);
	if (!lsi_ctrl_ending(ctrl))
		queue_work(system_long_wq, &ctrl->event_work);
}

static void lsi_aen_arm(struct lsi_ctrl *ctrl)
{
	__le32 seq, cl = cpu_to_le32(LSI_EVT_CLASS_LOCALE(LSI_EVT_CLASS_DEBUG,
							   LSI_EVT_LOCALE_ALL));
	struct lsi_dcmd wait = {
		.opcode	= LSI_DCMD_CTRL_EVENT_WAIT,
		.dir	= LSI_DIR_READ,
		.len	= sizeof(struct lsi_evt_detail),
	};
	int ret;

	if (!ctrl->evt_seq_valid && lsi_evt_resync(ctrl))
		return;
	seq = cpu_to_le32(ctrl->evt_seq);
	memcpy(&wait.mbox[0], &seq, sizeof(seq));
	memcpy(&wait.mbox[4], &cl, sizeof(cl));
	/* Set first: the wait may end before lsi_dcmd_start() returns. */
	set_bit(LSI_AEN_ARMED, &ctrl->flags);
	ret = lsi_dcmd_start(ctrl, &wait, lsi_aen_done);
	if (ret) {
		clear_bit(LSI_AEN_ARMED, &ctrl->flags);
		dev_warn_ratelimited(ctrl->dev, "cannot wait for firmware event %u: %d\n",
				     ctrl->evt_seq, ret);
	}
}

/* Do the event's arguments open with an LD reference {target id, index}? */
static bool lsi_evt_names_ld(u8 arg_type)
{
	switch (arg_type) {
	case LSI_EVT_ARG_LD:
	case LSI_EVT_ARG_LD_COUNT:
	case LSI_EVT_ARG_LD_OWNER:
	case LSI_EVT_ARG_LD_PROG:
	case LSI_EVT_ARG_LD_STATE:
		return true;
	default:
		return false;
	}
}

/* Check the event the wait returned and decide what it asks for. */
static void lsi_event_consume(struct lsi_ctrl *ctrl)
{
	const struct lsi_evt_detail *e = &ctrl->evt;
	u32 seq = le32_to_cpu(e->seq_num);
	u32 code = le32_to_cpu(e->code);
	char desc[sizeof(e->description) + 1];

	if (!ctrl->evt_result && ctrl->evt_status == LSI_MFI_STAT_NOT_FOUND)
		return;		/* aborted before a shutdown: wait again later */
	if (ctrl->evt_result || ctrl->evt_status != LSI_MFI_STAT_OK) {
		/* Cancelled by a reset or teardown (-ENODEV), or refused. */
		if (ctrl->evt_result != -ENODEV)
			dev_warn_ratelimited(ctrl->dev, "event wait for %u ended: %d, MFI status %#04x\n",
					     ctrl->evt_seq, ctrl->evt_result,
					     ctrl->evt_status);
		ctrl->evt_seq_valid = false;
		return;
	}
	atomic_long_inc(&ctrl->event_count);
	if (!lsi_evt_seq_plausible(ctrl->evt_seq, seq)) {
		atomic_long_inc(&ctrl->bad_event_count);
		dev_warn_ratelimited(ctrl->dev, "event %u answers the wait for %u: resynchronising\n",
				     seq, ctrl->evt_seq);
		ctrl->evt_seq_valid = false;
		set_bit(LSI_EVT_RESCAN, &ctrl->flags);
		set_bit(LSI_EVT_RESCAN_PDS, &ctrl->flags);
		return;
	}
	ctrl->evt_seq = seq + 1;
	if (lsi_evt_names_ld(e->arg_type) &&
	    le16_to_cpu(e->args.ld.target_id) >= LSI_MAX_LDS) {
		atomic_long_inc(&ctrl->bad_event_count);
		dev_warn_ratelimited(ctrl->dev, "event %u (code %#06x) names LD %u, beyond %u\n",
				     seq, code, le16_to_cpu(e->args.ld.target_id),
				     LSI_MAX_LDS - 1);
	}
	lsi_evt_keep(ctrl, e, desc, sizeof(desc));
	lsi_evt_log(ctrl, le32_to_cpu(e->class_locale), seq, code, desc);
	lsi_ioc_event(ctrl, le32_to_cpu(e->class_locale));
	if (lsi_evt_changes_lds(code))
		set_bit(LSI_EVT_RESCAN, &ctrl->flags);
	if (lsi_evt_changes_pds(code))
		set_bit(LSI_EVT_RESCAN_PDS, &ctrl->flags);
	if (lsi_evt_changes_cache(code, le32_to_cpu(e->class_locale)))
		set_bit(LSI_EVT_CACHE, &ctrl->flags);
}

/*
 * A kind of SCSI device the firmware lists: LDs or system PDs. Its list
 * (read_list fills the bitmap at @present in struct lsi_ctrl, under ld_lock)
 * and where its devices sit (lsi3108.h).
 */
struct lsi_dev_kind {
	const char	*name;
	int		(*read_list)(struct lsi_ctrl *ctrl);
	size_t		present;
	unsigned int	nbits;
	unsigned int	(*channel)(unsigned int n);
	unsigned int	(*id)(unsigned int n);
};

static const struct lsi_dev_kind lsi_lds = {
	.name		= "LD",
	.read_list	= lsi_read_ld_list,
	.present	= offsetof(struct lsi_ctrl, ld_present),
	.nbits		= LSI_MAX_LDS,
	.channel	= lsi_ld_channel,
	.id		= lsi_ld_id,
};

static const struct lsi_dev_kind lsi_syspds = {
	.name		= "system PD",
	.read_list	= lsi_read_pd_list,
	.present	= offsetof(struct lsi_ctrl, pd_present),
	.nbits		= LSI_MAX_PDS,
	.channel	= lsi_pd_channel,
	.id		= lsi_pd_id,
};

static void lsi_kind_snapshot(struct lsi_ctrl *ctrl,
			      const struct lsi_dev_kind *k, unsigned long *dst)
{
	spin_lock(&ctrl->ld_lock);
	bitmap_copy(dst, (void *)ctrl + k->present, k->nbits);
	spin_unlock(&ctrl->ld_lock);
}

static void lsi_add_dev(struct lsi_ctrl *ctrl, const struct lsi_dev_kind *k,
			unsigned int n)
{
	int ret = scsi_add_device(ctrl->shost, k->channel(n), k->id(n), 0);

	if (ret)
		dev_err(ctrl->dev, "%s %u appeared but could not be added at %u:%u:%u:0: %d\n",
			k->name, n, ctrl->shost->host_no, k->channel(n), k->id(n),
			ret);
	else
		dev_info(ctrl->dev, "%s %u added\n", k->name, n);
}

static void lsi_remove_dev(struct lsi_ctrl *ctrl, const struct lsi_dev_kind *k,
			   unsigned int n)
{
	struct scsi_device *sdev = scsi_device_lookup(ctrl->shost, k->channel(n),
						      k->id(n), 0);

	if (!sdev)
		return;
	scsi_remove_device(sdev);
	scsi_device_put(sdev);
	dev_info(ctrl->dev, "%s %u removed\n", k->name, n);
}

/* Make the SCSI devices of one kind match the firmware's list of them. */
static void lsi_rescan_kind(struct lsi_ctrl *ctrl, const struct lsi_dev_kind *k)
{
	unsigned long *old, *now;
	unsigned int n, tries;
	int ret = -EPROTO;

	old = bitmap_zalloc(k->nbits, GFP_KERNEL);
	now = bitmap_zalloc(k->nbits, GFP_KERNEL);
	if (!old || !now)
		goto out;
	lsi_kind_snapshot(ctrl, k, old);
	for (tries = 0; tries < LSI_RESCAN_TRIES && ret < 0; tries++)
		ret = k->read_list(ctrl);
	if (ret < 0) {
		dev_err_ratelimited(ctrl->dev, "no usable %s list after %u tries (%d): keeping the %ss as they are\n",
				    k->name, tries, ret, k->name);
		goto out;
	}
	lsi_kind_snapshot(ctrl, k, now);

	for_each_set_bit(n, now, k->nbits)
		if (!test_bit(n, old))
			lsi_add_dev(ctrl, k, n);
	for_each_set_bit(n, old, k->nbits)
		if (!test_bit(n, now))
			lsi_remove_dev(ctrl, k, n);
out:
	bitmap_free(old);
	bitmap_free(now);
}

static void lsi_event_work(struct work_struct *work)
{
	struct lsi_ctrl *ctrl = container_of(work, struct lsi_ctrl, event_work);

	if (lsi_ctrl_ending(ctrl))
		return;
	if (test_and_clear_bit(LSI_EVT_PENDING, &ctrl->flags))
		lsi_event_consume(ctrl);
	/* Not LIVE: the reset that is under way calls lsi_events_start(). */
	if (READ_ONCE(ctrl->state) != LSI_CTRL_LIVE)
		return;
	/* New LDs need a flush mode too. */
	if (test_and_clear_bit(LSI_EVT_RESCAN, &ctrl->flags)) {
		lsi_rescan_kind(ctrl, &lsi_lds);
		set_bit(LSI_EVT_CACHE, &ctrl->flags);
	}
	if (test_and_clear_bit(LSI_EVT_RESCAN_PDS, &ctrl->flags))
		lsi_rescan_kind(ctrl, &lsi_syspds);
	if (test_and_clear_bit(LSI_EVT_CACHE, &ctrl->flags))
		lsi_cache_refresh(ctrl);
	if (!test_bit(LSI_AEN_ARMED, &ctrl->flags))
		lsi_aen_arm(ctrl);
}

/*
 * After probe (no rescan: the host scan does it), after every reset and on
 * a rescan request (LDs and system PDs); the cache policies are read again
 * either way.
 */
void lsi_events_start(struct lsi_ctrl *ctrl, bool rescan)
{
	if (rescan) {
		set_bit(LSI_EVT_RESCAN, &ctrl->flags);
		set_bit(LSI_EVT_RESCAN_PDS, &ctrl->flags);
	}
	set_bit(LSI_EVT_CACHE, &ctrl->flags);
	if (!lsi_ctrl_ending(ctrl))
		queue_work(system_long_wq, &ctrl->event_work);
}

void lsi_event_init(struct lsi_ctrl *ctrl)
{
	spin_lock_init(&ctrl->evt_ring_lock);
	/* critical and above; info and warning; progress and debug */
	ratelimit_state_init(&ctrl->evt_rs[LSI_EVT_RS_FAILURE], 5 * HZ, 20);
	ratelimit_state_init(&ctrl->evt_rs[LSI_EVT_RS_NOTICE], 5 * HZ, 10);
	ratelimit_state_init(&ctrl->evt_rs[LSI_EVT_RS_PROGRESS], 30 * HZ, 2);
	INIT_WORK(&ctrl->event_work, lsi_event_work);
}
