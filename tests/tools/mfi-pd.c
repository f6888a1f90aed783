// SPDX-License-Identifier: GPL-2.0-only
/*
 * mfi-pd: the firmware's physical-disk answers, read the way storcli-class
 * tools read them: DCMDs sent through the megaraid management ioctl
 * (MEGASAS_IOC_FIRMWARE on /dev/megaraid_sas_ioctl_node, which smartctl
 * creates from the "megaraid_sas_ioctl" line of /proc/devices). For
 * tests/guest/45-pds.sh; works with any driver that implements that ioctl.
 *
 * Usage: mfi-pd <host_no> <command> [argument]
 *   ctrl          CTRL_GET_INFO: LD and PD counts
 *   pdlist [q]    PD_GET_LIST, or PD_LIST_QUERY with query type q: the ids
 *   pdinfo <id>   PD_GET_INFO: state, interface, slot, sizes, counters
 *   cfg           CFG_READ: arrays (member id:state), LDs (level, state,
 *                 span depth) and hot spares (ids)
 *   inquiry <id>  MFI_CMD_PD_SCSI_IO with a standard INQUIRY to PD <id>:
 *                 the MFI and SCSI status, the vendor and product
 *   fuzz <seed> <count>  PD_SCSI_IO frames with random CDBs (mostly the
 *                 opcodes the PDs answer), CDB lengths 0..20, directions,
 *                 sense and data lengths up to 8 KiB, to device ids
 *                 8..11 and random ones; prints how many ran and a
 *                 histogram of the MFI statuses
 * Output: "key=value" words on one line. status= is the MFI status.
 * Exit status: 0 the ioctl ran, 1 usage, 2 no device or ioctl failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>

#include "lsi3108_hw.h"

/* The user packet of MEGASAS_IOC_FIRMWARE (megaraid_sas.h), 64-bit. */
struct mfi_ioc_packet {
	uint16_t host_no;
	uint16_t pad;
	uint32_t sgl_off;
	uint32_t sge_count;
	uint32_t sense_off;
	uint32_t sense_len;
	uint8_t frame[128];
	struct iovec sgl[16];
} __attribute__((packed));

_Static_assert(sizeof(struct mfi_ioc_packet) == 404, "ioctl packet size");
#define MFI_IOC_FIRMWARE	_IOWR('M', 1, struct mfi_ioc_packet)
#define NODE			"/dev/megaraid_sas_ioctl_node"

static int open_node(void)
{
	char line[128];
	int major = -1, maj, end, fd;
	FILE *f = fopen("/proc/devices", "r");

	while (f && fgets(line, sizeof(line), f)) {
		end = 0;
		if (sscanf(line, "%d megaraid_sas_ioctl%n", &maj, &end) == 1 && end) {
			major = maj;
			break;
		}
	}
	if (f)
		fclose(f);
	if (major < 0) {
		fprintf(stderr, "mfi-pd: no megaraid_sas_ioctl in /proc/devices\n");
		exit(2);
	}
	unlink(NODE);
	if (mknod(NODE, S_IFCHR | 0600, makedev(major, 0)) < 0)
		perror("mfi-pd: mknod");
	fd = open(NODE, O_RDWR);
	if (fd < 0) {
		perror("mfi-pd: open " NODE);
		exit(2);
	}
	return fd;
}

/* One DCMD reading len bytes into buf; returns the MFI status. */
static int dcmd(int host, uint32_t opcode, const uint8_t *mbox, void *buf,
		uint32_t len)
{
	struct mfi_ioc_packet p;
	struct lsi_mfi_dcmd_frame *f = (void *)p.frame;
	int fd = open_node(), rc;

	memset(&p, 0, sizeof(p));
	memset(buf, 0, len);
	p.host_no = host;
	p.sgl_off = offsetof(struct lsi_mfi_dcmd_frame, sgl);
	p.sge_count = 1;
	p.sgl[0].iov_base = buf;
	p.sgl[0].iov_len = len;
	f->hdr.cmd = LSI_MFI_CMD_DCMD;
	f->hdr.cmd_status = 0xff;
	f->hdr.sge_count = 1;
	f->hdr.flags = LSI_MFI_FLAG_DIR_READ;
	f->hdr.data_xfer_len = len;
	f->opcode = opcode;
	if (mbox)
		memcpy(f->mbox, mbox, sizeof(f->mbox));
	rc = ioctl(fd, MFI_IOC_FIRMWARE, &p);
	close(fd);
	if (rc < 0) {
		perror("mfi-pd: ioctl");
		exit(2);
	}
	return f->hdr.cmd_status;
}

/* A standard INQUIRY through the PD pass-through frame. */
static void inquiry(int host, unsigned int id)
{
	struct mfi_ioc_packet p;
	struct lsi_mfi_pthru_frame *f = (void *)p.frame;
	static uint8_t data[96];
	int fd = open_node();

	memset(&p, 0, sizeof(p));
	p.host_no = host;
	p.sgl_off = offsetof(struct lsi_mfi_pthru_frame, sgl);
	p.sge_count = 1;
	p.sgl[0].iov_base = data;
	p.sgl[0].iov_len = sizeof(data);
	f->hdr.cmd = LSI_MFI_CMD_PD_SCSI_IO;
	f->hdr.cmd_status = 0xff;
	f->hdr.target_id = id;
	f->hdr.cdb_len = 6;
	f->hdr.sge_count = 1;
	f->hdr.flags = LSI_MFI_FLAG_DIR_READ;
	f->hdr.data_xfer_len = sizeof(data);
	f->cdb[0] = 0x12;
	f->cdb[4] = sizeof(data);
	if (ioctl(fd, MFI_IOC_FIRMWARE, &p) < 0) {
		perror("mfi-pd: ioctl");
		exit(2);
	}
	close(fd);
	printf("status=%d vendor=%.8s product=%.16s\n", f->hdr.cmd_status,
	       (const char *)data + 8, (const char *)data + 16);
}

/* xorshift64*: the same seed gives the same frames */
static uint64_t rnd_state;

static uint32_t rnd(void)
{
	rnd_state ^= rnd_state >> 12;
	rnd_state ^= rnd_state << 25;
	rnd_state ^= rnd_state >> 27;
	return (rnd_state * 0x2545f4914f6cdd1dULL) >> 32;
}

static void fuzz(int host, unsigned long seed, unsigned int count)
{
	static const uint8_t ops[] = { 0x00, 0x03, 0x12, 0x1a, 0x25, 0x37, 0x4d,
				       0x5a, 0x85, 0x9e, 0xa1, 0xb7, 0x28, 0x2a };
	static uint8_t data[8192], sense[256];
	unsigned int hist[256] = { 0 }, ran = 0, i, k;
	int fd = open_node();

	rnd_state = seed * 2654435761ULL + 1;
	for (i = 0; i < count; i++) {
		struct mfi_ioc_packet p;
		struct lsi_mfi_pthru_frame *f = (void *)p.frame;
		uint32_t len = rnd() % 4 ? rnd() % 1024 : rnd() % sizeof(data);

		memset(&p, 0, sizeof(p));
		p.host_no = host;
		f->hdr.cmd = LSI_MFI_CMD_PD_SCSI_IO;
		f->hdr.cmd_status = 0xff;
		f->hdr.target_id = rnd() % 8 ? 8 + rnd() % 4 : rnd();
		f->hdr.lun = rnd() % 16 ? 0 : rnd();
		f->hdr.cdb_len = rnd() % 8 ? 6 + rnd() % 11 : rnd() % 21;
		if (f->hdr.cdb_len > 16)
			f->hdr.cdb_len = 16;	/* the frame holds 16 */
		for (k = 0; k < 16; k++)
			f->cdb[k] = rnd();
		if (rnd() % 8)
			f->cdb[0] = ops[rnd() % sizeof(ops)];
		if (f->cdb[0] == 0x85 || f->cdb[0] == 0xa1) {
			/* SMART or IDENTIFY mostly, with the SMART keys */
			uint8_t *c = f->cdb + (f->cdb[0] == 0x85 ? 14 : 9);

			*c = rnd() % 2 ? 0xb0 : 0xec;
			f->cdb[f->cdb[0] == 0x85 ? 10 : 6] = 0x4f;
			f->cdb[f->cdb[0] == 0x85 ? 12 : 7] = 0xc2;
		}
		f->hdr.flags = (rnd() % 3) << 3;	/* none, write, read */
		f->hdr.data_xfer_len = len;
		if (len) {
			f->hdr.sge_count = 1;
			p.sgl_off = offsetof(struct lsi_mfi_pthru_frame, sgl);
			p.sge_count = 1;
			p.sgl[0].iov_base = data;
			p.sgl[0].iov_len = len;
		}
		if (rnd() % 2) {
			f->hdr.sense_len = rnd() % 2 ? 18 : rnd() % 256;
			p.sense_off = offsetof(struct lsi_mfi_pthru_frame, sense_addr_lo);
			p.sense_len = f->hdr.sense_len ? f->hdr.sense_len : 1;
			memcpy(p.frame + p.sense_off, &(void *){ sense }, sizeof(void *));
		}
		if (ioctl(fd, MFI_IOC_FIRMWARE, &p) == 0) {
			ran++;
			hist[f->hdr.cmd_status]++;
		}
	}
	close(fd);
	printf("ran=%u", ran);
	for (k = 0; k < 256; k++)
		if (hist[k])
			printf(" status_%u=%u", k, hist[k]);
	printf("\n");
}

static void ctrl(int host)
{
	static struct lsi_ctrl_info ci;
	int st = dcmd(host, LSI_DCMD_CTRL_GET_INFO, NULL, &ci, sizeof(ci));

	printf("status=%d ld_present=%u ld_degraded=%u ld_offline=%u pd_present=%u pd_disks=%u pd_failed=%u pd_pred_fail=%u\n",
	       st, ci.ld_present_count, ci.ld_degraded_count, ci.ld_offline_count,
	       ci.pd_present_count, ci.pd_disk_present_count,
	       ci.pd_disk_failed_count, ci.pd_disk_pred_failure_count);
}

static void pdlist(int host, int query)
{
	static uint8_t buf[LSI_PD_LIST_SIZE(LSI_MAX_PDS)];
	struct lsi_pd_list *l = (void *)buf;
	uint8_t mbox[LSI_DCMD_MBOX_SIZE] = { (uint8_t)query };
	int st = dcmd(host, query < 0 ? LSI_DCMD_PD_GET_LIST : LSI_DCMD_PD_LIST_QUERY,
		      query < 0 ? NULL : mbox, buf, sizeof(buf));
	uint32_t i;

	printf("status=%d size=%u count=%u ids=", st, l->size, l->count);
	for (i = 0; i < l->count && i < LSI_MAX_PDS; i++)
		printf("%s%u", i ? "," : "", l->addr[i].device_id);
	printf("\n");
}

static void pdinfo(int host, unsigned int id)
{
	static struct lsi_pd_info pi;
	uint8_t mbox[LSI_DCMD_MBOX_SIZE] = { id & 0xff, id >> 8 };
	int st = dcmd(host, LSI_DCMD_PD_GET_INFO, mbox, &pi, sizeof(pi));

	printf("status=%d id=%u state=0x%x intf=%u encl=%u slot=%u raw=%llu coerced=%llu temp=%u media_err=%u other_err=%u pred_fail=%u vendor=%.8s\n",
	       st, pi.device_id, pi.fw_state,
	       pi.pd_type >> LSI_PD_TYPE_INTF_SHIFT, pi.encl_device_id,
	       pi.slot_number, (unsigned long long)pi.raw_size,
	       (unsigned long long)pi.coerced_size, pi.temperature,
	       pi.media_err_count, pi.other_err_count, pi.pred_fail_count,
	       (const char *)pi.inquiry_data + 8);
}

static void cfg(int host)
{
	static uint8_t buf[65536];
	struct lsi_cfg_header *h = (void *)buf;
	int st = dcmd(host, LSI_DCMD_CFG_READ, NULL, buf, sizeof(buf));
	size_t off = sizeof(*h);
	unsigned int a, i;

	printf("status=%d size=%u arrays=%u lds=%u", st, h->size, h->array_count,
	       h->log_drv_count);
	if (h->size > sizeof(buf) || h->array_size != sizeof(struct lsi_cfg_array) ||
	    h->log_drv_size != sizeof(struct lsi_cfg_ld) ||
	    off + (size_t)h->array_count * h->array_size +
	    (size_t)h->log_drv_count * h->log_drv_size +
	    (size_t)h->spares_count * h->spares_size > h->size) {
		printf(" bad_layout=1\n");
		return;
	}
	for (a = 0; a < h->array_count; a++, off += h->array_size) {
		struct lsi_cfg_array *arr = (void *)(buf + off);

		printf(" array%u=", arr->array_ref);
		for (i = 0; i < arr->num_drives && i < LSI_CFG_MAX_ROW_SIZE; i++)
			printf("%s%u:0x%x", i ? "," : "", arr->pd[i].device_id,
			       arr->pd[i].fw_state);
	}
	for (a = 0; a < h->log_drv_count; a++, off += h->log_drv_size) {
		struct lsi_cfg_ld *ld = (void *)(buf + off);

		printf(" ld%u=raid%u:%u:%u", ld->properties.target_id,
		       ld->params.primary_raid_level, ld->params.state,
		       ld->params.span_depth);
	}
	printf(" spares=");
	for (a = 0; a < h->spares_count && h->spares_size == sizeof(struct lsi_cfg_spare);
	     a++, off += h->spares_size) {
		struct lsi_cfg_spare *sp = (void *)(buf + off);

		printf("%s%u", a ? "," : "", sp->device_id);
	}
	printf("\n");
}

int main(int argc, char **argv)
{
	int host;

	if (argc < 3) {
		fprintf(stderr, "usage: mfi-pd <host_no> ctrl|pdlist [q]|pdinfo <id>|cfg|inquiry <id>|fuzz <seed> <n>\n");
		return 1;
	}
	host = atoi(argv[1]);
	if (!strcmp(argv[2], "ctrl"))
		ctrl(host);
	else if (!strcmp(argv[2], "pdlist"))
		pdlist(host, argc > 3 ? atoi(argv[3]) : -1);
	else if (!strcmp(argv[2], "pdinfo") && argc > 3)
		pdinfo(host, atoi(argv[3]));
	else if (!strcmp(argv[2], "cfg"))
		cfg(host);
	else if (!strcmp(argv[2], "inquiry") && argc > 3)
		inquiry(host, atoi(argv[3]));
	else if (!strcmp(argv[2], "fuzz") && argc > 4)
		fuzz(host, strtoul(argv[3], NULL, 0), atoi(argv[4]));
	else
		return 1;
	return 0;
}
