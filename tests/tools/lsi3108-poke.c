// SPDX-License-Identifier: GPL-2.0-only
/*
 * lsi3108-poke: a hostile host for the SAS3108 model, run in the test guest
 * with no driver bound to the controller (tests/guest/81-bounds.sh,
 * 82-regs.sh).
 *
 * It drives the controller the way no driver should: from user space,
 * through the register BAR (/sys/bus/pci/devices/<bdf>/resource1, mmap) and
 * with its frames, rings and data in one 2 MiB huge page whose physical
 * address it reads from /proc/self/pagemap. That address is the bus address
 * only without an IOMMU; the tests skip the vIOMMU bench.
 *
 * Layout of the huge page (offsets):
 *   0x000000  request frames: SMID s at 256 * s (SMIDs 1..1023)
 *   0x040000  the MFI INIT frame; 0x040100 the MPI2 IOC INIT request
 *   0x041000  reply ring 0 (and the next rings, contiguous)
 *   0x048000  the MFI-mode frame; 0x049000 its data; 0x04a000 sense
 *   0x100000  1 MiB data buffer
 *
 * Usage: lsi3108-poke <pci dir> <scenario> [arguments]; see usage().
 * Output: "key=value" words on one line, for the shell test to read.
 * Exit status: 0 done, 1 usage, 2 set-up failed (no huge page, no BAR...).
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "lsi3108_hw.h"

#define HUGE_SIZE	(2UL << 20)
#define OFF_FRAMES	0x000000UL
#define OFF_INIT	0x040000UL
#define OFF_IOC_REQ	0x040100UL
#define OFF_RINGS	0x041000UL
#define OFF_MFI		0x048000UL
#define OFF_MFI_DATA	0x049000UL
#define OFF_SENSE	0x04a000UL
#define OFF_DATA	0x100000UL
#define DATA_SIZE	(1UL << 20)
#define MAX_SMID	1023

static volatile uint8_t *regs;
static uint8_t *mem;		/* the huge page */
static uint64_t mem_bus;	/* its bus address */

static void die(int code, const char *fmt, const char *arg)
{
	fprintf(stderr, "lsi3108-poke: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "%s%s\n", errno ? ": " : "", errno ? strerror(errno) : "");
	exit(code);
}

static uint32_t rd32(uint32_t off)
{
	return *(volatile uint32_t *)(regs + off);
}

static void wr32(uint32_t off, uint32_t val)
{
	*(volatile uint32_t *)(regs + off) = val;
}

/* One 64-bit store: the request descriptor reaches the port in one write. */
static void wr64(uint32_t off, uint64_t val)
{
	__sync_synchronize();
	*(volatile uint64_t *)(regs + off) = val;
}

static uint32_t fw_state(void)
{
	return rd32(LSI_REG_SCRATCH_PAD0) >> LSI_FW_STATE_SHIFT;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Config space: memory decoding and bus mastering on (no driver does it). */
static void enable_device(const char *pci)
{
	char path[512];
	uint16_t cmd;
	int fd;

	snprintf(path, sizeof(path), "%s/config", pci);
	fd = open(path, O_RDWR);
	if (fd < 0 || pread(fd, &cmd, 2, 4) != 2)
		die(2, "cannot read %s", path);
	cmd |= 0x6;		/* PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER */
	if (pwrite(fd, &cmd, 2, 4) != 2)
		die(2, "cannot write %s", path);
	close(fd);
}

static void map_regs(const char *pci)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/resource%d", pci, LSI_REG_BAR);
	fd = open(path, O_RDWR | O_SYNC);
	if (fd < 0)
		die(2, "cannot open %s", path);
	regs = mmap(NULL, LSI_REG_BAR_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		    fd, 0);
	if (regs == MAP_FAILED)
		die(2, "cannot mmap %s", path);
	close(fd);
}

/* The huge page, locked, and its physical address from pagemap. */
static void map_memory(void)
{
	uint64_t entry;
	int fd;

	mem = mmap(NULL, HUGE_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE |
		   MAP_LOCKED, -1, 0);
	if (mem == MAP_FAILED)
		die(2, "no 2 MiB huge page (%s)", "vm.nr_hugepages");
	memset(mem, 0, HUGE_SIZE);
	fd = open("/proc/self/pagemap", O_RDONLY);
	if (fd < 0 || pread(fd, &entry, 8, (uintptr_t)mem / 4096 * 8) != 8)
		die(2, "cannot read %s", "/proc/self/pagemap");
	close(fd);
	if (!(entry & (1ULL << 63)) || !(entry & ((1ULL << 55) - 1)))
		die(2, "no physical address in %s", "/proc/self/pagemap");
	mem_bus = (entry & ((1ULL << 55) - 1)) * 4096;
}

static uint64_t bus(unsigned long off)
{
	return mem_bus + off;
}

/*
 * A chip reset: the write-sequence keys unlock host diag, RESET_ADAPTER;
 * the registers read all-ones for a while (reset-time-ms), then the
 * firmware boots to READY.
 */
static void chip_reset(void)
{
	static const uint32_t keys[] = LSI_WRITE_SEQ_KEYS;
	int i;

	wr32(LSI_REG_WRITE_SEQ, LSI_WRITE_SEQ_FLUSH);
	for (i = 0; i < LSI_WRITE_SEQ_NKEYS; i++)
		wr32(LSI_REG_WRITE_SEQ, keys[i]);
	wr32(LSI_REG_HOST_DIAG, LSI_HOST_DIAG_RESET_ADAPTER);
	sleep_ms(50);
}

/*
 * Back to READY as a driver's reset does: from OPERATIONAL by doorbell,
 * from FAULT by chip reset (waiting through its all-ones window).
 */
static int to_ready(void)
{
	int i;

	if (fw_state() == LSI_FW_STATE_OPERATIONAL)
		wr32(LSI_REG_DOORBELL, LSI_DB_RESET_FLAGS);
	else if (fw_state() == LSI_FW_STATE_FAULT)
		chip_reset();
	for (i = 0; i < 500 && fw_state() != LSI_FW_STATE_READY; i++)
		sleep_ms(10);
	return fw_state() == LSI_FW_STATE_READY ? 0 : -1;
}

/*
 * IOC INIT from READY: @nq rings of @depth, frames at OFF_FRAMES, driver
 * capabilities @caps; the frame base is @frames_bus when not 0. Returns
 * cmd_status (0xff: no answer within 10 s; 0x100 | state: never READY).
 */
static int ioc_init(unsigned int nq, unsigned int depth, uint32_t caps,
		    uint64_t frames_bus)
{
	struct lsi_mfi_init_frame *init = (void *)(mem + OFF_INIT);
	struct lsi_ioc_init_request *req = (void *)(mem + OFF_IOC_REQ);
	volatile uint8_t *status = &init->cmd_status;
	int i;

	if (to_ready())
		return 0x100 | fw_state();
	memset(mem + OFF_RINGS, 0xff, (size_t)nq * depth * 8);
	memset(init, 0, sizeof(*init));
	memset(req, 0, sizeof(*req));
	req->who_init = LSI_WHOINIT_HOST_DRIVER;
	req->function = LSI_FUNC_IOC_INIT;
	req->msg_version = LSI_MPI2_VERSION;
	req->header_version = LSI_MPI2_HEADER_VERSION;
	req->host_msix_vectors = nq;
	req->system_request_frame_size = LSI_FRAME_SIZE / 4;
	req->reply_descriptor_post_queue_depth = depth;
	req->system_request_frame_base_address = frames_bus ? frames_bus :
						 bus(OFF_FRAMES);
	req->reply_descriptor_post_queue_address = bus(OFF_RINGS);
	init->cmd = LSI_MFI_CMD_INIT;
	init->cmd_status = 0xff;
	init->flags = LSI_MFI_FLAG_DONT_POST;
	init->driver_operations = caps;
	init->queue_info_new_lo = (uint32_t)bus(OFF_IOC_REQ);
	init->queue_info_new_hi = bus(OFF_IOC_REQ) >> 32;
	init->data_xfer_len = sizeof(*req);
	wr64(LSI_REG_REQ_DESC_LOW, bus(OFF_INIT) | LSI_REQ_DESC_MFA);
	for (i = 0; i < 1000 && *status == 0xff; i++)
		sleep_ms(10);
	return *status;
}

static uint64_t request_desc(unsigned int smid, unsigned int queue)
{
	return LSI_REQ_DESC_SCSI_IO | (uint64_t)queue << 8 |
	       (uint64_t)smid << 16;
}

/* Reply descriptors in ring @q (of @depth) that are not empty. */
static unsigned int ring_used(unsigned int q, unsigned int depth)
{
	volatile uint64_t *ring = (void *)(mem + OFF_RINGS + q * depth * 8UL);
	unsigned int i, n = 0;

	for (i = 0; i < depth; i++)
		n += ring[i] != LSI_RPY_EMPTY;
	return n;
}

/* A frame the firmware completes at once: an unsupported Function. */
static void frame_unsupported(unsigned int smid)
{
	uint8_t *f = mem + OFF_FRAMES + smid * LSI_FRAME_SIZE;

	memset(f, 0, LSI_FRAME_SIZE);
	f[offsetof(struct lsi_io_frame, function)] = 0x55;
}

/* WRITE(10) FUA of 1 MiB at LBA 0 of @target, data from OFF_DATA. */
static void frame_write_1m(unsigned int smid, unsigned int target)
{
	struct lsi_io_frame *f = (void *)(mem + OFF_FRAMES +
					  smid * LSI_FRAME_SIZE);

	memset(f, 0, sizeof(*f));
	f->dev_handle = target;
	f->function = LSI_FUNC_LD_IO;
	f->sense_addr_low = (uint32_t)bus(OFF_SENSE);
	f->sense_length = LSI_SENSE_BUFFER_SIZE;
	f->sgl_offset[0] = LSI_SGL_OFFSET0;
	f->data_length = DATA_SIZE;
	f->io_flags = 10;
	f->control = LSI_CONTROL_WRITE;
	f->cdb[0] = 0x2a;			/* WRITE(10) */
	f->cdb[1] = 0x08;			/* FUA: past the write cache */
	f->cdb[7] = (DATA_SIZE / 512) >> 8;
	f->cdb[8] = (DATA_SIZE / 512) & 0xff;
	f->raid_context.ld_target_id = target;
	f->raid_context.num_sge = 1;
	f->sgl[0].addr = bus(OFF_DATA);
	f->sgl[0].length = DATA_SIZE;
	f->sgl[0].flags = LSI_SGE_FLAGS_END_OF_LIST;
}

/*
 * repost <count>: one ring of 16, never consumed; SMID 1 (completed at
 * once) posted @count times. The ring fills after 15 replies; each later
 * completion can only wait in the firmware.
 */
static int scenario_repost(unsigned long count)
{
	unsigned long i;
	int st = ioc_init(1, 16, 0, 0);

	if (st)
		return printf("ioc_init=%d\n", st), 0;
	frame_unsupported(1);
	for (i = 0; i < count; i++)
		wr64(LSI_REG_REQ_DESC_LOW, request_desc(1, 0));
	sleep_ms(200);
	printf("ioc_init=0 posted=%lu ring_used=%u\n", count, ring_used(0, 16));
	return 0;
}

/*
 * bounce <target> <count>: SMIDs 1..count, each a 1 MiB FUA write to the LD,
 * all posted at once (the test slows the LD's backend down first).
 */
static int scenario_bounce(unsigned int target, unsigned long count)
{
	unsigned long s;
	int st;

	if (count > MAX_SMID)
		count = MAX_SMID;
	st = ioc_init(1, 1024 + 16, 0, 0);
	if (st)
		return printf("ioc_init=%d\n", st), 0;
	memset(mem + OFF_DATA, 0x5a, DATA_SIZE);
	for (s = 1; s <= count; s++) {
		frame_write_1m(s, target);
		wr64(LSI_REG_REQ_DESC_LOW, request_desc(s, 0));
	}
	printf("ioc_init=0 posted=%lu\n", count);
	return 0;
}

/* The MFI-mode frame: an EVENT_WAIT for an event that never comes. */
static void mfi_event_wait(void)
{
	struct lsi_mfi_dcmd_frame *f = (void *)(mem + OFF_MFI);

	memset(f, 0, sizeof(*f));
	f->hdr.cmd = LSI_MFI_CMD_DCMD;
	f->hdr.cmd_status = 0xff;
	f->hdr.sge_count = 1;
	f->hdr.data_xfer_len = 256;
	f->opcode = LSI_DCMD_CTRL_EVENT_WAIT;
	f->mbox[0] = 0xff;			/* sequence 0x7fffffff */
	f->mbox[1] = 0xff;
	f->mbox[2] = 0xff;
	f->mbox[3] = 0x7f;
	f->sgl.sge32[0].addr = (uint32_t)bus(OFF_MFI_DATA);
	f->sgl.sge32[0].length = 256;
}

/* The MFI-mode frame: an LD pass-through WRITE(10) FUA of 1 MiB. */
static void mfi_write_1m(unsigned int target)
{
	struct lsi_mfi_pthru_frame *f = (void *)(mem + OFF_MFI);

	memset(f, 0, sizeof(*f));
	f->hdr.cmd = LSI_MFI_CMD_LD_SCSI_IO;
	f->hdr.cmd_status = 0xff;
	f->hdr.target_id = target;
	f->hdr.cdb_len = 10;
	f->hdr.sge_count = 1;
	f->hdr.flags = LSI_MFI_FLAG_DIR_WRITE;
	f->hdr.data_xfer_len = DATA_SIZE;
	f->sense_addr_lo = (uint32_t)bus(OFF_SENSE);
	f->cdb[0] = 0x2a;
	f->cdb[1] = 0x08;
	f->cdb[7] = (DATA_SIZE / 512) >> 8;
	f->cdb[8] = (DATA_SIZE / 512) & 0xff;
	f->sgl.sge32[0].addr = (uint32_t)bus(OFF_DATA);
	f->sgl.sge32[0].length = DATA_SIZE;
}

/*
 * mfi-hold <count> / mfi-io <target> <count>: READY (no IOC INIT), the same
 * MFI frame posted @count times at the MFI queue port. Counts how often the
 * firmware answered it at once with an error (cmd_status not 0xff).
 */
static int scenario_mfi(int io, unsigned int target, unsigned long count)
{
	volatile uint8_t *status = mem + OFF_MFI + 2;
	unsigned long i, refused = 0;

	if (to_ready())
		return printf("ready=no state=0x%x\n", fw_state()), 0;
	if (io)
		memset(mem + OFF_DATA, 0xa5, DATA_SIZE);
	for (i = 0; i < count; i++) {
		if (io)
			mfi_write_1m(target);
		else
			mfi_event_wait();
		wr32(LSI_REG_MFI_QUEUE_PORT, (uint32_t)bus(OFF_MFI) |
			 LSI_MFI_QUEUE_PORT_VALID);
		if (*status != 0xff && *status != 0)
			refused++;
	}
	printf("ready=yes posted=%lu answered_error=%lu last_status=0x%02x\n",
	       count, refused, *status);
	return 0;
}

/*
 * ioc-init <nq> <caps hex> [frames hex]: one IOC INIT with those driver
 * capabilities (and frame base); prints its cmd_status.
 */
static int scenario_ioc_init(unsigned int nq, uint32_t caps, uint64_t frames)
{
	printf("ioc_init=%d\n", ioc_init(nq, 16, caps, frames));
	return 0;
}

/*
 * host-index <nq> <caps hex> <reg hex> <value hex>: IOC INIT, then SMID 1
 * completed twice (the ring then holds 2 replies); the host index is
 * written as told; then 14 more completions. With a ring of 16 the ring
 * takes them all only if the write freed the first two slots.
 */
static int scenario_host_index(unsigned int nq, uint32_t caps, uint32_t reg,
			       uint32_t val)
{
	unsigned int i;
	int st;

	st = ioc_init(nq, 16, caps, 0);
	if (st)
		return printf("ioc_init=%d\n", st), 0;
	frame_unsupported(1);
	for (i = 0; i < 2; i++) {
		wr64(LSI_REG_REQ_DESC_LOW, request_desc(1, 0));
		sleep_ms(20);
	}
	wr32(reg, val);
	for (i = 0; i < 14; i++) {
		wr64(LSI_REG_REQ_DESC_LOW, request_desc(1, 0));
		sleep_ms(20);
	}
	/* 16 completions: 15 fit before the first two are freed, 16 after */
	printf("ioc_init=0 completions=16 ring_used=%u\n", ring_used(0, 16));
	return 0;
}

/*
 * chain <caps hex> <target> [tb]: IOC INIT with those capabilities, then an
 * 8 KiB READ(10) of the LD whose SGL ends in a 4 KiB chain frame (as a
 * driver with 1 MiB I/O builds it). Prints the RAID context status. With
 * "tb", the chain element is laid out the Thunderbolt (2208) way a 3108
 * locks up on: flags 0x83, first slot, no ChainOffset, no END_OF_LIST.
 */
static int scenario_chain(uint32_t caps, unsigned int target, int tb)
{
	struct lsi_io_frame *f = (void *)(mem + OFF_FRAMES + LSI_FRAME_SIZE);
	struct lsi_sge *chain = (void *)(mem + OFF_MFI_DATA);
	volatile uint8_t *status = &f->raid_context.status;
	int i, st = ioc_init(1, 16, caps, 0);

	if (st)
		return printf("ioc_init=%d\n", st), 0;
	frame_write_1m(1, target);
	f->cdb[0] = 0x28;			/* READ(10), 16 blocks */
	f->cdb[1] = 0;
	f->cdb[7] = 0;
	f->cdb[8] = 16;
	f->control = LSI_CONTROL_READ;
	f->data_length = 8192;
	f->raid_context.status = 0xff;
	/*
	 * As a driver lays it out for a 3108: data SGEs in every slot of the
	 * frame but the last, the chain element there (ChainOffset 15), the
	 * rest of the data in the chain frame, its last SGE END_OF_LIST.
	 */
	for (i = 0; i < LSI_FRAME_SGE_SLOTS - 1; i++) {
		f->sgl[i].addr = bus(OFF_DATA) + 512 * i;
		f->sgl[i].length = 512;
		f->sgl[i].flags = 0;
	}
	f->chain_offset = LSI_CHAIN_OFFSET_IO;
	f->raid_context.num_sge = i + 1;	/* data SGEs: i here, 1 in the chain */
	f->sgl[i].addr = bus(OFF_MFI_DATA);
	f->sgl[i].length = 4096;
	f->sgl[i].flags = LSI_SGE_FLAGS_CHAIN;
	memset(chain, 0, 4096);
	chain[0].addr = bus(OFF_DATA) + 512 * i;
	chain[0].length = 8192 - 512 * i;
	chain[0].flags = LSI_SGE_FLAGS_END_OF_LIST;
	if (tb) {
		memset(f->sgl, 0, sizeof(f->sgl));
		f->chain_offset = 0;
		f->sgl[0].addr = bus(OFF_MFI_DATA);
		f->sgl[0].length = 4096;
		f->sgl[0].flags = 0x83;
		chain[0].addr = bus(OFF_DATA);
		chain[0].length = 8192;
		chain[0].flags = 0;
		f->raid_context.num_sge = 1;
	}
	wr64(LSI_REG_REQ_DESC_LOW, request_desc(1, 0));
	for (i = 0; i < 500 && ring_used(0, 16) == 0; i++)
		sleep_ms(10);
	printf("ioc_init=0 replied=%u status=0x%02x\n", ring_used(0, 16),
	       *status);
	return 0;
}

/* Offset of the PCI power-management capability in config space, or 0. */
static unsigned int pm_cap(int fd)
{
	uint8_t pos = 0, hdr[2];
	int n;

	if (pread(fd, &pos, 1, 0x34) != 1)
		return 0;
	for (n = 0; pos && n < 48; n++) {
		if (pread(fd, hdr, 2, pos) != 2)
			return 0;
		if (hdr[0] == 0x01)		/* PCI_CAP_ID_PM */
			return pos;
		pos = hdr[1];
	}
	return 0;
}

/*
 * pm-cycle: D0 -> D3hot -> D0 through the PM capability's control register;
 * prints scratch pad 0 as read in D3hot and the firmware state after D0.
 */
static int scenario_pm_cycle(const char *pci)
{
	char path[512];
	uint16_t pmcsr;
	unsigned int cap;
	uint32_t d3_pad0;
	int fd;

	snprintf(path, sizeof(path), "%s/config", pci);
	fd = open(path, O_RDWR);
	if (fd < 0)
		die(2, "cannot open %s", path);
	cap = pm_cap(fd);
	if (!cap)
		return printf("pm_cap=none\n"), 0;
	if (pread(fd, &pmcsr, 2, cap + 4) != 2)
		die(2, "cannot read %s", path);
	pmcsr = (pmcsr & ~3) | 3;		/* D3hot */
	if (pwrite(fd, &pmcsr, 2, cap + 4) != 2)
		die(2, "cannot write %s", path);
	sleep_ms(20);
	d3_pad0 = rd32(LSI_REG_SCRATCH_PAD0);
	pmcsr &= ~3;				/* D0 */
	if (pwrite(fd, &pmcsr, 2, cap + 4) != 2)
		die(2, "cannot write %s", path);
	close(fd);
	sleep_ms(20);
	enable_device(pci);	/* the soft reset may have cleared COMMAND */
	printf("pm_cap=0x%x d3_pad0=0x%08x d0_state=0x%x\n", cap, d3_pad0,
	       fw_state());
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: lsi3108-poke <pci dir> <scenario>\n"
		"  state                          firmware state (pad 0 >> 28)\n"
		"  ready                          OPERATIONAL -> READY\n"
		"  repost <count>                 reply backlog: re-post one SMID\n"
		"  bounce <target> <count>        1 MiB writes on count SMIDs\n"
		"  mfi-hold <count>               held EVENT_WAITs in MFI mode\n"
		"  mfi-io <target> <count>        1 MiB pass-through writes, MFI mode\n"
		"  ioc-init <nq> <caps> [frames]  IOC INIT: its status\n"
		"  host-index <nq> <caps> <reg> <value>\n"
		"  chain <caps> <target> [tb]     8 KiB read through a 4 KiB chain\n"
		"  pad1                           scratch pad 1 (capabilities)\n"
		"  pm-cycle                       D0 -> D3hot -> D0\n");
	exit(1);
}

static unsigned long num(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 0);

	if (!*s || *end)
		usage();
	return v;
}

int main(int argc, char **argv)
{
	const char *what;

	if (argc < 3)
		usage();
	what = argv[2];
	enable_device(argv[1]);
	map_regs(argv[1]);
	if (!strcmp(what, "state"))
		return printf("state=0x%x\n", fw_state()), 0;
	if (!strcmp(what, "pad1"))
		return printf("pad1=0x%08x\n", rd32(LSI_REG_SCRATCH_PAD1)), 0;
	if (!strcmp(what, "pm-cycle"))
		return scenario_pm_cycle(argv[1]);
	if (!strcmp(what, "ready"))
		return printf("ready=%s\n", to_ready() ? "no" : "yes"), 0;
	map_memory();
	if (!strcmp(what, "repost") && argc == 4)
		return scenario_repost(num(argv[3]));
	if (!strcmp(what, "bounce") && argc == 5)
		return scenario_bounce(num(argv[3]), num(argv[4]));
	if (!strcmp(what, "mfi-hold") && argc == 4)
		return scenario_mfi(0, 0, num(argv[3]));
	if (!strcmp(what, "mfi-io") && argc == 5)
		return scenario_mfi(1, num(argv[3]), num(argv[4]));
	if (!strcmp(what, "ioc-init") && (argc == 5 || argc == 6))
		return scenario_ioc_init(num(argv[3]), num(argv[4]),
					 argc == 6 ? num(argv[5]) : 0);
	if (!strcmp(what, "chain") && (argc == 5 || argc == 6))
		return scenario_chain(num(argv[3]), num(argv[4]),
				      argc == 6 && !strcmp(argv[5], "tb"));
	if (!strcmp(what, "host-index") && argc == 7)
		return scenario_host_index(num(argv[3]), num(argv[4]),
					   num(argv[5]), num(argv[6]));
	usage();
	return 1;
}
