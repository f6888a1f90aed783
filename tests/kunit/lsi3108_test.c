// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for lsi3108's pure protocol logic: the fast path's frame and
 * SGL building and status mapping (src/io.c) and its inline helpers
 * (src/lsi3108.h: descriptors, reply queue index handling), and src/proto.c
 * (MFI frames, the firmware limits parser, what DCMDs return). Everything
 * runs on stack or test-managed objects; no device is needed.
 */
#include "ktest.h"
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <scsi/scsi.h>
#include <scsi/scsi_proto.h>

#include "lsi3108.h"

/* ---- helpers ---- */

static struct scatterlist *lsi_test_sgl(struct kunit *test, int n)
{
	struct scatterlist *sgl = kunit_kcalloc(test, n, sizeof(*sgl),
						GFP_KERNEL);
	int i;

	KUNIT_ASSERT_NOT_NULL(test, sgl);
	sg_init_table(sgl, n);
	for (i = 0; i < n; i++) {
		sg_dma_address(&sgl[i]) = 0x100000000ULL + i * 0x1000ULL;
		sg_dma_len(&sgl[i]) = 512 + i;
	}
	return sgl;
}

static void lsi_test_expect_sge(struct kunit *test, const struct lsi_sge *sge,
				int i, u8 flags)
{
	KUNIT_EXPECT_EQ(test, le64_to_cpu(sge->addr),
			0x100000000ULL + i * 0x1000ULL);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(sge->length), 512 + i);
	KUNIT_EXPECT_EQ(test, sge->flags, flags);
}

/* ---- CDBs and frames ---- */

static void lsi_test_cdb_classes(struct kunit *test)
{
	static const u8 rw[] = { READ_6, WRITE_6, READ_10, WRITE_10, READ_12,
				 WRITE_12, READ_16, WRITE_16 };
	static const u8 other[] = { INQUIRY, READ_CAPACITY, SERVICE_ACTION_IN_16,
				    MODE_SENSE, TEST_UNIT_READY,
				    SYNCHRONIZE_CACHE, SYNCHRONIZE_CACHE_16,
				    WRITE_SAME_16, UNMAP, VERIFY };
	int i;

	for (i = 0; i < ARRAY_SIZE(rw); i++)
		KUNIT_EXPECT_TRUE(test, lsi_cdb_is_rw(rw[i]));
	for (i = 0; i < ARRAY_SIZE(other); i++)
		KUNIT_EXPECT_FALSE(test, lsi_cdb_is_rw(other[i]));
	KUNIT_EXPECT_TRUE(test, lsi_cdb_is_sync_cache(SYNCHRONIZE_CACHE));
	KUNIT_EXPECT_TRUE(test, lsi_cdb_is_sync_cache(SYNCHRONIZE_CACHE_16));
	KUNIT_EXPECT_FALSE(test, lsi_cdb_is_sync_cache(WRITE_10));
}

/* LDs at megaraid_sas's addresses: channel 2 + target / 128, id target % 128. */
static void lsi_test_ld_addressing(struct kunit *test)
{
	unsigned int t;

	KUNIT_EXPECT_EQ(test, lsi_ld_channel(0), 2U);
	KUNIT_EXPECT_EQ(test, lsi_ld_id(0), 0U);
	KUNIT_EXPECT_EQ(test, lsi_ld_channel(127), 2U);
	KUNIT_EXPECT_EQ(test, lsi_ld_channel(128), 3U);
	KUNIT_EXPECT_EQ(test, lsi_ld_id(130), 2U);
	for (t = 0; t < LSI_MAX_LDS; t++)
		KUNIT_EXPECT_EQ(test, lsi_ld_target(lsi_ld_channel(t), lsi_ld_id(t)), t);
	/* The system PDs' channels, ids past 127, channels past the LDs': none */
	KUNIT_EXPECT_EQ(test, lsi_ld_target(0, 0), (unsigned int)LSI_MAX_LDS);
	KUNIT_EXPECT_EQ(test, lsi_ld_target(1, 5), (unsigned int)LSI_MAX_LDS);
	KUNIT_EXPECT_EQ(test, lsi_ld_target(2, 128), (unsigned int)LSI_MAX_LDS);
	KUNIT_EXPECT_EQ(test, lsi_ld_target(4, 0), (unsigned int)LSI_MAX_LDS);
}

/* System PDs at megaraid_sas's addresses: channel d / 128, id d % 128. */
static void lsi_test_pd_addressing(struct kunit *test)
{
	unsigned int d, c, i;

	KUNIT_EXPECT_EQ(test, lsi_pd_channel(0), 0U);
	KUNIT_EXPECT_EQ(test, lsi_pd_id(12), 12U);
	KUNIT_EXPECT_EQ(test, lsi_pd_channel(12), 0U);
	KUNIT_EXPECT_EQ(test, lsi_pd_channel(127), 0U);
	KUNIT_EXPECT_EQ(test, lsi_pd_channel(128), 1U);
	KUNIT_EXPECT_EQ(test, lsi_pd_id(130), 2U);
	KUNIT_EXPECT_EQ(test, lsi_pd_channel(255), 1U);
	for (d = 0; d < LSI_MAX_PDS; d++)
		KUNIT_EXPECT_EQ(test, lsi_pd_dev_id(lsi_pd_channel(d), lsi_pd_id(d)), d);
	/* The LDs' channels, ids past 127: no PD there */
	KUNIT_EXPECT_EQ(test, lsi_pd_dev_id(2, 0), (unsigned int)LSI_MAX_PDS);
	KUNIT_EXPECT_EQ(test, lsi_pd_dev_id(3, 127), (unsigned int)LSI_MAX_PDS);
	KUNIT_EXPECT_EQ(test, lsi_pd_dev_id(0, 128), (unsigned int)LSI_MAX_PDS);
	/* No address is both an LD's and a PD's. */
	for (c = 0; c < LSI_PD_CHANNELS + LSI_LD_CHANNELS + 1; c++)
		for (i = 0; i <= LSI_DEV_PER_CHANNEL; i++)
			KUNIT_EXPECT_FALSE(test, lsi_pd_dev_id(c, i) < LSI_MAX_PDS &&
					   lsi_ld_target(c, i) < LSI_MAX_LDS);
}

/* A DCMD as smartctl sends one: one buffer, SGL at the DCMD's sgl. */
static void lsi_test_ioc_dcmd(struct lsi_ioc_head *h, u32 opcode, u32 *len)
{
	struct lsi_mfi_dcmd_frame *d = (void *)h->frame;

	memset(h, 0, sizeof(*h));
	d->hdr.cmd = LSI_MFI_CMD_DCMD;
	d->opcode = cpu_to_le32(opcode);
	h->sgl_off = offsetof(struct lsi_mfi_dcmd_frame, sgl);
	h->sge_count = 1;
	memset(len, 0, LSI_IOC_MAX_SGE * sizeof(*len));
	len[0] = 4096;
}

static void lsi_test_ioc_check(struct kunit *test)
{
	struct lsi_mfi_pthru_frame *pt;
	u32 len[LSI_IOC_MAX_SGE];
	struct lsi_ioc_head h;
	int i;

	lsi_test_ioc_dcmd(&h, LSI_DCMD_CTRL_GET_INFO, len);
	KUNIT_EXPECT_NULL(test, lsi_ioc_check(&h, len));
	h.sge_count = 0;
	KUNIT_EXPECT_NULL(test, lsi_ioc_check(&h, len));

	/* counts and lengths */
	lsi_test_ioc_dcmd(&h, LSI_DCMD_CTRL_GET_INFO, len);
	h.sge_count = LSI_IOC_MAX_SGE + 1;
	KUNIT_EXPECT_NOT_NULL(test, lsi_ioc_check(&h, len));
	lsi_test_ioc_dcmd(&h, LSI_DCMD_CTRL_GET_INFO, len);
	len[0] = LSI_IOC_MAX_BUF + 1;
	KUNIT_EXPECT_NOT_NULL(test, lsi_ioc_check(&h, len));
	lsi_test_ioc_dcmd(&h, LSI_DCMD_CTRL_GET_INFO, len);
	h.sgl_off = 0x28;
	h.sge_count = 2;
	len[0] = LSI_IOC_MAX_BUF;
	len[1] = 1;
	KUNIT_EXPECT_NOT_NULL(test, lsi_ioc_check(&h, len));

	/* the SGL inside the 256-byte frame, after the header */
	lsi_test_ioc_dcmd(&h, LSI_DCMD_CTRL_GET_INFO, len);
	h.sge_count = LSI_IOC_MAX_SGE;
	for (i = 0; i < LSI_IOC_MAX_SGE; i++)
		len[i] = 512;
	KUNIT_EXPECT_NULL(test, lsi_ioc_check(&h, len));	/* 0x28 + 16 * 12 */
	h.sgl_off = LSI_MFI_FRAME_SIZE - LSI_IOC_MAX_SGE * 12 + 1;
	KUNIT_EXPECT_NOT_NULL(test, lsi_ioc_check(&h, len));
	h.sgl_off = 0xffffffff;
	KUNIT_EXPECT_NOT_NULL(test, lsi_ioc_check(&h, len));
	lsi_test_ioc_dcmd(&h, LSI_DCMD_CTRL_GET_INFO, len);
	h.sgl_off = 0x10;					/* in the header */
	KUNIT_EXPECT_NOT_NULL(test, lsi_ioc_check(&h, len));
	h.sgl_off = 0x18;					/* over the opcode */
	KUNIT_EXPECT_NOT_NULL(test, lsi_ioc_check(&h, len));

	/* sense: length, where, not over the SGL nor a DCMD's opcode */
	lsi_test_ioc_dcmd(&h, LSI_DCMD_CTRL_GET_INFO, len);
	h.sense_len = 32;
	h.sense_off = 0x18;
	KUNIT_EXPECT_NOT_NULL(test, lsi_ioc_check(&h, len));
	h.sge_count = 0;
	h.sense_off = 0x30;
	KUNIT_EXPECT_NULL(test, lsi_ioc_check(&h, len));
	h.sense_off = 57;
	KUNIT_EXPECT_NOT_NULL(test, lsi_ioc_check(&h, len));
	h.sense_off = 0x30;
	h.sense_len = 256;
	KUNIT_EXPECT_NOT_NULL(test, lsi_ioc_check(&h, len));
	lsi_test_ioc_dcmd(&h, LSI_DCMD_CTRL_GET_INFO, len);
	h.sense_len = 32;
	h.sense_off = 0x2c;					/* in the SGE */
	KUNIT_EXPECT_NOT_NULL(test, lsi_ioc_check(&h, len));

	/* a PD pass-through as smartctl lays it out, with sense at 0x18 */
	memset(&h, 0, sizeof(h));
	pt = (void *)h.frame;
	pt->hdr.cmd = LSI_MFI_CMD_PD_SCSI_IO;
	h.sgl_off = offsetof(struct lsi_mfi_pthru_frame, sgl);
	h.sge_count = 1;
	h.sense_off = offsetof(struct lsi_mfi_pthru_frame, sense_addr_lo);
	h.sense_len = 32;
	len[0] = 512;
	KUNIT_EXPECT_NULL(test, lsi_ioc_check(&h, len));

	/* command classes */
	h.frame[0] = LSI_MFI_CMD_INIT;
	KUNIT_EXPECT_NOT_NULL(test, lsi_ioc_check(&h, len));
	h.frame[0] = LSI_MFI_CMD_ABORT;
	KUNIT_EXPECT_NOT_NULL(test, lsi_ioc_check(&h, len));
	h.frame[0] = 0x42;
	KUNIT_EXPECT_NOT_NULL(test, lsi_ioc_check(&h, len));
	h.frame[0] = LSI_MFI_CMD_SMP;
	KUNIT_EXPECT_NULL(test, lsi_ioc_check(&h, len));

	/* the driver's own DCMDs */
	lsi_test_ioc_dcmd(&h, LSI_DCMD_CTRL_EVENT_WAIT, len);
	KUNIT_EXPECT_NOT_NULL(test, lsi_ioc_check(&h, len));
	lsi_test_ioc_dcmd(&h, LSI_DCMD_CTRL_SHUTDOWN, len);
	KUNIT_EXPECT_NOT_NULL(test, lsi_ioc_check(&h, len));
	lsi_test_ioc_dcmd(&h, LSI_DCMD_LD_MAP_GET_INFO, len);
	KUNIT_EXPECT_NULL(test, lsi_ioc_check(&h, len));
	((struct lsi_mfi_dcmd_frame *)h.frame)->mbox[1] = LSI_DCMD_MBOX_PEND;
	KUNIT_EXPECT_NOT_NULL(test, lsi_ioc_check(&h, len));
}

static void lsi_test_build_read10(struct kunit *test)
{
	static const u8 cdb[10] = { READ_10, 0, 0, 0, 0x10, 0, 0, 0, 8, 0 };
	struct lsi_io_req req = {
		.cdb = cdb, .cdb_len = 10, .target_id = 5, .lun = 0,
		.dir = LSI_DIR_READ, .data_len = 4096, .sense_lo = 0x1234560,
		.timeout_s = 30,
	};
	struct lsi_io_frame f;

	memset(&f, 0xa5, sizeof(f));
	KUNIT_EXPECT_EQ(test, lsi_build_ld_io(&f, &req), LSI_REQ_DESC_NO_LOCK);
	KUNIT_EXPECT_EQ(test, f.function, LSI_FUNC_LD_IO);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(f.dev_handle), 5);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(f.raid_context.ld_target_id), 5);
	KUNIT_EXPECT_EQ(test, f.raid_context.type_nseg, 0x12);
	/* No RAID map: no region lock, no sequence check (as mfii). */
	KUNIT_EXPECT_EQ(test, f.raid_context.reg_lock_flags, 0);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(f.raid_context.config_seq_num), 0);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(f.raid_context.timeout), 0);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(f.io_flags), 10);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(f.control), LSI_CONTROL_READ);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(f.data_length), 4096);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(f.sense_addr_low), 0x1234560);
	KUNIT_EXPECT_EQ(test, f.sense_length, LSI_SENSE_BUFFER_SIZE);
	KUNIT_EXPECT_EQ(test, f.sgl_offset[0], 32);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(f.sgl_flags), LSI_SGL_FLAGS_64BIT);
	KUNIT_EXPECT_EQ(test, f.chain_offset, 0);
	KUNIT_EXPECT_EQ(test, f.lun[1], 0);
	KUNIT_EXPECT_EQ(test, memcmp(f.cdb, cdb, sizeof(cdb)), 0);
	KUNIT_EXPECT_EQ(test, f.cdb[10], 0);
	KUNIT_EXPECT_EQ(test, f.raid_context.status, 0);
}

static void lsi_test_build_write16_fua(struct kunit *test)
{
	static const u8 cdb[16] = { WRITE_16, 0x08, 0, 0, 0, 1, 0, 0, 0, 0,
				    0, 0, 0, 1, 0, 0 };
	struct lsi_io_req req = {
		.cdb = cdb, .cdb_len = 16, .target_id = 255,
		.dir = LSI_DIR_WRITE, .data_len = 512,
	};
	struct lsi_io_frame f;

	KUNIT_EXPECT_EQ(test, lsi_build_ld_io(&f, &req), LSI_REQ_DESC_NO_LOCK);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(f.control), LSI_CONTROL_WRITE);
	/* The FUA bit passes through untouched. */
	KUNIT_EXPECT_EQ(test, f.cdb[1], 0x08);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(f.dev_handle), 255);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(f.io_flags), 16);
}

static void lsi_test_build_non_rw(struct kunit *test)
{
	static const u8 inq[6] = { INQUIRY, 1, 0x83, 0, 0xff, 0 };
	static const u8 sync[10] = { SYNCHRONIZE_CACHE };
	struct lsi_io_req req = {
		.cdb = inq, .cdb_len = 6, .target_id = 3, .lun = 0,
		.dir = LSI_DIR_READ, .data_len = 255, .timeout_s = 90,
	};
	struct lsi_io_frame f;

	KUNIT_EXPECT_EQ(test, lsi_build_ld_io(&f, &req), LSI_REQ_DESC_SCSI_IO);
	KUNIT_EXPECT_EQ(test, f.function, LSI_FUNC_LD_IO);
	KUNIT_EXPECT_EQ(test, f.raid_context.type_nseg, 0);
	KUNIT_EXPECT_EQ(test, f.raid_context.reg_lock_flags, 0);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(f.raid_context.timeout), 90);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(f.raid_context.ld_target_id), 3);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(f.io_flags), 6);

	/* No data: no direction, whatever the request says. */
	req.cdb = sync;
	req.cdb_len = 10;
	req.data_len = 0;
	KUNIT_EXPECT_EQ(test, lsi_build_ld_io(&f, &req), LSI_REQ_DESC_SCSI_IO);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(f.control), 0);
	KUNIT_EXPECT_EQ(test, f.cdb[0], SYNCHRONIZE_CACHE);
}

/* A system PD: every CDB on the firmware path, sub-type SYSPD, no LD fields. */
static void lsi_test_build_syspd(struct kunit *test)
{
	static const u8 rd[10] = { READ_10, 0, 0, 0, 0x10, 0, 0, 0, 8, 0 };
	static const u8 sync[16] = { SYNCHRONIZE_CACHE_16 };
	static const u8 zero_lun[8] = { };
	struct lsi_io_req req = {
		.cdb = rd, .cdb_len = 10, .target_id = 12, .lun = 0,
		.dir = LSI_DIR_READ, .data_len = 4096, .sense_lo = 0x1234560,
		.timeout_s = 30,
	};
	struct lsi_io_frame f;

	memset(&f, 0xa5, sizeof(f));
	KUNIT_EXPECT_EQ(test, lsi_build_syspd_io(&f, &req), LSI_REQ_DESC_SCSI_IO);
	KUNIT_EXPECT_EQ(test, f.function, LSI_FUNC_LD_IO);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(f.dev_handle), 0xffff);
	KUNIT_EXPECT_EQ(test, f.raid_context.raid_flags, 0x10);
	KUNIT_EXPECT_EQ(test, f.raid_context.raid_flags &
			LSI_RAID_FLAGS_IO_SUBTYPE_MASK, LSI_RAID_FLAGS_SYSPD);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(f.raid_context.ld_target_id), 12);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(f.raid_context.timeout), 30);
	/* Nothing of an LD read's: no CUDA type, no lock, no sequence. */
	KUNIT_EXPECT_EQ(test, f.raid_context.type_nseg, 0);
	KUNIT_EXPECT_EQ(test, f.raid_context.reg_lock_flags, 0);
	KUNIT_EXPECT_EQ(test, le64_to_cpu(f.raid_context.reg_lock_row_lba), 0);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(f.raid_context.reg_lock_length), 0);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(f.raid_context.config_seq_num), 0);
	KUNIT_EXPECT_EQ(test, memcmp(f.lun, zero_lun, sizeof(f.lun)), 0);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(f.io_flags), 10);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(f.control), LSI_CONTROL_READ);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(f.data_length), 4096);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(f.sense_addr_low), 0x1234560);
	KUNIT_EXPECT_EQ(test, f.sense_length, LSI_SENSE_BUFFER_SIZE);
	KUNIT_EXPECT_EQ(test, f.sgl_offset[0], 32);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(f.sgl_flags), LSI_SGL_FLAGS_64BIT);
	KUNIT_EXPECT_EQ(test, memcmp(f.cdb, rd, sizeof(rd)), 0);
	KUNIT_EXPECT_EQ(test, f.raid_context.status, 0);

	/* SYNCHRONIZE CACHE goes to the drive as it is; the longest timeout. */
	req.cdb = sync;
	req.cdb_len = 16;
	req.data_len = 0;
	req.target_id = 255;
	req.timeout_s = U16_MAX;
	KUNIT_EXPECT_EQ(test, lsi_build_syspd_io(&f, &req), LSI_REQ_DESC_SCSI_IO);
	KUNIT_EXPECT_EQ(test, f.cdb[0], SYNCHRONIZE_CACHE_16);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(f.control), 0);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(f.raid_context.ld_target_id), 255);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(f.raid_context.timeout), U16_MAX);

	/* An LD frame never carries the SYSPD sub-type. */
	req.cdb = rd;
	req.cdb_len = 10;
	memset(&f, 0xa5, sizeof(f));
	KUNIT_EXPECT_EQ(test, lsi_build_ld_io(&f, &req), LSI_REQ_DESC_NO_LOCK);
	KUNIT_EXPECT_EQ(test, f.raid_context.raid_flags, 0);
}

/* ---- scatter-gather ---- */

static void lsi_test_sgl_none(struct kunit *test)
{
	struct lsi_io_frame f = { };

	KUNIT_EXPECT_EQ(test, lsi_build_sgl(&f, NULL, 0, 64, NULL, 0), 0);
	KUNIT_EXPECT_EQ(test, f.raid_context.num_sge, 0);
	KUNIT_EXPECT_EQ(test, f.chain_offset, 0);
	KUNIT_EXPECT_EQ(test, f.sgl[0].flags, 0);
}

static void lsi_test_sgl_in_frame(struct kunit *test)
{
	struct scatterlist *sgl = lsi_test_sgl(test, LSI_FRAME_SGE_SLOTS);
	struct lsi_io_frame f = { };
	int i;

	KUNIT_EXPECT_EQ(test, lsi_build_sgl(&f, NULL, 0, 64, sgl, 1), 1);
	lsi_test_expect_sge(test, &f.sgl[0], 0, LSI_SGE_FLAGS_END_OF_LIST);

	/* Eight fit without a chain; the eighth is the last. */
	memset(&f, 0, sizeof(f));
	KUNIT_EXPECT_EQ(test, lsi_build_sgl(&f, NULL, 0, 64, sgl, 8), 8);
	for (i = 0; i < 7; i++)
		lsi_test_expect_sge(test, &f.sgl[i], i, 0);
	lsi_test_expect_sge(test, &f.sgl[7], 7, LSI_SGE_FLAGS_END_OF_LIST);
	KUNIT_EXPECT_EQ(test, f.chain_offset, 0);
	KUNIT_EXPECT_EQ(test, f.raid_context.num_sge, 8);
}

static void lsi_test_sgl_chain(struct kunit *test)
{
	struct scatterlist *sgl = lsi_test_sgl(test, 9);
	struct lsi_sge *chain = kunit_kzalloc(test, 1024, GFP_KERNEL);
	struct lsi_io_frame f = { };
	int i;

	KUNIT_ASSERT_NOT_NULL(test, chain);
	KUNIT_EXPECT_EQ(test, lsi_build_sgl(&f, chain, 0xabc000, 64, sgl, 9), 9);
	for (i = 0; i < 7; i++)
		lsi_test_expect_sge(test, &f.sgl[i], i, 0);
	/* Slot 8 chains to the other two. */
	KUNIT_EXPECT_EQ(test, f.chain_offset, LSI_CHAIN_OFFSET_IO);
	/* Invader / 3108 flags: CHAIN_ELEMENT alone (not 0x83 as 2208). */
	KUNIT_EXPECT_EQ(test, f.sgl[7].flags, 0x80);
	KUNIT_EXPECT_EQ(test, le64_to_cpu(f.sgl[7].addr), 0xabc000);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(f.sgl[7].length), 2 * LSI_SGE_SIZE);
	lsi_test_expect_sge(test, &chain[0], 7, 0);
	lsi_test_expect_sge(test, &chain[1], 8, 0x40);	/* END_OF_LIST */
	KUNIT_EXPECT_EQ(test, f.raid_context.num_sge, 9);
	KUNIT_EXPECT_EQ(test, f.raid_context.num_sge_ext, 0);
}

static void lsi_test_sgl_limits(struct kunit *test)
{
	u32 slots = LSI_MAX_CHAIN_SIZE / LSI_SGE_SIZE;
	int max = lsi_max_data_sges(LSI_MAX_CHAIN_SIZE);
	struct scatterlist *sgl = lsi_test_sgl(test, 7 + slots + 1);
	struct lsi_sge *chain = kunit_kzalloc(test, LSI_MAX_CHAIN_SIZE,
					      GFP_KERNEL);
	struct lsi_io_frame f = { };

	KUNIT_ASSERT_NOT_NULL(test, chain);
	/* What the host advertises fits, with room to spare. */
	KUNIT_EXPECT_EQ(test, max, 262);
	KUNIT_EXPECT_EQ(test, lsi_build_sgl(&f, chain, 0, slots, sgl, max), max);
	KUNIT_EXPECT_EQ(test, f.raid_context.num_sge, max & 0xff);
	KUNIT_EXPECT_EQ(test, f.raid_context.num_sge_ext, max >> 8);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(f.sgl[7].length),
			(max - 7) * LSI_SGE_SIZE);
	KUNIT_EXPECT_EQ(test, chain[max - 8].flags, LSI_SGE_FLAGS_END_OF_LIST);
	KUNIT_EXPECT_EQ(test, chain[max - 9].flags, 0);

	/* A reused chain frame: stale flags must not survive. */
	memset(chain, 0xa5, LSI_MAX_CHAIN_SIZE);
	memset(&f, 0xa5, sizeof(f));
	KUNIT_EXPECT_EQ(test, lsi_build_sgl(&f, chain, 0, slots, sgl, 20), 20);
	KUNIT_EXPECT_EQ(test, f.sgl[6].flags, 0);
	/* Invader / 3108 flags: CHAIN_ELEMENT alone (not 0x83 as 2208). */
	KUNIT_EXPECT_EQ(test, f.sgl[7].flags, 0x80);
	KUNIT_EXPECT_EQ(test, f.sgl[7].next_chain_offset, 0);
	KUNIT_EXPECT_EQ(test, chain[0].flags, 0);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(chain[0].reserved), 0);
	KUNIT_EXPECT_EQ(test, chain[11].flags, 0);
	KUNIT_EXPECT_EQ(test, chain[12].flags, LSI_SGE_FLAGS_END_OF_LIST);

	/* Exactly full: 7 in the frame, every chain slot used. */
	memset(&f, 0, sizeof(f));
	KUNIT_EXPECT_EQ(test, lsi_build_sgl(&f, chain, 0, slots, sgl, 7 + slots),
			7 + slots);
	KUNIT_EXPECT_EQ(test, chain[slots - 1].flags, LSI_SGE_FLAGS_END_OF_LIST);

	/* One more is refused, as is a negative count. */
	KUNIT_EXPECT_EQ(test, lsi_build_sgl(&f, chain, 0, slots, sgl, 8 + slots),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, lsi_build_sgl(&f, chain, 0, slots, sgl, -1),
			-EINVAL);
}

/* ---- scratch pads and limits ---- */

static void lsi_test_pads(struct kunit *test)
{
	/* 8 units of 512 B, 96 queues, MSI-X, 928 commands */
	u32 pad1 = (8 << 5) | LSI_CAP_CHAIN_UNITS_1MB | (95 << 14);
	u32 pad0 = 0xb0000000 | LSI_FW_MSIX_CAPABLE | 928;

	KUNIT_EXPECT_EQ(test, lsi_fw_state(pad0), LSI_FW_STATE_READY);
	KUNIT_EXPECT_STREQ(test, lsi_fw_state_name(pad0), "READY");
	KUNIT_EXPECT_STREQ(test, lsi_fw_state_name(0x20000000), "UNKNOWN");
	KUNIT_EXPECT_EQ(test, lsi_pad_max_cmds(pad0), 928);
	KUNIT_EXPECT_EQ(test, lsi_pad_chain_size(pad1), 4096);
	KUNIT_EXPECT_EQ(test, lsi_pad_chain_size(8 << 5), 1024);
	/* A zero or tiny field still gives the 1 KiB minimum. */
	KUNIT_EXPECT_EQ(test, lsi_pad_chain_size(0), 1024);
	KUNIT_EXPECT_EQ(test, lsi_pad_chain_size(1 << 5), 1024);
	KUNIT_EXPECT_EQ(test, lsi_pad_queue_count(pad0, pad1), 96);
	KUNIT_EXPECT_EQ(test, lsi_pad_queue_count(pad0 & ~LSI_FW_MSIX_CAPABLE,
						  pad1), 1);
	KUNIT_EXPECT_EQ(test, lsi_max_data_sges(1024), 70);
	KUNIT_EXPECT_EQ(test, lsi_reply_depth(927), 1856);
	KUNIT_EXPECT_EQ(test, lsi_reply_depth(31) % 16, 0);
	KUNIT_EXPECT_GE(test, lsi_reply_depth(31), 2 * (31 + 1));
	KUNIT_EXPECT_LE(test, lsi_reply_depth(LSI_MAX_FW_CMDS), 0xffff);
}

/* The one parser of the firmware's limits, at probe and after a reset. */
static void lsi_test_fw_limits(struct kunit *test)
{
	u32 ready = 0xb0000000;
	u32 pad1 = (8 << 5) | LSI_CAP_CHAIN_UNITS_1MB | (95 << 14) |
		   LSI_CAP_64BIT_DMA;
	struct lsi_fw_limits lim;

	KUNIT_ASSERT_EQ(test, lsi_parse_fw_limits(ready | LSI_FW_MSIX_CAPABLE |
						  928, pad1, &lim), 0);
	KUNIT_EXPECT_EQ(test, lim.cmds, 928);
	KUNIT_EXPECT_EQ(test, lim.max_smid, 927);
	KUNIT_EXPECT_EQ(test, lim.chain, 4096);
	KUNIT_EXPECT_EQ(test, lim.chain_size, 4096);
	KUNIT_EXPECT_EQ(test, lim.queues, 96);
	KUNIT_EXPECT_TRUE(test, lim.msix);
	KUNIT_EXPECT_TRUE(test, lim.dma64);

	/* 0 commands is refused, not wrapped to 4294967295 by "cmds - 1". */
	KUNIT_EXPECT_EQ(test, lsi_parse_fw_limits(ready, pad1, &lim), -ERANGE);
	KUNIT_EXPECT_EQ(test, lim.cmds, 0);
	KUNIT_EXPECT_EQ(test, lsi_parse_fw_limits(ready | (LSI_MIN_FW_CMDS - 1),
						  pad1, &lim), -ERANGE);
	KUNIT_EXPECT_EQ(test, lim.cmds, LSI_MIN_FW_CMDS - 1);
	KUNIT_ASSERT_EQ(test, lsi_parse_fw_limits(ready | LSI_MIN_FW_CMDS, pad1,
						  &lim), 0);
	KUNIT_EXPECT_EQ(test, lim.max_smid, LSI_MIN_FW_CMDS - 1);

	/* The most each field can say is clamped to what the driver uses. */
	KUNIT_ASSERT_EQ(test, lsi_parse_fw_limits(ready | LSI_FW_MSIX_CAPABLE |
						  LSI_FW_MAX_CMDS_MASK,
						  LSI_CAP_CHAIN_SIZE_MASK |
						  LSI_CAP_CHAIN_UNITS_1MB |
						  LSI_CAP_REPLY_QUEUES_MASK,
						  &lim), 0);
	KUNIT_EXPECT_EQ(test, lim.cmds, LSI_FW_MAX_CMDS_MASK);
	KUNIT_EXPECT_EQ(test, lim.max_smid, LSI_MAX_FW_CMDS);
	KUNIT_EXPECT_EQ(test, lim.chain, 31 * 512);
	KUNIT_EXPECT_EQ(test, lim.chain_size, LSI_MAX_CHAIN_SIZE);
	KUNIT_EXPECT_EQ(test, lim.queues, LSI_MAX_REPLY_QUEUES);
	KUNIT_EXPECT_FALSE(test, lim.dma64);

	/* Without MSI-X: one queue, whatever pad 1 says. */
	KUNIT_ASSERT_EQ(test, lsi_parse_fw_limits(ready | 64, pad1, &lim), 0);
	KUNIT_EXPECT_EQ(test, lim.queues, 1);
	KUNIT_EXPECT_FALSE(test, lim.msix);
}

static void lsi_test_info_max_sectors(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, lsi_info_max_sectors(0, 0, 0), 0);
	KUNIT_EXPECT_EQ(test, lsi_info_max_sectors(0, 0, 2048), 2048);
	/* 64 KiB strips (128 sectors) x 8 = 1024 sectors beats 2048 */
	KUNIT_EXPECT_EQ(test, lsi_info_max_sectors(7, 8, 2048), 1024);
	KUNIT_EXPECT_EQ(test, lsi_info_max_sectors(7, 8, 0), 1024);
	/* An absurd shift is ignored rather than overflowing. */
	KUNIT_EXPECT_EQ(test, lsi_info_max_sectors(200, 8, 2048), 2048);
}

/* ---- descriptors and reply queues ---- */

static void lsi_test_descriptors(struct kunit *test)
{
	struct lsi_req_desc d;
	u64 v = lsi_req_desc(LSI_REQ_DESC_NO_LOCK, 3, 0x1234);

	memcpy(&d, &(__le64){ cpu_to_le64(v) }, sizeof(d));
	KUNIT_EXPECT_EQ(test, d.flags, LSI_REQ_DESC_NO_LOCK);
	KUNIT_EXPECT_EQ(test, d.msix_index, 3);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(d.smid), 0x1234);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(d.lmid), 0);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(d.dev_handle), 0);
	KUNIT_EXPECT_EQ(test, lsi_mfa_desc(0x12345678000ULL), 0x12345678002ULL);
	KUNIT_EXPECT_EQ(test, lsi_mfa_desc(0x1000ff), 0x100002);
}

static void lsi_test_replies(struct kunit *test)
{
	KUNIT_EXPECT_TRUE(test, lsi_reply_empty(LSI_RPY_EMPTY));
	KUNIT_EXPECT_TRUE(test, lsi_reply_empty(0x000000000005000fULL));
	/* A torn write: the high half still all-ones. */
	KUNIT_EXPECT_TRUE(test, lsi_reply_empty(0xffffffff00050000ULL));
	KUNIT_EXPECT_FALSE(test, lsi_reply_empty(0x0000000000050300ULL));
	KUNIT_EXPECT_EQ(test, lsi_reply_smid(0x0000000012340300ULL), 0x1234);

	KUNIT_EXPECT_EQ(test, lsi_reply_next(0, 16), 1);
	KUNIT_EXPECT_EQ(test, lsi_reply_next(14, 16), 15);
	KUNIT_EXPECT_EQ(test, lsi_reply_next(15, 16), 0);

	KUNIT_EXPECT_EQ(test, lsi_host_index_offset(5, false), 0x6c);
	KUNIT_EXPECT_EQ(test, lsi_host_index_value(5, 17, false),
			(5U << 24) | 17);
	KUNIT_EXPECT_EQ(test, lsi_host_index_offset(0, true), 0x30c);
	KUNIT_EXPECT_EQ(test, lsi_host_index_offset(7, true), 0x30c);
	KUNIT_EXPECT_EQ(test, lsi_host_index_offset(8, true), 0x31c);
	KUNIT_EXPECT_EQ(test, lsi_host_index_offset(95, true), 0x30c + 11 * 0x10);
	KUNIT_EXPECT_EQ(test, lsi_host_index_value(13, 1855, true),
			(5U << 24) | 1855);
}

/* ---- completion status ---- */

static void lsi_test_status_map(struct kunit *test)
{
	static const struct {
		u8 mfi, ex;
		int result;
		u32 resid;
		bool sense;
	} cases[] = {
		{ 0x00, 0x00, DID_OK << 16, 0, false },
		{ 0x2d, SAM_STAT_CHECK_CONDITION,
		  (DID_OK << 16) | SAM_STAT_CHECK_CONDITION, 4096 - 1024, true },
		{ 0x2d, SAM_STAT_BUSY, (DID_OK << 16) | SAM_STAT_BUSY,
		  4096 - 1024, false },
		{ 0x2e, 0x00, DID_ERROR << 16, 0, false },
		{ 0x2e, 0xf0, (DID_ERROR << 16) | SAM_STAT_CHECK_CONDITION, 0,
		  false },
		{ 0x18, 0x00, DID_ERROR << 16, 0, false },
		{ 0x0c, 0x00, DID_BAD_TARGET << 16, 0, false },
		{ 0x33, 0x00, DID_BAD_TARGET << 16, 0, false },
		{ 0x67, 0x00, DID_SOFT_ERROR << 16, 0, false },
		{ 0x01, 0x00, DID_ERROR << 16, 0, false },
		{ 0xff, 0x00, DID_ERROR << 16, 0, false },
	};
	struct lsi_scsi_result res;
	int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct lsi_scsi_status st = {
			.mfi_status = cases[i].mfi, .ex_status = cases[i].ex,
			.bufflen = 4096, .xfer_len = 1024,
		};

		lsi_map_scsi_status(&st, &res);
		KUNIT_EXPECT_EQ_MSG(test, res.result, cases[i].result,
				    "case %d (status %#x)", i, cases[i].mfi);
		KUNIT_EXPECT_EQ_MSG(test, res.resid, cases[i].resid, "case %d", i);
		KUNIT_EXPECT_EQ_MSG(test, res.sense_valid, cases[i].sense,
				    "case %d", i);
	}
}

static void lsi_test_status_resid_bounds(struct kunit *test)
{
	struct lsi_scsi_status st = {
		.mfi_status = LSI_MFI_STAT_SCSI_DONE_WITH_ERROR,
		.ex_status = SAM_STAT_GOOD, .bufflen = 512, .xfer_len = 4096,
	};
	struct lsi_scsi_result res;

	/* Firmware claiming more than was asked must not underflow. */
	lsi_map_scsi_status(&st, &res);
	KUNIT_EXPECT_EQ(test, res.resid, 0);
	st.xfer_len = 0;
	lsi_map_scsi_status(&st, &res);
	KUNIT_EXPECT_EQ(test, res.resid, 512);
	KUNIT_EXPECT_EQ(test, lsi_map_flush_status(0), DID_OK << 16);
	KUNIT_EXPECT_EQ(test, lsi_map_flush_status(0x15), DID_ERROR << 16);
}

/* ---- management frames ---- */

static void lsi_test_mfi_passthru(struct kunit *test)
{
	struct lsi_io_frame f;

	memset(&f, 0xa5, sizeof(f));
	lsi_build_mfi_passthru(&f, 0x87654321000ULL, LSI_MFI_FRAME_SIZE);
	KUNIT_EXPECT_EQ(test, f.function, LSI_FUNC_MFI_PASSTHRU);
	KUNIT_EXPECT_EQ(test, f.chain_offset, LSI_CHAIN_OFFSET_MFI);
	KUNIT_EXPECT_EQ(test, f.sgl_offset[0], 32);
	KUNIT_EXPECT_EQ(test, f.sgl[0].flags, 0x83);
	KUNIT_EXPECT_EQ(test, le64_to_cpu(f.sgl[0].addr), 0x87654321000ULL);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(f.sgl[0].length), LSI_MFI_FRAME_SIZE);
	KUNIT_EXPECT_EQ(test, f.sgl[7].flags, 0);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(f.dev_handle), 0);
}

static void lsi_test_dcmd(struct kunit *test)
{
	u8 *slot = kunit_kmalloc(test, LSI_MFI_FRAME_SIZE, GFP_KERNEL);
	struct lsi_mfi_dcmd_frame *mfi = (void *)slot;
	struct lsi_dcmd flush = {
		.opcode = LSI_DCMD_CTRL_CACHE_FLUSH, .mbox = { 0x03 },
	};
	struct lsi_dcmd info = {
		.opcode = LSI_DCMD_CTRL_GET_INFO, .dir = LSI_DIR_READ,
		.len = sizeof(struct lsi_ctrl_info),
	};

	KUNIT_ASSERT_NOT_NULL(test, slot);
	memset(slot, 0xa5, LSI_MFI_FRAME_SIZE);
	lsi_build_dcmd(mfi, &flush, 0, 900);
	KUNIT_EXPECT_EQ(test, mfi->hdr.cmd, LSI_MFI_CMD_DCMD);
	KUNIT_EXPECT_EQ(test, mfi->hdr.cmd_status, 0xff);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(mfi->opcode), 0x01101000);
	KUNIT_EXPECT_EQ(test, mfi->mbox[0], 0x03);
	KUNIT_EXPECT_EQ(test, mfi->hdr.sge_count, 0);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(mfi->hdr.flags), 0);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(mfi->hdr.data_xfer_len), 0);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(mfi->hdr.context), 900);
	KUNIT_EXPECT_EQ(test, slot[LSI_MFI_FRAME_SIZE - 1], 0);

	lsi_build_dcmd(mfi, &info, 0x123456789000ULL, 901);
	KUNIT_EXPECT_EQ(test, mfi->hdr.sge_count, 1);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(mfi->hdr.flags),
			LSI_MFI_FLAG_SGL64 | LSI_MFI_FLAG_DIR_READ);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(mfi->hdr.data_xfer_len), 0x950);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(mfi->sgl.sge64[0].addr_lo), 0x56789000);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(mfi->sgl.sge64[0].addr_hi), 0x1234);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(mfi->sgl.sge64[0].length), 0x950);
}

static void lsi_test_mfi_abort(struct kunit *test)
{
	u8 *slot = kunit_kmalloc(test, LSI_MFI_FRAME_SIZE, GFP_KERNEL);
	struct lsi_mfi_abort_frame *af = (void *)slot;

	KUNIT_ASSERT_NOT_NULL(test, slot);
	memset(slot, 0xa5, LSI_MFI_FRAME_SIZE);
	lsi_build_mfi_abort(af, 902, 905, 0x1234abcd0040ULL);
	KUNIT_EXPECT_EQ(test, af->hdr.cmd, LSI_MFI_CMD_ABORT);
	KUNIT_EXPECT_EQ(test, af->hdr.cmd_status, 0xff);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(af->hdr.context), 902);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(af->abort_context), 905);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(af->abort_mfi_addr_lo), 0xabcd0040);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(af->abort_mfi_addr_hi), 0x1234);
	KUNIT_EXPECT_EQ(test, af->hdr.sge_count, 0);
	KUNIT_EXPECT_EQ(test, slot[LSI_MFI_FRAME_SIZE - 1], 0);
}

static void lsi_test_ioc_init(struct kunit *test)
{
	struct lsi_ioc_init_params p = {
		.frames = 0x100000000ULL, .replies = 0x100200000ULL,
		.sense = 0x2ffff0000ULL, .request = 0x300000800ULL,
		.reply_depth = 1856, .msix_vectors = 8,
		.drv_caps = LSI_DRVCAP_EXT_IO_SIZE, .timestamp_ms = 1234,
	};
	struct lsi_ioc_init_request req;
	struct lsi_mfi_init_frame init;

	lsi_build_ioc_init(&init, &req, &p);
	KUNIT_EXPECT_EQ(test, req.who_init, LSI_WHOINIT_HOST_DRIVER);
	KUNIT_EXPECT_EQ(test, req.function, LSI_FUNC_IOC_INIT);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(req.msg_version), 0x0200);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(req.header_version), 0x1000);
	KUNIT_EXPECT_EQ(test, req.host_page_size, 12);
	KUNIT_EXPECT_EQ(test, req.host_msix_vectors, 8);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(req.system_request_frame_size), 64);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(req.reply_descriptor_post_queue_depth),
			1856);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(req.sense_buffer_address_high), 2);
	KUNIT_EXPECT_EQ(test, le64_to_cpu(req.system_request_frame_base_address),
			0x100000000ULL);
	KUNIT_EXPECT_EQ(test, le64_to_cpu(req.reply_descriptor_post_queue_address),
			0x100200000ULL);
	KUNIT_EXPECT_EQ(test, req.msg_flags, 0);
	KUNIT_EXPECT_EQ(test, le64_to_cpu(req.time_stamp), 1234);

	KUNIT_EXPECT_EQ(test, init.cmd, LSI_MFI_CMD_INIT);
	KUNIT_EXPECT_EQ(test, init.cmd_status, 0xff);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(init.driver_operations),
			LSI_DRVCAP_EXT_IO_SIZE);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(init.data_xfer_len), 72);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(init.queue_info_new_lo), 0x00000800);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(init.queue_info_new_hi), 3);
}

/* ---- what the firmware returns ---- */

static void lsi_test_ld_lists(struct kunit *test)
{
	struct lsi_ld_targetid_list *q = kunit_kzalloc(test, sizeof(*q),
						       GFP_KERNEL);
	struct lsi_ld_list *l = kunit_kzalloc(test, sizeof(*l), GFP_KERNEL);
	DECLARE_BITMAP(present, LSI_MAX_LDS);

	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_ASSERT_NOT_NULL(test, l);
	q->count = cpu_to_le32(3);
	q->target_id[0] = 0;
	q->target_id[1] = 7;
	q->target_id[2] = 255;
	KUNIT_EXPECT_EQ(test, lsi_parse_ld_targets(q, LSI_MAX_LDS, present), 3);
	KUNIT_EXPECT_TRUE(test, test_bit(255, present));
	KUNIT_EXPECT_FALSE(test, test_bit(1, present));
	q->count = cpu_to_le32(65);
	KUNIT_EXPECT_EQ(test, lsi_parse_ld_targets(q, 64, present), -EPROTO);

	l->ld_count = cpu_to_le32(2);
	l->ld[0].target_id = 2;
	l->ld[0].state = LSI_LD_STATE_OPTIMAL;
	l->ld[1].target_id = 9;
	l->ld[1].state = LSI_LD_STATE_OFFLINE;
	KUNIT_EXPECT_EQ(test, lsi_parse_ld_list(l, 64, present), 1);
	KUNIT_EXPECT_TRUE(test, test_bit(2, present));
	KUNIT_EXPECT_FALSE(test, test_bit(9, present));
	l->ld_count = cpu_to_le32(0xffffffff);
	KUNIT_EXPECT_EQ(test, lsi_parse_ld_list(l, 256, present), -EPROTO);
}

/* Lists that cannot be trusted are rejected whole. */
static void lsi_test_ld_lists_bad(struct kunit *test)
{
	struct lsi_ld_targetid_list *q = kunit_kzalloc(test, sizeof(*q),
						       GFP_KERNEL);
	struct lsi_ld_list *l = kunit_kzalloc(test, sizeof(*l), GFP_KERNEL);
	DECLARE_BITMAP(present, LSI_MAX_LDS);

	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_ASSERT_NOT_NULL(test, l);
	/* An id beyond the legacy maximum the driver asked for. */
	q->count = cpu_to_le32(2);
	q->target_id[0] = 3;
	q->target_id[1] = 64;
	KUNIT_EXPECT_EQ(test, lsi_parse_ld_targets(q, 64, present), -EPROTO);
	KUNIT_EXPECT_EQ(test, lsi_parse_ld_targets(q, 256, present), 2);
	/* The same id twice. */
	q->target_id[1] = 3;
	KUNIT_EXPECT_EQ(test, lsi_parse_ld_targets(q, 256, present), -EPROTO);

	l->ld_count = cpu_to_le32(2);
	l->ld[0].target_id = 5;
	l->ld[0].state = LSI_LD_STATE_OPTIMAL;
	l->ld[1].target_id = 5;
	l->ld[1].state = LSI_LD_STATE_OFFLINE;
	KUNIT_EXPECT_EQ(test, lsi_parse_ld_list(l, 64, present), -EPROTO);
	l->ld[1].target_id = 200;
	KUNIT_EXPECT_EQ(test, lsi_parse_ld_list(l, 64, present), -EPROTO);
	KUNIT_EXPECT_EQ(test, lsi_parse_ld_list(l, 256, present), 1);
}

/* A PD list of @n device ids. */
static struct lsi_pd_list *lsi_test_mk_pd_list(struct kunit *test,
					       const u16 *ids, u32 n)
{
	struct lsi_pd_list *l = kunit_kzalloc(test,
					      LSI_PD_LIST_SIZE(LSI_MAX_PDS),
					      GFP_KERNEL);
	u32 i;

	KUNIT_ASSERT_NOT_NULL(test, l);
	l->count = cpu_to_le32(n);
	l->size = cpu_to_le32(LSI_PD_LIST_SIZE(n));
	for (i = 0; i < n; i++)
		l->addr[i].device_id = cpu_to_le16(ids[i]);
	return l;
}

/* PD_LIST_QUERY (exposed): the system PDs, checked whole. */
static void lsi_test_pd_list(struct kunit *test)
{
	static const u16 ids[] = { 12, 0, 255, 128 };
	static const u16 beyond[] = { 3, 256 };
	static const u16 twice[] = { 3, 4, 3 };
	const size_t len = LSI_PD_LIST_SIZE(LSI_MAX_PDS);
	DECLARE_BITMAP(present, LSI_MAX_PDS);
	struct lsi_pd_list *l;
	u32 bad = 77;

	l = lsi_test_mk_pd_list(test, ids, ARRAY_SIZE(ids));
	KUNIT_EXPECT_EQ(test, lsi_parse_pd_list(l, len, present, &bad), 4);
	KUNIT_EXPECT_TRUE(test, test_bit(12, present));
	KUNIT_EXPECT_TRUE(test, test_bit(0, present));
	KUNIT_EXPECT_TRUE(test, test_bit(255, present));
	KUNIT_EXPECT_TRUE(test, test_bit(128, present));
	KUNIT_EXPECT_EQ(test, bitmap_weight(present, LSI_MAX_PDS), 4U);

	l->count = 0;
	KUNIT_EXPECT_EQ(test, lsi_parse_pd_list(l, len, present, &bad), 0);
	KUNIT_EXPECT_EQ(test, bitmap_weight(present, LSI_MAX_PDS), 0U);

	/* A count beyond the buffer: refused, the count named. */
	l->count = cpu_to_le32(LSI_MAX_PDS + 1);
	KUNIT_EXPECT_EQ(test, lsi_parse_pd_list(l, len, present, &bad), -EPROTO);
	KUNIT_EXPECT_EQ(test, bad, LSI_MAX_PDS + 1);
	l->count = cpu_to_le32(3);
	KUNIT_EXPECT_EQ(test, lsi_parse_pd_list(l, LSI_PD_LIST_SIZE(2), present,
						&bad), -EPROTO);
	KUNIT_EXPECT_EQ(test, bad, 3U);
	KUNIT_EXPECT_EQ(test, lsi_parse_pd_list(l, LSI_PD_LIST_SIZE(3), present,
						&bad), 3);
	l->count = cpu_to_le32(0xffffffff);
	KUNIT_EXPECT_EQ(test, lsi_parse_pd_list(l, len, present, &bad), -EPROTO);

	/* A device id beyond 255, and one listed twice: the entry named. */
	l = lsi_test_mk_pd_list(test, beyond, ARRAY_SIZE(beyond));
	KUNIT_EXPECT_EQ(test, lsi_parse_pd_list(l, len, present, &bad), -EPROTO);
	KUNIT_EXPECT_EQ(test, bad, 1U);
	KUNIT_EXPECT_EQ(test, bitmap_weight(present, LSI_MAX_PDS), 0U);
	l = lsi_test_mk_pd_list(test, twice, ARRAY_SIZE(twice));
	KUNIT_EXPECT_EQ(test, lsi_parse_pd_list(l, len, present, &bad), -EPROTO);
	KUNIT_EXPECT_EQ(test, bad, 2U);
	KUNIT_EXPECT_EQ(test, bitmap_weight(present, LSI_MAX_PDS), 0U);
}

/* Queue depth by interface; the events that re-read the system PDs. */
static void lsi_test_pd_misc(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, lsi_pd_queue_depth(LSI_PD_INTF_SATA), 32U);
	KUNIT_EXPECT_EQ(test, lsi_pd_queue_depth(LSI_PD_INTF_SAS), 64U);
	KUNIT_EXPECT_EQ(test, lsi_pd_queue_depth(LSI_PD_INTF_NVME), 64U);
	KUNIT_EXPECT_EQ(test, lsi_pd_queue_depth(LSI_PD_INTF_UNKNOWN), 32U);
	KUNIT_EXPECT_EQ(test, lsi_pd_queue_depth(15), 32U);
	KUNIT_EXPECT_TRUE(test, lsi_evt_changes_pds(LSI_EVT_PD_INSERTED));
	KUNIT_EXPECT_TRUE(test, lsi_evt_changes_pds(LSI_EVT_PD_REMOVED));
	KUNIT_EXPECT_TRUE(test, lsi_evt_changes_pds(LSI_EVT_PD_STATE_CHANGE));
	KUNIT_EXPECT_TRUE(test, lsi_evt_changes_pds(LSI_EVT_HOST_BUS_SCAN_REQUESTED));
	KUNIT_EXPECT_TRUE(test, lsi_evt_changes_pds(LSI_EVT_CFG_CLEARED));
	KUNIT_EXPECT_TRUE(test, lsi_evt_changes_pds(LSI_EVT_FOREIGN_CFG_IMPORTED));
	KUNIT_EXPECT_TRUE(test, lsi_evt_changes_pds(LSI_EVT_LD_STATE_CHANGE));
	KUNIT_EXPECT_FALSE(test, lsi_evt_changes_pds(LSI_EVT_BBU_GOOD));
	KUNIT_EXPECT_FALSE(test, lsi_evt_changes_pds(LSI_EVT_PD_RBLD_PROGRESS));
	/* A PD event alone leaves the LD list be. */
	KUNIT_EXPECT_FALSE(test, lsi_evt_changes_lds(LSI_EVT_PD_STATE_CHANGE));
}

static void lsi_test_events(struct kunit *test)
{
	KUNIT_EXPECT_TRUE(test, lsi_evt_seq_plausible(10, 10));
	KUNIT_EXPECT_TRUE(test, lsi_evt_seq_plausible(10, 11));
	KUNIT_EXPECT_TRUE(test, lsi_evt_seq_plausible(10, 10 + LSI_EVT_SEQ_WINDOW));
	KUNIT_EXPECT_FALSE(test, lsi_evt_seq_plausible(10, 11 + LSI_EVT_SEQ_WINDOW));
	KUNIT_EXPECT_FALSE(test, lsi_evt_seq_plausible(10, 9));
	KUNIT_EXPECT_FALSE(test, lsi_evt_seq_plausible(10, 0xffffffff));
	/* Across the wrap of the 32-bit sequence number. */
	KUNIT_EXPECT_TRUE(test, lsi_evt_seq_plausible(0xfffffff0, 5));
	KUNIT_EXPECT_TRUE(test, lsi_evt_changes_lds(LSI_EVT_LD_CREATED));
	KUNIT_EXPECT_TRUE(test, lsi_evt_changes_lds(LSI_EVT_LD_DELETED));
	KUNIT_EXPECT_TRUE(test, lsi_evt_changes_lds(LSI_EVT_CFG_CLEARED));
	KUNIT_EXPECT_FALSE(test, lsi_evt_changes_lds(LSI_EVT_CTRL_SHUTDOWN));
	KUNIT_EXPECT_FALSE(test, lsi_evt_changes_lds(0xdeadbeef));
}

/* BBU_GET_STATUS: absent, protecting, and each state that does not protect. */
static void lsi_test_bbu(struct kunit *test)
{
	struct lsi_bbu_status st = { .battery_type = LSI_BBU_TYPE_IBBU };
	u32 bbu_warn = LSI_EVT_CLASS_LOCALE(LSI_EVT_CLASS_WARNING,
					    LSI_EVT_LOCALE_BBU);
	u32 ld_info = LSI_EVT_CLASS_LOCALE(LSI_EVT_CLASS_INFO, LSI_EVT_LOCALE_LD);

	KUNIT_EXPECT_EQ(test, lsi_parse_bbu(NULL, LSI_MFI_STAT_NO_HW_PRESENT),
			LSI_BBU_ABSENT);
	KUNIT_EXPECT_EQ(test, lsi_parse_bbu(NULL, LSI_MFI_STAT_INVALID_DCMD),
			LSI_BBU_UNKNOWN);
	KUNIT_EXPECT_EQ(test, lsi_parse_bbu(&st, LSI_MFI_STAT_OK),
			LSI_BBU_PROTECTS);
	st.fw_status = cpu_to_le32(LSI_BBU_STATE_LEARN_CYC_ACTIVE);
	KUNIT_EXPECT_EQ(test, lsi_parse_bbu(&st, LSI_MFI_STAT_OK),
			LSI_BBU_NOT_PROTECTING);
	st.fw_status = cpu_to_le32(LSI_BBU_STATE_REPLACE_PACK);
	KUNIT_EXPECT_EQ(test, lsi_parse_bbu(&st, LSI_MFI_STAT_OK),
			LSI_BBU_NOT_PROTECTING);
	st.fw_status = cpu_to_le32(LSI_BBU_STATE_CHARGE_ACTIVE);
	KUNIT_EXPECT_EQ(test, lsi_parse_bbu(&st, LSI_MFI_STAT_OK),
			LSI_BBU_PROTECTS);
	st.battery_type = LSI_BBU_TYPE_NONE;
	KUNIT_EXPECT_EQ(test, lsi_parse_bbu(&st, LSI_MFI_STAT_OK),
			LSI_BBU_ABSENT);
	KUNIT_EXPECT_TRUE(test, lsi_evt_changes_cache(LSI_EVT_BBU_BAD, bbu_warn));
	KUNIT_EXPECT_TRUE(test,
			  lsi_evt_changes_cache(LSI_EVT_LD_CACHE_POLICY_CHANGE,
						ld_info));
	KUNIT_EXPECT_FALSE(test, lsi_evt_changes_cache(LSI_EVT_LD_CREATED,
						       ld_info));
}

/* The flush policy table of docs/driver.md, row by row. */
static void lsi_test_flush_mode(struct kunit *test)
{
	struct lsi_ld_properties p = {
		.current_cache_policy = LSI_LD_CACHE_WRITE_BACK,
		.disk_cache_policy = LSI_LD_DISK_CACHE_DISABLE,
	};

	/* protected write-back, disk caches off: nothing volatile */
	KUNIT_EXPECT_EQ(test, lsi_ld_flush_mode(&p, true, true),
			LSI_FLUSH_FIRMWARE);
	KUNIT_EXPECT_EQ(test, lsi_ld_flush_mode(&p, true, false),
			LSI_FLUSH_COMPLETE);
	/* unprotected write-back ("always write back", BBU not good) */
	KUNIT_EXPECT_EQ(test, lsi_ld_flush_mode(&p, false, true),
			LSI_FLUSH_DCMD);
	/* write-through: the BBU does not matter */
	p.current_cache_policy = LSI_LD_CACHE_WRITE_CACHE_BAD_BBU;
	KUNIT_EXPECT_EQ(test, lsi_ld_flush_mode(&p, false, false),
			LSI_FLUSH_COMPLETE);
	/* disk caches on, or left as the disks have them */
	p.disk_cache_policy = LSI_LD_DISK_CACHE_ENABLE;
	KUNIT_EXPECT_EQ(test, lsi_ld_flush_mode(&p, true, true),
			LSI_FLUSH_DCMD);
	p.disk_cache_policy = LSI_LD_DISK_CACHE_UNCHANGED;
	KUNIT_EXPECT_EQ(test, lsi_ld_flush_mode(&p, true, true),
			LSI_FLUSH_DCMD);
}

static void lsi_test_tm(struct kunit *test)
{
	struct lsi_tm_request *tm = kunit_kzalloc(test, sizeof(*tm), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, tm);
	memset(tm, 0xa5, sizeof(*tm));
	lsi_build_tm(tm, LSI_TM_ABORT_TASK, 7, 0, 0x1234);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(tm->dev_handle), 7);
	KUNIT_EXPECT_EQ(test, tm->function, LSI_FUNC_SCSI_TASK_MGMT);
	KUNIT_EXPECT_EQ(test, tm->task_type, LSI_TM_ABORT_TASK);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(tm->task_mid), 0x1234);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(tm->tm_flags), LSI_TM_FLAG_LD);
	KUNIT_EXPECT_EQ(test, tm->reserved6[0], 0);
	KUNIT_EXPECT_EQ(test, tm->lun[1], 0);
	KUNIT_EXPECT_EQ(test, lsi_map_tm_response(LSI_TM_RSP_COMPLETE), 0);
	KUNIT_EXPECT_EQ(test, lsi_map_tm_response(LSI_TM_RSP_SUCCEEDED), 0);
	KUNIT_EXPECT_EQ(test, lsi_map_tm_response(LSI_TM_RSP_NOT_SUPPORTED), -EIO);
	KUNIT_EXPECT_EQ(test, lsi_map_tm_response(LSI_TM_RSP_INVALID_LUN), -EIO);
}

/* A legacy RAID map with LDs at @ids, TM-capable where @tm says so. */
static struct lsi_raid_map *lsi_test_map(struct kunit *test, const u8 *ids,
					 const bool *tm, u32 n)
{
	struct lsi_raid_map *map = kunit_kzalloc(test, LSI_RAID_MAP_SIZE(64),
						 GFP_KERNEL);
	u32 i;

	KUNIT_ASSERT_NOT_NULL(test, map);
	map->total_size = cpu_to_le32(LSI_RAID_MAP_SIZE(n));
	map->ld_count = cpu_to_le32(n);
	memset(map->ld_tgt_id_to_ld, LSI_MAP_INVALID_LD,
	       sizeof(map->ld_tgt_id_to_ld));
	for (i = 0; i < n; i++) {
		struct lsi_map_ld_raid *raid = &map->ld_span_map[i].ld_raid;

		map->ld_tgt_id_to_ld[ids[i]] = i;
		raid->target_id = cpu_to_le16(ids[i]);
		raid->capability = cpu_to_le32(tm[i] ? LSI_LD_CAP_TM_CAPABLE |
					       LSI_LD_CAP_FP_CAPABLE :
					       LSI_LD_CAP_FP_CAPABLE);
	}
	return map;
}

static void lsi_test_raid_map(struct kunit *test)
{
	static const u8 ids[] = { 0, 5, 63 };
	static const bool tm[] = { true, false, true };
	struct lsi_raid_map *map = lsi_test_map(test, ids, tm, 3);
	size_t len = LSI_RAID_MAP_SIZE(64);
	DECLARE_BITMAP(cap, LSI_MAX_LDS);

	KUNIT_EXPECT_EQ(test, lsi_parse_raid_map(map, len, cap), 2);
	KUNIT_EXPECT_TRUE(test, test_bit(0, cap));
	KUNIT_EXPECT_FALSE(test, test_bit(5, cap));
	KUNIT_EXPECT_TRUE(test, test_bit(63, cap));
	KUNIT_EXPECT_FALSE(test, test_bit(1, cap));

	/* No LDs: a valid, empty map. */
	map = lsi_test_map(test, ids, tm, 0);
	KUNIT_EXPECT_EQ(test, lsi_parse_raid_map(map, len, cap), 0);
}

static void lsi_test_raid_map_bad(struct kunit *test)
{
	static const u8 ids[] = { 2, 3 };
	static const bool tm[] = { true, true };
	size_t len = LSI_RAID_MAP_SIZE(64);
	DECLARE_BITMAP(cap, LSI_MAX_LDS);
	struct lsi_raid_map *map;

	/* Size that does not match the count. */
	map = lsi_test_map(test, ids, tm, 2);
	map->total_size = cpu_to_le32(LSI_RAID_MAP_SIZE(1));
	KUNIT_EXPECT_EQ(test, lsi_parse_raid_map(map, len, cap), -EPROTO);
	KUNIT_EXPECT_TRUE(test, bitmap_empty(cap, LSI_MAX_LDS));
	/* More LDs than a legacy map holds. */
	map = lsi_test_map(test, ids, tm, 2);
	map->ld_count = cpu_to_le32(65);
	map->total_size = cpu_to_le32(LSI_RAID_MAP_SIZE(65));
	KUNIT_EXPECT_EQ(test, lsi_parse_raid_map(map, len, cap), -EPROTO);
	/* A map larger than the buffer it came in. */
	map = lsi_test_map(test, ids, tm, 2);
	KUNIT_EXPECT_EQ(test, lsi_parse_raid_map(map, LSI_RAID_MAP_SIZE(1), cap),
			-EPROTO);
	/* An entry whose target does not map back to it. */
	map = lsi_test_map(test, ids, tm, 2);
	map->ld_tgt_id_to_ld[3] = 0;
	KUNIT_EXPECT_EQ(test, lsi_parse_raid_map(map, len, cap), -EPROTO);
	KUNIT_EXPECT_TRUE(test, bitmap_empty(cap, LSI_MAX_LDS));
	/* A target beyond the legacy range. */
	map = lsi_test_map(test, ids, tm, 2);
	map->ld_span_map[1].ld_raid.target_id = cpu_to_le16(200);
	KUNIT_EXPECT_EQ(test, lsi_parse_raid_map(map, len, cap), -EPROTO);
}

static void lsi_test_fw_string(struct kunit *test)
{
	static const char raw[8] = { 'A', 'B', '\n', 'C', ' ', ' ', ' ', ' ' };
	static const char full[4] = { 'W', 'X', 'Y', 'Z' };
	char out[16];
	char small[3];

	lsi_fw_string(out, sizeof(out), raw, sizeof(raw));
	KUNIT_EXPECT_STREQ(test, out, "AB?C");
	/* Not NUL-terminated by the firmware: still bounded. */
	lsi_fw_string(out, sizeof(out), full, sizeof(full));
	KUNIT_EXPECT_STREQ(test, out, "WXYZ");
	lsi_fw_string(small, sizeof(small), full, sizeof(full));
	KUNIT_EXPECT_STREQ(test, small, "WX");
}

/* poll_queues against the CPUs and the reply queues MSI-X can have. */
static void lsi_test_poll_queues_fit(struct kunit *test)
{
	static const struct {
		int			asked;
		u32			cpus, room, want;
		enum lsi_poll_bound	bound;
	} cases[] = {
		{ 0, 2, 8, 0, LSI_POLL_AS_ASKED },
		{ 1, 2, 8, 1, LSI_POLL_AS_ASKED },
		{ 2, 2, 8, 2, LSI_POLL_AS_ASKED },
		{ -1, 2, 8, 0, LSI_POLL_NEGATIVE },
		{ 1000, 2, 8, 2, LSI_POLL_CPUS },
		{ 3, 2, 3, 2, LSI_POLL_CPUS },
		/* one queue at least keeps its interrupt */
		{ 2, 4, 2, 1, LSI_POLL_ROOM },
		{ 7, 16, 8, 7, LSI_POLL_AS_ASKED },
		{ 8, 16, 8, 7, LSI_POLL_ROOM },
		{ 1000, 16, 8, 7, LSI_POLL_ROOM },
		{ 1, 2, 1, 0, LSI_POLL_NO_ROOM },	/* one reply queue */
		{ 1, 2, 0, 0, LSI_POLL_NO_ROOM },	/* no MSI-X */
		{ -5, 2, 0, 0, LSI_POLL_NEGATIVE },
	};
	enum lsi_poll_bound bound;
	int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		u32 n = lsi_poll_queues_fit(cases[i].asked, cases[i].cpus,
					    cases[i].room, &bound);

		KUNIT_EXPECT_EQ_MSG(test, n, cases[i].want,
				    "poll_queues=%d, %u CPUs, room %u",
				    cases[i].asked, cases[i].cpus, cases[i].room);
		KUNIT_EXPECT_EQ_MSG(test, bound, cases[i].bound,
				    "poll_queues=%d, %u CPUs, room %u",
				    cases[i].asked, cases[i].cpus, cases[i].room);
	}
}

static struct kunit_case lsi_test_cases[] = {
	KUNIT_CASE(lsi_test_cdb_classes),
	KUNIT_CASE(lsi_test_ld_addressing),
	KUNIT_CASE(lsi_test_pd_addressing),
	KUNIT_CASE(lsi_test_ioc_check),
	KUNIT_CASE(lsi_test_build_read10),
	KUNIT_CASE(lsi_test_build_write16_fua),
	KUNIT_CASE(lsi_test_build_non_rw),
	KUNIT_CASE(lsi_test_build_syspd),
	KUNIT_CASE(lsi_test_sgl_none),
	KUNIT_CASE(lsi_test_sgl_in_frame),
	KUNIT_CASE(lsi_test_sgl_chain),
	KUNIT_CASE(lsi_test_sgl_limits),
	KUNIT_CASE(lsi_test_pads),
	KUNIT_CASE(lsi_test_fw_limits),
	KUNIT_CASE(lsi_test_info_max_sectors),
	KUNIT_CASE(lsi_test_descriptors),
	KUNIT_CASE(lsi_test_replies),
	KUNIT_CASE(lsi_test_status_map),
	KUNIT_CASE(lsi_test_status_resid_bounds),
	KUNIT_CASE(lsi_test_mfi_passthru),
	KUNIT_CASE(lsi_test_dcmd),
	KUNIT_CASE(lsi_test_mfi_abort),
	KUNIT_CASE(lsi_test_ioc_init),
	KUNIT_CASE(lsi_test_ld_lists),
	KUNIT_CASE(lsi_test_ld_lists_bad),
	KUNIT_CASE(lsi_test_pd_list),
	KUNIT_CASE(lsi_test_pd_misc),
	KUNIT_CASE(lsi_test_events),
	KUNIT_CASE(lsi_test_bbu),
	KUNIT_CASE(lsi_test_flush_mode),
	KUNIT_CASE(lsi_test_tm),
	KUNIT_CASE(lsi_test_raid_map),
	KUNIT_CASE(lsi_test_raid_map_bad),
	KUNIT_CASE(lsi_test_fw_string),
	KUNIT_CASE(lsi_test_poll_queues_fit),
	{}
};

static struct kunit_suite lsi_test_suite = {
	.name = "lsi3108",
	.test_cases = lsi_test_cases,
};

kunit_test_suite(lsi_test_suite);

MODULE_DESCRIPTION("KUnit tests for the lsi3108 driver's protocol logic");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
