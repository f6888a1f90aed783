// SPDX-License-Identifier: GPL-2.0-only
/*
 * Scsi_Host attributes: /sys/class/scsi_host/hostN/{product, serial,
 * fw_version, fw_package, fw_state, ctrl_state, sync_cache_mode,
 * reply_queues, poll_queues, poll_completion_count} and the
 * recovery counters {reset_count, abort_count, lun_reset_count,
 * target_reset_count, bad_reply_count, other_queue_reply_count,
 * bad_event_count, event_count, bbu}; writing 1 to rescan re-reads the LD
 * and system PD lists. Identity strings come from CTRL_GET_INFO; fw_state
 * reads the firmware's status register now.
 *
 * Per LD, /sys/class/scsi_device/H:C:T:0/device/lsi3108_flush_mode: what a
 * SYNCHRONIZE CACHE to it becomes (cache.c): flush-dcmd, firmware or
 * complete; lsi3108_ld_target and the LD's state from the firmware. Per
 * system PD, lsi3108_pd_id: its device id; the LD attributes are not there
 * (what the device is comes from its struct lsi_sdev). hostN/pds and
 * H:C:T:L/lsi3108_ld_pds: the PDs (pd.c).
 */
#include <linux/device.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <scsi/scsi_device.h>
#include <scsi/scsi_host.h>

#include "lsi3108.h"

static struct lsi_ctrl *lsi_dev_ctrl(struct device *dev)
{
	return shost_priv(class_to_shost(dev));
}

static ssize_t product_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%s\n", lsi_dev_ctrl(dev)->product);
}
static DEVICE_ATTR_RO(product);

static ssize_t serial_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%s\n", lsi_dev_ctrl(dev)->serial);
}
static DEVICE_ATTR_RO(serial);

static ssize_t fw_version_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", lsi_dev_ctrl(dev)->fw_version);
}
static DEVICE_ATTR_RO(fw_version);

static ssize_t fw_package_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", lsi_dev_ctrl(dev)->fw_package);
}
static DEVICE_ATTR_RO(fw_package);

static ssize_t fw_state_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  lsi_fw_state_name(lsi_read_pad0(lsi_dev_ctrl(dev))));
}
static DEVICE_ATTR_RO(fw_state);

static ssize_t ctrl_state_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  lsi_ctrl_state_name(READ_ONCE(lsi_dev_ctrl(dev)->state)));
}
static DEVICE_ATTR_RO(ctrl_state);

/* "firmware": SYNCHRONIZE CACHE is forwarded; "flush-dcmd": translated. */
static ssize_t sync_cache_mode_show(struct device *dev,
				    struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", lsi_dev_ctrl(dev)->fw_sync_cache ?
			  "firmware" : "flush-dcmd");
}
static DEVICE_ATTR_RO(sync_cache_mode);

/* The BBU / CacheVault as last read: protecting, not-protecting, absent... */
static ssize_t bbu_show(struct device *dev, struct device_attribute *attr,
			char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  lsi_bbu_name(READ_ONCE(lsi_dev_ctrl(dev)->bbu)));
}
static DEVICE_ATTR_RO(bbu);

/* Reply queues the firmware was given; of them, the last poll_queues polled. */
static ssize_t reply_queues_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", lsi_dev_ctrl(dev)->nr_queues);
}
static DEVICE_ATTR_RO(reply_queues);

static ssize_t poll_queues_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", lsi_dev_ctrl(dev)->nr_poll_queues);
}
static DEVICE_ATTR_RO(poll_queues);

/* Replies blk-mq's polling took from the poll queues (queue.c). */
static ssize_t poll_completion_count_show(struct device *dev,
					  struct device_attribute *attr,
					  char *buf)
{
	return sysfs_emit(buf, "%lu\n",
			  lsi_poll_completions(lsi_dev_ctrl(dev)));
}
static DEVICE_ATTR_RO(poll_completion_count);

/* The last firmware events taken, oldest first (event.c). */
static ssize_t events_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	return lsi_evt_ring_show(lsi_dev_ctrl(dev), buf);
}
static DEVICE_ATTR_RO(events);

/* The firmware's physical disks, one per line (pd.c). */
static ssize_t pds_show(struct device *dev, struct device_attribute *attr,
			char *buf)
{
	return lsi_pds_show(lsi_dev_ctrl(dev), buf);
}
static DEVICE_ATTR_RO(pds);

/* Write 1: re-read the LD and system PD lists, add/remove disks to match. */
static ssize_t rescan_store(struct device *dev, struct device_attribute *attr,
			    const char *buf, size_t count)
{
	struct lsi_ctrl *ctrl = lsi_dev_ctrl(dev);
	bool yes;

	if (kstrtobool(buf, &yes) || !yes)
		return -EINVAL;
	if (READ_ONCE(ctrl->state) != LSI_CTRL_LIVE)
		return -EBUSY;
	lsi_events_start(ctrl, true);
	return count;
}
static DEVICE_ATTR_WO(rescan);

/* A counter of struct lsi_ctrl, by its offset. */
struct lsi_counter_attr {
	struct device_attribute	attr;
	size_t			offset;
};

static ssize_t lsi_counter_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	struct lsi_counter_attr *ca = container_of(attr, struct lsi_counter_attr,
						   attr);
	atomic_long_t *counter = (void *)lsi_dev_ctrl(dev) + ca->offset;

	return sysfs_emit(buf, "%ld\n", atomic_long_read(counter));
}

/*
 * reset_count: completed controller resets (OCR, host reset, PCI function
 * reset); abort_count: ABORT TASK requests sent; lun_reset_count: LUN RESET
 * requests sent; target_reset_count: TARGET RESET requests sent;
 * bad_reply_count: reply descriptors rejected; other_queue_reply_count:
 * replies taken on a queue other than the one the command named;
 * bad_event_count: events and
 * LD lists rejected; event_count: firmware events received.
 */
static struct lsi_counter_attr lsi_counters[] = {
	{ __ATTR(reset_count, 0444, lsi_counter_show, NULL),
	  offsetof(struct lsi_ctrl, reset_count) },
	{ __ATTR(abort_count, 0444, lsi_counter_show, NULL),
	  offsetof(struct lsi_ctrl, abort_count) },
	{ __ATTR(lun_reset_count, 0444, lsi_counter_show, NULL),
	  offsetof(struct lsi_ctrl, lun_reset_count) },
	{ __ATTR(target_reset_count, 0444, lsi_counter_show, NULL),
	  offsetof(struct lsi_ctrl, target_reset_count) },
	{ __ATTR(bad_reply_count, 0444, lsi_counter_show, NULL),
	  offsetof(struct lsi_ctrl, bad_reply_count) },
	{ __ATTR(other_queue_reply_count, 0444, lsi_counter_show, NULL),
	  offsetof(struct lsi_ctrl, other_queue_reply_count) },
	{ __ATTR(bad_event_count, 0444, lsi_counter_show, NULL),
	  offsetof(struct lsi_ctrl, bad_event_count) },
	{ __ATTR(event_count, 0444, lsi_counter_show, NULL),
	  offsetof(struct lsi_ctrl, event_count) },
};

static struct attribute *lsi_host_attrs[] = {
	&dev_attr_product.attr,
	&dev_attr_serial.attr,
	&dev_attr_fw_version.attr,
	&dev_attr_fw_package.attr,
	&dev_attr_fw_state.attr,
	&dev_attr_ctrl_state.attr,
	&dev_attr_sync_cache_mode.attr,
	&dev_attr_bbu.attr,
	&dev_attr_reply_queues.attr,
	&dev_attr_poll_queues.attr,
	&dev_attr_poll_completion_count.attr,
	&dev_attr_events.attr,
	&dev_attr_pds.attr,
	&dev_attr_rescan.attr,
	&lsi_counters[0].attr.attr,
	&lsi_counters[1].attr.attr,
	&lsi_counters[2].attr.attr,
	&lsi_counters[3].attr.attr,
	&lsi_counters[4].attr.attr,
	&lsi_counters[5].attr.attr,
	&lsi_counters[6].attr.attr,
	&lsi_counters[7].attr.attr,
	NULL,
};

static const struct attribute_group lsi_host_group = {
	.attrs = lsi_host_attrs,
};

const struct attribute_group *lsi_host_groups[] = {
	&lsi_host_group,
	NULL,
};

/* The device's struct lsi_sdev: what slave_alloc found it to be. */
static const struct lsi_sdev *lsi_dev_sdev(struct device *dev)
{
	return to_scsi_device(dev)->hostdata;
}

static ssize_t lsi3108_flush_mode_show(struct device *dev,
				       struct device_attribute *attr, char *buf)
{
	struct scsi_device *sdev = to_scsi_device(dev);
	struct lsi_ctrl *ctrl = shost_priv(sdev->host);
	unsigned int target = lsi_dev_sdev(dev)->dev_id;

	return sysfs_emit(buf, "%s\n",
			  lsi_flush_mode_name(lsi_flush_mode_of(ctrl, target)));
}
static DEVICE_ATTR_RO(lsi3108_flush_mode);

/*
 * What the firmware says of the LD now (LD_GET_INFO, read at each show):
 * RAID level, state, cache policies. -EIO if it does not answer.
 */
static int lsi_sdev_ld_info(struct device *dev, struct lsi_ld_info *info)
{
	struct scsi_device *sdev = to_scsi_device(dev);
	struct lsi_ctrl *ctrl = shost_priv(sdev->host);
	unsigned int target = lsi_dev_sdev(dev)->dev_id;
	struct lsi_dcmd dcmd = {
		.opcode	= LSI_DCMD_LD_GET_INFO,
		.mbox	= { target },
		.dir	= LSI_DIR_READ,
		.data	= info,
		.len	= sizeof(*info),
		.timeout_s = LSI_EVT_DCMD_TIMEOUT_S,
	};
	int ret;

	if (target >= LSI_MAX_LDS)
		return -ENODEV;
	ret = lsi_dcmd_exec(ctrl, &dcmd);
	if (ret)
		return ret;
	return info->properties.target_id == target ? 0 : -EIO;
}

static ssize_t lsi_sdev_ld_show(struct device *dev, char *buf,
				ssize_t (*fmt)(const struct lsi_ld_info *info,
					       char *buf))
{
	struct lsi_ld_info *info = kzalloc(sizeof(*info), GFP_KERNEL);
	ssize_t ret;

	if (!info)
		return -ENOMEM;
	ret = lsi_sdev_ld_info(dev, info);
	if (!ret)
		ret = fmt(info, buf);
	kfree(info);
	return ret;
}

/* RAID 1 (or 5, 6) spanned is RAID 10 (50, 60). */
static ssize_t lsi_fmt_raid_level(const struct lsi_ld_info *info, char *buf)
{
	const struct lsi_ld_params *p = &info->params;

	if (p->span_depth > 1 && p->primary_raid_level)
		return sysfs_emit(buf, "raid%u0\n", p->primary_raid_level);
	return sysfs_emit(buf, "raid%u\n", p->primary_raid_level);
}

static ssize_t lsi_fmt_ld_state(const struct lsi_ld_info *info, char *buf)
{
	static const char * const names[] = {
		"offline", "partially-degraded", "degraded", "optimal",
	};
	u8 s = info->params.state;

	if (s < ARRAY_SIZE(names))
		return sysfs_emit(buf, "%s\n", names[s]);
	return sysfs_emit(buf, "unknown-%u\n", s);
}

static ssize_t lsi_fmt_policy(u8 policy, char *buf)
{
	return sysfs_emit(buf, "%s,%s%s\n",
			  policy & LSI_LD_CACHE_WRITE_BACK ? "WB" : "WT",
			  policy & LSI_LD_CACHE_READ_AHEAD ? "RA" : "NORA",
			  policy & LSI_LD_CACHE_WRITE_CACHE_BAD_BBU ?
			  ",CachedBadBBU" : "");
}

static ssize_t lsi_fmt_cache_current(const struct lsi_ld_info *info, char *buf)
{
	return lsi_fmt_policy(info->properties.current_cache_policy, buf);
}

static ssize_t lsi_fmt_cache_default(const struct lsi_ld_info *info, char *buf)
{
	return lsi_fmt_policy(info->properties.default_cache_policy, buf);
}

static ssize_t lsi3108_raid_level_show(struct device *dev,
				       struct device_attribute *attr, char *buf)
{
	return lsi_sdev_ld_show(dev, buf, lsi_fmt_raid_level);
}
static DEVICE_ATTR_RO(lsi3108_raid_level);

static ssize_t lsi3108_ld_state_show(struct device *dev,
				     struct device_attribute *attr, char *buf)
{
	return lsi_sdev_ld_show(dev, buf, lsi_fmt_ld_state);
}
static DEVICE_ATTR_RO(lsi3108_ld_state);

static ssize_t lsi3108_cache_current_show(struct device *dev,
					  struct device_attribute *attr,
					  char *buf)
{
	return lsi_sdev_ld_show(dev, buf, lsi_fmt_cache_current);
}
static DEVICE_ATTR_RO(lsi3108_cache_current);

static ssize_t lsi3108_cache_default_show(struct device *dev,
					  struct device_attribute *attr,
					  char *buf)
{
	return lsi_sdev_ld_show(dev, buf, lsi_fmt_cache_default);
}
static DEVICE_ATTR_RO(lsi3108_cache_default);

static ssize_t lsi3108_ld_target_show(struct device *dev,
				      struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", lsi_dev_sdev(dev)->dev_id);
}
static DEVICE_ATTR_RO(lsi3108_ld_target);

/* The LD's member PDs from the firmware's configuration (pd.c). */
static ssize_t lsi3108_ld_pds_show(struct device *dev,
				   struct device_attribute *attr, char *buf)
{
	struct scsi_device *sdev = to_scsi_device(dev);

	return lsi_ld_pds_show(shost_priv(sdev->host),
			       lsi_dev_sdev(dev)->dev_id, buf);
}
static DEVICE_ATTR_RO(lsi3108_ld_pds);

/* A system PD's device id (the id of hostN/pds and of the firmware). */
static ssize_t lsi3108_pd_id_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", lsi_dev_sdev(dev)->dev_id);
}
static DEVICE_ATTR_RO(lsi3108_pd_id);

static struct attribute *lsi_sdev_attrs[] = {
	&dev_attr_lsi3108_flush_mode.attr,
	&dev_attr_lsi3108_ld_target.attr,
	&dev_attr_lsi3108_raid_level.attr,
	&dev_attr_lsi3108_ld_state.attr,
	&dev_attr_lsi3108_cache_current.attr,
	&dev_attr_lsi3108_cache_default.attr,
	&dev_attr_lsi3108_ld_pds.attr,
	&dev_attr_lsi3108_pd_id.attr,
	NULL,
};

/* An LD has the LD attributes, a system PD lsi3108_pd_id alone. */
static umode_t lsi_sdev_attr_visible(struct kobject *kobj,
				     struct attribute *attr, int n)
{
	const struct lsi_sdev *dev = lsi_dev_sdev(kobj_to_dev(kobj));
	bool pd_attr = attr == &dev_attr_lsi3108_pd_id.attr;

	return pd_attr == dev->syspd ? attr->mode : 0;
}

static const struct attribute_group lsi_sdev_group = {
	.attrs		= lsi_sdev_attrs,
	.is_visible	= lsi_sdev_attr_visible,
};

const struct attribute_group *lsi_sdev_groups[] = {
	&lsi_sdev_group,
	NULL,
};
