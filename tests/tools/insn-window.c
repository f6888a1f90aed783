// SPDX-License-Identifier: GPL-2.0
/*
 * insn-window: opens and closes one counting window of the bench's TCG
 * plugin (qemu/plugins/insn-count.c) around a sleep, and reports how many
 * I/Os the disks completed in it, so the host can divide instructions by I/Os.
 *
 * Usage: insn-window <seconds> <disk> [<disk> ...]    (disk: sda, nullb0, ...;
 * at most 16: the I/Os are summed over them)
 * Prints: ios=<n> reads=<n> writes=<n> ms=<window length>
 *
 * The markers are `xchg %bx,%bx` (open) and `xchg %cx,%cx` (close): without
 * the plugin they change nothing. Everything this program does between them
 * is one nanosleep, so the window holds the workload running beside it and
 * hardly anything of its own. The disks' counters (/sys/block/<disk>/stat:
 * reads completed is field 1, writes completed field 5) are read just
 * outside the markers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static int read_stat(const char *path, unsigned long long *reads, unsigned long long *writes)
{
	unsigned long long f[5];
	FILE *f_stat = fopen(path, "r");
	int n;

	if (!f_stat)
		return -1;
	n = fscanf(f_stat, "%llu %llu %llu %llu %llu", &f[0], &f[1], &f[2], &f[3], &f[4]);
	fclose(f_stat);
	if (n != 5)
		return -1;
	*reads = f[0];
	*writes = f[4];
	return 0;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Sums the reads and writes completed by the disks named in argv[2..]. */
static int read_stats(int argc, char **argv, unsigned long long *reads,
		      unsigned long long *writes)
{
	unsigned long long r, w;
	char path[256];
	int i;

	*reads = 0;
	*writes = 0;
	for (i = 2; i < argc; i++) {
		snprintf(path, sizeof(path), "/sys/block/%s/stat", argv[i]);
		if (read_stat(path, &r, &w)) {
			fprintf(stderr, "insn-window: cannot read %s\n", path);
			return -1;
		}
		*reads += r;
		*writes += w;
	}
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long long r0, w0, r1, w1;
	struct timespec nap;
	double seconds, t0, t1;

	if (argc < 3 || argc > 18 || (seconds = atof(argv[1])) <= 0) {
		fprintf(stderr, "usage: insn-window <seconds> <disk> [<disk> ...] (at most 16 disks)\n");
		return 2;
	}
	if (read_stats(argc, argv, &r0, &w0))
		return 1;
	nap.tv_sec = (time_t)seconds;
	nap.tv_nsec = (long)((seconds - nap.tv_sec) * 1e9);
	t0 = now_ms();
	asm volatile(".byte 0x66, 0x87, 0xdb" ::: "memory");	/* open */
	nanosleep(&nap, NULL);
	asm volatile(".byte 0x66, 0x87, 0xc9" ::: "memory");	/* close */
	t1 = now_ms();
	if (read_stats(argc, argv, &r1, &w1))
		return 1;
	printf("ios=%llu reads=%llu writes=%llu ms=%.0f\n",
	       (r1 - r0) + (w1 - w0), r1 - r0, w1 - w0, t1 - t0);
	return 0;
}
