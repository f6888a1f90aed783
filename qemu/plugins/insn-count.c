// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * insn-count: a QEMU 7.2 TCG plugin that counts the guest instructions
 * executed between two guest-visible markers, per translation block, for
 * `make bench` (scripts/bench.sh). The host attributes the blocks to
 * regions afterwards (scripts/bench-insns.py): the driver's module, the
 * SCSI/block layers, the rest of the kernel, user space.
 *
 * Usage: -plugin libinsn-count.so,out=<file>
 *
 * Markers: the guest executes `xchg %bx,%bx` (66 87 db, the Bochs "magic
 * breakpoint", which no compiler emits) to open a window and `xchg %cx,%cx`
 * (66 87 c9) to close it (tests/tools/insn-window.c). Each closed window
 * appends to <file>:
 *   window <n>
 *   <tb start address, hex> <instructions in the block> <executions>
 *   ...
 *   end <n> <total instructions>
 *
 * Outside a window the plugin is dormant: it only looks at each newly
 * translated block for the markers (translation is rare once the guest's
 * code is warm) and adds no code to any block but the one with a marker, so
 * a bench run's IOPS are not slowed. Opening a window resets the plugin
 * (qemu_plugin_reset flushes every translated block); the blocks translated
 * again get an execution callback each that counts, per vCPU, how often the
 * block ran. Closing a window writes the counts and resets to dormant.
 *
 * Why callbacks and not inline counters: in QEMU 7.2 an inline add targets one
 * fixed address, shared by every vCPU running the block (the translation
 * cache is shared under MTTCG), and is not atomic, so two vCPUs running the
 * same block would lose counts now and then. A callback knows its vCPU and
 * adds to that vCPU's own slot: exact, at the price of one helper call per
 * block executed (only inside a window).
 */
#include <glib.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

static const uint8_t MARK_OPEN[] = { 0x66, 0x87, 0xdb };	/* xchg %bx,%bx */
static const uint8_t MARK_CLOSE[] = { 0x66, 0x87, 0xc9 };	/* xchg %cx,%cx */

/* One translated block (start address and length), counted per vCPU. */
struct block {
	uint64_t pc;
	uint64_t insns;
	uint64_t runs[];	/* [max_vcpus] */
};

static qemu_plugin_id_t plugin_id;
static int max_vcpus;
static char *out_path;
static GMutex lock;		/* blocks table, counting, window */
static GHashTable *blocks;	/* "pc:insns" -> struct block */
static bool counting;		/* a window is open */
static bool switching;		/* a reset is under way */
static unsigned int window;	/* windows opened so far */

static void register_callbacks(qemu_plugin_id_t id);

static struct block *block_for(uint64_t pc, uint64_t insns)
{
	char key[48];
	struct block *b;

	snprintf(key, sizeof(key), "%" PRIx64 ":%" PRIu64, pc, insns);
	b = g_hash_table_lookup(blocks, key);
	if (!b) {
		b = g_malloc0(sizeof(*b) + max_vcpus * sizeof(b->runs[0]));
		b->pc = pc;
		b->insns = insns;
		g_hash_table_insert(blocks, g_strdup(key), b);
	}
	return b;
}

static void on_block(unsigned int vcpu, void *udata)
{
	struct block *b = udata;

	if (vcpu < (unsigned int)max_vcpus)
		b->runs[vcpu]++;
}

static void zero_block(gpointer key, gpointer value, gpointer data)
{
	struct block *b = value;

	memset(b->runs, 0, max_vcpus * sizeof(b->runs[0]));
}

struct dump {
	FILE *f;
	uint64_t total;
};

static void dump_block(gpointer key, gpointer value, gpointer data)
{
	struct block *b = value;
	struct dump *d = data;
	uint64_t runs = 0;
	int i;

	for (i = 0; i < max_vcpus; i++)
		runs += b->runs[i];
	if (!runs)
		return;
	fprintf(d->f, "%" PRIx64 " %" PRIu64 " %" PRIu64 "\n", b->pc, b->insns, runs);
	d->total += runs * b->insns;
}

static void write_window(void)
{
	struct dump d = { .total = 0 };

	d.f = fopen(out_path, "a");
	if (!d.f) {
		qemu_plugin_outs("insn-count: cannot open the output file\n");
		return;
	}
	fprintf(d.f, "window %u\n", window);
	g_hash_table_foreach(blocks, dump_block, &d);
	fprintf(d.f, "end %u %" PRIu64 "\n", window, d.total);
	fclose(d.f);
}

/* After a reset, every callback is gone: register ours again. */
static void reset_done(qemu_plugin_id_t id)
{
	g_mutex_lock(&lock);
	switching = false;
	g_mutex_unlock(&lock);
	register_callbacks(id);
}

static void on_mark(unsigned int vcpu, void *udata)
{
	bool open = udata != NULL;

	g_mutex_lock(&lock);
	if (switching || open == counting) {
		/* a repeated marker, or one while the last one takes effect */
		g_mutex_unlock(&lock);
		return;
	}
	if (open) {
		window++;
		g_hash_table_foreach(blocks, zero_block, NULL);
	} else {
		write_window();
	}
	counting = open;
	switching = true;
	g_mutex_unlock(&lock);
	qemu_plugin_reset(plugin_id, reset_done);
}

static bool is_mark(struct qemu_plugin_insn *insn, const uint8_t *mark, size_t len)
{
	return qemu_plugin_insn_size(insn) == len &&
	       !memcmp(qemu_plugin_insn_data(insn), mark, len);
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t i, n = qemu_plugin_tb_n_insns(tb);
	struct block *b;

	for (i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);

		if (is_mark(insn, MARK_OPEN, sizeof(MARK_OPEN)))
			qemu_plugin_register_vcpu_insn_exec_cb(insn, on_mark,
							       QEMU_PLUGIN_CB_NO_REGS,
							       (void *)1);
		else if (is_mark(insn, MARK_CLOSE, sizeof(MARK_CLOSE)))
			qemu_plugin_register_vcpu_insn_exec_cb(insn, on_mark,
							       QEMU_PLUGIN_CB_NO_REGS,
							       NULL);
	}
	g_mutex_lock(&lock);
	b = counting ? block_for(qemu_plugin_tb_vaddr(tb), n) : NULL;
	g_mutex_unlock(&lock);
	if (!b)
		return;
	qemu_plugin_register_vcpu_tb_exec_cb(tb, on_block, QEMU_PLUGIN_CB_NO_REGS, b);
}

static void on_qemu_exit(qemu_plugin_id_t id, void *p)
{
	g_mutex_lock(&lock);
	if (counting)
		write_window();	/* a window the guest never closed: still written */
	g_mutex_unlock(&lock);
}

static void register_callbacks(qemu_plugin_id_t id)
{
	qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
	qemu_plugin_register_atexit_cb(id, on_qemu_exit, NULL);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
					   int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "out=", 4)) {
			out_path = g_strdup(argv[i] + 4);
		} else {
			fprintf(stderr, "insn-count: unknown argument '%s' (want out=<file>)\n",
				argv[i]);
			return -1;
		}
	}
	if (!out_path) {
		fprintf(stderr, "insn-count: out=<file> is required\n");
		return -1;
	}
	plugin_id = id;
	max_vcpus = info->system_emulation ? info->system.max_vcpus : 1;
	blocks = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	register_callbacks(id);
	return 0;
}
