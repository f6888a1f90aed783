/*
 * QEMU model of the LSI MegaRAID SAS3108 — physical disks (PDs).
 *
 * A RAID controller hides its disks behind logical drives, but it still
 * lets the host see them: the firmware keeps a list of the PDs it found
 * (device id, enclosure and slot, SAS address), answers PD info for each
 * (inquiry data, sizes, state, error counters), and passes SCSI commands
 * through to a PD (MFI_CMD_PD_SCSI_IO) so that tools such as smartctl can
 * read a disk's health. A SAS disk answers those commands itself; for a
 * SATA disk the controller's SAT layer translates: standard INQUIRY says
 * "ATA", and ATA PASS-THROUGH (12/16) carries IDENTIFY DEVICE and the SMART
 * commands. Everything a PD reports comes from its properties.
 *
 * An LD may name its member PDs (LD property "pds", with "raid-level" and
 * "strip-kib"); the LD's state follows theirs (optimal, degraded, offline).
 * Setting a PD's "state" live (qom-set) logs the firmware's events: PD
 * state change, then LD state change for each LD whose state moved.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/visitor.h"
#include "qemu/cutils.h"
#include "qemu/error-report.h"
#include "hw/qdev-properties.h"
#include "hw/qdev-properties-system.h"
#include "scsi/constants.h"
#include "sysemu/block-backend.h"
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

static const char *const pd_state_names[] = {
    [LSI3108_PDS_UNCONFIGURED_GOOD] = "unconfigured-good",
    [LSI3108_PDS_ONLINE] = "online",
    [LSI3108_PDS_JBOD] = "jbod",
    [LSI3108_PDS_FAILED] = "failed",
    [LSI3108_PDS_REBUILD] = "rebuild",
    [LSI3108_PDS_HOTSPARE] = "hotspare",
};

static const uint16_t pd_fw_states[] = {
    [LSI3108_PDS_UNCONFIGURED_GOOD] = LSI_PD_STATE_UNCONFIGURED_GOOD,
    [LSI3108_PDS_ONLINE] = LSI_PD_STATE_ONLINE,
    [LSI3108_PDS_JBOD] = LSI_PD_STATE_SYSTEM,
    [LSI3108_PDS_FAILED] = LSI_PD_STATE_FAILED,
    [LSI3108_PDS_REBUILD] = LSI_PD_STATE_REBUILD,
    [LSI3108_PDS_HOTSPARE] = LSI_PD_STATE_HOT_SPARE,
};

static const QEnumLookup pd_state_lookup = {
    .array = pd_state_names,
    .size = ARRAY_SIZE(pd_state_names),
};

static const char *const pd_intf_names[] = {
    [LSI3108_PD_SAS] = "sas",
    [LSI3108_PD_SATA] = "sata",
};

static const QEnumLookup pd_intf_lookup = {
    .array = pd_intf_names,
    .size = ARRAY_SIZE(pd_intf_names),
};

/* ------------------------------------------------------------------ */
/* Lookup and identity                                                 */
/* ------------------------------------------------------------------ */

Lsi3108PD *lsi3108_find_pd(Lsi3108State *s, unsigned int device_id)
{
    return device_id < LSI3108_MAX_PDS ? s->pds[device_id] : NULL;
}

uint16_t lsi3108_pd_fw_state(const Lsi3108PD *pd)
{
    return pd_fw_states[pd->state];
}

static bool pd_is_sata(const Lsi3108PD *pd)
{
    return pd->intf == LSI3108_PD_SATA;
}

/* The SAS address of the PD's port: a SAS disk's own (WWN + 1, its
 * target port), for a SATA disk the one the controller's PHY gives it. */
static uint64_t pd_sas_address(const Lsi3108PD *pd)
{
    if (pd_is_sata(pd)) {
        return PD_SATA_SAS_BASE | ((lsi3108_naa_base(pd->ctrl) >> 8) &
                                   0xffff) << 8 | pd->device_id;
    }
    return pd->wwn + 1;
}

/* ------------------------------------------------------------------ */
/* Standard INQUIRY and VPD (what a disk, or the SAT layer, answers)   */
/* ------------------------------------------------------------------ */

static size_t pd_std_inquiry(const Lsi3108PD *pd, uint8_t *buf)
{
    buf[0] = TYPE_DISK;
    buf[2] = 0x06;                      /* SPC-4 */
    buf[3] = 0x12;                      /* HiSup, response data format 2 */
    buf[4] = 96 - 5;
    buf[6] = pd_is_sata(pd) ? 0 : 0x10; /* SAS: MultiP */
    buf[7] = 0x02;                      /* CmdQue */
    if (pd_is_sata(pd)) {
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
    if (!pd_is_sata(pd)) {
        /* the target port: SAS protocol, PIV, its SAS address */
        d[0] = 0x61;                    /* protocol SAS, binary */
        d[1] = 0x93;                    /* PIV, target port, NAA */
        d[3] = 8;
        stq_be_p(d + 4, pd_sas_address(pd));
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

/* ------------------------------------------------------------------ */
/* PD SCSI pass-through: one command, answered from memory             */
/* ------------------------------------------------------------------ */

/* One pass-through command being answered. */
typedef struct PdIo {
    Lsi3108State    *s;
    Lsi3108Mfi      *m;
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
    return lsi3108_mfi_data_in(io->m, io->data, MIN(MIN(len, alloc),
                                                    sizeof(io->data)));
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
        len = pd_std_inquiry(io->pd, io->data);
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

/* Mode pages a disk reports: caching (WCE off: the controller runs the
 * disks with their caches off unless an LD says otherwise), control, and
 * informational exceptions control (MRIE 6: report on request, enabled). */
static size_t pd_mode_page(uint8_t page, uint8_t *p)
{
    switch (page) {
    case 0x08:
        p[0] = 0x08;
        p[1] = 0x12;
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
            len += pd_mode_page(all[i], io->data + len);
        }
    } else {
        size_t n = pd_mode_page(page, io->data + len);

        if (!n) {
            pd_bad_field(io);
            return 0;
        }
        len += n;
    }
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

    if (!pd_is_sata(io->pd)) {
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

/* ------------------------------------------------------------------ */
/* DCMD answers                                                        */
/* ------------------------------------------------------------------ */

static void pd_fill_address(const Lsi3108PD *pd, struct lsi_pd_address *a)
{
    a->device_id = cpu_to_le16(pd->device_id);
    a->encl_device_id = cpu_to_le16(pd->enclosure);
    a->encl_index = 1;
    a->slot_number = pd->slot;
    a->scsi_dev_type = TYPE_DISK;
    a->connected_port_bitmap = 1;
    a->sas_addr[0] = cpu_to_le64(pd_sas_address(pd));
}

/*
 * PD_GET_LIST and PD_LIST_QUERY (ALL): every PD; PD_LIST_QUERY
 * (EXPOSED_TO_HOST): only JBOD (system) PDs, and only when the controller
 * exposes them (expose-jbod). size is the bytes the whole list needs.
 */
int lsi3108_pd_dcmd_get_list(Lsi3108State *s, Lsi3108Mfi *m, bool exposed,
                             bool expose_jbod)
{
    g_autofree struct lsi_pd_list *list =
        g_malloc0(LSI_PD_LIST_SIZE(LSI3108_MAX_PDS));
    unsigned int id, n = 0;

    for (id = 0; id < LSI3108_MAX_PDS; id++) {
        Lsi3108PD *pd = s->pds[id];

        if (!pd || (exposed && (!expose_jbod ||
                                pd->state != LSI3108_PDS_JBOD))) {
            continue;
        }
        pd_fill_address(pd, &list->addr[n++]);
    }
    list->size = cpu_to_le32(LSI_PD_LIST_SIZE(n));
    list->count = cpu_to_le32(n);
    return lsi3108_mfi_data_in(m, list, LSI_PD_LIST_SIZE(n));
}

static bool pd_in_any_ld(Lsi3108State *s, const Lsi3108PD *pd)
{
    unsigned int t, i;

    for (t = 0; t < LSI3108_MAX_LD_TARGETS; t++) {
        Lsi3108LD *ld = s->lds[t];

        for (i = 0; ld && i < ld->n_members; i++) {
            if (ld->members[i] == pd->device_id) {
                return true;
            }
        }
    }
    return false;
}

int lsi3108_pd_dcmd_get_info(Lsi3108State *s, Lsi3108Mfi *m,
                             unsigned int device_id)
{
    Lsi3108PD *pd = lsi3108_find_pd(s, device_id);
    g_autofree struct lsi_pd_info *info = g_new0(struct lsi_pd_info, 1);
    uint8_t page[PD_REPLY_MAX] = { 0 };
    uint16_t type;
    uint64_t nc;

    if (!pd) {
        return LSI_MFI_STAT_DEVICE_NOT_FOUND;
    }
    info->device_id = cpu_to_le16(pd->device_id);
    info->seq_num = cpu_to_le16(pd->seq_num);
    pd_std_inquiry(pd, info->inquiry_data);
    pd_vpd_page(pd, 0x83, page);
    memcpy(info->vpd_page83, page, sizeof(info->vpd_page83));
    info->scsi_dev_type = TYPE_DISK;
    info->connected_port_bitmap = 1;
    info->media_err_count = cpu_to_le32(pd->media_errors);
    info->other_err_count = cpu_to_le32(pd->other_errors);
    info->pred_fail_count = cpu_to_le32(pd->failing ? 1 : 0);
    info->fw_state = cpu_to_le16(lsi3108_pd_fw_state(pd));
    type = (pd_is_sata(pd) ? LSI_PD_INTF_SATA : LSI_PD_INTF_SAS) <<
           LSI_PD_TYPE_INTF_SHIFT;
    if (pd_in_any_ld(s, pd)) {
        type |= LSI_PD_TYPE_IN_VD;
    }
    if (pd->state == LSI3108_PDS_HOTSPARE) {
        type |= LSI_PD_TYPE_SPARE | LSI_PD_TYPE_GLOBAL_SPARE;
    }
    info->pd_type = cpu_to_le16(type);
    info->path_info.count = 1;
    info->path_info.sas_addr[0] = cpu_to_le64(pd_sas_address(pd));
    /* sizes: the firmware keeps the last 1 MiB for its metadata and
     * coerces what is left down to a multiple of 1 MiB */
    nc = pd->sectors > 2048 ? pd->sectors - 2048 : pd->sectors;
    info->raw_size = cpu_to_le64(pd->sectors);
    info->non_coerced_size = cpu_to_le64(nc);
    info->coerced_size = cpu_to_le64(nc & ~2047ULL);
    info->encl_device_id = cpu_to_le16(pd->enclosure);
    info->encl_index = 1;
    info->slot_number = pd->slot;
    info->interface_type = pd_is_sata(pd) ? LSI_PD_INTF_SATA : LSI_PD_INTF_SAS;
    info->temperature = MIN(pd->temperature, 255);
    info->sat_bridge_exists = pd_is_sata(pd);
    return lsi3108_mfi_data_in(m, info, sizeof(*info));
}

void lsi3108_pd_counts(Lsi3108State *s, unsigned int *present,
                       unsigned int *failed, unsigned int *pred_fail)
{
    unsigned int id;

    *present = *failed = *pred_fail = 0;
    for (id = 0; id < LSI3108_MAX_PDS; id++) {
        Lsi3108PD *pd = s->pds[id];

        if (pd) {
            (*present)++;
            *failed += pd->state == LSI3108_PDS_FAILED;
            *pred_fail += pd->failing;
        }
    }
}

/* ------------------------------------------------------------------ */
/* LDs built from PDs                                                  */
/* ------------------------------------------------------------------ */

/* A member counts as present while it holds the LD's data. */
static bool ld_member_ok(Lsi3108State *s, uint16_t id)
{
    Lsi3108PD *pd = lsi3108_find_pd(s, id);

    return pd && pd->state == LSI3108_PDS_ONLINE;
}

/*
 * RAID 0: any member lost takes the LD offline. RAID 1: degraded while one
 * copy is left. RAID 5: degraded with one member lost, offline with two.
 * RAID 10: offline once a mirror pair has lost both, else degraded.
 * A rebuilding member does not hold the data yet.
 */
uint8_t lsi3108_ld_state(Lsi3108State *s, Lsi3108LD *ld)
{
    unsigned int i, lost = 0, pairs_lost = 0;

    if (!ld->n_members) {
        return LSI_LD_STATE_OPTIMAL;
    }
    for (i = 0; i < ld->n_members; i++) {
        bool ok = ld_member_ok(s, ld->members[i]);

        lost += !ok;
        if (ld->raid_level == 10 && (i & 1) && !ok &&
            !ld_member_ok(s, ld->members[i - 1])) {
            pairs_lost++;
        }
    }
    if (!lost) {
        return LSI_LD_STATE_OPTIMAL;
    }
    switch (ld->raid_level) {
    case 1:
        return lost < ld->n_members ? LSI_LD_STATE_DEGRADED
                                    : LSI_LD_STATE_OFFLINE;
    case 5:
        return lost == 1 ? LSI_LD_STATE_DEGRADED : LSI_LD_STATE_OFFLINE;
    case 10:
        return pairs_lost ? LSI_LD_STATE_OFFLINE : LSI_LD_STATE_DEGRADED;
    default:
        return LSI_LD_STATE_OFFLINE;
    }
}

/* log2 of the strip in 512-byte sectors (64 KiB: 7) */
static uint8_t ld_strip_shift(const Lsi3108LD *ld)
{
    return ctz32(ld->strip_kib * 2);
}

/* Data members: all for RAID 0, one for RAID 1, n - 1 for RAID 5, n / 2
 * for RAID 10. The size each member gives the LD follows. */
static unsigned int ld_data_members(const Lsi3108LD *ld)
{
    switch (ld->raid_level) {
    case 1:
        return 1;
    case 5:
        return ld->n_members - 1;
    case 10:
        return ld->n_members / 2;
    default:
        return ld->n_members;
    }
}

/*
 * Params and spans as LD info and the config read report them: RAID 10 is
 * primary level 1 over n/2 spans of two members (array i per span), every
 * other level one span over array 0 of the LD's arrays. Without members,
 * as before PDs existed: RAID 0 over one span.
 */
void lsi3108_ld_fill_layout(Lsi3108State *s, Lsi3108LD *ld,
                            struct lsi_ld_params *params,
                            struct lsi_ld_span *span, unsigned int nspan)
{
    unsigned int spans = ld->raid_level == 10 ? ld->n_members / 2 : 1, i;
    uint64_t per_span = ld->sectors / MAX(spans, 1);

    params->state = lsi3108_ld_state(s, ld);
    params->is_consistent = 1;
    params->span_depth = spans;
    if (!ld->n_members) {
        params->stripe_size = 7;
        params->num_drives = 1;
        span[0].num_blocks = cpu_to_le64(ld->sectors);
        return;
    }
    params->primary_raid_level = ld->raid_level == 10 ? LSI_RAID_LEVEL_1 :
                                 ld->raid_level;
    params->raid_level_qualifier = ld->raid_level == 5 ? 3 : 0;
    params->stripe_size = ld_strip_shift(ld);
    params->num_drives = ld->raid_level == 10 ? 2 : ld->n_members;
    for (i = 0; i < spans && i < nspan; i++) {
        span[i].start_block = 0;
        span[i].num_blocks = cpu_to_le64(per_span /
                                         MAX(ld_data_members(ld) / spans, 1));
        span[i].array_ref = cpu_to_le16(ld->array_base + i);
    }
}

/* "pds": device ids separated by commas or colons ("8,9" or "8:9"). */
bool lsi3108_ld_parse_members(Lsi3108LD *ld, Error **errp)
{
    g_auto(GStrv) ids = NULL;
    unsigned int n, i, min;

    ld->n_members = 0;
    if (!ld->pds || !*ld->pds) {
        return true;
    }
    ids = g_strsplit_set(ld->pds, ",:", -1);
    n = g_strv_length(ids);
    if (n > LSI3108_LD_MAX_MEMBERS) {
        error_setg(errp, "pds: at most %d members", LSI3108_LD_MAX_MEMBERS);
        return false;
    }
    for (i = 0; i < n; i++) {
        uint64_t id;

        if (qemu_strtou64(ids[i], NULL, 0, &id) || id >= LSI3108_MAX_PDS) {
            error_setg(errp, "pds: '%s' is not a device id (0..%d)", ids[i],
                       LSI3108_MAX_PDS - 1);
            return false;
        }
        ld->members[i] = id;
    }
    switch (ld->raid_level) {
    case 0:
        min = 1;
        break;
    case 1:
    case 10:
        min = ld->raid_level == 1 ? 2 : 4;
        if (n % 2) {
            error_setg(errp, "raid-level %u needs an even number of pds",
                       ld->raid_level);
            return false;
        }
        break;
    case 5:
        min = 3;
        break;
    default:
        error_setg(errp, "raid-level must be 0, 1, 5 or 10");
        return false;
    }
    if (n < min) {
        error_setg(errp, "raid-level %u needs at least %u pds",
                   ld->raid_level, min);
        return false;
    }
    if (ld->strip_kib < 8 || ld->strip_kib > 1024 ||
        !is_power_of_2(ld->strip_kib)) {
        error_setg(errp, "strip-kib must be a power of two, 8..1024");
        return false;
    }
    ld->n_members = n;
    return true;
}

/*
 * The config read (MR_DCMD_CFG_READ): one array per span of each LD with
 * members (an LD's arrays numbered from its array_base, given here), then
 * one LD config per LD, no spares. size is the bytes it all needs.
 */
/* Number the arrays: each LD's from its array_base, in target order. */
unsigned int lsi3108_pd_array_refs(Lsi3108State *s)
{
    unsigned int t, narrays = 0;

    for (t = 0; t < LSI3108_MAX_LD_TARGETS; t++) {
        Lsi3108LD *ld = s->lds[t];

        if (ld) {
            ld->array_base = narrays;
            narrays += !ld->n_members ? 0 :
                       ld->raid_level == 10 ? ld->n_members / 2 : 1;
        }
    }
    return narrays;
}

int lsi3108_pd_dcmd_cfg_read(Lsi3108State *s, Lsi3108Mfi *m)
{
    unsigned int t, i, narrays, nlds = 0;
    struct lsi_cfg_header *hdr;
    struct lsi_cfg_array *arr;
    struct lsi_cfg_ld *cld;
    g_autofree uint8_t *buf = NULL;
    size_t size;

    narrays = lsi3108_pd_array_refs(s);
    for (t = 0; t < LSI3108_MAX_LD_TARGETS; t++) {
        nlds += s->lds[t] != NULL;
    }
    size = sizeof(*hdr) + narrays * sizeof(*arr) + nlds * sizeof(*cld);
    buf = g_malloc0(size);
    hdr = (void *)buf;
    hdr->size = cpu_to_le32(size);
    hdr->array_count = cpu_to_le16(narrays);
    hdr->array_size = cpu_to_le16(sizeof(*arr));
    hdr->log_drv_count = cpu_to_le16(nlds);
    hdr->log_drv_size = cpu_to_le16(sizeof(*cld));
    arr = (void *)(hdr + 1);
    cld = (void *)(arr + narrays);
    for (t = 0; t < LSI3108_MAX_LD_TARGETS; t++) {
        Lsi3108LD *ld = s->lds[t];
        unsigned int per, a, spans;

        if (!ld) {
            continue;
        }
        cld->properties.target_id = ld->target;
        cld->properties.seq_num = cpu_to_le16(ld->seq_num);
        lsi3108_ld_fill_layout(s, ld, &cld->params, cld->span,
                               LSI_CFG_MAX_SPAN_DEPTH);
        cld++;
        if (!ld->n_members) {
            continue;
        }
        spans = ld->raid_level == 10 ? ld->n_members / 2 : 1;
        per = ld->n_members / spans;
        for (a = 0; a < spans; a++, arr++) {
            arr->size = cpu_to_le64(ld->sectors / ld_data_members(ld));
            arr->num_drives = per;
            arr->array_ref = cpu_to_le16(ld->array_base + a);
            for (i = 0; i < per; i++) {
                uint16_t id = ld->members[a * per + i];
                Lsi3108PD *pd = lsi3108_find_pd(s, id);
                struct lsi_cfg_array_member *mem = &arr->pd[i];

                mem->device_id = cpu_to_le16(pd ? id : LSI_PD_MISSING);
                mem->seq_num = cpu_to_le16(pd ? pd->seq_num : 0);
                mem->fw_state = cpu_to_le16(pd ? lsi3108_pd_fw_state(pd)
                                               : LSI_PD_STATE_OFFLINE);
                mem->encl_index = pd ? 1 : 0;
                mem->slot_number = pd ? pd->slot : 0;
            }
        }
    }
    return lsi3108_mfi_data_in(m, buf, size);
}

/* ------------------------------------------------------------------ */
/* State changes                                                       */
/* ------------------------------------------------------------------ */

/* A PD's state moved: its event, then each LD whose state moved with it. */
static void pd_state_changed(Lsi3108PD *pd, uint16_t prev)
{
    Lsi3108State *s = pd->ctrl;
    unsigned int t, i;

    pd->seq_num++;
    lsi3108_log_pd_state_event(s, pd, prev, lsi3108_pd_fw_state(pd));
    for (t = 0; t < LSI3108_MAX_LD_TARGETS; t++) {
        Lsi3108LD *ld = s->lds[t];
        bool member = false;
        uint8_t now;

        for (i = 0; ld && i < ld->n_members; i++) {
            member |= ld->members[i] == pd->device_id;
        }
        if (!member) {
            continue;
        }
        now = lsi3108_ld_state(s, ld);
        if (now != ld->ld_state) {
            uint8_t was = ld->ld_state;

            ld->ld_state = now;
            lsi3108_log_ld_state_event(s, ld, was, now);
            lsi3108_ld_changed(s, ld);
        }
    }
}

/* ------------------------------------------------------------------ */
/* Device                                                              */
/* ------------------------------------------------------------------ */

static bool pd_check_string(const char *name, const char *v, size_t max,
                            Error **errp)
{
    const char *c;

    if (!*v || strlen(v) > max) {
        error_setg(errp, "%s must have 1 to %zu characters", name, max);
        return false;
    }
    for (c = v; *c; c++) {
        if (*c < 0x20 || *c > 0x7e) {
            error_setg(errp, "%s must be printable ASCII", name);
            return false;
        }
    }
    return true;
}

/* Defaults for what was not given, then checks. */
static bool pd_setup_identity(Lsi3108PD *pd, Error **errp)
{
    bool sata = pd_is_sata(pd);

    if (!pd->vendor) {
        pd->vendor = g_strdup(sata ? "ATA" : "SEAGATE");
    }
    if (!pd->product) {
        pd->product = g_strdup(sata ? "ST1000NM0033-9ZM173" : "ST1200MM0009");
    }
    if (!pd->fw_rev) {
        pd->fw_rev = g_strdup(sata ? "SN06" : "N003");
    }
    if (!pd->serial) {
        pd->serial = g_strdup_printf("Z1W%05u%04X", pd->device_id,
                                     (unsigned)(lsi3108_naa_base(pd->ctrl) >>
                                                8) & 0xffff);
    }
    if (!pd->wwn) {
        pd->wwn = 0x5000c50000000000ULL |
                  ((lsi3108_naa_base(pd->ctrl) >> 8) & 0xfffff) << 12 |
                  pd->device_id;
    }
    if ((pd->wwn >> 60) != 5) {
        error_setg(errp, "wwn must be an NAA-5 name (0x5...)");
        return false;
    }
    return pd_check_string("vendor", pd->vendor, 8, errp) &&
           pd_check_string("product", pd->product, sata ? 40 : 16, errp) &&
           pd_check_string("fw-rev", pd->fw_rev, sata ? 8 : 4, errp) &&
           pd_check_string("serial", pd->serial, 20, errp);
}

static bool pd_setup_size(Lsi3108PD *pd, Error **errp)
{
    int64_t len = pd->size;

    if (pd->blk) {
        len = blk_getlength(pd->blk);
        if (len < 0) {
            error_setg_errno(errp, -len, "cannot get the drive's size");
            return false;
        }
    }
    pd->sectors = len / PD_BLOCK_SIZE;
    if (pd->sectors < 2048 * 2) {
        error_setg(errp, "a PD needs a drive or a size of at least 2 MiB");
        return false;
    }
    return true;
}

/* A PD arrived at start-up: LDs realized before it count it now. */
static void pd_refresh_ld_states(Lsi3108State *s)
{
    unsigned int t;

    for (t = 0; t < LSI3108_MAX_LD_TARGETS; t++) {
        if (s->lds[t]) {
            s->lds[t]->ld_state = lsi3108_ld_state(s, s->lds[t]);
        }
    }
}

static void lsi3108_pd_realize(DeviceState *dev, Error **errp)
{
    Lsi3108PD *pd = LSI3108_PD(dev);
    Lsi3108State *s = lsi3108_from_bus(qdev_get_parent_bus(dev));

    pd->ctrl = s;
    if (pd->device_id >= LSI3108_MAX_PDS) {
        error_setg(errp, "device-id must be 0..%d", LSI3108_MAX_PDS - 1);
        return;
    }
    if (s->pds[pd->device_id]) {
        error_setg(errp, "device-id %u is already used", pd->device_id);
        return;
    }
    if (pd->slot > 255 || pd->enclosure > 0xffff) {
        error_setg(errp, "slot must be 0..255, enclosure 0..65535");
        return;
    }
    if (!pd_setup_identity(pd, errp) || !pd_setup_size(pd, errp)) {
        return;
    }
    s->pds[pd->device_id] = pd;
    pd_refresh_ld_states(s);
}

static void lsi3108_pd_unrealize(DeviceState *dev)
{
    Lsi3108PD *pd = LSI3108_PD(dev);

    if (pd->ctrl && pd->ctrl->pds[pd->device_id] == pd) {
        pd->ctrl->pds[pd->device_id] = NULL;
    }
}

static void pd_get_state(Object *obj, Visitor *v, const char *name,
                         void *opaque, Error **errp)
{
    int value = LSI3108_PD(obj)->state;

    visit_type_enum(v, name, &value, &pd_state_lookup, errp);
}

/* Set before realize, or live: the firmware's events follow. */
static void pd_set_state(Object *obj, Visitor *v, const char *name,
                         void *opaque, Error **errp)
{
    Lsi3108PD *pd = LSI3108_PD(obj);
    uint16_t prev;
    int value;

    if (!visit_type_enum(v, name, &value, &pd_state_lookup, errp)) {
        return;
    }
    if (!DEVICE(obj)->realized || value == pd->state) {
        pd->state = value;
        return;
    }
    prev = lsi3108_pd_fw_state(pd);
    pd->state = value;
    pd_state_changed(pd, prev);
}

static void pd_enum_set_default(ObjectProperty *op, const Property *prop)
{
    object_property_set_default_str(op, qapi_enum_lookup(prop->info->enum_table,
                                                         prop->defval.i));
}

static const PropertyInfo pd_prop_state = {
    .name = "Lsi3108PdState",
    .description = "unconfigured-good, online, jbod, failed, rebuild, "
                   "hotspare",
    .enum_table = &pd_state_lookup,
    .get = pd_get_state,
    .set = pd_set_state,
    .set_default_value = pd_enum_set_default,
    .realized_set_allowed = true,
};

static void pd_get_intf(Object *obj, Visitor *v, const char *name,
                        void *opaque, Error **errp)
{
    int value = LSI3108_PD(obj)->intf;

    visit_type_enum(v, name, &value, &pd_intf_lookup, errp);
}

static void pd_set_intf(Object *obj, Visitor *v, const char *name,
                        void *opaque, Error **errp)
{
    int value;

    if (visit_type_enum(v, name, &value, &pd_intf_lookup, errp)) {
        LSI3108_PD(obj)->intf = value;
    }
}

static const PropertyInfo pd_prop_intf = {
    .name = "Lsi3108PdIntf",
    .description = "sas, sata",
    .enum_table = &pd_intf_lookup,
    .get = pd_get_intf,
    .set = pd_set_intf,
    .set_default_value = pd_enum_set_default,
};

/* "health": ok or failing (SMART: predictive failure), settable live */
static char *pd_get_health(Object *obj, Error **errp)
{
    return g_strdup(LSI3108_PD(obj)->failing ? "failing" : "ok");
}

static void pd_set_health(Object *obj, const char *value, Error **errp)
{
    if (!strcmp(value, "ok") || !strcmp(value, "failing")) {
        LSI3108_PD(obj)->failing = !strcmp(value, "failing");
    } else {
        error_setg(errp, "health must be 'ok' or 'failing'");
    }
}

/* SMART values a test may change live: a uint32 property each. */
static void pd_get_u32(Object *obj, Visitor *v, const char *name,
                       void *opaque, Error **errp)
{
    visit_type_uint32(v, name, (uint32_t *)((char *)obj +
                                            (uintptr_t)opaque), errp);
}

static void pd_set_u32(Object *obj, Visitor *v, const char *name,
                       void *opaque, Error **errp)
{
    visit_type_uint32(v, name, (uint32_t *)((char *)obj +
                                            (uintptr_t)opaque), errp);
}

static Property lsi3108_pd_props[] = {
    DEFINE_PROP_DRIVE("drive", Lsi3108PD, blk),
    DEFINE_PROP_UINT32("device-id", Lsi3108PD, device_id, 0),
    DEFINE_PROP_UINT32("enclosure", Lsi3108PD, enclosure, 252),
    DEFINE_PROP_UINT32("slot", Lsi3108PD, slot, 0),
    DEFINE_PROP("interface", Lsi3108PD, intf, pd_prop_intf, uint8_t,
                .set_default = true, .defval.i = LSI3108_PD_SAS),
    DEFINE_PROP("state", Lsi3108PD, state, pd_prop_state, uint8_t,
                .set_default = true,
                .defval.i = LSI3108_PDS_UNCONFIGURED_GOOD),
    DEFINE_PROP_STRING("vendor", Lsi3108PD, vendor),
    DEFINE_PROP_STRING("product", Lsi3108PD, product),
    DEFINE_PROP_STRING("fw-rev", Lsi3108PD, fw_rev),
    DEFINE_PROP_STRING("serial", Lsi3108PD, serial),
    DEFINE_PROP_UINT64("wwn", Lsi3108PD, wwn, 0),
    DEFINE_PROP_SIZE("size", Lsi3108PD, size, 0),
    DEFINE_PROP_END_OF_LIST(),
};

static void lsi3108_pd_instance_init(Object *obj)
{
    static const struct {
        const char *name;
        size_t off;
        uint32_t defval;
    } u32s[] = {
        { "temperature", offsetof(Lsi3108PD, temperature), 30 },
        { "reallocated-sectors", offsetof(Lsi3108PD, realloc), 0 },
        { "power-on-hours", offsetof(Lsi3108PD, poh), 1000 },
        { "media-errors", offsetof(Lsi3108PD, media_errors), 0 },
        { "other-errors", offsetof(Lsi3108PD, other_errors), 0 },
    };
    Lsi3108PD *pd = LSI3108_PD(obj);
    unsigned int i;

    for (i = 0; i < ARRAY_SIZE(u32s); i++) {
        *(uint32_t *)((char *)pd + u32s[i].off) = u32s[i].defval;
        object_property_add(obj, u32s[i].name, "uint32", pd_get_u32,
                            pd_set_u32, NULL, (void *)(uintptr_t)u32s[i].off);
    }
    object_property_add_str(obj, "health", pd_get_health, pd_set_health);
}

static void lsi3108_pd_class_init(ObjectClass *oc, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);

    dc->desc = "LSI MegaRAID SAS3108 physical disk";
    dc->bus_type = TYPE_LSI3108_BUS;
    dc->realize = lsi3108_pd_realize;
    dc->unrealize = lsi3108_pd_unrealize;
    dc->hotpluggable = false;
    set_bit(DEVICE_CATEGORY_STORAGE, dc->categories);
    device_class_set_props(dc, lsi3108_pd_props);
}

static const TypeInfo lsi3108_pd_info = {
    .name = TYPE_LSI3108_PD,
    .parent = TYPE_DEVICE,
    .instance_size = sizeof(Lsi3108PD),
    .instance_init = lsi3108_pd_instance_init,
    .class_init = lsi3108_pd_class_init,
};

static void lsi3108_pd_register_types(void)
{
    type_register_static(&lsi3108_pd_info);
}

type_init(lsi3108_pd_register_types)
