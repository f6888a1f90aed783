// SPDX-License-Identifier: GPL-2.0-only
/*
 * The physical disks (PDs) behind the controller, as the firmware reports
 * them, for lsi3108-ctl: read at each show, never cached.
 *
 *   hostN/pds: one line per PD of PD_GET_LIST, from its PD_GET_INFO:
 *     device-id enclosure/slot state interface sectors media-errors
 *     other-errors predictive-failures temperature vendor product serial
 *   The standard INQUIRY data the firmware keeps for the PD gives vendor
 *   (bytes 8-15) and product (16-31); the serial is the vendor-specific
 *   bytes 36-55, where the firmware's copy carries it (MegaCli prints those
 *   bytes as the PD's "Inquiry Data"). An empty field prints as "-".
 *
 *   H:C:T:L/lsi3108_ld_pds: the member PDs of an LD from CFG_READ: the LD's
 *   spans name arrays (array_ref), each array lists its members; an empty
 *   member slot prints as "missing".
 *
 * Both read into a kernel buffer of one internal slot (LSI_DCMD_DATA_SIZE):
 * 256 PD list entries fit; a configuration larger than that is refused
 * with -E2BIG rather than read in part.
 *
 * And a system PD's interface (SAS, SATA, ...), which sets its queue depth.
 */
#include <linux/device.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <scsi/scsi_device.h>
#include <scsi/scsi_host.h>

#include "lsi3108.h"

static int lsi_pd_dcmd(struct lsi_ctrl *ctrl, u32 opcode, u16 mbox_w0,
		       void *data, u32 len)
{
	struct lsi_dcmd dcmd = {
		.opcode	= opcode,
		.mbox	= { mbox_w0 & 0xff, mbox_w0 >> 8 },
		.dir	= LSI_DIR_READ,
		.data	= data,
		.len	= len,
		.timeout_s = LSI_EVT_DCMD_TIMEOUT_S,
	};

	return lsi_dcmd_exec(ctrl, &dcmd);
}

static const char *lsi_pd_state_name(u16 state)
{
	switch (state) {
	case LSI_PD_STATE_UNCONFIGURED_GOOD:	return "unconfigured-good";
	case LSI_PD_STATE_UNCONFIGURED_BAD:	return "unconfigured-bad";
	case LSI_PD_STATE_HOT_SPARE:		return "hotspare";
	case LSI_PD_STATE_OFFLINE:		return "offline";
	case LSI_PD_STATE_FAILED:		return "failed";
	case LSI_PD_STATE_REBUILD:		return "rebuild";
	case LSI_PD_STATE_ONLINE:		return "online";
	case LSI_PD_STATE_COPYBACK:		return "copyback";
	case LSI_PD_STATE_SYSTEM:		return "jbod";
	default:				return "unknown";
	}
}

static const char *lsi_pd_intf_name(u16 pd_type)
{
	switch (pd_type >> LSI_PD_TYPE_INTF_SHIFT) {
	case LSI_PD_INTF_PARALLEL_SCSI:	return "scsi";
	case LSI_PD_INTF_SAS:		return "sas";
	case LSI_PD_INTF_SATA:		return "sata";
	case LSI_PD_INTF_FC:		return "fc";
	case LSI_PD_INTF_NVME:		return "nvme";
	default:			return "unknown";
	}
}

/* An INQUIRY string field as one word: blanks trimmed, "-" if empty. */
static void lsi_pd_word(char *dst, size_t size, const u8 *src, size_t len)
{
	char *p;

	lsi_fw_string(dst, size, (const char *)src, len);
	p = strim(dst);
	if (p != dst)
		memmove(dst, p, strlen(p) + 1);
	for (p = dst; *p; p++)
		if (*p == ' ' || *p < 0x20 || *p > 0x7e)
			*p = '_';
	if (!*dst)
		strscpy(dst, "-", size);
}

static int lsi_pd_emit(struct lsi_ctrl *ctrl, u16 id, struct lsi_pd_info *info,
		       char *buf, int at)
{
	char vendor[9], product[17], serial[21];
	int ret;

	ret = lsi_pd_dcmd(ctrl, LSI_DCMD_PD_GET_INFO, id, info, sizeof(*info));
	if (ret)
		return ret;
	if (le16_to_cpu(info->device_id) != id)
		return -EIO;
	lsi_pd_word(vendor, sizeof(vendor), info->inquiry_data + 8, 8);
	lsi_pd_word(product, sizeof(product), info->inquiry_data + 16, 16);
	lsi_pd_word(serial, sizeof(serial), info->inquiry_data + 36, 20);
	return sysfs_emit_at(buf, at, "%u %u/%u %s %s %llu %u %u %u %u %s %s %s\n",
			     id, le16_to_cpu(info->encl_device_id),
			     info->slot_number,
			     lsi_pd_state_name(le16_to_cpu(info->fw_state)),
			     lsi_pd_intf_name(le16_to_cpu(info->pd_type)),
			     le64_to_cpu(info->coerced_size),
			     le32_to_cpu(info->media_err_count),
			     le32_to_cpu(info->other_err_count),
			     le32_to_cpu(info->pred_fail_count),
			     info->temperature, vendor, product, serial);
}

/*
 * The interface of PD @dev_id (LSI_PD_INTF_*) from PD_GET_INFO's type
 * word; LSI_PD_INTF_UNKNOWN if the firmware does not answer for it.
 */
u8 lsi_pd_interface(struct lsi_ctrl *ctrl, unsigned int dev_id)
{
	struct lsi_pd_info *info = kzalloc(sizeof(*info), GFP_KERNEL);
	u8 intf = LSI_PD_INTF_UNKNOWN;
	int ret;

	if (!info)
		return intf;
	ret = lsi_pd_dcmd(ctrl, LSI_DCMD_PD_GET_INFO, dev_id, info,
			  sizeof(*info));
	if (ret)
		dev_warn(ctrl->dev, "PD %u: PD_GET_INFO failed (%d): interface unknown\n",
			 dev_id, ret);
	else if (le16_to_cpu(info->device_id) != dev_id)
		dev_warn(ctrl->dev, "PD %u: PD_GET_INFO answered for device id %u: interface unknown\n",
			 dev_id, le16_to_cpu(info->device_id));
	else
		intf = le16_to_cpu(info->pd_type) >> LSI_PD_TYPE_INTF_SHIFT;
	kfree(info);
	return intf;
}

/* hostN/pds; a list that does not fit a page ends with "+N more". */
ssize_t lsi_pds_show(struct lsi_ctrl *ctrl, char *buf)
{
	struct lsi_pd_list *list;
	struct lsi_pd_info *info;
	u32 count, i;
	int at = 0, ret;

	list = kzalloc(LSI_PD_LIST_SIZE(LSI_MAX_PDS), GFP_KERNEL);
	info = kzalloc(sizeof(*info), GFP_KERNEL);
	if (!list || !info) {
		ret = -ENOMEM;
		goto out;
	}
	ret = lsi_pd_dcmd(ctrl, LSI_DCMD_PD_GET_LIST, LSI_PD_QUERY_ALL, list,
			  LSI_PD_LIST_SIZE(LSI_MAX_PDS));
	if (ret)
		goto out;
	count = le32_to_cpu(list->count);
	if (count > LSI_MAX_PDS) {
		ret = -EIO;	/* device input: more than the list can hold */
		goto out;
	}
	for (i = 0; i < count; i++) {
		/* room for this line and a "+N more" line after it */
		if (at > PAGE_SIZE - 160) {
			at += sysfs_emit_at(buf, at, "+%u more\n", count - i);
			break;
		}
		ret = lsi_pd_emit(ctrl, le16_to_cpu(list->addr[i].device_id),
				  info, buf, at);
		if (ret < 0)
			goto out;
		at += ret;
	}
	ret = at;
out:
	kfree(info);
	kfree(list);
	return ret;
}

/* The CFG_READ answer, whole, checked against its own header. */
static int lsi_cfg_read(struct lsi_ctrl *ctrl, void *cfg)
{
	const struct lsi_cfg_header *h = cfg;
	size_t need;
	int ret;

	ret = lsi_pd_dcmd(ctrl, LSI_DCMD_CFG_READ, 0, cfg, sizeof(*h));
	if (ret)
		return ret;
	if (le32_to_cpu(h->size) > LSI_DCMD_DATA_SIZE)
		return -E2BIG;
	ret = lsi_pd_dcmd(ctrl, LSI_DCMD_CFG_READ, 0, cfg, le32_to_cpu(h->size));
	if (ret)
		return ret;
	need = sizeof(*h) +
	       (size_t)le16_to_cpu(h->array_count) * le16_to_cpu(h->array_size) +
	       (size_t)le16_to_cpu(h->log_drv_count) * le16_to_cpu(h->log_drv_size);
	if (le16_to_cpu(h->array_size) < sizeof(struct lsi_cfg_array) ||
	    le16_to_cpu(h->log_drv_size) < sizeof(struct lsi_cfg_ld) ||
	    need > le32_to_cpu(h->size))
		return -EIO;
	return 0;
}

/* The members of array array_ref, appended to buf from offset at. */
static int lsi_cfg_emit_array(const void *cfg, u16 array_ref, char *buf,
			      int at)
{
	const struct lsi_cfg_header *h = cfg;
	const u8 *p = (const u8 *)cfg + sizeof(*h);
	unsigned int a, m, start = at;

	for (a = 0; a < le16_to_cpu(h->array_count); a++) {
		const struct lsi_cfg_array *arr =
			(const void *)(p + a * le16_to_cpu(h->array_size));
		unsigned int n = min_t(unsigned int, arr->num_drives,
				       LSI_CFG_MAX_ROW_SIZE);

		if (le16_to_cpu(arr->array_ref) != array_ref)
			continue;
		for (m = 0; m < n; m++) {
			u16 id = le16_to_cpu(arr->pd[m].device_id);

			if (id == LSI_PD_MISSING)
				at += sysfs_emit_at(buf, at, "%smissing",
						    at ? "," : "");
			else
				at += sysfs_emit_at(buf, at, "%s%u",
						    at ? "," : "", id);
		}
	}
	return at - start;
}

/* H:C:T:L/lsi3108_ld_pds: "8,9", or "-" for an LD without PDs. */
ssize_t lsi_ld_pds_show(struct lsi_ctrl *ctrl, unsigned int target, char *buf)
{
	const struct lsi_cfg_header *h;
	void *cfg = kzalloc(LSI_DCMD_DATA_SIZE, GFP_KERNEL);
	const u8 *lds;
	unsigned int l, s;
	int at = 0, ret;

	if (!cfg)
		return -ENOMEM;
	ret = lsi_cfg_read(ctrl, cfg);
	if (ret)
		goto out;
	h = cfg;
	lds = (const u8 *)cfg + sizeof(*h) +
	      le16_to_cpu(h->array_count) * le16_to_cpu(h->array_size);
	for (l = 0; l < le16_to_cpu(h->log_drv_count); l++) {
		const struct lsi_cfg_ld *ld =
			(const void *)(lds + l * le16_to_cpu(h->log_drv_size));
		unsigned int spans = min_t(unsigned int, ld->params.span_depth,
					   LSI_CFG_MAX_SPAN_DEPTH);

		if (ld->properties.target_id != target)
			continue;
		for (s = 0; s < spans; s++)
			at += lsi_cfg_emit_array(cfg,
						 le16_to_cpu(ld->span[s].array_ref),
						 buf, at);
	}
	ret = at ? at + sysfs_emit_at(buf, at, "\n") : sysfs_emit(buf, "-\n");
out:
	kfree(cfg);
	return ret;
}
