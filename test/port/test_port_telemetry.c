/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * vio's telemetry commands (lib/port/port_telemetry.c), asked over this
 * process's own telemetry socket as dpdk-telemetry.py asks them (one
 * SOCK_SEQPACKET message a command, one JSON reply), with real ports:
 *
 *   describes_ports     a backend port and a frontend port (driver=local)
 *                       before start, listening, attached: role, driver,
 *                       socket, queue pairs, started, connected, connections;
 *                       /vio/queue and /vio/mem of a port with no device;
 *                       freed ports leave /vio/ports and answer null
 *   bad_params          unknown ports, queue pairs out of range, malformed
 *                       parameters: null, never a crash
 *   free_while_reading  a thread asks for the newest port again and again
 *                       while ports are made and freed 200 times: every
 *                       reply is whole JSON and names that port or is null,
 *                       and a freed port's id answers null at once
 */

#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <pthread.h>

#include <rte_common.h>
#include <rte_eal.h>

#include "vio_port.h"
#include "vio_test.h"

#define REPLY_MAX (16 * 1024) /* telemetry's MAX_OUTPUT_LEN in DPDK 22.11 */
#define CHURN     200

static char sock_a[108];

/* A client of this process's telemetry socket; its greeting read. -1 on failure. */
static int
tel_connect(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char greeting[1024];
	int fd;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/dpdk_telemetry.v2",
		 rte_eal_get_runtime_dir());
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    recv(fd, greeting, sizeof(greeting), 0) <= 0) {
		fprintf(stderr, "telemetry socket %s: %s\n", sun.sun_path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* One command, its reply into @p buf (NUL-terminated). 0 or -1. */
static int
tel_query(int fd, const char *cmd, char *buf, size_t len)
{
	ssize_t n;

	if (send(fd, cmd, strlen(cmd), 0) < 0)
		return -1;
	n = recv(fd, buf, len - 1, 0);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

/* Whether the reply to @p cmd holds every one of @p needles (NULL-terminated). */
static bool
reply_has(int fd, const char *cmd, const char *const *needles)
{
	static char buf[REPLY_MAX];
	unsigned int i;

	if (tel_query(fd, cmd, buf, sizeof(buf)) < 0) {
		fprintf(stderr, "%s: no reply\n", cmd);
		return false;
	}
	for (i = 0; needles[i] != NULL; i++)
		if (strstr(buf, needles[i]) == NULL) {
			fprintf(stderr, "%s: no '%s' in %s\n", cmd, needles[i], buf);
			return false;
		}
	return true;
}

#define HAS(fd, cmd, ...) reply_has(fd, cmd, (const char *const[]){ __VA_ARGS__, NULL })

/* "{"<cmd>":null}": what telemetry answers when a command refuses its parameters. */
static bool
is_null(int fd, const char *cmd)
{
	char buf[256], want[128], name[64];

	snprintf(name, sizeof(name), "%s", cmd);
	name[strcspn(name, ",")] = '\0';
	snprintf(want, sizeof(want), "{\"%s\":null}", name);
	if (tel_query(fd, cmd, buf, sizeof(buf)) < 0 || strcmp(buf, want) != 0) {
		fprintf(stderr, "%s: expected %s\n", cmd, want);
		return false;
	}
	return true;
}

static struct vio_port *
port_make(const char *name, const char *args)
{
	struct vio_port_config cfg;

	if (vio_port_config_parse(args, &cfg) < 0)
		return NULL;
	return vio_port_create(name, &cfg, NULL, NULL);
}

/* The id /vio/port gives @p name, or -1. */
static int
port_id(int fd, const char *name)
{
	char cmd[96], buf[REPLY_MAX];
	const char *p;

	snprintf(cmd, sizeof(cmd), "/vio/port,%s", name);
	if (tel_query(fd, cmd, buf, sizeof(buf)) < 0)
		return -1;
	p = strstr(buf, "\"id\":");
	return p != NULL ? atoi(p + 5) : -1;
}

static int
test_port_telemetry_describes_ports(void)
{
	char args[200], cmd[96], want[160];
	struct vio_port *be, *fe;
	int fd = tel_connect(), be_id, fe_id;

	T_ASSERT(fd >= 0, "no telemetry socket");
	snprintf(args, sizeof(args), "iface=%s,queues=2", sock_a);
	be = port_make("tel_be", args);
	T_ASSERT(be != NULL, "backend port");
	snprintf(args, sizeof(args), "path=%s,driver=local,queues=2", sock_a);
	fe = port_make("tel_fe", args);
	T_ASSERT(fe != NULL, "frontend port");
	be_id = port_id(fd, "tel_be");
	fe_id = port_id(fd, "tel_fe");
	T_ASSERT(be_id >= 0 && fe_id == be_id + 1, "ids %d %d", be_id, fe_id);
	snprintf(want, sizeof(want), "%d,%d]", be_id, fe_id);
	T_ASSERT(HAS(fd, "/vio/ports", want), "/vio/ports");

	/* Created, not started: registered, nobody there. */
	snprintf(cmd, sizeof(cmd), "/vio/port,%d", be_id);
	snprintf(want, sizeof(want), "\"iface\":\"%s\"", sock_a);
	T_ASSERT(HAS(fd, cmd, "\"name\":\"tel_be\"", "\"role\":\"backend\"", "\"driver\":\"local\"",
		     "\"queue_pairs\":2", want, "\"started\":0", "\"connected\":0", "\"vid\":-1",
		     "\"link\":\"down\"", "\"features\":\"0x0\"", "\"connections\":0",
		     "\"mem_regions\":0"),
		 "backend port before start");
	T_ASSERT(HAS(fd, "/vio/port,tel_fe", "\"role\":\"frontend\"", "\"driver\":\"local\"",
		     "\"connected\":0", "\"link\":\"down\"", "\"connections\":0",
		     "\"queue_size\":256"),
		 "frontend port before start");
	snprintf(cmd, sizeof(cmd), "/vio/queue,%d,1", be_id);
	T_ASSERT(HAS(fd, cmd, "\"qp\":1", "\"connected\":0"), "queue of a lone backend port");
	snprintf(cmd, sizeof(cmd), "/vio/queue,tel_be,1");
	T_ASSERT(HAS(fd, cmd, "\"qp\":1"), "a queue by port name");
	snprintf(cmd, sizeof(cmd), "/vio/queue,%d,2", be_id);
	T_ASSERT(is_null(fd, cmd), "queue pair 2 of 2");
	snprintf(cmd, sizeof(cmd), "/vio/mem,%d", be_id);
	T_ASSERT(HAS(fd, cmd, "\"nb_regions\":0", "\"gpa\":[]"), "memory of a lone port");

	/* Listening, then the frontend attached in-process (no rings yet). */
	T_EQ(vio_port_start(be), 0);
	snprintf(cmd, sizeof(cmd), "/vio/port,%d", be_id);
	T_ASSERT(HAS(fd, cmd, "\"started\":1", "\"connected\":0"), "listening");
	T_EQ(vio_port_start(fe), 0);
	T_ASSERT(HAS(fd, cmd, "\"connected\":1", "\"connections\":1", "\"link\":\"down\""),
		 "backend port with its frontend attached");
	T_ASSERT(HAS(fd, "/vio/port,tel_fe", "\"connected\":1", "\"connections\":1",
		     "\"queue_pairs_started\":0", "\"link\":\"down\""),
		 "frontend port attached");
	snprintf(cmd, sizeof(cmd), "/vio/queue,%d,0", fe_id);
	T_ASSERT(HAS(fd, cmd, "\"started\":0"), "queues of a frontend port not started");

	vio_port_free(fe);
	snprintf(cmd, sizeof(cmd), "/vio/port,%d", be_id);
	T_ASSERT(HAS(fd, cmd, "\"connected\":0", "\"connections\":1"),
		 "backend port after its frontend went");
	snprintf(cmd, sizeof(cmd), "/vio/port,%d", fe_id);
	T_ASSERT(is_null(fd, cmd), "a freed port");
	vio_port_free(be);
	T_ASSERT(is_null(fd, "/vio/port,tel_be"), "a freed port by name");
	T_ASSERT(HAS(fd, "/vio/ports", "[]"), "ports left");
	close(fd);
	return 0;
}

static int
test_port_telemetry_bad_params(void)
{
	static const char *const cmds[] = {
		"/vio/port",       "/vio/port,",      "/vio/port,nosuchport",
		"/vio/port,99999", "/vio/port,-1",    "/vio/queue",
		"/vio/queue,0",    "/vio/queue,,1",   "/vio/queue,0,",
		"/vio/queue,0,x",  "/vio/queue,0,-1", "/vio/queue,0,99999999999999999999",
		"/vio/mem",        "/vio/mem,zz",
	};
	char args[200], longname[300];
	struct vio_port *p;
	unsigned int i;
	int fd = tel_connect();

	T_ASSERT(fd >= 0, "no telemetry socket");
	snprintf(args, sizeof(args), "iface=%s", sock_a);
	p = port_make("tel_bad", args); /* something that could be found by mistake */
	T_ASSERT(p != NULL, "port");
	for (i = 0; i < RTE_DIM(cmds); i++)
		T_ASSERT(is_null(fd, cmds[i]), "%s", cmds[i]);
	memset(longname, 'a', sizeof(longname));
	memcpy(longname, "/vio/queue,", 11);
	memcpy(longname + sizeof(longname) - 3, ",0", 3);
	T_ASSERT(is_null(fd, longname), "a name longer than any port's");
	vio_port_free(p);
	close(fd);
	return 0;
}

static atomic_int churn_id = -1;
static atomic_bool churn_stop;
static atomic_uint churn_replies, churn_bad;

/* Ask for the newest port until told to stop; count replies that are not whole or not its own. */
static void *
churn_reader(void *arg)
{
	static const char *const cmds[] = { "/vio/port,", "/vio/queue,", "/vio/mem,",
					    "/vio/ports" };
	static const char *const tails[] = { "", ",0", "", "" };
	static char buf[REPLY_MAX];
	char cmd[64], want[32];
	unsigned int i = 0;
	int fd = tel_connect(), id;

	RTE_SET_USED(arg);
	if (fd < 0) {
		atomic_fetch_add(&churn_bad, 1);
		return NULL;
	}
	while (!atomic_load(&churn_stop)) {
		id = atomic_load(&churn_id);
		if (i % RTE_DIM(cmds) == 3)
			snprintf(cmd, sizeof(cmd), "%s", cmds[3]);
		else
			snprintf(cmd, sizeof(cmd), "%s%d%s", cmds[i % RTE_DIM(cmds)], id,
				 tails[i % RTE_DIM(cmds)]);
		i++;
		if (tel_query(fd, cmd, buf, sizeof(buf)) < 0) {
			atomic_fetch_add(&churn_bad, 1);
			break;
		}
		atomic_fetch_add(&churn_replies, 1);
		snprintf(want, sizeof(want), "\"id\":%d,", id);
		if (buf[strlen(buf) - 1] != '}' ||
		    (strncmp(cmd, "/vio/ports", 10) != 0 && strstr(buf, ":null}") == NULL &&
		     (strstr(buf, want) == NULL ||
		      strstr(buf, "\"name\":\"tel_churn\"") == NULL))) {
			fprintf(stderr, "%s: %s\n", cmd, buf);
			atomic_fetch_add(&churn_bad, 1);
		}
	}
	close(fd);
	return NULL;
}

static int
test_port_telemetry_free_while_reading(void)
{
	char args[200], cmd[64];
	struct vio_port *p;
	pthread_t reader;
	int fd = tel_connect(), i, id;

	T_ASSERT(fd >= 0, "no telemetry socket");
	atomic_store(&churn_stop, false);
	T_EQ(pthread_create(&reader, NULL, churn_reader, NULL), 0);
	for (i = 0; i < CHURN; i++) {
		/* Backend and frontend ports in turn (a frontend port that never starts). */
		if (i % 2 == 0)
			snprintf(args, sizeof(args), "iface=%s,queues=2", sock_a);
		else
			snprintf(args, sizeof(args), "path=%s,driver=local", sock_a);
		p = port_make("tel_churn", args);
		T_ASSERT(p != NULL, "port %d", i);
		if (i % 4 == 0)
			T_EQ(vio_port_start(p), 0);
		id = port_id(fd, "tel_churn");
		T_ASSERT(id >= 0, "port %d not listed", i);
		atomic_store(&churn_id, id);
		vio_port_free(p);
		/* Out of the registry before vio_port_free() returned. */
		snprintf(cmd, sizeof(cmd), "/vio/port,%d", id);
		T_ASSERT(is_null(fd, cmd), "port %d (id %d) answers after its free", i, id);
	}
	atomic_store(&churn_stop, true);
	pthread_join(reader, NULL);
	close(fd);
	printf("%u replies to the reader while %d ports came and went\n",
	       atomic_load(&churn_replies), CHURN);
	T_EQ(atomic_load(&churn_bad), 0);
	T_ASSERT(atomic_load(&churn_replies) > 0, "the reader got no reply");
	return 0;
}

static const struct vio_test_case cases[] = {
	VIO_TEST(test_port_telemetry_describes_ports),
	VIO_TEST(test_port_telemetry_bad_params),
	VIO_TEST(test_port_telemetry_free_while_reading),
};

int
main(int argc, char **argv)
{
	char prefix[64], run_dir[PATH_MAX], path[PATH_MAX + 32];
	char *eal_argv[] = {
		argv[0],
		"-l",
		"0",
		"--no-huge",
		"-m",
		"256",
		"--no-pci",
		"--no-shconf",
		/* A runtime directory (and so a telemetry socket) of this process's own. */
		prefix,
		"--log-level",
		"lib.eal:error",
	};
	int ret;

	snprintf(prefix, sizeof(prefix), "--file-prefix=vio-test-tel-%d", (int)getpid());
	if (rte_eal_init((int)RTE_DIM(eal_argv), eal_argv) < 0) {
		fprintf(stderr, "rte_eal_init failed\n");
		return 1;
	}
	snprintf(sock_a, sizeof(sock_a), "/tmp/vio-test-tel-%d.sock", (int)getpid());
	snprintf(run_dir, sizeof(run_dir), "%s", rte_eal_get_runtime_dir());
	ret = vio_test_run(argc, argv, cases, RTE_DIM(cases));
	rte_eal_cleanup();
	/* What telemetry leaves of the runtime directory. */
	snprintf(path, sizeof(path), "%s/dpdk_telemetry.v2", run_dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/telemetry", run_dir);
	unlink(path);
	rmdir(run_dir);
	return ret;
}
