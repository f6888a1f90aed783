/*
 * QEMU model of the LSI MegaRAID SAS3108 — a physical disk's answers to
 * SCSI commands (MFI_CMD_PD_SCSI_IO pass-through frames, and a system PD's
 * commands that move no block data).
 *
 * Tools such as smartctl reach a disk behind the RAID controller through
 * pass-through frames naming its device id. A SAS disk answers the SCSI
 * commands itself: INQUIRY and VPD, capacity, mode and log pages (error
 * counters, temperature, self-test results, informational exceptions),
 * the grown defect list. A SATA disk has the controller's SAT layer in
 * front of it: INQUIRY says "ATA", and ATA PASS-THROUGH (12/16) carries the
 * ATA commands, IDENTIFY DEVICE and the SMART feature set. Every answer is
 * built from the PD's properties in a fixed buffer (lsi3108-pd.c owns the
 * device; docs/model.md, "Physical disks").
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/cutils.h"
#include "hw/pci/pci.h"
#include "scsi/constants.h"
#include "lsi3108-ctrl.h"
#include "lsi3108-pd.h"

#define PD_BLOCK_SIZE           512
/* SCSI answers are built here; nothing a PD returns is longer */
#define PD_REPLY_MAX            1024
#define PD_SENSE_LEN            18
/* LOG SENSE 0x10: 20 self-test result parameters of 20 bytes */
#define PD_SELFTEST_PARAMS      20
/* The controller's SAS address block for the PHYs it gives SATA disks */
#define PD_SATA_SAS_BASE        0x500605b000000000ULL

/*
 * The SAS address of the PD's port: a SAS disk's own (WWN + 1, its target
 * port), for a SATA disk the one the controller's PHY gives it.
 */
uint64_t lsi3108_pd_sas_address(const Lsi3108PD *pd)
{
    if (lsi3108_pd_is_sata(pd)) {
        return PD_SATA_SAS_BASE | ((lsi3108_naa_base(pd->ctrl) >> 8) &
                                   0xffff) << 8 | pd->device_id;
    }
    return pd->wwn + 1;
}

/* ------------------------------------------------------------------ */
/* Standard INQUIRY and VPD (what a disk, or the SAT layer, answers)   */
/* ------------------------------------------------------------------ */

size_t lsi3108_pd_std_inquiry(const Lsi3108PD *pd, uint8_t *buf)
{
    buf[0] = TYPE_DISK;
    buf[2] = 0x06;                      /* SPC-4 */
    buf[3] = 0x12;                      /* HiSup, response data format 2 */
    buf[4] = 96 - 5;
    buf[6] = lsi3108_pd_is_sata(pd) ? 0 : 0x10; /* SAS: MultiP */
    buf[7] = 0x02;                      /* CmdQue */
    if (lsi3108_pd_is_sata(pd)) {
        /* SAT: vendor "ATA", product = model's first 16 characters */
        strpadcpy((char *)buf + 8, 8, "ATA", ' ');
        strpadcpy((char *)buf + 16, 16, pd->product, ' ');
        strpadcpy((char *)buf + 32, 4, pd->fw_rev +
                  (strlen(pd->fw_rev) > 4 ? strlen(pd->fw_rev) - 4 : 0), ' ');
    } else {
        strpadcpy((char *)buf + 8, 8, pd->vendor, ' ');
        strpadcpy((char *)buf + 16, 16, pd->product, ' ');
        strpadcpy((char *)buf + 32, 4, pd->fw_rev, ' ');
    }
    return 96;
}

static size_t pd_vpd_device_id(const Lsi3108PD *pd, uint8_t *buf)
{
    uint8_t *d = buf + 4;

    /* the logical unit: NAA-5, the disk's world wide name */
    d[0] = 0x01;                        /* binary */
    d[1] = 0x03;                        /* LU association, NAA */
    d[3] = 8;
    stq_be_p(d + 4, pd->wwn);
    d += 12;
    if (!lsi3108_pd_is_sata(pd)) {
        /* the target port: SAS protocol, PIV, its SAS address */
        d[0] = 0x61;                    /* protocol SAS, binary */
        d[1] = 0x93;                    /* PIV, target port, NAA */
        d[3] = 8;
        stq_be_p(d + 4, lsi3108_pd_sas_address(pd));
        d += 12;
    }
    return d - buf;
}

/* Build VPD page @code in buf (zeroed, PD_REPLY_MAX); 0 if unsupported. */
static size_t pd_vpd_page(const Lsi3108PD *pd, uint8_t code, uint8_t *buf)
{
    static const uint8_t pages[] = { 0x00, 0x80, 0x83 };
    size_t len;

    switch (code) {
    case 0x00:
        memcpy(buf + 4, pages, sizeof(pages));
        len = 4 + sizeof(pages);
        break;
    case 0x80:
        len = strlen(pd->serial);
        memcpy(buf + 4, pd->serial, len);
        len += 4;
        break;
    case 0x83:
        len = pd_vpd_device_id(pd, buf);
        break;
    default:
        return 0;
    }
    buf[0] = TYPE_DISK;
    buf[1] = code;
    stw_be_p(buf + 2, len - 4);
    return len;
}

size_t lsi3108_pd_vpd83(const Lsi3108PD *pd, uint8_t *buf, size_t size)
{
    uint8_t page[PD_REPLY_MAX] = { 0 };
    size_t len = pd_vpd_page(pd, 0x83, page);

    memcpy(buf, page, MIN(len, size));
    return len;
}

/* ------------------------------------------------------------------ */
/* PD SCSI pass-through: one command, answered from memory             */
/* ------------------------------------------------------------------ */

/* One command being answered: a pass-through frame's (m) or a system PD's (req). */
typedef struct PdIo {
    Lsi3108State    *s;
    Lsi3108Mfi      *m;
    Lsi3108Request  *req;
    uint32_t        moved;          /* req: bytes copied to the host */
    Lsi3108PD       *pd;
    const uint8_t   *cdb;
    uint8_t         data[PD_REPLY_MAX];
    uint8_t         sense[32];
    size_t          sense_len;      /* 0: GOOD */
} PdIo;

/* Fixed-format sense: CHECK CONDITION with key/asc/ascq. */
static void pd_check(PdIo *io, uint8_t key, uint8_t asc, uint8_t ascq)
{
    memset(io->sense, 0, sizeof(io->sense));
    io->sense[0] = 0x70;
    io->sense[2] = key;
    io->sense[7] = PD_SENSE_LEN - 8;
    io->sense[12] = asc;
    io->sense[13] = ascq;
    io->sense_len = PD_SENSE_LEN;
}

static void pd_bad_opcode(PdIo *io)
{
    pd_check(io, ILLEGAL_REQUEST, 0x20, 0x00);
}

static void pd_bad_field(PdIo *io)
{
    pd_check(io, ILLEGAL_REQUEST, 0x24, 0x00);
}

/* Data to the host: no more than the reply, the CDB's allocation length
 * and the frame's buffer. Returns the MFI status of the copy. */
static uint8_t pd_data_in(PdIo *io, size_t len, uint32_t alloc)
{
    size_t n = MIN(MIN(len, alloc), sizeof(io->data));

    if (io->m) {
        return lsi3108_mfi_data_in(io->m, io->data, n);
    }
    if (io->req->dir != LSI3108_DIR_TO_HOST) {
        return 0;                       /* no buffer: nothing to copy */
    }
    n = MIN(n, io->req->data_len);
    if (dma_buf_read(io->data, n, NULL, &io->req->qsg,
                     MEMTXATTRS_UNSPECIFIED) != MEMTX_OK) {
        return LSI_MFI_STAT_SCSI_IO_FAILED;
    }
    io->moved = n;
    return 0;
}

static uint8_t pd_inquiry(PdIo *io)
{
    const uint8_t *cdb = io->cdb;
    size_t len;

    if (cdb[1] & 0xfe) {
        pd_bad_field(io);
        return 0;
    }
    if (!(cdb[1] & 0x01)) {
        if (cdb[2]) {
            pd_bad_field(io);
            return 0;
        }
        len = lsi3108_pd_std_inquiry(io->pd, io->data);
    } else {
        len = pd_vpd_page(io->pd, cdb[2], io->data);
        if (!len) {
            pd_bad_field(io);
            return 0;
        }
    }
    return pd_data_in(io, len, lduw_be_p(cdb + 3));
}

static uint8_t pd_read_capacity10(PdIo *io)
{
    uint64_t last = io->pd->sectors - 1;

    stl_be_p(io->data, MIN(last, 0xffffffffULL));
    stl_be_p(io->data + 4, PD_BLOCK_SIZE);
    return pd_data_in(io, 8, 8);
}

static uint8_t pd_service_action_in(PdIo *io)
{
    if ((io->cdb[1] & 0x1f) != SAI_READ_CAPACITY_16) {
        pd_bad_field(io);
        return 0;
    }
    stq_be_p(io->data, io->pd->sectors - 1);
    stl_be_p(io->data + 8, PD_BLOCK_SIZE);
    return pd_data_in(io, 32, ldl_be_p(io->cdb + 10));
}

/* Mode pages a disk reports: caching (WCE off: the controller runs RAID
 * members with their caches off; a system PD keeps its own, write-cache),
 * control, and informational exceptions control (MRIE 6: report on
 * request, enabled). */
static size_t pd_mode_page(const Lsi3108PD *pd, uint8_t page, uint8_t *p)
{
    switch (page) {
    case 0x08:
        p[0] = 0x08;
        p[1] = 0x12;
        if (lsi3108_pd_exposed(pd) && pd->write_cache) {
            p[2] = 0x04;                /* WCE */
        }
        return 0x14;
    case 0x0a:
        p[0] = 0x0a;
        p[1] = 0x0a;
        return 0x0c;
    case 0x1c:
        p[0] = 0x1c;
        p[1] = 0x0a;
        p[3] = 0x06;                    /* MRIE: on request */
        return 0x0c;
    }
    return 0;
}

static uint8_t pd_mode_sense(PdIo *io, bool ten)
{
    static const uint8_t all[] = { 0x08, 0x0a, 0x1c };
    const uint8_t *cdb = io->cdb;
    uint8_t page = cdb[2] & 0x3f;
    size_t hdr = ten ? 8 : 4, len = hdr;
    unsigned int i;

    if (cdb[3] || (cdb[2] >> 6) == 3) {     /* subpages; saved values */
        pd_bad_field(io);
        return 0;
    }
    if (page == 0x3f) {
        for (i = 0; i < ARRAY_SIZE(all); i++) {
            len += pd_mode_page(io->pd, all[i], io->data + len);
        }
    } else {
        size_t n = pd_mode_page(io->pd, page, io->data + len);

        if (!n) {
            pd_bad_field(io);
            return 0;
        }
        len += n;
    }
    /* device-specific parameter: a system PD takes DPO and FUA */
    io->data[ten ? 3 : 2] = lsi3108_pd_exposed(io->pd) ? 0x10 : 0;
    if (ten) {
        stw_be_p(io->data, len - 2);
        return pd_data_in(io, len, lduw_be_p(cdb + 7));
    }
    io->data[0] = len - 1;
    return pd_data_in(io, len, cdb[4]);
}

/* One log parameter: code, control (binary, LBIN), value of @n bytes. */
static size_t pd_log_param(uint8_t *p, uint16_t code, uint64_t value,
                           unsigned int n)
{
    unsigned int i;

    stw_be_p(p, code);
    p[2] = 0x02;
    p[3] = n;
    for (i = 0; i < n; i++) {
        p[4 + i] = value >> (8 * (n - 1 - i));
    }
    return 4 + n;
}

/* Error counter pages 0x02/0x03/0x05: only uncorrected errors (0006) and
 * the bytes processed (0005) are non-zero; media errors count as read
 * errors. */
static size_t pd_log_errors(const Lsi3108PD *pd, uint8_t page, uint8_t *p)
{
    uint32_t uncorrected = page == 0x03 ? pd->media_errors : 0;
    size_t len = 0;
    uint16_t code;

    for (code = 0; code <= 4; code++) {
        len += pd_log_param(p + len, code, 0, 4);
    }
    len += pd_log_param(p + len, 5, pd->poh * 3600ULL * 1000, 8);
    len += pd_log_param(p + len, 6, uncorrected, 4);
    return len;
}

/* Build log page @page after a 4-byte header; 0 if unsupported. */
static size_t pd_log_page(const Lsi3108PD *pd, uint8_t page, uint8_t *p)
{
    static const uint8_t pages[] = { 0x00, 0x02, 0x03, 0x05, 0x06, 0x0d,
                                     0x10, 0x15, 0x2f };
    size_t len = 0;
    unsigned int i;

    switch (page) {
    case 0x00:
        memcpy(p, pages, sizeof(pages));
        return sizeof(pages);
    case 0x02:
    case 0x03:
    case 0x05:
        return pd_log_errors(pd, page, p);
    case 0x06:                          /* non-medium errors */
        return pd_log_param(p, 0, pd->other_errors, 4);
    case 0x0d:                          /* temperature, reference */
        len = pd_log_param(p, 0, pd->temperature, 2);
        return len + pd_log_param(p + len, 1, 65, 2);
    case 0x10:                          /* self-test results: none run */
        for (i = 1; i <= PD_SELFTEST_PARAMS; i++) {
            stw_be_p(p + len, i);
            p[len + 2] = 0x03;
            p[len + 3] = 0x10;
            len += 20;
        }
        return len;
    case 0x15:                          /* background scan: power-on time */
        stw_be_p(p, 0);
        p[2] = 0x03;
        p[3] = 0x0c;
        stl_be_p(p + 4, pd->poh * 60);
        return 16;
    case 0x2f:                          /* informational exceptions */
        stw_be_p(p, 0);
        p[2] = 0x03;
        p[3] = 4;
        p[4] = pd->failing ? 0x5d : 0;  /* FAILURE PREDICTION THRESHOLD */
        p[5] = 0;                       /* EXCEEDED, or none */
        p[6] = pd->temperature;
        p[7] = 65;
        return 8;
    }
    return 0;
}

static uint8_t pd_log_sense(PdIo *io)
{
    const uint8_t *cdb = io->cdb;
    uint8_t page = cdb[2] & 0x3f;
    size_t len;

    if (cdb[3] || (cdb[1] & 0x01)) {    /* subpages; PPC */
        pd_bad_field(io);
        return 0;
    }
    len = pd_log_page(io->pd, page, io->data + 4);
    if (!len && page) {
        pd_bad_field(io);
        return 0;
    }
    io->data[0] = page;
    stw_be_p(io->data + 2, len);
    return pd_data_in(io, len + 4, lduw_be_p(cdb + 7));
}

/*
 * READ DEFECT DATA (10/12): the grown list's length only, in the format
 * asked for (8-byte descriptors for the bytes-from-index and physical
 * sector formats): reallocated-sectors entries. The entries themselves are
 * not returned (the header's length tells how many there are).
 */
static uint8_t pd_read_defect(PdIo *io, bool twelve)
{
    uint8_t format = io->cdb[twelve ? 1 : 2] & 0x07;
    uint32_t dlen = io->pd->realloc * (format == 0 ? 4 : 8);

    if (twelve) {
        io->data[1] = 0x08 | format;    /* grown list */
        stl_be_p(io->data + 4, dlen);
        return pd_data_in(io, 8, ldl_be_p(io->cdb + 6));
    }
    io->data[1] = 0x08 | format;
    stw_be_p(io->data + 2, MIN(dlen, 0xffff));
    return pd_data_in(io, 4, lduw_be_p(io->cdb + 7));
}

/*
 * REQUEST SENSE: nothing pending, except what MRIE 6 ("report
 * informational exception conditions on request") makes the disk report:
 * FAILURE PREDICTION THRESHOLD EXCEEDED while it is failing (smartctl asks
 * for it when the IE log page shows no condition).
 */
static uint8_t pd_request_sense(PdIo *io)
{
    uint8_t asc = io->pd->failing ? 0x5d : 0;

    if (io->cdb[1] & 0x01) {            /* DESC: descriptor format */
        io->data[0] = 0x72;
        io->data[2] = asc;
        return pd_data_in(io, 8, io->cdb[4]);
    }
    io->data[0] = 0x70;
    io->data[7] = PD_SENSE_LEN - 8;
    io->data[12] = asc;
    return pd_data_in(io, PD_SENSE_LEN, io->cdb[4]);
}

/* ------------------------------------------------------------------ */
/* SAT: ATA PASS-THROUGH for SATA PDs                                  */
/* ------------------------------------------------------------------ */

#define ATA_IDENTIFY            0xec
#define ATA_SMART               0xb0
#define ATA_CHECK_POWER_MODE    0xe5
#define SMART_READ_DATA         0xd0
#define SMART_READ_THRESHOLDS   0xd1
#define SMART_READ_LOG          0xd5
#define SMART_ENABLE            0xd8
#define SMART_RETURN_STATUS     0xda
#define SMART_LBA_MID           0x4f
#define SMART_LBA_HIGH          0xc2
#define SMART_FAIL_MID          0xf4
#define SMART_FAIL_HIGH         0x2c
/* SMART attribute threshold the failing Reallocated_Sector_Ct crosses */
#define SMART_REALLOC_THRESH    10

/* The ATA task file of one pass-through command. */
typedef struct AtaTf {
    uint8_t     protocol;
    bool        ck_cond;
    uint8_t     feature;
    uint8_t     count;
    uint8_t     lba_low;
    uint8_t     lba_mid;
    uint8_t     lba_high;
    uint8_t     command;
} AtaTf;

static void ata_decode(const uint8_t *cdb, AtaTf *tf)
{
    bool sixteen = cdb[0] == ATA_PASSTHROUGH_16;

    tf->protocol = (cdb[1] >> 1) & 0x0f;
    tf->ck_cond = cdb[2] & 0x20;
    tf->feature = cdb[sixteen ? 4 : 3];
    tf->count = cdb[sixteen ? 6 : 4];
    tf->lba_low = cdb[sixteen ? 8 : 5];
    tf->lba_mid = cdb[sixteen ? 10 : 6];
    tf->lba_high = cdb[sixteen ? 12 : 7];
    tf->command = cdb[sixteen ? 14 : 9];
}

/*
 * The result of an ATA command in descriptor sense (SAT: RECOVERED ERROR,
 * ATA PASS THROUGH INFORMATION AVAILABLE, the ATA Status Return
 * descriptor): what SMART RETURN STATUS answers in LBA mid/high, and any
 * command whose CDB asked for the registers (CK_COND).
 */
static void ata_status_return(PdIo *io, const AtaTf *tf, uint8_t error,
                              uint8_t status, uint8_t key, uint8_t ascq)
{
    uint8_t *d = io->sense + 8;

    memset(io->sense, 0, sizeof(io->sense));
    io->sense[0] = 0x72;
    io->sense[1] = key;
    io->sense[2] = 0x00;
    io->sense[3] = ascq;
    io->sense[7] = 14;
    d[0] = 0x09;
    d[1] = 12;
    d[3] = error;
    d[5] = tf->count;
    d[7] = tf->lba_low;
    d[9] = tf->lba_mid;
    d[11] = tf->lba_high;
    d[12] = 0x40;                       /* device */
    d[13] = status;
    io->sense_len = 22;
}

/* An ATA command the device aborts (error ABRT, status ERR). */
static void ata_abort(PdIo *io, const AtaTf *tf)
{
    ata_status_return(io, tf, 0x04, 0x51, ABORTED_COMMAND, 0x00);
}

/* ATA strings: two characters a word, the first in the high byte. */
static void ata_string(uint8_t *words, size_t nwords, const char *str)
{
    char tmp[64];
    size_t i;

    strpadcpy(tmp, nwords * 2, str, ' ');
    for (i = 0; i < nwords * 2; i += 2) {
        words[i] = tmp[i + 1];
        words[i + 1] = tmp[i];
    }
}

/* The last byte makes the sector sum to zero (IDENTIFY, SMART data). */
static void ata_checksum(uint8_t *sector, uint8_t signature)
{
    uint8_t sum = 0;
    int i;

    sector[510] = signature;
    for (i = 0; i < 511; i++) {
        sum += sector[i];
    }
    sector[511] = -sum;
}

static void ata_identify(const Lsi3108PD *pd, uint8_t *id)
{
    uint64_t lbas = pd->sectors;

    stw_le_p(id + 0 * 2, 0x0040);       /* fixed, not removable */
    stw_le_p(id + 1 * 2, 16383);
    stw_le_p(id + 3 * 2, 16);
    stw_le_p(id + 6 * 2, 63);
    ata_string(id + 10 * 2, 10, pd->serial);
    ata_string(id + 23 * 2, 4, pd->fw_rev);
    ata_string(id + 27 * 2, 20, pd->product);
    stw_le_p(id + 47 * 2, 0x8010);
    stw_le_p(id + 49 * 2, 0x0f00);      /* LBA, DMA, IORDY */
    stw_le_p(id + 53 * 2, 0x0006);
    stl_le_p(id + 60 * 2, MIN(lbas, 0x0fffffffULL));
    stw_le_p(id + 80 * 2, 0x03f0);      /* ATA8-ACS .. ACS-3 */
    stw_le_p(id + 81 * 2, 0x0110);
    stw_le_p(id + 82 * 2, 0x746b);      /* SMART (bit 0) supported */
    stw_le_p(id + 83 * 2, 0x7d01 | BIT(10));    /* 48-bit */
    stw_le_p(id + 84 * 2, 0x6163 & ~BIT(5));    /* no GP logging */
    stw_le_p(id + 85 * 2, 0x7469);      /* SMART enabled */
    stw_le_p(id + 86 * 2, 0xbc01 | BIT(10));
    stw_le_p(id + 87 * 2, 0x6163 & ~BIT(5));
    stw_le_p(id + 88 * 2, 0x407f);
    stq_le_p(id + 100 * 2, lbas);
    stw_le_p(id + 106 * 2, 0x4000);     /* 512-byte sectors */
    stw_le_p(id + 108 * 2, pd->wwn >> 48);
    stw_le_p(id + 109 * 2, pd->wwn >> 32);
    stw_le_p(id + 110 * 2, pd->wwn >> 16);
    stw_le_p(id + 111 * 2, pd->wwn);
    stw_le_p(id + 217 * 2, 7200);       /* rotation rate */
    stw_le_p(id + 222 * 2, 0x107f);     /* SATA 3.x */
    ata_checksum(id, 0xa5);
}

/* One SMART attribute (12 bytes) of SMART READ DATA. */
static void smart_attr(uint8_t *a, uint8_t id, uint16_t flags, uint8_t value,
                       uint64_t raw)
{
    a[0] = id;
    stw_le_p(a + 1, flags);
    a[3] = value;
    a[4] = value;
    stl_le_p(a + 5, raw);
    stw_le_p(a + 9, raw >> 32);
}

/*
 * SMART attributes from the properties: 5 Reallocated_Sector_Ct (pre-fail;
 * at or below its threshold when health=failing), 9 Power_On_Hours,
 * 12 Power_Cycle_Count, 194 Temperature_Celsius, 197 Current_Pending_Sector,
 * 198 Offline_Uncorrectable (the media errors).
 */
static void smart_read_data(const Lsi3108PD *pd, uint8_t *d)
{
    uint8_t *a = d + 2;

    stw_le_p(d, 0x0010);
    smart_attr(a, 5, 0x0033, pd->failing ? SMART_REALLOC_THRESH - 9 : 100,
               pd->realloc);
    smart_attr(a + 12, 9, 0x0032, 99, pd->poh);
    smart_attr(a + 24, 12, 0x0032, 100, 42);
    smart_attr(a + 36, 194, 0x0022, MIN(pd->temperature, 100), pd->temperature);
    smart_attr(a + 48, 197, 0x0012, 100, 0);
    smart_attr(a + 60, 198, 0x0010, 100, pd->media_errors);
    d[362] = 0x82;                      /* offline collection: completed */
    d[363] = 0x00;                      /* self-test: none running */
    stw_le_p(d + 364, 600);
    d[367] = 0x1b;                      /* offline, self-tests; no selective */
    stw_le_p(d + 368, 0x0003);          /* saves, autosave */
    d[370] = 0x01;                      /* error logging supported */
    d[372] = 2;                         /* short self-test, minutes */
    d[373] = 120;                       /* extended */
    ata_checksum(d, 0);
}

static void smart_read_thresholds(uint8_t *d)
{
    static const uint8_t ids[] = { 5, 9, 12, 194, 197, 198 };
    unsigned int i;

    stw_le_p(d, 0x0010);
    for (i = 0; i < ARRAY_SIZE(ids); i++) {
        d[2 + i * 12] = ids[i];
        d[3 + i * 12] = ids[i] == 5 ? SMART_REALLOC_THRESH : 0;
    }
    ata_checksum(d, 0);
}

/* SMART READ LOG: the log directory, an empty summary error log and an
 * empty self-test log (one sector each); other logs are not there. */
static bool smart_read_log(uint8_t log, uint8_t *d)
{
    switch (log) {
    case 0x00:
        stw_le_p(d, 0x0001);
        d[0x01 * 2] = 1;
        d[0x06 * 2] = 1;
        return true;
    case 0x01:
        d[0] = 0x01;
        break;
    case 0x06:
        stw_le_p(d, 0x0001);
        break;
    default:
        return false;
    }
    ata_checksum(d, d[510]);
    return true;
}

/* The SMART feature set (command B0h, LBA mid/high 4Fh/C2h). */
static uint8_t ata_smart(PdIo *io, const AtaTf *tf)
{
    Lsi3108PD *pd = io->pd;

    if (tf->lba_mid != SMART_LBA_MID || tf->lba_high != SMART_LBA_HIGH) {
        ata_abort(io, tf);
        return 0;
    }
    switch (tf->feature) {
    case SMART_READ_DATA:
        smart_read_data(pd, io->data);
        break;
    case SMART_READ_THRESHOLDS:
        smart_read_thresholds(io->data);
        break;
    case SMART_READ_LOG:
        if (tf->count != 1 || !smart_read_log(tf->lba_low, io->data)) {
            ata_abort(io, tf);
            return 0;
        }
        break;
    case SMART_ENABLE:
        break;
    case SMART_RETURN_STATUS: {
        AtaTf out = *tf;

        if (pd->failing) {
            out.lba_mid = SMART_FAIL_MID;
            out.lba_high = SMART_FAIL_HIGH;
        }
        /* the registers come back in sense data, asked for or not */
        ata_status_return(io, &out, 0, 0x50, RECOVERED_ERROR, 0x1d);
        return 0;
    }
    default:
        ata_abort(io, tf);
        return 0;
    }
    if (tf->feature == SMART_ENABLE) {
        return 0;
    }
    return pd_data_in(io, 512, 512);
}

static uint8_t pd_ata_passthrough(PdIo *io)
{
    AtaTf tf;
    uint8_t status = 0;

    if (!lsi3108_pd_is_sata(io->pd)) {
        pd_bad_opcode(io);              /* a SAS disk has no SAT layer */
        return 0;
    }
    ata_decode(io->cdb, &tf);
    switch (tf.command) {
    case ATA_IDENTIFY:
        ata_identify(io->pd, io->data);
        status = pd_data_in(io, 512, 512);
        break;
    case ATA_SMART:
        return ata_smart(io, &tf);
    case ATA_CHECK_POWER_MODE: {
        AtaTf out = tf;

        out.count = 0xff;               /* active or idle */
        ata_status_return(io, &out, 0, 0x50, RECOVERED_ERROR, 0x1d);
        return 0;
    }
    default:
        ata_abort(io, &tf);
        return 0;
    }
    if (!io->sense_len && tf.ck_cond) {
        ata_status_return(io, &tf, 0, 0x50, RECOVERED_ERROR, 0x1d);
    }
    return status;
}

/* Run one CDB; returns an MFI status of the data copy (0 = fine). */
static uint8_t pd_dispatch(PdIo *io)
{
    switch (io->cdb[0]) {
    case TEST_UNIT_READY:
        return 0;
    case INQUIRY:
        return pd_inquiry(io);
    case REQUEST_SENSE:
        return pd_request_sense(io);
    case READ_CAPACITY_10:
        return pd_read_capacity10(io);
    case SERVICE_ACTION_IN_16:
        return pd_service_action_in(io);
    case MODE_SENSE:
        return pd_mode_sense(io, false);
    case MODE_SENSE_10:
        return pd_mode_sense(io, true);
    case LOG_SENSE:
        return pd_log_sense(io);
    case READ_DEFECT_DATA:
        return pd_read_defect(io, false);
    case READ_DEFECT_DATA_12:
        return pd_read_defect(io, true);
    case ATA_PASSTHROUGH_12:
    case ATA_PASSTHROUGH_16:
        return pd_ata_passthrough(io);
    default:
        pd_bad_opcode(io);
        return 0;
    }
}

/* Sense data to the frame's sense buffer (at most sense_len bytes). */
static void pd_write_sense(PdIo *io)
{
    const struct lsi_mfi_pthru_frame *f = (const void *)io->m->frame;
    dma_addr_t addr = le32_to_cpu(f->sense_addr_lo);
    size_t len = MIN(io->sense_len, f->hdr.sense_len);

    if (le16_to_cpu(f->hdr.flags) & LSI_MFI_FLAG_SENSE64) {
        addr |= (dma_addr_t)le32_to_cpu(f->sense_addr_hi) << 32;
    }
    if (!len || !addr) {
        return;
    }
    if (pci_dma_write(PCI_DEVICE(io->s), addr, io->sense, len) != MEMTX_OK) {
        lsi3108_guest_error("PD pass-through sense write failed", addr, len);
    }
}

/*
 * MFI_CMD_PD_SCSI_IO. hdr.target_id is the PD's device id; a device id no
 * PD has gets DEVICE_NOT_FOUND (0x0c: smartctl's "Device N does not
 * exist"). GOOD is MFI status 0; CHECK CONDITION is SCSI_DONE_WITH_ERROR
 * with scsi_status 2 in the frame and the sense in its sense buffer.
 * Every answer is built in a fixed buffer and copied to at most the
 * frame's SGL and data_xfer_len; data-out commands take no data.
 */
void lsi3108_pd_scsi(Lsi3108State *s, Lsi3108Mfi *m)
{
    const struct lsi_mfi_pthru_frame *f = (const void *)m->frame;
    g_autofree PdIo *io = g_new0(PdIo, 1);
    uint8_t cdb[16] = { 0 };
    uint8_t status, scsi_status = 0;

    io->s = s;
    io->m = m;
    io->cdb = cdb;
    io->pd = lsi3108_find_pd(s, f->hdr.target_id);
    if (!io->pd || f->hdr.lun) {
        lsi3108_mfi_complete(s, m, LSI_MFI_STAT_DEVICE_NOT_FOUND);
        return;
    }
    if (m->frame_len < sizeof(*f) || f->hdr.cdb_len < 6 ||
        f->hdr.cdb_len > sizeof(cdb) ||
        !lsi3108_mfi_map_sgl(s, m,
                             offsetof(struct lsi_mfi_pthru_frame, sgl))) {
        lsi3108_mfi_complete(s, m, LSI_MFI_STAT_INVALID_PARAMETER);
        return;
    }
    memcpy(cdb, f->cdb, f->hdr.cdb_len);
    if (io->pd->state == LSI3108_PDS_FAILED) {
        /* a failed disk: the firmware no longer talks to it */
        pd_check(io, NOT_READY, 0x04, 0x00);
        status = 0;
    } else {
        status = pd_dispatch(io);
    }
    if (status) {
        lsi3108_mfi_complete(s, m, status);
        return;
    }
    if (io->sense_len) {
        scsi_status = CHECK_CONDITION;
        pd_write_sense(io);
        status = LSI_MFI_STAT_SCSI_DONE_WITH_ERROR;
    }
    lsi3108_dma_write(s, m->addr + offsetof(struct lsi_mfi_header, scsi_status),
                      &scsi_status, 1);
    lsi3108_mfi_complete(s, m, status);
}

/*
 * A system PD's command that moves no block data: answered like a
 * pass-through frame's, the data into the request's SGL (residual = what
 * the answer did not fill), CHECK CONDITION with the sense the same way.
 */
void lsi3108_pd_scsi_answer(Lsi3108PD *pd, Lsi3108Request *req)
{
    g_autofree PdIo *io = g_new0(PdIo, 1);
    uint8_t status;

    io->s = req->ctrl;
    io->req = req;
    io->pd = pd;
    io->cdb = req->cdb;
    if (pd->state == LSI3108_PDS_FAILED) {
        pd_check(io, NOT_READY, 0x04, 0x00);
        status = 0;
    } else {
        status = pd_dispatch(io);
    }
    if (status) {
        lsi3108_request_done(req, status, GOOD, NULL, 0, req->data_len);
    } else if (io->sense_len) {
        lsi3108_request_done(req, LSI_MFI_STAT_SCSI_DONE_WITH_ERROR,
                             CHECK_CONDITION, io->sense, io->sense_len,
                             req->data_len);
    } else {
        /* a short answer is an underrun, as an LD reports one */
        uint32_t residual = req->data_len - io->moved;

        lsi3108_request_done(req, residual ? LSI_MFI_STAT_SCSI_DONE_WITH_ERROR
                                           : LSI_MFI_STAT_OK,
                             GOOD, NULL, 0, residual);
    }
}
