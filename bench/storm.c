/*
 * storm.c - loopback TCP connection storm generator for the tcptools benchmark.
 *
 * Build (no dependencies beyond libc and pthreads):
 *   gcc -std=c11 -O2 -Wall -Wextra -Werror -pthread -o build/storm bench/storm.c
 * (bench/run.py builds it into its --build-dir by itself when it is missing.)
 *
 * Default mode: the process listens on 127.0.0.1 (or ::1 with -6) and every
 * thread loops  socket() + connect() + accept() + close both ends, with
 * SO_LINGER {1,0} on both ends so the connection is reset instead of going
 * through FIN/TIME_WAIT (no TIME_WAIT pile-up, no ephemeral port exhaustion).
 * Only loopback addresses are ever used.
 *
 * At the end one machine-readable line goes to stdout:
 *   connections=200000 seconds=2.213 rate=90372 pid=1234 port=40000 \
 *     failed=0 accept_failed=0 early_reset=0 cpu=2.190 family=ipv4 threads=1 mode=both
 * connections = successful connect()s (server-only: accepted connections),
 * failed      = socket()/connect() failures, accept_failed = accept() failures
 * (timeouts included), early_reset = connections counted as made although
 * connect() returned ECONNRESET because the server side had already accepted
 * and reset them (both mode with -t > 1, or --client-only), cpu = the
 * process's user+system CPU seconds over the same interval.
 * Exit status: 0 if everything succeeded, 1 if any connection failed (or the
 * run was interrupted), 2 on bad usage.
 *
 * With --wait-start, a line "ready pid=N port=P family=F" is printed (and
 * flushed) once the listener is up, and the storm starts only when a line is
 * read on stdin (--wait-start / --wait-start=stdin) or SIGUSR1 arrives
 * (--wait-start=signal).  This lets a runner start a tracer with -p PID or
 * -P PORT before the first connection.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS       1024
#define ACCEPT_TIMEOUT_MS 5000 /* both mode: accept() that waits longer fails */
#define SERVER_POLL_MS    200  /* server-only: how often to check for a stop */

enum mode { MODE_BOTH, MODE_SERVER, MODE_CLIENT };
enum wait_kind { WAIT_NONE, WAIT_STDIN, WAIT_SIGNAL };

struct config {
	uint64_t count;
	uint64_t rate;
	unsigned threads;
	unsigned port;
	bool ipv6;
	enum mode mode;
	enum wait_kind wait;
};

struct thread_ctx {
	pthread_t tid;
	unsigned index;
	uint64_t quota; /* connections this thread makes (both/client) */
	/* results */
	uint64_t ok;
	uint64_t connect_failed;
	uint64_t accept_failed;
	uint64_t early_reset;
	int first_connect_errno;
	int first_accept_errno;
	struct timespec first_ts, last_ts; /* server-only: first/last accept */
	bool have_ts;
};

static struct config cfg = {
    .count = 100000,
    .rate = 0,
    .threads = 1,
    .port = 0,
    .ipv6 = false,
    .mode = MODE_BOTH,
    .wait = WAIT_NONE,
};

static int listen_fd = -1;
static struct sockaddr_storage target;
static socklen_t target_len;
static pthread_barrier_t start_barrier;
static struct timespec t_start;
static atomic_bool stop_flag;
static volatile sig_atomic_t go_signal;
static atomic_uint_fast64_t server_accepted;

static const char *prog = "storm";

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: %s [options]\n"
	    "  -n, --count N        total connections (default 100000; server-only: 0 = until "
	    "SIGINT)\n"
	    "  -r, --rate N         target connections/s over all threads, 0 = as fast as possible "
	    "(default 0)\n"
	    "  -t, --threads N      worker threads, 1..%d (default 1)\n"
	    "  -p, --port PORT      listen port (connect port with --client-only), 0 = ephemeral "
	    "(default 0)\n"
	    "  -6, --ipv6           use ::1 instead of 127.0.0.1\n"
	    "      --server-only    only listen and accept (+close with SO_LINGER 0)\n"
	    "      --client-only    only connect (+close with SO_LINGER 0) to --port\n"
	    "      --wait-start[=stdin|signal]\n"
	    "                       print 'ready pid=N port=P ...' and wait for a line on stdin\n"
	    "                       (default) or for SIGUSR1 before starting\n"
	    "  -h, --help           this help\n"
	    "Prints one line at the end: connections=N seconds=S rate=R pid=P port=P failed=N ...\n"
	    "Exit: 0 ok, 1 some connection failed or interrupted, 2 bad usage.\n",
	    prog, MAX_THREADS);
}

__attribute__((format(printf, 1, 2), noreturn)) static void die_usage(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

/* Strict unsigned decimal: digits only, no sign, no spaces, no suffix, no overflow. */
static uint64_t parse_u64(const char *opt, const char *s, uint64_t min, uint64_t max)
{
	char range[80];
	snprintf(range, sizeof range, "%" PRIu64 "..%" PRIu64, min, max);
	if (s == NULL || *s == '\0')
		die_usage("%s: empty value (expected integer %s)", opt, range);
	uint64_t v = 0;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9') {
			fprintf(stderr, "%s: %s: invalid number '%s' (expected integer %s)\n", prog,
			        opt, s, range);
			exit(2);
		}
		unsigned d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10) {
			fprintf(stderr, "%s: %s: number '%s' out of range (expected %s)\n", prog,
			        opt, s, range);
			exit(2);
		}
		v = v * 10 + d;
	}
	if (v < min || v > max) {
		fprintf(stderr, "%s: %s: number '%s' out of range (expected %s)\n", prog, opt, s,
		        range);
		exit(2);
	}
	return v;
}

static double ts_diff(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static double tv_diff(const struct timeval *a, const struct timeval *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_usec - a->tv_usec) / 1e6;
}

static int ts_cmp(const struct timespec *a, const struct timespec *b)
{
	if (a->tv_sec != b->tv_sec)
		return a->tv_sec < b->tv_sec ? -1 : 1;
	if (a->tv_nsec != b->tv_nsec)
		return a->tv_nsec < b->tv_nsec ? -1 : 1;
	return 0;
}

static void ts_add_ns(struct timespec *t, uint64_t ns)
{
	uint64_t total = (uint64_t)t->tv_nsec + ns;
	t->tv_sec += (time_t)(total / 1000000000u);
	t->tv_nsec = (long)(total % 1000000000u);
}

static void on_stop(int sig)
{
	(void)sig;
	atomic_store(&stop_flag, true);
}

static void on_go(int sig)
{
	(void)sig;
	go_signal = 1;
}

static void set_linger0(int fd)
{
	struct linger l = {.l_onoff = 1, .l_linger = 0};
	/* Failure here is not fatal: the connection still closes, just not by RST. */
	(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
}

static int family(void)
{
	return cfg.ipv6 ? AF_INET6 : AF_INET;
}

static void make_loopback(struct sockaddr_storage *ss, socklen_t *len, unsigned port)
{
	memset(ss, 0, sizeof *ss);
	if (cfg.ipv6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		a->sin6_port = htons((uint16_t)port);
		*len = sizeof *a;
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;
		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		a->sin_port = htons((uint16_t)port);
		*len = sizeof *a;
	}
}

static unsigned setup_listener(void)
{
	struct sockaddr_storage ss;
	socklen_t len;
	make_loopback(&ss, &len, cfg.port);
	listen_fd = socket(family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (listen_fd < 0) {
		fprintf(stderr, "%s: socket: %s\n", prog, strerror(errno));
		exit(1);
	}
	int one = 1;
	(void)setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(listen_fd, (struct sockaddr *)&ss, len) < 0) {
		fprintf(stderr, "%s: bind %s port %u: %s\n", prog, cfg.ipv6 ? "[::1]" : "127.0.0.1",
		        cfg.port, strerror(errno));
		exit(1);
	}
	if (listen(listen_fd, SOMAXCONN) < 0) {
		fprintf(stderr, "%s: listen: %s\n", prog, strerror(errno));
		exit(1);
	}
	/* accept() honours SO_RCVTIMEO: a lost connection cannot hang a thread. */
	long ms = cfg.mode == MODE_SERVER ? SERVER_POLL_MS : ACCEPT_TIMEOUT_MS;
	struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
	if (setsockopt(listen_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0) {
		fprintf(stderr, "%s: setsockopt SO_RCVTIMEO: %s\n", prog, strerror(errno));
		exit(1);
	}
	struct sockaddr_storage bound;
	socklen_t blen = sizeof bound;
	if (getsockname(listen_fd, (struct sockaddr *)&bound, &blen) < 0) {
		fprintf(stderr, "%s: getsockname: %s\n", prog, strerror(errno));
		exit(1);
	}
	return cfg.ipv6 ? ntohs(((struct sockaddr_in6 *)&bound)->sin6_port)
	                : ntohs(((struct sockaddr_in *)&bound)->sin_port);
}

/* Sleep until connection number i of this thread is due (rate limiting). */
static void pace(struct thread_ctx *t, uint64_t i)
{
	if (cfg.rate == 0)
		return;
	/* Thread k of T makes connections k, k+T, k+2T ... of one global schedule. */
	uint64_t slot = i * cfg.threads + t->index;
	long double ns = (long double)slot * 1e9L / (long double)cfg.rate;
	struct timespec due = t_start;
	ts_add_ns(&due, (uint64_t)ns);
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &due, NULL) == EINTR) {
		if (atomic_load(&stop_flag))
			return;
	}
}

static void *client_loop(void *arg)
{
	struct thread_ctx *t = arg;
	bool do_accept = cfg.mode == MODE_BOTH;
	pthread_barrier_wait(&start_barrier);
	for (uint64_t i = 0; i < t->quota; i++) {
		if (atomic_load_explicit(&stop_flag, memory_order_relaxed))
			break;
		pace(t, i);
		int c = socket(family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (c < 0) {
			if (t->connect_failed++ == 0)
				t->first_connect_errno = errno;
			continue;
		}
		set_linger0(c);
		if (connect(c, (struct sockaddr *)&target, target_len) < 0) {
			/* The server side (another thread, or the --server-only process)
			 * may accept and reset this connection after the handshake
			 * completed but before this thread returned from connect(), which
			 * then reports ECONNRESET (a reset before the handshake gives
			 * ECONNREFUSED).  The connection was made and accepted, so it
			 * counts as made (reported as early_reset). */
			if (errno == ECONNRESET) {
				t->early_reset++;
			} else {
				if (t->connect_failed++ == 0)
					t->first_connect_errno = errno;
				close(c);
				continue;
			}
		}
		t->ok++;
		if (do_accept) {
			/* May return another thread's connection: any one will do, there is
			 * at least one queued for every thread that got here. */
			int s;
			do {
				s = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
			} while (s < 0 && errno == EINTR && !atomic_load(&stop_flag));
			if (s < 0) {
				if (t->accept_failed++ == 0)
					t->first_accept_errno = errno;
			} else {
				set_linger0(s);
				close(s);
			}
		}
		close(c);
	}
	return NULL;
}

static void *server_loop(void *arg)
{
	struct thread_ctx *t = arg;
	pthread_barrier_wait(&start_barrier);
	for (;;) {
		if (atomic_load_explicit(&stop_flag, memory_order_relaxed))
			break;
		if (cfg.count && atomic_load(&server_accepted) >= cfg.count)
			break;
		int s = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (s < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ||
			    errno == ECONNABORTED)
				continue;
			if (t->accept_failed++ == 0)
				t->first_accept_errno = errno;
			continue;
		}
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (!t->have_ts) {
			t->first_ts = now;
			t->have_ts = true;
		}
		t->last_ts = now;
		set_linger0(s);
		close(s);
		t->ok++;
		atomic_fetch_add(&server_accepted, 1);
	}
	return NULL;
}

/* Block until the go line / SIGUSR1.  Returns false if we should quit instead. */
static bool wait_for_go(void)
{
	sigset_t block, orig;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &orig);
	sigset_t waitmask = orig;
	sigdelset(&waitmask, SIGUSR1);
	sigdelset(&waitmask, SIGINT);
	sigdelset(&waitmask, SIGTERM);
	bool go = false;
	for (;;) {
		if (atomic_load(&stop_flag))
			break;
		if (go_signal) {
			go = true;
			break;
		}
		struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
		int n = ppoll(&pfd, cfg.wait == WAIT_STDIN ? 1 : 0, NULL, &waitmask);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "%s: ppoll: %s\n", prog, strerror(errno));
			break;
		}
		if (cfg.wait == WAIT_STDIN && n > 0) {
			char buf[256];
			ssize_t r = read(STDIN_FILENO, buf, sizeof buf);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				fprintf(stderr,
				        "%s: stdin closed before the go line, not starting\n",
				        prog);
				break;
			}
			if (memchr(buf, '\n', (size_t)r)) {
				go = true;
				break;
			}
		}
	}
	pthread_sigmask(SIG_SETMASK, &orig, NULL);
	return go;
}

int main(int argc, char **argv)
{
	enum { OPT_SERVER = 256, OPT_CLIENT, OPT_WAIT };
	static const struct option longopts[] = {
	    {"count", required_argument, NULL, 'n'},
	    {"rate", required_argument, NULL, 'r'},
	    {"threads", required_argument, NULL, 't'},
	    {"port", required_argument, NULL, 'p'},
	    {"ipv6", no_argument, NULL, '6'},
	    {"server-only", no_argument, NULL, OPT_SERVER},
	    {"client-only", no_argument, NULL, OPT_CLIENT},
	    {"wait-start", optional_argument, NULL, OPT_WAIT},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	bool count_given = false;
	int opt;
	opterr = 0; /* we print our own one-line errors */
	while ((opt = getopt_long(argc, argv, ":n:r:t:p:6h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			cfg.count = parse_u64("--count", optarg, 0, UINT64_MAX / 2);
			count_given = true;
			break;
		case 'r':
			cfg.rate = parse_u64("--rate", optarg, 0, 1000000000);
			break;
		case 't':
			cfg.threads = (unsigned)parse_u64("--threads", optarg, 1, MAX_THREADS);
			break;
		case 'p':
			cfg.port = (unsigned)parse_u64("--port", optarg, 0, 65535);
			break;
		case '6':
			cfg.ipv6 = true;
			break;
		case OPT_SERVER:
			if (cfg.mode == MODE_CLIENT)
				die_usage("--server-only and --client-only are exclusive");
			cfg.mode = MODE_SERVER;
			break;
		case OPT_CLIENT:
			if (cfg.mode == MODE_SERVER)
				die_usage("--server-only and --client-only are exclusive");
			cfg.mode = MODE_CLIENT;
			break;
		case OPT_WAIT:
			if (optarg == NULL || strcmp(optarg, "stdin") == 0)
				cfg.wait = WAIT_STDIN;
			else if (strcmp(optarg, "signal") == 0)
				cfg.wait = WAIT_SIGNAL;
			else
				die_usage(
				    "--wait-start: invalid value '%s' (expected stdin or signal)",
				    optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			if (strncmp(argv[optind - 1], "--", 2) == 0)
				die_usage("option '%s' requires a value (try --help)",
				          argv[optind - 1]);
			die_usage("option '-%c' requires a value (try --help)", optopt);
		default:
			if (optopt && strncmp(argv[optind - 1], "--", 2) != 0)
				die_usage("unrecognized option '-%c' (try --help)", optopt);
			die_usage("unrecognized option '%s' (try --help)", argv[optind - 1]);
		}
	}
	if (optind < argc)
		die_usage("unexpected argument '%s'", argv[optind]);
	if (cfg.mode != MODE_SERVER && cfg.count == 0)
		die_usage("--count: must be at least 1");
	if (cfg.mode == MODE_SERVER && !count_given)
		cfg.count = 0; /* server-only default: run until SIGINT/SIGTERM */
	if (cfg.mode == MODE_CLIENT && cfg.port == 0)
		die_usage("--client-only needs --port");
	if (cfg.mode != MODE_SERVER && cfg.threads > cfg.count)
		cfg.threads = (unsigned)cfg.count;

	struct sigaction sa = {0};
	sa.sa_handler = on_stop; /* no SA_RESTART: blocking calls return EINTR */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_go;
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	unsigned port = cfg.port;
	if (cfg.mode != MODE_CLIENT)
		port = setup_listener();
	make_loopback(&target, &target_len, port);
	const char *fam = cfg.ipv6 ? "ipv6" : "ipv4";

	if (cfg.wait != WAIT_NONE || cfg.mode == MODE_SERVER) {
		printf("ready pid=%d port=%u family=%s\n", (int)getpid(), port, fam);
		fflush(stdout);
	}
	if (cfg.wait != WAIT_NONE && !wait_for_go())
		return 1;
	if (atomic_load(&stop_flag))
		return 1;

	struct thread_ctx *ctx = calloc(cfg.threads, sizeof *ctx);
	if (!ctx) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return 1;
	}
	if (pthread_barrier_init(&start_barrier, NULL, cfg.threads + 1) != 0) {
		fprintf(stderr, "%s: pthread_barrier_init failed\n", prog);
		return 1;
	}
	for (unsigned i = 0; i < cfg.threads; i++) {
		ctx[i].index = i;
		if (cfg.mode != MODE_SERVER)
			ctx[i].quota =
			    cfg.count / cfg.threads + (i < cfg.count % cfg.threads ? 1 : 0);
		int rc =
		    pthread_create(&ctx[i].tid, NULL,
		                   cfg.mode == MODE_SERVER ? server_loop : client_loop, &ctx[i]);
		if (rc != 0) {
			fprintf(stderr, "%s: pthread_create: %s\n", prog, strerror(rc));
			return 1;
		}
	}
	struct rusage ru0, ru1;
	getrusage(RUSAGE_SELF, &ru0);
	clock_gettime(CLOCK_MONOTONIC, &t_start);
	pthread_barrier_wait(&start_barrier);
	for (unsigned i = 0; i < cfg.threads; i++)
		pthread_join(ctx[i].tid, NULL);
	struct timespec t_end;
	clock_gettime(CLOCK_MONOTONIC, &t_end);
	getrusage(RUSAGE_SELF, &ru1);
	/* CPU time of the storm itself (user + system, softirq work done in its
	 * context included): less sensitive to other load than the rate. */
	double cpu = tv_diff(&ru0.ru_utime, &ru1.ru_utime) + tv_diff(&ru0.ru_stime, &ru1.ru_stime);

	uint64_t ok = 0, cfail = 0, afail = 0, ereset = 0;
	int cerr = 0, aerr = 0;
	struct timespec first = {0}, last = {0};
	bool have_ts = false;
	for (unsigned i = 0; i < cfg.threads; i++) {
		ok += ctx[i].ok;
		cfail += ctx[i].connect_failed;
		afail += ctx[i].accept_failed;
		ereset += ctx[i].early_reset;
		if (!cerr && ctx[i].connect_failed)
			cerr = ctx[i].first_connect_errno;
		if (!aerr && ctx[i].accept_failed)
			aerr = ctx[i].first_accept_errno;
		if (ctx[i].have_ts) {
			if (!have_ts || ts_cmp(&ctx[i].first_ts, &first) < 0)
				first = ctx[i].first_ts;
			if (!have_ts || ts_cmp(&ctx[i].last_ts, &last) > 0)
				last = ctx[i].last_ts;
			have_ts = true;
		}
	}
	/* Server-only: time from first to last accepted connection (the clients
	 * start whenever they start); otherwise from the start to the last join. */
	double secs = cfg.mode == MODE_SERVER ? (have_ts ? ts_diff(&first, &last) : 0.0)
	                                      : ts_diff(&t_start, &t_end);
	double rate = secs > 0 ? (double)ok / secs : 0.0;
	const char *mode = cfg.mode == MODE_BOTH     ? "both"
	                   : cfg.mode == MODE_SERVER ? "server"
	                                             : "client";
	bool interrupted =
	    atomic_load(&stop_flag) &&
	    (cfg.mode != MODE_SERVER ? ok + cfail < cfg.count : (cfg.count && ok < cfg.count));
	printf("connections=%" PRIu64 " seconds=%.3f rate=%.0f pid=%d port=%u failed=%" PRIu64
	       " accept_failed=%" PRIu64 " early_reset=%" PRIu64
	       " cpu=%.3f family=%s threads=%u mode=%s%s\n",
	       ok, secs, rate, (int)getpid(), port, cfail, afail, ereset, cpu, fam, cfg.threads,
	       mode, interrupted ? " interrupted=1" : "");
	fflush(stdout);
	if (cfail)
		fprintf(stderr, "%s: %" PRIu64 " connection(s) failed, first error: %s\n", prog,
		        cfail, strerror(cerr));
	if (afail)
		fprintf(stderr, "%s: %" PRIu64 " accept(s) failed, first error: %s\n", prog, afail,
		        aerr == EAGAIN ? "timed out" : strerror(aerr));
	if (listen_fd >= 0)
		close(listen_fd);
	free(ctx);
	return (cfail || afail || interrupted) ? 1 : 0;
}
