// SPDX-License-Identifier: GPL-2.0-only
/*
 * mrioctl: a megaraid management-ioctl client for the test guest
 * (tests/guest/46-ioctl.sh), talking to whichever driver owns the
 * "megaraid_sas_ioctl" character device: upstream megaraid_sas or lsi3108.
 *
 * It finds the device as smartctl does (the first "megaraid_sas_ioctl" line
 * of /proc/devices, /dev/megaraid_sas_ioctl_node made from its major), builds
 * MFI frames itself and prints what came back as "key=value" lines.
 *
 * Usage: mrioctl [options] <host_no> <command> [arguments]
 *   options:  --compat     send through the 32-bit entry (int $0x80, the
 *                          compat ioctl) with every buffer below 4 GiB
 *             --as-nobody  drop root (uid/gid 65534, no capabilities)
 *                          before open (open-nobody) or after it (nobody)
 *   commands: info         CTRL_GET_INFO: identity, counts
 *             lds          LD_GET_LIST: count, target, state, size
 *             bbu          BBU_GET_STATUS: type, voltage, state
 *             evtinfo      EVENT_GET_INFO: the event log's sequence numbers
 *             events <seq> <class_locale>  EVENT_GET from <seq> until
 *                          NOT_FOUND: one line per event, then the count
 *             dcmd <opcode> <len>  any DCMD, data (hex) and status printed
 *             aen <seq> <class_locale> <secs>  GET_AEN, wait for SIGIO
 *             aen-nofasync <seq> <class_locale>  GET_AEN without fasync
 *             pdinq <dev>  INQUIRY to a physical disk (MFI_CMD_PD_SCSI_IO,
 *                          as smartctl -d megaraid,N sends it), with sense
 *             bad <case>   a malformed packet; prints errno
 *             fuzz <seed> <count>  random and mutated packets; prints a
 *                          histogram of the results
 * Exit status: 0 the ioctl ran (see cmd_status / errno lines), 1 usage,
 * 2 no device or an unexpected failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <grp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "lsi3108_hw.h"
#define __packed __attribute__((packed))	/* the kernel's, for the ABI header */
#include "lsi3108_ioctl.h"

#define NODE "/dev/" LSI_IOC_NODE_NAME

static int use_compat;

static void die(const char *msg)
{
	fprintf(stderr, "mrioctl: %s: %s\n", msg, strerror(errno));
	exit(2);
}

/* Memory a 32-bit process could address (compat) or any (native). */
static void *mem(size_t len)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS | (use_compat ? MAP_32BIT : 0);
	void *p = mmap(NULL, len ? len : 1, PROT_READ | PROT_WRITE, flags, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	return p;
}

static void unmem(void *p, size_t len)
{
	munmap(p, len ? len : 1);
}

/* The major the first "megaraid_sas_ioctl" line of /proc/devices gives. */
static int chrdev_major(void)
{
	FILE *f = fopen("/proc/devices", "r");
	char line[128], name[64];
	int major;

	if (!f)
		die("/proc/devices");
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%d %63s", &major, name) == 2 &&
		    !strcmp(name, LSI_IOC_CHRDEV_NAME)) {
			fclose(f);
			return major;
		}
	}
	fclose(f);
	return -1;
}

/* As smartctl: make the node if missing (or if its major is stale). */
static int open_node(void)
{
	int major = chrdev_major();
	struct stat st;

	if (major < 0) {
		fprintf(stderr, "mrioctl: no %s in /proc/devices\n", LSI_IOC_CHRDEV_NAME);
		exit(2);
	}
	if (stat(NODE, &st) == 0 && (!S_ISCHR(st.st_mode) ||
				     major(st.st_rdev) != (unsigned int)major))
		unlink(NODE);
	/* Without root mknod fails: the node a root run made is still there. */
	if (mknod(NODE, S_IFCHR | 0600, makedev(major, 0)) && errno != EEXIST)
		fprintf(stderr, "mrioctl: mknod %s: %s\n", NODE, strerror(errno));
	printf("major=%d\n", major);
	return open(NODE, O_RDWR);
}

static void drop_root(void)
{
	if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
	    setresuid(65534, 65534, 65534))
		die("dropping root");
}

/*
 * The ioctl itself. In compat mode through the 32-bit system call entry
 * (ioctl is number 54 there), which a 64-bit process reaches with int $0x80:
 * the kernel then runs the driver's compat_ioctl, as for a 32-bit tool.
 */
static int do_ioctl(int fd, unsigned long cmd, void *arg)
{
	long ret;

	if (!use_compat)
		return ioctl(fd, cmd, arg);
	__asm__ volatile ("int $0x80"
			  : "=a" (ret)
			  : "0" (54L), "b" ((long)fd), "c" (cmd),
			    "d" ((long)(uintptr_t)arg)
			  : "memory", "r8", "r9", "r10", "r11");
	if (ret < 0 && ret > -4096) {
		errno = (int)-ret;
		return -1;
	}
	return (int)ret;
}

/* One packet, either layout: the head, and the buffers as pointers. */
struct pkt {
	struct lsi_ioc_head head;
	uint64_t base[LSI_IOC_MAX_SGE];
	uint64_t len[LSI_IOC_MAX_SGE];
};

/* Send @p; returns 0 or -errno, *status the frame's cmd_status. */
static int send_pkt(int fd, const struct pkt *p, uint8_t *status)
{
	size_t sz = use_compat ? sizeof(struct lsi_iocpacket32) :
				 sizeof(struct lsi_iocpacket64);
	unsigned char *u = mem(sz);
	int i, ret;

	memcpy(u, &p->head, sizeof(p->head));
	for (i = 0; i < LSI_IOC_MAX_SGE; i++) {
		if (use_compat) {
			struct lsi_iocpacket32 *c = (void *)u;

			c->sgl[i].base = (uint32_t)p->base[i];
			c->sgl[i].len = (uint32_t)p->len[i];
		} else {
			struct lsi_iocpacket64 *n = (void *)u;

			n->sgl[i].base = p->base[i];
			n->sgl[i].len = p->len[i];
		}
	}
	ret = do_ioctl(fd, use_compat ? LSI_IOC_FIRMWARE32 : LSI_IOC_FIRMWARE64, u);
	ret = ret < 0 ? -errno : 0;
	if (status)
		*status = u[LSI_IOC_CMD_STATUS_OFF];
	unmem(u, sz);
	return ret;
}

/* A DCMD reading @len bytes into @buf (NULL: no data). */
static void dcmd_pkt(struct pkt *p, uint16_t host, uint32_t opcode,
		     const uint8_t *mbox, void *buf, uint32_t len)
{
	struct lsi_mfi_dcmd_frame *d = (void *)p->head.frame;

	memset(p, 0, sizeof(*p));
	p->head.host_no = host;
	d->hdr.cmd = LSI_MFI_CMD_DCMD;
	d->hdr.cmd_status = 0xff;
	d->hdr.flags = LSI_MFI_FLAG_DIR_READ;
	d->hdr.data_xfer_len = len;
	d->opcode = opcode;
	if (mbox)
		memcpy(d->mbox, mbox, sizeof(d->mbox));
	if (buf && len) {
		d->hdr.sge_count = 1;
		d->sgl.sge32[0].addr = (uint32_t)(uintptr_t)buf;
		d->sgl.sge32[0].length = len;
		p->head.sgl_off = offsetof(struct lsi_mfi_dcmd_frame, sgl);
		p->head.sge_count = 1;
		p->base[0] = (uintptr_t)buf;
		p->len[0] = len;
	}
}

static int run_dcmd(int fd, uint16_t host, uint32_t opcode, void *buf,
		    uint32_t len)
{
	struct pkt p;
	uint8_t status = 0xff;
	int ret;

	dcmd_pkt(&p, host, opcode, NULL, buf, len);
	ret = send_pkt(fd, &p, &status);
	printf("opcode=%#010x errno=%d cmd_status=0x%02x\n", opcode, -ret, status);
	if (ret)
		exit(2);
	return status;
}

static void print_str(const char *key, const char *s, size_t n)
{
	size_t len = strnlen(s, n);

	while (len && s[len - 1] == ' ')
		len--;
	printf("%s=%.*s\n", key, (int)len, s);
}

static void cmd_info(int fd, uint16_t host)
{
	struct lsi_ctrl_info *ci = mem(sizeof(*ci));

	if (run_dcmd(fd, host, LSI_DCMD_CTRL_GET_INFO, ci, sizeof(*ci)))
		return;
	printf("pci=%04x:%04x sub=%04x:%04x\n", ci->pci_vendor_id,
	       ci->pci_device_id, ci->pci_sub_vendor_id, ci->pci_sub_device_id);
	print_str("product", ci->product_name, sizeof(ci->product_name));
	print_str("serial", ci->serial_no, sizeof(ci->serial_no));
	print_str("package", ci->package_version, sizeof(ci->package_version));
	printf("max_lds=%u ld_present=%u pd_present=%u memory_mib=%u\n",
	       ci->max_lds, ci->ld_present_count, ci->pd_present_count,
	       ci->memory_size);
}

static void cmd_lds(int fd, uint16_t host)
{
	struct lsi_ld_list *l = mem(sizeof(*l));
	uint32_t i;

	if (run_dcmd(fd, host, LSI_DCMD_LD_GET_LIST, l, sizeof(*l)))
		return;
	printf("ld_count=%u\n", l->ld_count);
	for (i = 0; i < l->ld_count && i < LSI_MAX_LDS; i++)
		printf("ld target=%u state=0x%02x sectors=%llu\n",
		       l->ld[i].target_id, l->ld[i].state,
		       (unsigned long long)l->ld[i].size);
}

static void cmd_bbu(int fd, uint16_t host)
{
	struct lsi_bbu_status *b = mem(sizeof(*b));

	if (run_dcmd(fd, host, LSI_DCMD_BBU_GET_STATUS, b, sizeof(*b)))
		return;
	printf("bbu_type=%u voltage_mv=%u current_ma=%d temperature_c=%u fw_status=0x%08x\n",
	       b->battery_type, b->voltage, (int16_t)b->current_ma,
	       b->temperature, b->fw_status);
}

static void cmd_evtinfo(int fd, uint16_t host)
{
	struct lsi_evt_log_info *e = mem(sizeof(*e));

	if (run_dcmd(fd, host, LSI_DCMD_CTRL_EVENT_GET_INFO, e, sizeof(*e)))
		return;
	printf("newest=%u oldest=%u clear=%u shutdown=%u boot=%u\n",
	       e->newest_seq_num, e->oldest_seq_num, e->clear_seq_num,
	       e->shutdown_seq_num, e->boot_seq_num);
}

/*
 * The firmware's event log from @seq on, read the way a log reader does:
 * CTRL_EVENT_GET with room for a few events at a time, from the sequence
 * number after the last one returned, until the firmware answers NOT_FOUND.
 */
#define EVENTS_PER_GET	5

static void cmd_events(int fd, uint16_t host, uint32_t seq, uint32_t class_locale)
{
	uint32_t len = sizeof(struct lsi_evt_list) +
		       EVENTS_PER_GET * sizeof(struct lsi_evt_detail);
	struct lsi_evt_list *l = mem(len);
	unsigned int total = 0, gets = 0;
	uint8_t mbox[LSI_DCMD_MBOX_SIZE] = { 0 };
	uint8_t status = 0xff;
	struct pkt p;
	uint32_t i;
	int ret;

	for (gets = 0; gets < 1000; gets++) {
		memcpy(mbox, &seq, 4);
		memcpy(mbox + 4, &class_locale, 4);
		memset(l, 0, len);
		dcmd_pkt(&p, host, LSI_DCMD_CTRL_EVENT_GET, mbox, l, len);
		ret = send_pkt(fd, &p, &status);
		if (ret) {
			printf("events errno=%d\n", -ret);
			exit(2);
		}
		if (status != LSI_MFI_STAT_OK)
			break;
		if (!l->count || l->count > EVENTS_PER_GET) {
			printf("bad_count=%u\n", l->count);
			break;
		}
		for (i = 0; i < l->count; i++) {
			struct lsi_evt_detail *d = &l->event[i];

			printf("event seq=%u code=0x%04x class=%d locale=0x%04x desc=%.*s\n",
			       d->seq_num, d->code, (int8_t)(d->class_locale >> 24),
			       d->class_locale & 0xffff,
			       (int)strnlen(d->description, sizeof(d->description)),
			       d->description);
		}
		total += l->count;
		seq = l->event[l->count - 1].seq_num + 1;
	}
	printf("events=%u gets=%u last_status=0x%02x\n", total, gets + 1, status);
}

static void cmd_dcmd(int fd, uint16_t host, uint32_t opcode, uint32_t len)
{
	unsigned char *buf = mem(len);
	uint32_t i;

	run_dcmd(fd, host, opcode, len ? buf : NULL, len);
	printf("data=");
	for (i = 0; i < len; i++)
		printf("%02x", buf[i]);
	printf("\n");
}

/*
 * A SCSI INQUIRY to physical disk @dev through MFI_CMD_PD_SCSI_IO, laid out
 * as smartctl -d megaraid,N does (SGL at 0x30), with a sense buffer whose
 * address the driver finds at 0x18 (the frame's sense address).
 */
static void cmd_pdinq(int fd, uint16_t host, unsigned int dev)
{
	unsigned char *data = mem(36), *sense = mem(32);
	struct lsi_mfi_pthru_frame *f;
	uint64_t sense_ptr = (uintptr_t)sense;
	uint8_t status = 0xff;
	struct pkt p;
	int ret;

	memset(sense, 0xa5, 32);	/* the driver must overwrite all of it */
	memset(&p, 0, sizeof(p));
	f = (void *)p.head.frame;
	f->hdr.cmd = LSI_MFI_CMD_PD_SCSI_IO;
	f->hdr.cmd_status = 0xff;
	f->hdr.target_id = (uint8_t)dev;
	f->hdr.cdb_len = 6;
	f->hdr.sense_len = 32;
	f->hdr.flags = LSI_MFI_FLAG_DIR_READ;
	f->hdr.data_xfer_len = 36;
	f->hdr.sge_count = 1;
	f->cdb[0] = 0x12;		/* INQUIRY */
	f->cdb[4] = 36;
	memcpy(p.head.frame + offsetof(struct lsi_mfi_pthru_frame, sense_addr_lo),
	       &sense_ptr, use_compat ? 4 : 8);
	p.head.host_no = host;
	p.head.sgl_off = offsetof(struct lsi_mfi_pthru_frame, sgl);
	p.head.sge_count = 1;
	p.head.sense_off = offsetof(struct lsi_mfi_pthru_frame, sense_addr_lo);
	p.head.sense_len = 32;
	p.base[0] = (uintptr_t)data;
	p.len[0] = 36;
	ret = send_pkt(fd, &p, &status);
	printf("pd=%u errno=%d cmd_status=0x%02x sense0=0x%02x sense31=0x%02x\n",
	       dev, -ret, status, sense[0], sense[31]);
	if (!ret && !status)
		printf("vendor=%.8s product=%.16s\n", data + 8, data + 16);
}

static volatile sig_atomic_t got_sigio;

static void on_sigio(int sig)
{
	(void)sig;
	got_sigio = 1;
}

/*
 * MEGASAS_IOC_GET_AEN for events from @seq of @class_locale on, then wait up
 * to @secs for the SIGIO; without @fasync the descriptor never asked for
 * signals (the driver refuses). Prints the ioctl's errno and sigio=0|1.
 */
static void cmd_aen(int fd, uint16_t host, uint32_t seq, uint32_t class_locale,
		    unsigned int secs, int fasync)
{
	struct lsi_ioc_aen *aen = mem(sizeof(*aen));
	unsigned int i;
	int ret;

	signal(SIGIO, on_sigio);
	if (fasync && (fcntl(fd, F_SETOWN, getpid()) ||
		       fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_ASYNC)))
		die("fcntl O_ASYNC");
	aen->host_no = host;
	aen->seq_num = seq;
	aen->class_locale = class_locale;
	ret = do_ioctl(fd, LSI_IOC_GET_AEN, aen);
	printf("aen errno=%d\n", ret < 0 ? errno : 0);
	fflush(stdout);
	for (i = 0; ret == 0 && i < secs * 10 && !got_sigio; i++)
		usleep(100000);
	printf("sigio=%d\n", (int)got_sigio);
}

/* Malformed packets: each must get EINVAL (and change nothing). */
static void cmd_bad(int fd, uint16_t host, const char *what)
{
	struct lsi_ctrl_info *ci = mem(sizeof(*ci));
	struct lsi_mfi_dcmd_frame *d;
	struct pkt p;
	int ret;

	dcmd_pkt(&p, host, LSI_DCMD_CTRL_GET_INFO, NULL, ci, sizeof(*ci));
	d = (void *)p.head.frame;
	if (!strcmp(what, "sge-count"))
		p.head.sge_count = LSI_IOC_MAX_SGE + 1;
	else if (!strcmp(what, "sge-len"))
		p.len[0] = 64 << 20;		/* the buffer is smaller: EINVAL first */
	else if (!strcmp(what, "sense-len"))
		p.head.sense_len = 4096, p.head.sense_off = 0x18;
	else if (!strcmp(what, "sense-off"))
		p.head.sense_len = 32, p.head.sense_off = 4096;
	else if (!strcmp(what, "sgl-off"))
		p.head.sgl_off = 250;
	else if (!strcmp(what, "sgl-over-opcode"))
		p.head.sgl_off = 0x18;	/* SGE addresses would become the opcode */
	else if (!strcmp(what, "sense-over-opcode"))
		p.head.sense_len = 32, p.head.sense_off = 0x18;
	else if (!strcmp(what, "cmd"))
		d->hdr.cmd = 0x42;
	else if (!strcmp(what, "init"))
		d->hdr.cmd = LSI_MFI_CMD_INIT;
	else if (!strcmp(what, "shutdown"))
		d->opcode = LSI_DCMD_CTRL_SHUTDOWN;
	else if (!strcmp(what, "event-wait"))
		d->opcode = LSI_DCMD_CTRL_EVENT_WAIT;
	else if (!strcmp(what, "host"))
		p.head.host_no = 4242;
	else {
		fprintf(stderr, "mrioctl: unknown bad case %s\n", what);
		exit(1);
	}
	ret = send_pkt(fd, &p, NULL);
	printf("case=%s errno=%d (%s)\n", what, -ret, strerror(-ret));
}

/* ---- fuzz: a small seeded generator (xorshift64*) ---- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static uint32_t rnd_below(uint32_t n)
{
	return n ? (uint32_t)(rnd() % n) : 0;
}

/* DCMDs the model answers, and a few it does not: the seeds of mutation. */
static const uint32_t fuzz_opcodes[] = {
	LSI_DCMD_CTRL_GET_INFO, LSI_DCMD_CTRL_EVENT_GET_INFO,
	LSI_DCMD_CTRL_EVENT_GET, LSI_DCMD_CTRL_CACHE_FLUSH,
	LSI_DCMD_PD_LIST_QUERY, LSI_DCMD_PD_GET_INFO, LSI_DCMD_LD_GET_LIST,
	LSI_DCMD_LD_LIST_QUERY, LSI_DCMD_LD_GET_INFO,
	LSI_DCMD_LD_GET_PROPERTIES, LSI_DCMD_LD_MAP_GET_INFO,
	LSI_DCMD_BBU_GET_STATUS, LSI_DCMD_SYSTEM_PD_MAP_GET_INFO,
	LSI_DCMD_CTRL_DEVICE_LIST_GET, 0x01020100, 0x0c000000,
};

#define FUZZ_BUF (64 * 1024)

/*
 * One packet: a valid read-only DCMD with some fields mutated, or random
 * head fields around the limits. Buffers point into @pool (or, now and
 * then, at nothing mapped). LD_SET_PROPERTIES and other writes never come
 * out of this: the opcodes are read-only ones, mutated only in the
 * mailbox, lengths and layout.
 */
static void fuzz_one(struct pkt *p, uint16_t host, unsigned char *pool)
{
	uint32_t i, n, op = fuzz_opcodes[rnd_below(sizeof(fuzz_opcodes) / 4)];
	uint8_t mbox[LSI_DCMD_MBOX_SIZE];

	for (i = 0; i < sizeof(mbox); i++)
		mbox[i] = rnd_below(4) ? 0 : (uint8_t)rnd();
	dcmd_pkt(p, host, op, mbox, pool + rnd_below(FUZZ_BUF / 2),
		 rnd_below(FUZZ_BUF / 2));
	n = rnd_below(12);
	for (i = 0; i < n; i++) {
		switch (rnd_below(11)) {
		case 0:
			p->head.sge_count = rnd_below(4) ? rnd_below(20) : (uint32_t)rnd();
			break;
		case 1:
			p->head.sgl_off = rnd_below(4) ? rnd_below(300) : (uint32_t)rnd();
			break;
		case 2:
			p->head.sense_len = rnd_below(2) ? rnd_below(300) : (uint32_t)rnd();
			p->head.sense_off = rnd_below(80);
			break;
		case 3: {
			uint32_t k = rnd_below(LSI_IOC_MAX_SGE);

			p->len[k] = rnd_below(4) ? rnd_below(FUZZ_BUF / 2) :
				    rnd_below(2) ? rnd() : (2u << 20);
			p->base[k] = (uintptr_t)pool + rnd_below(FUZZ_BUF / 2);
			break;
		}
		case 4:
			/* a byte of the frame, not the command class or opcode */
			p->head.frame[4 + rnd_below(LSI_IOC_FRAME_SIZE - 4)] = (uint8_t)rnd();
			break;
		case 5:
			p->head.frame[0] = rnd_below(12);	/* command class */
			break;
		case 6:
			p->head.host_no = rnd_below(8) ? host : (uint16_t)rnd();
			break;
		case 7:
			p->base[rnd_below(LSI_IOC_MAX_SGE)] = rnd_below(2) ? 0 : 0x1000;
			break;
		case 8: {
			/* the sense pointer in the frame */
			uint64_t s = (uintptr_t)pool + FUZZ_BUF - 512;

			if (p->head.sense_off + 8 <= LSI_IOC_FRAME_SIZE)
				memcpy(p->head.frame + p->head.sense_off, &s,
				       use_compat ? 4 : 8);
			break;
		}
		case 9:
			((struct lsi_mfi_header *)p->head.frame)->flags = (uint16_t)rnd();
			break;
		default:
			((struct lsi_mfi_header *)p->head.frame)->data_xfer_len = (uint32_t)rnd();
			break;
		}
	}
	/* Stay on the read-only side: the frame's class may change, its opcode not. */
	((struct lsi_mfi_dcmd_frame *)p->head.frame)->opcode = op;
}

static void cmd_fuzz(int fd, uint16_t host, uint64_t seed, unsigned long count)
{
	unsigned char *pool = mem(FUZZ_BUF);
	unsigned long i, hist[4096] = { 0 }, status_ok = 0;
	struct pkt p;

	rng_state = seed ? seed : 1;
	for (i = 0; i < count; i++) {
		uint8_t status = 0xff;
		int ret;

		fuzz_one(&p, host, pool);
		ret = send_pkt(fd, &p, &status);
		hist[-ret < 4096 ? -ret : 4095]++;
		if (!ret && status == 0)
			status_ok++;
	}
	printf("fuzz seed=%llu count=%lu status_ok=%lu\n",
	       (unsigned long long)seed, count, status_ok);
	for (i = 0; i < 4096; i++)
		if (hist[i])
			printf("fuzz errno=%lu (%s) n=%lu\n", i,
			       i ? strerror((int)i) : "none", hist[i]);
}

static void usage(void)
{
	fprintf(stderr, "usage: mrioctl [--compat] [--as-nobody|--open-as-nobody] <host_no> info|lds|bbu|evtinfo|events <seq> <class_locale>|pdinq <dev>|dcmd <opcode> <len>|bad <case>|fuzz <seed> <count>\n");
	exit(1);
}

int main(int argc, char **argv)
{
	int fd, i = 1, nobody_before = 0, nobody_after = 0;
	uint16_t host;
	const char *cmd;

	for (; i < argc && !strncmp(argv[i], "--", 2); i++) {
		if (!strcmp(argv[i], "--compat"))
			use_compat = 1;
		else if (!strcmp(argv[i], "--open-as-nobody"))
			nobody_before = 1;
		else if (!strcmp(argv[i], "--as-nobody"))
			nobody_after = 1;
		else
			usage();
	}
	if (argc - i < 2)
		usage();
	host = (uint16_t)strtoul(argv[i], NULL, 0);
	cmd = argv[i + 1];
	if (nobody_before)
		drop_root();
	fd = open_node();
	if (fd < 0) {
		printf("open errno=%d (%s)\n", errno, strerror(errno));
		return 0;
	}
	if (nobody_after)
		drop_root();
	if (!strcmp(cmd, "info"))
		cmd_info(fd, host);
	else if (!strcmp(cmd, "lds"))
		cmd_lds(fd, host);
	else if (!strcmp(cmd, "bbu"))
		cmd_bbu(fd, host);
	else if (!strcmp(cmd, "evtinfo"))
		cmd_evtinfo(fd, host);
	else if (!strcmp(cmd, "aen") && argc - i >= 5)
		cmd_aen(fd, host, strtoul(argv[i + 2], NULL, 0),
			strtoul(argv[i + 3], NULL, 0), strtoul(argv[i + 4], NULL, 0), 1);
	else if (!strcmp(cmd, "aen-nofasync") && argc - i >= 4)
		cmd_aen(fd, host, strtoul(argv[i + 2], NULL, 0),
			strtoul(argv[i + 3], NULL, 0), 0, 0);
	else if (!strcmp(cmd, "pdinq") && argc - i >= 3)
		cmd_pdinq(fd, host, strtoul(argv[i + 2], NULL, 0));
	else if (!strcmp(cmd, "events") && argc - i >= 4)
		cmd_events(fd, host, strtoul(argv[i + 2], NULL, 0),
			   strtoul(argv[i + 3], NULL, 0));
	else if (!strcmp(cmd, "dcmd") && argc - i >= 4)
		cmd_dcmd(fd, host, strtoul(argv[i + 2], NULL, 0),
			 strtoul(argv[i + 3], NULL, 0));
	else if (!strcmp(cmd, "bad") && argc - i >= 3)
		cmd_bad(fd, host, argv[i + 2]);
	else if (!strcmp(cmd, "fuzz") && argc - i >= 4)
		cmd_fuzz(fd, host, strtoull(argv[i + 2], NULL, 0),
			 strtoul(argv[i + 3], NULL, 0));
	else
		usage();
	return 0;
}
