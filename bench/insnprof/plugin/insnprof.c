/* insnprof: a QEMU (7.2, plugin API 1) TCG plugin that counts guest
 * instructions per translation block and dumps the counts every
 * WINDOW instructions, so that a profile of any window of a boot can be
 * made offline. Diagnostic tool of the ucvm boot benchmark. */
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
typedef struct {
	const char *target_name;
	struct { int min, cur; } version;
	bool system_emulation;
	union { struct { int smp_vcpus, max_vcpus; } system; };
} qemu_info_t;
typedef void (*udata_cb)(unsigned int vcpu, void *u);
typedef void (*trans_cb)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*exit_cb)(qemu_plugin_id_t id, void *u);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, trans_cb cb);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb, udata_cb cb, int flags, void *u);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, exit_cb cb, void *u);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

struct blk { uint64_t vaddr, n, count, last; };
static struct blk **blks; static size_t nblks, capblks;
static uint64_t total, next_dump, window = 25000000;
static FILE *out;

static void dump(void) {
	fprintf(out, "W %" PRIu64 "\n", total);
	for (size_t i = 0; i < nblks; i++) {
		struct blk *b = blks[i];
		if (b->count != b->last) {
			fprintf(out, "%" PRIx64 " %" PRIu64 "\n", b->vaddr, (b->count - b->last) * b->n);
			b->last = b->count;
		}
	}
}

static void exec(unsigned int vcpu, void *u) {
	struct blk *b = u;
	b->count++;
	total += b->n;
	if (total >= next_dump) {
		dump();
		next_dump = total + window;
	}
}

static void trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
	struct blk *b = calloc(1, sizeof *b);
	b->vaddr = qemu_plugin_tb_vaddr(tb);
	b->n = qemu_plugin_tb_n_insns(tb);
	if (nblks == capblks) {
		capblks = capblks ? 2 * capblks : 65536;
		blks = realloc(blks, capblks * sizeof *blks);
	}
	blks[nblks++] = b;
	qemu_plugin_register_vcpu_tb_exec_cb(tb, exec, 0, b);
}

static void atexit_cb(qemu_plugin_id_t id, void *u) { dump(); fclose(out); }

__attribute__((visibility("default")))
int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv) {
	const char *path = "/tmp/insnprof.out";
	for (int i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "out=", 4)) path = argv[i] + 4;
		if (!strncmp(argv[i], "window=", 7)) window = strtoull(argv[i] + 7, 0, 10);
	}
	out = fopen(path, "w");
	if (!out) return 1;
	setvbuf(out, NULL, _IOFBF, 1 << 20);
	next_dump = window;
	qemu_plugin_register_vcpu_tb_trans_cb(id, trans);
	qemu_plugin_register_atexit_cb(id, atexit_cb, NULL);
	return 0;
}
