/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * Socket hygiene of the backend's server sockets (vio_vhost_start): what
 * sits at the path before vio listens there, what vio leaves behind, and who
 * may connect.
 *
 *   stale      a socket file nobody listens on (a process that died) is
 *              replaced, and a frontend reaches vio through it
 *   live       a socket file another process listens on is refused
 *              (-EADDRINUSE), and that process keeps it
 *   symlink    a symlink at the path is refused (-ELOOP), its target
 *              untouched
 *   file       a regular file at the path is refused (-EEXIST), untouched
 *   too_long   a path longer than sun_path holds is refused at registration
 *              (-EINVAL), with a log line
 *   owner      vio_vhost_set_socket_owner's mode, uid and gid are the socket
 *              file's
 *   unregister the socket file goes with the registration; no fd stays
 */

#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_log.h>

#include "vio_test.h"
#include "vio_vhost.h"
#include "vio_vhost_frontend.h"
#include "vio_virtio.h"

#define SOCK "/tmp/vio-test-socket.sock"

/* A socket bound at @p path, listening (@p listening) or closed again (a stale file). */
static int
bound_socket(const char *path, bool listening)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || (listening && listen(fd, 1) < 0)) {
		close(fd);
		return -1;
	}
	if (!listening) {
		close(fd);
		return 0;
	}
	return fd;
}

/* Register and start @p path; the result of vio_vhost_start(). */
static int
start(const char *path)
{
	int ret = vio_vhost_register(path, 0);

	return ret < 0 ? ret : vio_vhost_start(path);
}

static int
test_vhost_socket_replaces_stale_file(void)
{
	const struct vio_vhost_frontend_config fc = { .connect_timeout_ms = 2000,
						      .reply_timeout_ms = 2000 };
	struct vio_vhost_frontend *fe;
	uint64_t features = 0;
	int fds = vio_test_fd_count();

	unlink(SOCK);
	T_EQ(bound_socket(SOCK, false), 0);
	T_EQ(start(SOCK), 0);
	fe = vio_vhost_frontend_connect(SOCK, &fc);
	T_ASSERT(fe != NULL, "no connection through the replaced file: %s", strerror(rte_errno));
	T_EQ(vio_vhost_frontend_get_features(fe, &features), 0);
	T_ASSERT(features & VIO_BIT(VIO_F_VERSION_1), "features 0x%" PRIx64, features);
	vio_vhost_frontend_close(fe);
	T_EQ(vio_vhost_unregister(SOCK), 0);
	T_ASSERT(access(SOCK, F_OK) != 0, "the socket file outlived its registration");
	T_EQ(vio_test_fd_count_settled(fds), fds);
	return 0;
}

static int
test_vhost_socket_refuses_live_socket(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int other, c, ret;
	size_t m;

	unlink(SOCK);
	other = bound_socket(SOCK, true);
	T_ASSERT(other >= 0, "no listener: %s", strerror(errno));
	m = vio_test_log_mark();
	ret = start(SOCK);
	(void)vio_vhost_unregister(SOCK);
	T_EQ(ret, -EADDRINUSE);
	T_ASSERT(vio_test_log_has(m, SOCK ": another process listens on it: refused"),
		 "no log line");
	/* The other listener still has its path. */
	c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", SOCK);
	ret = connect(c, (struct sockaddr *)&sa, sizeof(sa));
	close(c);
	close(other);
	unlink(SOCK);
	T_EQ(ret, 0);
	return 0;
}

static int
test_vhost_socket_refuses_symlink(void)
{
	static const char target[] = "/tmp/vio-test-socket.target";
	struct stat st;
	int fd, ret;
	size_t m;

	unlink(SOCK);
	unlink(target);
	fd = open(target, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	T_ASSERT(fd >= 0 && write(fd, "x", 1) == 1, "target: %s", strerror(errno));
	close(fd);
	T_EQ(symlink(target, SOCK), 0);
	m = vio_test_log_mark();
	ret = start(SOCK);
	(void)vio_vhost_unregister(SOCK);
	T_EQ(ret, -ELOOP);
	T_ASSERT(vio_test_log_has(m, SOCK ": is a symlink: refused"), "no log line");
	T_EQ(lstat(SOCK, &st), 0);
	T_ASSERT(S_ISLNK(st.st_mode), "the symlink was replaced");
	T_EQ(stat(target, &st), 0);
	T_EQ(st.st_size, 1);
	unlink(SOCK);
	unlink(target);
	return 0;
}

static int
test_vhost_socket_refuses_regular_file(void)
{
	struct stat st;
	int fd, ret;
	size_t m;

	unlink(SOCK);
	fd = open(SOCK, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	T_ASSERT(fd >= 0 && write(fd, "data", 4) == 4, "file: %s", strerror(errno));
	close(fd);
	m = vio_test_log_mark();
	ret = start(SOCK);
	(void)vio_vhost_unregister(SOCK);
	T_EQ(ret, -EEXIST);
	T_ASSERT(vio_test_log_has(m, SOCK ": exists and is not a socket: refused"), "no log line");
	T_EQ(stat(SOCK, &st), 0);
	T_EQ(st.st_size, 4);
	unlink(SOCK);
	return 0;
}

static int
test_vhost_socket_refuses_path_too_long(void)
{
	char path[200];
	size_t m;

	memset(path, 'a', sizeof(path) - 1);
	memcpy(path, "/tmp/", 5);
	path[sizeof(struct sockaddr_un) - sizeof(sa_family_t)] =
		'\0'; /* 108 bytes: no room for NUL */
	m = vio_test_log_mark();
	T_EQ(vio_vhost_register(path, 0), -EINVAL);
	T_ASSERT(vio_test_log_has(m, "socket path missing or longer than 107 bytes"),
		 "no log line");
	T_EQ(vio_vhost_register("", 0), -EINVAL);
	return 0;
}

static int
test_vhost_socket_mode_and_owner(void)
{
	struct stat st;
	int ret;

	unlink(SOCK);
	T_EQ(vio_vhost_register(SOCK, 0), 0);
	/* As root the owner can change (the test runs as root in CI); the mode always. */
	T_EQ(vio_vhost_set_socket_owner(SOCK, 0660, getuid() == 0 ? 65534 : (uid_t)-1,
					getuid() == 0 ? 65534 : (gid_t)-1),
	     0);
	ret = vio_vhost_start(SOCK);
	if (ret == 0)
		ret = stat(SOCK, &st) == 0 ? 0 : -errno;
	(void)vio_vhost_unregister(SOCK);
	T_EQ(ret, 0);
	T_ASSERT(S_ISSOCK(st.st_mode), "mode 0%o", st.st_mode);
	T_EQ(st.st_mode & 07777, 0660);
	if (getuid() == 0) {
		T_EQ(st.st_uid, 65534);
		T_EQ(st.st_gid, 65534);
	}
	T_EQ(vio_vhost_set_socket_owner(SOCK, 0600, (uid_t)-1, (gid_t)-1), -ENOENT);
	return 0;
}

static const struct vio_test_case cases[] = {
	VIO_TEST(test_vhost_socket_replaces_stale_file),
	VIO_TEST(test_vhost_socket_refuses_live_socket),
	VIO_TEST(test_vhost_socket_refuses_symlink),
	VIO_TEST(test_vhost_socket_refuses_regular_file),
	VIO_TEST(test_vhost_socket_refuses_path_too_long),
	VIO_TEST(test_vhost_socket_mode_and_owner),
};

int
main(int argc, char **argv)
{
	if (vio_test_log_capture() < 0)
		return 1;
	if (vio_test_eal_init(argv[0], "0") < 0)
		return 1;
	/* vio's control thread (its epoll and eventfd) comes with the first start, and stays. */
	unlink(SOCK ".warm-up");
	if (start(SOCK ".warm-up") < 0 || vio_vhost_unregister(SOCK ".warm-up") < 0)
		return 1;
	return vio_test_run_logged(argc, argv, cases, RTE_DIM(cases));
}
