// SPDX-License-Identifier: GPL-2.0-only
/*
 * Cache protection and the flush policy per logical drive.
 *
 * A SYNCHRONIZE CACHE for an LD asks that everything acknowledged so far be
 * durable. Where acknowledged data can still be lost depends on the LD:
 *
 *   - its current cache policy (LD_GET_PROPERTIES current_cache_policy):
 *     write-back data sits in the controller's cache;
 *   - whether the BBU / CacheVault protects that cache (BBU_GET_STATUS):
 *     firmware keeps a plain write-back LD write-back only while it does,
 *     but an "always write back" LD stays write-back without it;
 *   - the disks' own write caches (disk_cache_policy): data the controller
 *     wrote through can still sit in them.
 *
 * The firmware's own handling of SYNCHRONIZE CACHE (pad1 bit 24) flushes
 * nothing the driver can count on: it "does not send SYNCHRONIZE_CACHE to
 * the drives" and returns success (Linux commit "megaraid_sas: Send
 * SYNCHRONIZE_CACHE for VD to firmware"). So (docs/driver.md):
 *
 *   volatile (unprotected write-back, disk cache on or unknown)
 *                     -> MR_DCMD_CTRL_CACHE_FLUSH (controller + disks)
 *   safe, firmware handles it  -> forwarded (it answers at once)
 *   safe, firmware does not    -> completed by the driver at once
 *
 * Until the policy of an LD has been read, its flushes take the DCMD: the
 * safe answer. It is read when the controller comes up (every reset) and
 * again after an event about the BBU or an LD's cache policy; an LD whose
 * mode changes is revalidated, so sd re-reads WCE from the caching page.
 */
#include <linux/slab.h>
#include <scsi/scsi_device.h>
#include <scsi/scsi_host.h>

#include "lsi3108.h"

static const char *const lsi_flush_names[] = {
	[LSI_FLUSH_DCMD]	= "flush-dcmd",
	[LSI_FLUSH_FIRMWARE]	= "firmware",
	[LSI_FLUSH_COMPLETE]	= "complete",
};

const char *lsi_flush_mode_name(enum lsi_flush_mode mode)
{
	return mode < ARRAY_SIZE(lsi_flush_names) ? lsi_flush_names[mode] : "?";
}

static const char *const lsi_bbu_names[] = {
	[LSI_BBU_UNKNOWN]	= "unknown",
	[LSI_BBU_PROTECTS]	= "protecting",
	[LSI_BBU_NOT_PROTECTING] = "not-protecting",
	[LSI_BBU_ABSENT]	= "absent",
};

const char *lsi_bbu_name(enum lsi_bbu bbu)
{
	return bbu < ARRAY_SIZE(lsi_bbu_names) ? lsi_bbu_names[bbu] : "?";
}

/* Ask the firmware about the BBU / CacheVault. */
static enum lsi_bbu lsi_read_bbu(struct lsi_ctrl *ctrl)
{
	struct lsi_bbu_status *st = kzalloc(sizeof(*st), GFP_KERNEL);
	struct lsi_dcmd dcmd = {
		.opcode	= LSI_DCMD_BBU_GET_STATUS,
		.dir	= LSI_DIR_READ,
		.data	= st,
		.len	= sizeof(*st),
	};
	enum lsi_bbu bbu;
	int ret;

	if (!st)
		return LSI_BBU_UNKNOWN;
	ret = lsi_dcmd_exec(ctrl, &dcmd);
	bbu = lsi_parse_bbu(ret ? NULL : st, dcmd.mfi_status);
	kfree(st);
	return bbu;
}

/*
 * The LD's flush mode from its properties (LSI_FLUSH_DCMD if unreadable),
 * and in *policy its current and disk cache policies (LSI_LD_POLICY_UNKNOWN
 * if unreadable): what sd's WCE follows.
 */
static enum lsi_flush_mode lsi_read_ld_mode(struct lsi_ctrl *ctrl,
					    unsigned int id, enum lsi_bbu bbu,
					    u16 *policy)
{
	struct lsi_ld_properties *p = kzalloc(sizeof(*p), GFP_KERNEL);
	struct lsi_dcmd dcmd = {
		.opcode	= LSI_DCMD_LD_GET_PROPERTIES,
		.mbox	= { id },
		.dir	= LSI_DIR_READ,
		.data	= p,
		.len	= sizeof(*p),
	};
	enum lsi_flush_mode mode = LSI_FLUSH_DCMD;

	*policy = LSI_LD_POLICY_UNKNOWN;
	if (!p)
		return mode;
	if (!lsi_dcmd_exec(ctrl, &dcmd) && p->target_id == id) {
		mode = lsi_ld_flush_mode(p, bbu == LSI_BBU_PROTECTS,
					 ctrl->fw_sync_cache);
		*policy = p->current_cache_policy | p->disk_cache_policy << 8;
	} else {
		dev_warn_ratelimited(ctrl->dev, "LD %u: no cache policy (MFI status %#04x): its flushes go to the controller\n",
				     id, dcmd.mfi_status);
	}
	kfree(p);
	return mode;
}

/* sd reads WCE again from the firmware's caching page. */
static void lsi_revalidate_ld(struct lsi_ctrl *ctrl, unsigned int id)
{
	struct scsi_device *sdev = scsi_device_lookup(ctrl->shost,
						      lsi_ld_channel(id),
						      lsi_ld_id(id), 0);

	if (!sdev)
		return;
	scsi_rescan_device(sdev);
	scsi_device_put(sdev);
}

/*
 * Read the BBU and each present LD's policy; set the flush modes. An LD
 * whose mode or cache policy changed is revalidated: its WCE may differ.
 */
void lsi_cache_refresh(struct lsi_ctrl *ctrl)
{
	enum lsi_bbu bbu = lsi_read_bbu(ctrl);
	unsigned int id;

	if (bbu != ctrl->bbu)
		dev_info(ctrl->dev, "BBU/CacheVault: %s\n", lsi_bbu_name(bbu));
	WRITE_ONCE(ctrl->bbu, bbu);
	for (id = 0; id < LSI_MAX_LDS; id++) {
		enum lsi_flush_mode mode = LSI_FLUSH_DCMD;
		u16 policy = LSI_LD_POLICY_UNKNOWN;
		bool present = lsi_ld_present(ctrl, id);

		if (present)
			mode = lsi_read_ld_mode(ctrl, id, bbu, &policy);
		if (mode == READ_ONCE(ctrl->ld_flush[id]) &&
		    policy == ctrl->ld_policy[id])
			continue;
		if (present && mode != READ_ONCE(ctrl->ld_flush[id]))
			dev_info(ctrl->dev, "LD %u: SYNCHRONIZE CACHE -> %s\n",
				 id, lsi_flush_mode_name(mode));
		WRITE_ONCE(ctrl->ld_flush[id], mode);
		ctrl->ld_policy[id] = policy;
		if (present)
			lsi_revalidate_ld(ctrl, id);
	}
}

/* What queuecommand does with a SYNCHRONIZE CACHE for LD @id. */
enum lsi_flush_mode lsi_flush_mode_of(struct lsi_ctrl *ctrl, unsigned int id)
{
	if (id >= LSI_MAX_LDS)
		return LSI_FLUSH_DCMD;
	return READ_ONCE(ctrl->ld_flush[id]);
}
