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
 * commands (lsi3108-pd-scsi.c). Everything a PD reports comes from its
 * properties.
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

/* JBOD alone is not enough: the controller must expose its JBODs too. */
bool lsi3108_pd_exposed(const Lsi3108PD *pd)
{
    return pd->state == LSI3108_PDS_JBOD && pd->ctrl->expose_jbod;
}

Lsi3108PD *lsi3108_find_syspd(Lsi3108State *s, unsigned int device_id)
{
    Lsi3108PD *pd = lsi3108_find_pd(s, device_id);

    return pd && lsi3108_pd_exposed(pd) ? pd : NULL;
}

Lsi3108PD *lsi3108_find_syspd_handle(Lsi3108State *s, unsigned int handle)
{
    if (handle < LSI3108_PD_DEV_HANDLE_BASE) {
        return NULL;
    }
    return lsi3108_find_syspd(s, handle - LSI3108_PD_DEV_HANDLE_BASE);
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
    a->sas_addr[0] = cpu_to_le64(lsi3108_pd_sas_address(pd));
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
    uint16_t type;
    uint64_t nc;

    if (!pd) {
        return LSI_MFI_STAT_DEVICE_NOT_FOUND;
    }
    info->device_id = cpu_to_le16(pd->device_id);
    info->seq_num = cpu_to_le16(pd->seq_num);
    lsi3108_pd_std_inquiry(pd, info->inquiry_data);
    /*
     * The firmware's copy of the INQUIRY data carries the serial number in
     * the vendor-specific bytes 36-55 (MegaCli prints these bytes as a PD's
     * "Inquiry Data"; lsi3108-ctl pds reads the serial there).
     */
    strpadcpy((char *)info->inquiry_data + 36, 20, pd->serial, ' ');
    lsi3108_pd_vpd83(pd, info->vpd_page83, sizeof(info->vpd_page83));
    info->scsi_dev_type = TYPE_DISK;
    info->connected_port_bitmap = 1;
    info->media_err_count = cpu_to_le32(pd->media_errors);
    info->other_err_count = cpu_to_le32(pd->other_errors);
    info->pred_fail_count = cpu_to_le32(pd->failing ? 1 : 0);
    info->fw_state = cpu_to_le16(lsi3108_pd_fw_state(pd));
    type = (lsi3108_pd_is_sata(pd) ? LSI_PD_INTF_SATA : LSI_PD_INTF_SAS) <<
           LSI_PD_TYPE_INTF_SHIFT;
    if (pd_in_any_ld(s, pd)) {
        type |= LSI_PD_TYPE_IN_VD;
    }
    if (pd->state == LSI3108_PDS_HOTSPARE) {
        type |= LSI_PD_TYPE_SPARE | LSI_PD_TYPE_GLOBAL_SPARE;
    }
    info->pd_type = cpu_to_le16(type);
    info->path_info.count = 1;
    info->path_info.sas_addr[0] = cpu_to_le64(lsi3108_pd_sas_address(pd));
    /* sizes: the firmware keeps the last 1 MiB for its metadata and
     * coerces what is left down to a multiple of 1 MiB */
    nc = pd->sectors > 2048 ? pd->sectors - 2048 : pd->sectors;
    info->raw_size = cpu_to_le64(pd->sectors);
    info->non_coerced_size = cpu_to_le64(nc);
    info->coerced_size = cpu_to_le64(nc & ~2047ULL);
    info->encl_device_id = cpu_to_le16(pd->enclosure);
    info->encl_index = 1;
    info->slot_number = pd->slot;
    info->interface_type = lsi3108_pd_is_sata(pd) ? LSI_PD_INTF_SATA
                                                  : LSI_PD_INTF_SAS;
    info->temperature = MIN(pd->temperature, 255);
    info->sat_bridge_exists = lsi3108_pd_is_sata(pd);
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
        /* no array behind it: a reference no array of CFG_READ carries
         * (array 0 belongs to the first LD with PDs) */
        span[0].array_ref = cpu_to_le16(0xffff);
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
 * members (an LD's arrays numbered from its array_base), then one LD
 * config per LD, then one global spare per hot-spare PD. size is the bytes
 * it all needs.
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
    unsigned int t, i, narrays, nlds = 0, nspares = 0;
    struct lsi_cfg_header *hdr;
    struct lsi_cfg_array *arr;
    struct lsi_cfg_ld *cld;
    struct lsi_cfg_spare *spare;
    g_autofree uint8_t *buf = NULL;
    size_t size;

    narrays = lsi3108_pd_array_refs(s);
    for (t = 0; t < LSI3108_MAX_LD_TARGETS; t++) {
        nlds += s->lds[t] != NULL;
    }
    for (i = 0; i < LSI3108_MAX_PDS; i++) {
        nspares += s->pds[i] && s->pds[i]->state == LSI3108_PDS_HOTSPARE;
    }
    size = sizeof(*hdr) + narrays * sizeof(*arr) + nlds * sizeof(*cld) +
           nspares * sizeof(*spare);
    buf = g_malloc0(size);
    hdr = (void *)buf;
    hdr->size = cpu_to_le32(size);
    hdr->array_count = cpu_to_le16(narrays);
    hdr->array_size = cpu_to_le16(sizeof(*arr));
    hdr->log_drv_count = cpu_to_le16(nlds);
    hdr->log_drv_size = cpu_to_le16(sizeof(*cld));
    hdr->spares_count = cpu_to_le16(nspares);
    hdr->spares_size = cpu_to_le16(sizeof(*spare));
    arr = (void *)(hdr + 1);
    cld = (void *)(arr + narrays);
    spare = (void *)(cld + nlds);
    for (i = 0; i < LSI3108_MAX_PDS; i++) {
        if (s->pds[i] && s->pds[i]->state == LSI3108_PDS_HOTSPARE) {
            spare->device_id = cpu_to_le16(i);
            spare->seq_num = cpu_to_le16(s->pds[i]->seq_num);
            spare++;
        }
    }
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

/*
 * A PD's state moved: its event, then each LD whose state moved with it. A
 * PD that became a system PD, or stopped being one, changes what the host
 * may address: the firmware asks the host to scan its bus, the event
 * megaraid_sas rescans its PD channels for (it does not for PD_STATE_CHANGE
 * alone; what real firmware posts when storcli makes a JBOD is not on
 * record, so the model posts both).
 */
/* Each LD @pd is a member of whose state moved: its events, new map. */
static void pd_update_lds(Lsi3108PD *pd)
{
    Lsi3108State *s = pd->ctrl;
    unsigned int t, i;

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

static void pd_state_changed(Lsi3108PD *pd, uint16_t prev)
{
    Lsi3108State *s = pd->ctrl;
    uint16_t now = lsi3108_pd_fw_state(pd);

    pd->seq_num++;
    lsi3108_log_pd_state_event(s, pd, prev, now);
    if (s->expose_jbod &&
        (prev == LSI_PD_STATE_SYSTEM) != (now == LSI_PD_STATE_SYSTEM)) {
        lsi3108_log_bus_scan_event(s);
    }
    pd_update_lds(pd);
}

/*
 * A rebuild the firmware runs by itself (the PD's rebuild-ms set): it starts
 * when the PD enters rebuild, reports its progress LSI3108_PD_REBUILD_STEPS
 * times over rebuild-ms (progress events: the class a driver must not let
 * crowd out a failure), then the PD is online and its LDs follow. A state
 * set meanwhile (failed, say) ends it without the done event.
 */
/* The rebuild's next step, one LSI3108_PD_REBUILD_STEPS-th of it from @now. */
static void pd_rebuild_arm(Lsi3108PD *pd, int64_t now)
{
    timer_mod(pd->rebuild_timer,
              now + MAX(pd->rebuild_ms / LSI3108_PD_REBUILD_STEPS, 1));
}

static void pd_rebuild_step(void *opaque)
{
    Lsi3108PD *pd = opaque;
    int64_t now = qemu_clock_get_ms(QEMU_CLOCK_VIRTUAL);
    uint16_t elapsed = MIN((now - pd->rebuild_start_ms) / 1000, UINT16_MAX);
    uint16_t prev;

    if (pd->state != LSI3108_PDS_REBUILD) {
        return;
    }
    if (++pd->rebuild_step < LSI3108_PD_REBUILD_STEPS) {
        lsi3108_log_pd_rebuild_event(pd->ctrl, pd, LSI_EVT_PD_RBLD_PROGRESS,
                                     pd->rebuild_step * 0xffffu /
                                     LSI3108_PD_REBUILD_STEPS, elapsed);
        pd_rebuild_arm(pd, now);
        return;
    }
    lsi3108_log_pd_rebuild_event(pd->ctrl, pd, LSI_EVT_PD_RBLD_DONE_PD, 0xffff,
                                 elapsed);
    prev = lsi3108_pd_fw_state(pd);
    pd->state = LSI3108_PDS_ONLINE;
    pd_state_changed(pd, prev);
}

static void pd_rebuild_start(Lsi3108PD *pd)
{
    pd->rebuild_step = 0;
    pd->rebuild_start_ms = qemu_clock_get_ms(QEMU_CLOCK_VIRTUAL);
    lsi3108_log_pd_rebuild_event(pd->ctrl, pd, LSI_EVT_PD_RBLD_START, 0, 0);
    pd_rebuild_arm(pd, pd->rebuild_start_ms);
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
    bool sata = lsi3108_pd_is_sata(pd);

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

/* Reads, and writes where the drive takes them: a system PD's data is on it. */
static bool pd_setup_perm(Lsi3108PD *pd, Error **errp)
{
    uint64_t perm = BLK_PERM_CONSISTENT_READ;

    if (blk_supports_write_perm(pd->blk)) {
        perm |= BLK_PERM_WRITE;
    }
    return blk_set_perm(pd->blk, perm,
                        BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE_UNCHANGED,
                        errp) == 0;
}

static bool pd_setup_size(Lsi3108PD *pd, Error **errp)
{
    int64_t len = pd->size;

    if (pd->blk) {
        if (!pd_setup_perm(pd, errp)) {
            return false;
        }
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
    pd->rebuild_timer = timer_new_ms(QEMU_CLOCK_VIRTUAL, pd_rebuild_step, pd);
    if (!phase_check(PHASE_MACHINE_READY)) {
        pd_refresh_ld_states(s);
        return;
    }
    /* a disk put into its slot while the machine runs */
    lsi3108_log_pd_slot_event(s, pd, true);
    pd_update_lds(pd);
}

/*
 * A disk pulled out of its slot (device_del): its commands in flight end
 * first (a command waiting for bounce room finds no PD: DEVICE_NOT_FOUND),
 * then PD_REMOVED, and its LDs lose a member.
 */
static void lsi3108_pd_unrealize(DeviceState *dev)
{
    Lsi3108PD *pd = LSI3108_PD(dev);
    Lsi3108State *s = pd->ctrl;

    if (pd->blk) {
        blk_drain(pd->blk);
    }
    if (s && s->pds[pd->device_id] == pd) {
        s->pds[pd->device_id] = NULL;
        if (phase_check(PHASE_MACHINE_READY)) {
            lsi3108_log_pd_slot_event(s, pd, false);
            pd_update_lds(pd);
        }
    }
    if (pd->rebuild_timer) {
        timer_free(pd->rebuild_timer);
        pd->rebuild_timer = NULL;
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
    timer_del(pd->rebuild_timer);
    pd_state_changed(pd, prev);
    if (value == LSI3108_PDS_REBUILD && pd->rebuild_ms) {
        pd_rebuild_start(pd);
    }
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
    DEFINE_PROP_BOOL("write-cache", Lsi3108PD, write_cache, true),
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
        { "rebuild-ms", offsetof(Lsi3108PD, rebuild_ms), 0 },
    };
    Lsi3108PD *pd = LSI3108_PD(obj);
    unsigned int i;

    for (i = 0; i < ARRAY_SIZE(u32s); i++) {
        *(uint32_t *)((char *)pd + u32s[i].off) = u32s[i].defval;
        object_property_add(obj, u32s[i].name, "uint32", pd_get_u32,
                            pd_set_u32, NULL, (void *)(uintptr_t)u32s[i].off);
    }
    object_property_add_str(obj, "health", pd_get_health, pd_set_health);
    object_property_add_uint64_ptr(obj, "flushes", &pd->flushes,
                                   OBJ_PROP_FLAG_READ);
}

static void lsi3108_pd_class_init(ObjectClass *oc, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);

    dc->desc = "LSI MegaRAID SAS3108 physical disk";
    dc->bus_type = TYPE_LSI3108_BUS;
    dc->realize = lsi3108_pd_realize;
    dc->unrealize = lsi3108_pd_unrealize;
    dc->hotpluggable = true;
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
