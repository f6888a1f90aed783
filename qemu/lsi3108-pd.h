/*
 * QEMU model of the LSI MegaRAID SAS3108 — physical disks (PDs).
 *
 * A PD is a disk in one of the controller's slots (lsi3108-pd.c). The host
 * sees it in three ways: in the firmware's PD lists and PD info (DCMDs,
 * answered from the PD's properties), through MFI_CMD_PD_SCSI_IO
 * pass-through frames (smartctl -d megaraid,N: the PD answers as a SAS disk,
 * or as a SATA disk behind the controller's SAT layer), and through the state
 * of the LDs it is a member of (an LD names its member PDs by device id).
 * The LD data path stays LD -> the LD's own backend; a RAID member's backend
 * only gives it its size. A PD in JBOD state on a controller that exposes
 * JBODs (expose-jbod) is a system PD: the host addresses it directly, and
 * its commands run on its own backend (lsi3108-pd-io.c).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef HW_SCSI_LSI3108_PD_H
#define HW_SCSI_LSI3108_PD_H

#include "qemu/timer.h"
#include "lsi3108.h"

typedef struct Lsi3108Mfi Lsi3108Mfi;     /* lsi3108-ctrl.h */

#define TYPE_LSI3108_PD         "lsi3108-pd"
OBJECT_DECLARE_SIMPLE_TYPE(Lsi3108PD, LSI3108_PD)

/* Device ids the model accepts (MFI frames carry one byte of target id) */
#define LSI3108_MAX_PDS         LSI_MAX_PDS

typedef enum {
    LSI3108_PD_SAS,
    LSI3108_PD_SATA,
} Lsi3108PdIntf;

/* What the model lets a test set; each maps to one LSI_PD_STATE_*. */
typedef enum {
    LSI3108_PDS_UNCONFIGURED_GOOD,
    LSI3108_PDS_ONLINE,
    LSI3108_PDS_JBOD,
    LSI3108_PDS_FAILED,
    LSI3108_PDS_REBUILD,
    LSI3108_PDS_HOTSPARE,
} Lsi3108PdState;

struct Lsi3108PD {
    DeviceState     parent_obj;
    Lsi3108State    *ctrl;
    BlockBackend    *blk;           /* "drive": gives the size */
    uint32_t        device_id;      /* "device-id" (smartctl megaraid,N) */
    uint32_t        enclosure;      /* "enclosure": enclosure device id */
    uint32_t        slot;           /* "slot" */
    uint8_t         intf;           /* "interface": Lsi3108PdIntf */
    uint8_t         state;          /* "state": Lsi3108PdState, live */
    char            *vendor;        /* "vendor" (SAS INQUIRY) */
    char            *product;       /* "product" (SAS) / model (SATA) */
    char            *fw_rev;        /* "fw-rev" */
    char            *serial;        /* "serial" */
    uint64_t        wwn;            /* "wwn": NAA-5 world wide name */
    uint64_t        size;           /* "size" in bytes, without a drive */
    uint32_t        temperature;    /* "temperature", degrees C */
    uint32_t        realloc;        /* "reallocated-sectors" */
    uint32_t        poh;            /* "power-on-hours" */
    uint32_t        media_errors;   /* "media-errors" */
    uint32_t        other_errors;   /* "other-errors" */
    bool            failing;        /* "health": ok (false) / failing */
    uint32_t        rebuild_ms;     /* "rebuild-ms": 0 the rebuild waits */
    QEMUTimer       *rebuild_timer; /* the running rebuild's next step */
    unsigned int    rebuild_step;   /* of LSI3108_PD_REBUILD_STEPS */
    int64_t         rebuild_start_ms;
    uint64_t        sectors;        /* 512-byte blocks */
    uint16_t        seq_num;        /* bumped on every state change */
    bool            write_cache;    /* "write-cache": a JBOD's WCE */
    uint64_t        flushes;        /* "flushes" (read-only): SYNCHRONIZE
                                     * CACHEs that reached the disk */
};

/*
 * The device handle the controller's IOC gives a PD (the RAID map's
 * dev_hndl_info, what a fast-path frame names): numbered apart from device
 * ids, so that a host confusing the two is caught.
 */
#define LSI3108_PD_DEV_HANDLE_BASE  0x0100
static inline uint16_t lsi3108_pd_dev_handle(const Lsi3108PD *pd)
{
    return LSI3108_PD_DEV_HANDLE_BASE + pd->device_id;
}

/* A rebuild with rebuild-ms set reports its progress this many times. */
#define LSI3108_PD_REBUILD_STEPS    20

/* The PD with this device id, or NULL. */
Lsi3108PD *lsi3108_find_pd(Lsi3108State *s, unsigned int device_id);
/* LSI_PD_STATE_* of the PD's model state */
uint16_t lsi3108_pd_fw_state(const Lsi3108PD *pd);
/* Is @pd a system PD, one the host may address (JBOD, and exposed)? */
bool lsi3108_pd_exposed(const Lsi3108PD *pd);
/* The system PD with this device id / IOC device handle, or NULL. */
Lsi3108PD *lsi3108_find_syspd(Lsi3108State *s, unsigned int device_id);
Lsi3108PD *lsi3108_find_syspd_handle(Lsi3108State *s, unsigned int handle);

/* ---- the system PDs' data path (lsi3108-pd-io.c) ---- */
/* Run a SCSI command on a system PD; lsi3108_request_done() follows. */
void lsi3108_pd_submit(Lsi3108PD *pd, Lsi3108Request *req);

/* ---- DCMDs (lsi3108-mfi.c calls these; each returns an MFI status) ---- */
int lsi3108_pd_dcmd_get_list(Lsi3108State *s, Lsi3108Mfi *m, bool exposed,
                             bool expose_jbod);
int lsi3108_pd_dcmd_get_info(Lsi3108State *s, Lsi3108Mfi *m,
                             unsigned int device_id);
int lsi3108_pd_dcmd_cfg_read(Lsi3108State *s, Lsi3108Mfi *m);
/* Number the config's arrays (each LD's array_base); returns how many */
unsigned int lsi3108_pd_array_refs(Lsi3108State *s);
/* PD counts for CTRL_GET_INFO */
void lsi3108_pd_counts(Lsi3108State *s, unsigned int *present,
                       unsigned int *failed, unsigned int *pred_fail);

static inline bool lsi3108_pd_is_sata(const Lsi3108PD *pd)
{
    return pd->intf == LSI3108_PD_SATA;
}

/* ---- SCSI answers (lsi3108-pd-scsi.c) ---- */
/* MFI_CMD_PD_SCSI_IO: complete @m (always, synchronously). */
void lsi3108_pd_scsi(Lsi3108State *s, Lsi3108Mfi *m);
/*
 * A system PD's command that moves no block data (INQUIRY, MODE SENSE, LOG
 * SENSE, ...), answered as lsi3108_pd_scsi() answers it: the data into the
 * request's SGL, then lsi3108_request_done().
 */
void lsi3108_pd_scsi_answer(Lsi3108PD *pd, Lsi3108Request *req);
/* The disk's standard INQUIRY data (96 bytes into buf); returns 96 */
size_t lsi3108_pd_std_inquiry(const Lsi3108PD *pd, uint8_t *buf);
/* Its VPD page 0x83, at most size bytes; returns the page's length */
size_t lsi3108_pd_vpd83(const Lsi3108PD *pd, uint8_t *buf, size_t size);
/* The SAS address of the PD's port (SAS: its own; SATA: the PHY's) */
uint64_t lsi3108_pd_sas_address(const Lsi3108PD *pd);

/* ---- LDs built from PDs ---- */
/* LSI_LD_STATE_* of an LD, from its member PDs (OPTIMAL without any) */
uint8_t lsi3108_ld_state(Lsi3108State *s, Lsi3108LD *ld);
/* Fill an LD's params and spans (LD info, config read) from its members */
void lsi3108_ld_fill_layout(Lsi3108State *s, Lsi3108LD *ld,
                            struct lsi_ld_params *params,
                            struct lsi_ld_span *span, unsigned int nspan);
/* Parse and check an LD's "pds" / "raid-level" / "strip-kib" at realize */
bool lsi3108_ld_parse_members(Lsi3108LD *ld, Error **errp);

#endif /* HW_SCSI_LSI3108_PD_H */
