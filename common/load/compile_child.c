// SPDX-License-Identifier: Apache-2.0
#include "compile_child.h"

#include <bcc/bcc_common.h>
#include <dlfcn.h>
#include <errno.h>
#include <linux/bpf.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compile_cache.h"
#include "log.h"
#include "program_text.h"
#include "signals.h"
#include "stderr_capture.h"

/* Below the kernel's SCM_MAX_FD (253) fds in one message. */
#define MAX_FDS 200

/* The few libbcc calls the child makes, found with dlsym. */
struct libbcc {
	__typeof__(bpf_module_create_c_from_string) *create_c_from_string;
	__typeof__(bpf_function_start) *function_start;
	__typeof__(bpf_function_size) *function_size;
	__typeof__(bpf_module_license) *license;
	__typeof__(bpf_module_kern_version) *kern_version;
	__typeof__(bcc_func_load) *func_load;
	__typeof__(bpf_num_tables) *num_tables;
	__typeof__(bpf_table_name) *table_name;
	__typeof__(bpf_table_fd_id) *table_fd_id;
};

/* What the child sends, with the program fds and then the table fds. */
struct wire_header {
	int32_t buffer_kind;
	uint32_t prog_count;
	uint32_t table_count;
};

struct wire_message {
	struct wire_header head;
	char names[MAX_FDS][TT_TABLE_NAME_MAX];
};

/* 0, or -1 with why in error: the caller prints it (see open_libbcc_thread). */
static int open_libbcc(struct libbcc *bcc, char *error, size_t error_size)
{
	void *lib = dlopen("libbcc.so.0", RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		snprintf(error, error_size, "cannot load libbcc: %s", dlerror());
		return -1;
	}
	const char *missing = NULL;
#define FIND(field, symbol)                                                                        \
	if (!(bcc->field = (__typeof__(bcc->field))dlsym(lib, symbol)) && !missing)                \
		missing = symbol;
	FIND(create_c_from_string, "bpf_module_create_c_from_string")
	FIND(function_start, "bpf_function_start")
	FIND(function_size, "bpf_function_size")
	FIND(license, "bpf_module_license")
	FIND(kern_version, "bpf_module_kern_version")
	FIND(func_load, "bcc_func_load")
	FIND(num_tables, "bpf_num_tables")
	FIND(table_name, "bpf_table_name")
	FIND(table_fd_id, "bpf_table_fd_id")
#undef FIND
	if (missing) {
		snprintf(error, error_size, "libbcc has no %s", missing);
		return -1;
	}
	return 0;
}

struct libbcc_open {
	struct libbcc bcc;
	int rc;
	char error[512];
};

/*
 * Loading libbcc (relocating LLVM and clang) takes about as long as reading
 * BTF and writing the kernel types: on its own thread, the two overlap. It
 * prints nothing: stderr may be captured meanwhile (stderr_capture.h).
 */
static void *open_libbcc_thread(void *arg)
{
	struct libbcc_open *lib = arg;
	lib->rc = open_libbcc(&lib->bcc, lib->error, sizeof(lib->error));
	return NULL;
}

static void *compile(const struct libbcc *bcc, const char *text)
{
	struct tt_stderr_capture cap;
	tt_stderr_capture_begin(&cap);
	/* allow_rlimit false: raising RLIMIT_MEMLOCK fails on some kernels and is not needed. */
	void *module = bcc->create_c_from_string(text, 0, NULL, 0, false, NULL);
	tt_stderr_capture_end(&cap, tt_log_verbose);
	if (!module)
		tt_error("cannot compile the BPF program%s",
		         tt_log_verbose ? "" : " (run with -v for the compiler's messages)");
	return module;
}

static int load_function(const struct libbcc *bcc, void *module, const struct tt_probe *probe)
{
	const char *fn = probe->function;
	void *insns = bcc->function_start(module, fn);
	if (!insns) {
		tt_error("BPF function %s is missing from the program", fn);
		return -1;
	}
	int type = probe->kind == TT_TRACEPOINT           ? BPF_PROG_TYPE_TRACEPOINT
	           : probe->kind == TT_RAW_TRACEPOINT     ? BPF_PROG_TYPE_RAW_TRACEPOINT
	           : probe->kind == TT_CGROUP_SKB_INGRESS ? BPF_PROG_TYPE_CGROUP_SKB
	                                                  : BPF_PROG_TYPE_KPROBE;
	static char log[65536];
	log[0] = '\0';
	struct tt_stderr_capture cap;
	tt_stderr_capture_begin(&cap);
	int fd = bcc->func_load(module, type, fn, insns, (int)bcc->function_size(module, fn),
	                        bcc->license(module), bcc->kern_version(module), 0, log,
	                        sizeof(log), NULL, 0);
	int saved = errno;
	tt_stderr_capture_end(&cap, tt_log_verbose);
	if (fd < 0)
		tt_error("the kernel refused BPF function %s: %s%s%s", fn, strerror(saved),
		         log[0] ? ": " : "", tt_last_line(log));
	return fd;
}

/* What the child hands over: the fd of each of the plan's probes, then each table's. */
struct handover {
	enum tt_buffer_kind buffer_kind;
	size_t probe_count;
	int probe_fds[MAX_FDS]; /* in the plan's order */
	size_t table_count;
	struct tt_loaded_table tables[MAX_FDS];
};

static void handover_table(struct handover *h, size_t i, const char *name, int fd)
{
	snprintf(h->tables[i].name, TT_TABLE_NAME_MAX, "%s", name);
	h->tables[i].fd = fd;
}

/* Closes what a partial load left; h is then empty. */
static void handover_close(struct handover *h)
{
	for (size_t i = 0; i < h->probe_count; i++)
		if (h->probe_fds[i] >= 0)
			close(h->probe_fds[i]);
	for (size_t i = 0; i < h->table_count; i++)
		close(h->tables[i].fd);
	h->probe_count = h->table_count = 0;
}

/* The handover as one message: the header and the table names, with the fds beside. */
static int send_handover(int sock, const struct handover *h)
{
	static struct wire_message msg;
	static int fds[MAX_FDS];
	msg.head = (struct wire_header){(int32_t)h->buffer_kind, (uint32_t)h->probe_count,
	                                (uint32_t)h->table_count};
	size_t fd_count = 0;
	for (size_t i = 0; i < h->probe_count; i++)
		fds[fd_count++] = h->probe_fds[i];
	for (size_t i = 0; i < h->table_count; i++) {
		memcpy(msg.names[i], h->tables[i].name, TT_TABLE_NAME_MAX);
		fds[fd_count++] = h->tables[i].fd;
	}
	struct iovec iov = {&msg, sizeof(msg.head) + h->table_count * TT_TABLE_NAME_MAX};
	union {
		char buf[CMSG_SPACE(sizeof(int) * MAX_FDS)];
		struct cmsghdr align;
	} control;
	memset(&control, 0, sizeof(control));
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	if (fd_count) {
		mh.msg_control = control.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * fd_count);
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * fd_count);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * fd_count);
	}
	if (sendmsg(sock, &mh, MSG_NOSIGNAL) < 0) {
		tt_error("cannot hand the loaded program over: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* The plan's probes' fds from the loaded functions, in plan order: whether each has one. */
static bool probe_fds(const struct tt_plan *plan, const struct tt_image_function *functions,
                      size_t function_count, struct handover *h)
{
	bool complete = true;
	for (size_t i = 0; i < plan->probe_count; i++) {
		int fd = -1;
		for (size_t f = 0; f < function_count && fd < 0; f++)
			if (strcmp(functions[f].function, plan->probes[i].function) == 0)
				fd = functions[f].fd;
		h->probe_fds[i] = fd;
		complete = complete && fd >= 0;
	}
	h->probe_count = plan->probe_count;
	return complete;
}

/* The loaded program, from the cache, into h; false: compile (h may hold a partial load). */
static bool load_cached(struct tt_compile_cache *cache, const struct tt_plan *plan,
                        struct handover *h)
{
	struct tt_image image;
	if (!tt_compile_cache_find(cache, &image))
		return false;
	static int map_fds[MAX_FDS], prog_fds[MAX_FDS];
	static struct tt_image_function functions[MAX_FDS];
	bool fits = plan->probe_count + image.map_count <= MAX_FDS && image.prog_count <= MAX_FDS;
	if (!fits || tt_image_load(&image, map_fds, prog_fds) != 0) {
		tt_image_free(&image);
		return false;
	}
	for (size_t i = 0; i < image.prog_count; i++)
		functions[i] =
		    (struct tt_image_function){prog_fds[i], image.progs[i].function, NULL, 0};
	bool complete = probe_fds(plan, functions, image.prog_count, h);
	for (size_t id = 0; id < image.map_count; id++)
		handover_table(h, id, image.maps[id].table, map_fds[id]);
	h->table_count = image.map_count;
	tt_image_free(&image);
	if (!complete) /* a key match cannot lack a probe's function; be sure anyway */
		return false;
	tt_info("compile cache: loaded %s without compiling", cache->file);
	return true;
}

/* Keeps what libbcc made of the text for the next start. */
static void store_compiled(struct tt_compile_cache *cache, const struct libbcc *bcc, void *module,
                           const struct tt_image_source *loaded, enum tt_buffer_kind buffer_kind)
{
	struct tt_image image;
	if (!tt_image_capture(&image, loaded))
		return;
	snprintf(image.license, sizeof(image.license), "%s", bcc->license(module));
	image.kern_version = bcc->kern_version(module);
	image.buffer_kind = (uint32_t)buffer_kind;
	tt_compile_cache_store(cache, &image);
	tt_image_free(&image);
}

/* Loads each function the plan's probes name, once (a function attached twice goes twice). */
static int load_functions(const struct libbcc *bcc, void *module, const struct tt_plan *plan,
                          struct tt_image_function *functions, size_t *function_count)
{
	size_t count = 0;
	for (size_t i = 0; i < plan->probe_count; i++) {
		const char *name = plan->probes[i].function;
		bool loaded = false;
		for (size_t f = 0; f < count && !loaded; f++)
			loaded = strcmp(functions[f].function, name) == 0;
		if (loaded)
			continue;
		int fd = load_function(bcc, module, &plan->probes[i]);
		if (fd < 0)
			return -1;
		functions[count++] = (struct tt_image_function){
		    fd, name, bcc->function_start(module, name),
		    bcc->function_size(module, name) / sizeof(struct bpf_insn)};
	}
	*function_count = count;
	return 0;
}

/*
 * The compiled module's functions loaded and its tables into h; into the
 * cache too where one is given. 0, or -1 after printing why.
 */
static int load_compiled(const struct libbcc *bcc, void *module, const struct tt_plan *plan,
                         struct handover *h, struct tt_compile_cache *cache)
{
	size_t tables = bcc->num_tables(module);
	if (plan->probe_count + tables > MAX_FDS) {
		tt_error("the BPF program has too many functions and tables (%zu)",
		         plan->probe_count + tables);
		return -1;
	}
	static struct tt_image_function functions[MAX_FDS];
	size_t function_count = 0;
	if (load_functions(bcc, module, plan, functions, &function_count) != 0)
		return -1;
	probe_fds(plan, functions, function_count, h);
	static struct tt_image_table loaded_tables[MAX_FDS];
	for (size_t id = 0; id < tables; id++) {
		loaded_tables[id] = (struct tt_image_table){bcc->table_fd_id(module, id),
		                                            bcc->table_name(module, id)};
		handover_table(h, id, loaded_tables[id].table, loaded_tables[id].fd);
	}
	h->table_count = tables;
	if (cache) {
		const struct tt_image_source loaded = {loaded_tables, tables, functions,
		                                       function_count};
		store_compiled(cache, bcc, module, &loaded, h->buffer_kind);
	}
	return 0;
}

static void say_what_runs(const struct tt_plan *plan, const struct tt_program_text *pt)
{
	tt_info("backend: %s; kernel types: %s (%s); events through %s",
	        plan->backend == TT_BACKEND_KPROBE ? "kprobe" : "tracepoint",
	        pt->types.from_btf ? "BTF" : "kernel headers", pt->types.source,
	        plan->output_count ? tt_buffer_kind_name(pt->buffer_kind) : "no buffer");
}

/* The child's whole life: its exit status. Errors are printed here. */
static int child_compile(int sock, const struct tt_tracer_spec *spec,
                         const struct tt_tracer_options *opts, bool use_cache)
{
	const struct tt_plan *plan = spec->plan;
	struct libbcc_open lib = {.rc = -1};
	pthread_t opener;
	bool threaded = pthread_create(&opener, NULL, open_libbcc_thread, &lib) == 0;
	if (!threaded)
		open_libbcc_thread(&lib);
	struct tt_program_text pt;
	if (tt_program_text_build(&pt, spec, opts, true) != 0) {
		tt_program_text_free(
		    &pt); /* libbcc's loading thread is not waited for: _exit ends it */
		return 1;
	}
	say_what_runs(plan, &pt);
	static struct handover h;
	h.buffer_kind = pt.buffer_kind;
	/* Kernel headers are files the text names but does not hold: not a key. */
	struct tt_compile_cache cache;
	bool cached =
	    use_cache && !plan->shared_maps && pt.types.from_btf &&
	    tt_compile_cache_open(&cache, strbuf_text(&pt.text), plan->probes, plan->probe_count);
	if (cached && load_cached(&cache, plan, &h)) {
		tt_program_text_free(&pt);
		tt_compile_cache_close(&cache);
		return send_handover(sock, &h) == 0 ? 0 : 1;
	}
	handover_close(&h); /* a partial load from the cache */
	if (threaded)
		pthread_join(opener, NULL);
	if (lib.rc != 0)
		tt_error("%s", lib.error);
	void *module = lib.rc == 0 ? compile(&lib.bcc, strbuf_text(&pt.text)) : NULL;
	tt_program_text_free(&pt); /* the private header tree is needed only while compiling */
	int rc = module ? load_compiled(&lib.bcc, module, plan, &h, cached ? &cache : NULL) : -1;
	if (cached)
		tt_compile_cache_close(&cache);
	return rc == 0 && send_handover(sock, &h) == 0 ? 0 : 1;
}

/* Why the child ended without a word: it printed its error, or it died. */
static int child_ended(pid_t pid)
{
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFSIGNALED(status))
		tt_error("the BPF compiler process died of signal %d (%s)", WTERMSIG(status),
		         strsignal(WTERMSIG(status)));
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		tt_error("the BPF compiler process ended without handing the program over");
	return -1;
}

static int take_fds(struct tt_loaded *out, const struct wire_message *msg, size_t len,
                    const int *fds, size_t fd_count)
{
	size_t progs = msg->head.prog_count, tables = msg->head.table_count;
	if (len < sizeof(msg->head) || tables > MAX_FDS ||
	    len != sizeof(msg->head) + tables * TT_TABLE_NAME_MAX || fd_count != progs + tables) {
		for (size_t i = 0; i < fd_count; i++)
			close(fds[i]);
		tt_error("the BPF compiler process handed over a malformed message");
		return -1;
	}
	out->buffer_kind = (enum tt_buffer_kind)msg->head.buffer_kind;
	out->prog_fds = calloc(progs ? progs : 1, sizeof(*out->prog_fds));
	out->tables = calloc(tables ? tables : 1, sizeof(*out->tables));
	if (!out->prog_fds || !out->tables) {
		for (size_t i = 0; i < fd_count; i++)
			close(fds[i]);
		tt_error("out of memory");
		return -1;
	}
	memcpy(out->prog_fds, fds, progs * sizeof(int));
	out->prog_count = progs;
	for (size_t i = 0; i < tables; i++) {
		memcpy(out->tables[i].name, msg->names[i], TT_TABLE_NAME_MAX);
		out->tables[i].name[TT_TABLE_NAME_MAX - 1] = '\0';
		out->tables[i].fd = fds[progs + i];
	}
	out->table_count = tables;
	return 0;
}

/* Waits for the child's message: 0, -1 after printing why, or 1 on a stop signal. */
static int receive_loaded(int sock, pid_t pid, struct tt_loaded *out)
{
	for (;;) {
		struct pollfd p = {.fd = sock, .events = POLLIN};
		int ready = poll(&p, 1, -1);
		if (tt_stop_requested()) {
			kill(pid, SIGKILL);
			while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
				;
			return 1;
		}
		if (ready > 0)
			break;
		if (ready < 0 && errno != EINTR) {
			tt_error("cannot wait for the BPF compiler process: %s", strerror(errno));
			kill(pid, SIGKILL);
			return child_ended(pid);
		}
	}
	static struct wire_message msg;
	union {
		char buf[CMSG_SPACE(sizeof(int) * MAX_FDS)];
		struct cmsghdr align;
	} control;
	struct iovec iov = {&msg, sizeof(msg)};
	struct msghdr mh = {.msg_iov = &iov,
	                    .msg_iovlen = 1,
	                    .msg_control = control.buf,
	                    .msg_controllen = sizeof(control.buf)};
	ssize_t len;
	while ((len = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
		;
	if (len <= 0)
		return child_ended(pid);
	int fds[MAX_FDS] = {0};
	size_t fd_count = 0;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		size_t n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		if (fd_count + n > MAX_FDS)
			n = MAX_FDS - fd_count;
		memcpy(&fds[fd_count], CMSG_DATA(cm), n * sizeof(int));
		fd_count += n;
	}
	if (mh.msg_flags & (MSG_CTRUNC | MSG_TRUNC))
		len = 0; /* fails take_fds' checks, which close what came */
	/*
	 * Not waited for here: tearing down the child's LLVM mappings takes tens
	 * of milliseconds, which start-up need not wait for (tt_loaded_reap).
	 */
	out->child = pid;
	return take_fds(out, &msg, (size_t)len, fds, fd_count);
}

int tt_compile_child_load(const struct tt_tracer_spec *spec, const struct tt_tracer_options *opts,
                          bool use_cache, struct tt_loaded *out)
{
	memset(out, 0, sizeof(*out));
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		tt_error("cannot create a socket pair: %s", strerror(errno));
		return -1;
	}
	/* What stdio holds would otherwise be written twice. */
	fflush(stdout);
	fflush(stderr);
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		tt_error("cannot start the BPF compiler process: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		close(sv[0]);
		/* A tracer killed while compiling takes its compiler with it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		/* _exit: no atexit hook or stdio buffer of the tracer runs twice. */
		_exit(child_compile(sv[1], spec, opts, use_cache));
	}
	close(sv[1]);
	int rc = receive_loaded(sv[0], pid, out);
	close(sv[0]);
	if (rc != 0)
		tt_loaded_close(out);
	return rc;
}

int tt_loaded_table_fd(const struct tt_loaded *loaded, const char *table)
{
	for (size_t i = 0; i < loaded->table_count; i++)
		if (strcmp(loaded->tables[i].name, table) == 0)
			return loaded->tables[i].fd;
	return -1;
}

void tt_loaded_reap(struct tt_loaded *loaded, bool wait)
{
	if (loaded->child <= 0)
		return;
	pid_t rc;
	while ((rc = waitpid(loaded->child, NULL, wait ? 0 : WNOHANG)) < 0 && errno == EINTR)
		;
	if (rc != 0)
		loaded->child = 0;
}

void tt_loaded_close(struct tt_loaded *loaded)
{
	tt_loaded_reap(loaded, true);
	for (size_t i = 0; i < loaded->prog_count; i++)
		if (loaded->prog_fds[i] >= 0)
			close(loaded->prog_fds[i]);
	for (size_t i = 0; i < loaded->table_count; i++)
		if (loaded->tables[i].fd >= 0)
			close(loaded->tables[i].fd);
	free(loaded->prog_fds);
	free(loaded->tables);
	memset(loaded, 0, sizeof(*loaded));
}
