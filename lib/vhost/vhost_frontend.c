/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * The vhost-user frontend (vio_vhost_frontend.h): one connection to a
 * backend, requests sent and replies checked. It shares the message codec
 * with the server and nothing else. The inflight area and the device state
 * are in vhost_frontend_state.c, the backend request channel in
 * vhost_frontend_req.c.
 */

#define _GNU_SOURCE /* accept4 */

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <rte_errno.h>

#include "vhost_frontend_internal.h"
#include "vhost_internal.h"

#define REPLY_TIMEOUT_MS_DEFAULT 5000
/* Between two connect attempts of a client waiting for its backend to listen. */
#define CONNECT_RETRY_MS 10
/* Backend requests served in one wake-up of a reply's wait (the burst of the API's handler). */
#define WAIT_SERVE_MAX VIO_VHOST_FRONTEND_BACKEND_REQ_BURST

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int
vhost_frontend_break(struct vio_vhost_frontend *fe, int err)
{
	fe->broken = true;
	return err;
}

int
vhost_frontend_bad_reply(struct vio_vhost_frontend *fe, uint32_t req, const char *field,
			 uint64_t value)
{
	FE_LOG(fe, ERR, "reply to %s: %s 0x%" PRIx64 " is wrong; connection closed",
	       vhost_user_req_name(req), field, value);
	return vhost_frontend_break(fe, -EPROTO);
}

bool
vhost_frontend_has_protocol(const struct vio_vhost_frontend *fe, unsigned int bit)
{
	return fe->protocol & VIO_BIT(bit);
}

/*
 * Check the reply @p msg to @p req: exactly @p size payload bytes, copied to
 * @p out; its fds moved to @p rfds, at most rfds->max (none if @p rfds is
 * NULL). Closes what it does not hand on. Returns 0 or a negative errno (the
 * connection is broken then).
 */
static int
check_reply(struct vio_vhost_frontend *fe, uint32_t req, uint32_t size, void *out,
	    struct vhost_user_msg *msg, struct vhost_frontend_reply_fds *rfds)
{
	uint32_t max = rfds != NULL ? rfds->max : 0, i;
	const char *field = NULL;
	uint64_t value = 0;

	if (msg->nb_fds > max) {
		field = "number of fds";
		value = msg->nb_fds;
	} else if (msg->hdr.request != req) {
		field = "request";
		value = msg->hdr.request;
	} else if ((msg->hdr.flags & VHOST_USER_VERSION_MASK) != VHOST_USER_VERSION ||
		   !(msg->hdr.flags & VHOST_USER_FLAG_REPLY)) {
		field = "flags";
		value = msg->hdr.flags;
	} else if (msg->hdr.size != size) {
		field = "size";
		value = msg->hdr.size;
	}
	if (field != NULL) {
		vhost_user_msg_close_fds(msg);
		return vhost_frontend_bad_reply(fe, req, field, value);
	}
	memcpy(out, &msg->payload, size);
	if (rfds != NULL) {
		for (i = 0; i < msg->nb_fds; i++)
			rfds->fds[i] = vhost_user_msg_take_fd(msg, i);
		rfds->nb = msg->nb_fds;
		msg->nb_fds = 0;
	}
	return 0;
}

/*
 * Wait until the socket is readable, at most the reply timeout, serving the
 * backend request channel meanwhile.
 */
static int
wait_readable(struct vio_vhost_frontend *fe, uint32_t req)
{
	uint64_t deadline = now_ms() + (uint64_t)fe->reply_timeout_ms;

	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = fe->sock, .events = POLLIN },
			{ .fd = fe->req_fd, .events = POLLIN },
		};
		uint64_t now = now_ms();
		int ret;

		if (now >= deadline) {
			FE_LOG(fe, ERR, "no reply to %s within %d ms; connection closed",
			       vhost_user_req_name(req), fe->reply_timeout_ms);
			return vhost_frontend_break(fe, -ETIMEDOUT);
		}
		ret = poll(pfd, fe->req_fd >= 0 ? 2 : 1, (int)(deadline - now));
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret < 0)
			return vhost_frontend_break(fe, -errno);
		if (pfd[0].revents != 0)
			return 0;
		if (ret > 0 && pfd[1].revents != 0) {
			/* A closed channel is closed here too; the wait goes on. */
			ret = vhost_frontend_req_serve(fe, WAIT_SERVE_MAX);
			if (fe->broken)
				return ret < 0 ? ret : -ENOTCONN;
		}
	}
}

/* Wait for the reply to @p req on the socket, then check it. */
static int
recv_reply(struct vio_vhost_frontend *fe, uint32_t req, uint32_t size, void *out,
	   struct vhost_frontend_reply_fds *rfds)
{
	struct vhost_user_msg msg;
	int ret;

	fe->waiting = true;
	ret = wait_readable(fe, req);
	fe->waiting = false;
	if (ret < 0)
		return ret;
	ret = vhost_user_msg_recv(fe->sock, &msg, fe->reply_timeout_ms);
	if (ret == -EAGAIN) /* readable but empty: the backend closed */
		ret = -ECONNRESET;
	if (ret < 0) {
		FE_LOG(fe, ERR, "reply to %s: %s; connection closed", vhost_user_req_name(req),
		       ret == -ECONNRESET ? "the backend closed the connection"
		       : ret == -EPROTO   ? "header version not 1, or its fds cut short"
		       : ret == -EMSGSIZE ? "payload size larger than any reply's"
					  : strerror(-ret));
		return vhost_frontend_break(fe, ret);
	}
	return check_reply(fe, req, size, out, &msg, rfds);
}

/*
 * In-process: hand @p req to the server's device; what it answers (if
 * @p want_reply) is checked as a reply from a socket would be.
 */
static int
local_request(struct vio_vhost_frontend *fe, const struct vhost_user_hdr *hdr, const void *payload,
	      const int *fds, uint32_t nb_fds, bool want_reply, void *reply, uint32_t reply_size,
	      struct vhost_frontend_reply_fds *rfds)
{
	struct vhost_user_msg *msg = malloc(sizeof(*msg));
	bool replied = false;
	int ret;

	if (msg == NULL)
		return -ENOMEM;
	ret = vhost_local_request(fe->link, hdr, payload, fds, nb_fds, msg, &replied);
	if (ret < 0) {
		FE_LOG(fe, ERR, "%s: %s; connection closed", vhost_user_req_name(hdr->request),
		       ret == -ECONNRESET ? "the backend dropped the in-process frontend"
					  : strerror(-ret));
		ret = vhost_frontend_break(fe, ret);
	} else if (want_reply && !replied) {
		/* On a socket this is the wait that ends in a timeout. */
		FE_LOG(fe, ERR, "no reply to %s; connection closed",
		       vhost_user_req_name(hdr->request));
		ret = vhost_frontend_break(fe, -ETIMEDOUT);
	} else if (!want_reply && replied) {
		vhost_user_msg_close_fds(msg);
		ret = vhost_frontend_bad_reply(fe, hdr->request, "unexpected reply of size",
					       msg->hdr.size);
	} else if (want_reply) {
		ret = check_reply(fe, hdr->request, reply_size, reply, msg, rfds);
	}
	free(msg);
	return ret;
}

int
vhost_frontend_request(struct vio_vhost_frontend *fe, uint32_t req, const void *payload,
		       uint32_t size, const int *fds, uint32_t nb_fds, void *reply,
		       uint32_t reply_size, struct vhost_frontend_reply_fds *rfds)
{
	const struct vhost_user_rule *rule = vhost_user_rule(req);
	struct vhost_user_hdr hdr = { .request = req, .flags = VHOST_USER_VERSION, .size = size };
	bool ack = !rule->has_reply &&
		   vhost_frontend_has_protocol(fe, VIO_VHOST_USER_PROTOCOL_F_REPLY_ACK);
	uint64_t status;
	int ret;

	if (fe->broken)
		return -ENOTCONN;
	if (ack)
		hdr.flags |= VHOST_USER_FLAG_NEED_REPLY;
	if (fe->link != NULL) {
		if (rule->has_reply)
			return local_request(fe, &hdr, payload, fds, nb_fds, true, reply,
					     reply_size, rfds);
		ret = local_request(fe, &hdr, payload, fds, nb_fds, ack, &status, sizeof(status),
				    NULL);
		if (ret == 0 && ack && status != 0) {
			FE_LOG(fe, ERR, "%s refused by the backend (status %" PRIu64 ")",
			       vhost_user_req_name(req), status);
			return -EIO;
		}
		return ret;
	}
	ret = vhost_user_msg_send(fe->sock, &hdr, payload, fds, nb_fds);
	if (ret < 0) {
		FE_LOG(fe, ERR, "send %s: %s; connection closed", vhost_user_req_name(req),
		       strerror(-ret));
		return vhost_frontend_break(fe, ret);
	}
	if (rule->has_reply)
		return recv_reply(fe, req, reply_size, reply, rfds);
	if (!ack)
		return 0;
	ret = recv_reply(fe, req, sizeof(status), &status, NULL);
	if (ret == 0 && status != 0) {
		FE_LOG(fe, ERR, "%s refused by the backend (status %" PRIu64 ")",
		       vhost_user_req_name(req), status);
		return -EIO;
	}
	return ret;
}

static int
request(struct vio_vhost_frontend *fe, uint32_t req, const void *payload, uint32_t size,
	const int *fds, uint32_t nb_fds, void *reply, uint32_t reply_size)
{
	return vhost_frontend_request(fe, req, payload, size, fds, nb_fds, reply, reply_size, NULL);
}

static int
get_u64(struct vio_vhost_frontend *fe, uint32_t req, uint64_t *v)
{
	return request(fe, req, NULL, 0, NULL, 0, v, sizeof(*v));
}

static int
set_u64(struct vio_vhost_frontend *fe, uint32_t req, uint64_t v)
{
	return request(fe, req, &v, sizeof(v), NULL, 0, NULL, 0);
}

/* ------------------------------------------------------------------------ */
/* Connection                                                                */
/* ------------------------------------------------------------------------ */

static int
fe_connect_client(struct vio_vhost_frontend *fe, const struct sockaddr_un *sa, int timeout_ms)
{
	uint64_t deadline = now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);

	for (;;) {
		if (connect(fe->sock, (const struct sockaddr *)sa, sizeof(*sa)) == 0)
			return 0;
		if ((errno != ENOENT && errno != ECONNREFUSED && errno != EAGAIN) ||
		    now_ms() >= deadline)
			return -errno;
		usleep(CONNECT_RETRY_MS * 1000);
	}
}

static int
fe_connect_server(struct vio_vhost_frontend *fe, const struct sockaddr_un *sa, int timeout_ms)
{
	struct pollfd pfd = { .fd = fe->sock, .events = POLLIN };
	struct stat st;
	int fd, ret;

	/* A stale socket file is replaced; anything else at the path is not. */
	if (lstat(sa->sun_path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return -EEXIST;
		unlink(sa->sun_path);
	}
	if (bind(fe->sock, (const struct sockaddr *)sa, sizeof(*sa)) < 0 || listen(fe->sock, 1) < 0)
		return -errno;
	ret = poll(&pfd, 1, timeout_ms > 0 ? timeout_ms : -1);
	if (ret <= 0) {
		unlink(sa->sun_path);
		return ret == 0 ? -ETIMEDOUT : -errno;
	}
	fd = accept4(fe->sock, NULL, NULL, SOCK_CLOEXEC);
	unlink(sa->sun_path); /* one backend per connection: nobody else may come */
	if (fd < 0)
		return -errno;
	close(fe->sock);
	fe->sock = fd;
	return 0;
}

/* A frontend for @p path (checked: it must fit sun_path), not connected yet. */
static struct vio_vhost_frontend *
fe_alloc(const char *path, const struct vio_vhost_frontend_config *cfg)
{
	struct vio_vhost_frontend *fe;
	size_t len = path != NULL ? strlen(path) : 0;

	if (len == 0 || len >= sizeof(fe->path)) {
		VHOST_LOG(ERR, "frontend: socket path of %zu bytes: 1 to %zu accepted", len,
			  sizeof(fe->path) - 1);
		rte_errno = EINVAL;
		return NULL;
	}
	fe = calloc(1, sizeof(*fe));
	if (fe == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	memcpy(fe->path, path, len + 1);
	fe->sock = -1;
	fe->req_fd = -1;
	fe->reply_timeout_ms = cfg->reply_timeout_ms > 0 ? cfg->reply_timeout_ms
							 : REPLY_TIMEOUT_MS_DEFAULT;
	return fe;
}

struct vio_vhost_frontend *
vio_vhost_frontend_connect(const char *path, const struct vio_vhost_frontend_config *cfg)
{
	const struct vio_vhost_frontend_config none = { 0 };
	struct vio_vhost_frontend *fe;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int ret;

	if (cfg == NULL)
		cfg = &none;
	fe = fe_alloc(path, cfg);
	if (fe == NULL)
		return NULL;
	memcpy(sa.sun_path, fe->path, sizeof(fe->path));
	fe->sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fe->sock < 0) {
		ret = -errno;
		goto err_free;
	}
	ret = cfg->server ? fe_connect_server(fe, &sa, cfg->connect_timeout_ms)
			  : fe_connect_client(fe, &sa, cfg->connect_timeout_ms);
	if (ret < 0)
		goto err_close;
	FE_LOG(fe, INFO, "connected (%s)", cfg->server ? "server" : "client");
	return fe;

err_close:
	close(fe->sock);
err_free:
	FE_LOG(fe, ERR, "%s: %s", cfg->server ? "accept" : "connect", strerror(-ret));
	free(fe);
	rte_errno = -ret;
	return NULL;
}

struct vio_vhost_frontend *
vio_vhost_frontend_connect_local(const char *path, const struct vio_vhost_frontend_config *cfg)
{
	const struct vio_vhost_frontend_config none = { 0 };
	struct vio_vhost_frontend *fe;
	int ret;

	fe = fe_alloc(path, cfg != NULL ? cfg : &none);
	if (fe == NULL)
		return NULL;
	ret = vhost_local_attach(path, &fe->link);
	if (ret < 0) {
		free(fe);
		rte_errno = -ret;
		return NULL;
	}
	FE_LOG(fe, INFO, "attached in-process");
	return fe;
}

void
vio_vhost_frontend_close(struct vio_vhost_frontend *fe)
{
	if (fe == NULL)
		return;
	vhost_frontend_req_close(fe);
	if (fe->link != NULL)
		vhost_local_detach(fe->link);
	else
		close(fe->sock);
	free(fe);
}

bool
vio_vhost_frontend_is_broken(const struct vio_vhost_frontend *fe)
{
	return fe->broken;
}

bool
vio_vhost_frontend_is_alive(struct vio_vhost_frontend *fe)
{
	struct pollfd pfd = { .fd = fe->sock, .events = POLLIN | POLLRDHUP };

	if (fe->broken)
		return false;
	if (fe->link != NULL) {
		if (vhost_local_alive(fe->link))
			return true;
		FE_LOG(fe, ERR, "the backend dropped the in-process frontend");
		vhost_frontend_break(fe, -ECONNRESET);
		return false;
	}
	if (poll(&pfd, 1, 0) <= 0)
		return true;
	/* Between requests the backend has nothing to say: data is a protocol error too. */
	if (pfd.revents & (POLLHUP | POLLRDHUP | POLLERR))
		FE_LOG(fe, ERR, "the backend closed the connection");
	else
		FE_LOG(fe, ERR, "the backend sent a message nobody asked for; connection closed");
	vhost_frontend_break(fe, -ECONNRESET);
	return false;
}

/* ------------------------------------------------------------------------ */
/* Negotiation                                                               */
/* ------------------------------------------------------------------------ */

int
vio_vhost_frontend_get_features(struct vio_vhost_frontend *fe, uint64_t *features)
{
	int ret = get_u64(fe, VHOST_USER_GET_FEATURES, &fe->features_offered);

	if (ret < 0)
		return ret;
	fe->features_known = true;
	*features = fe->features_offered;
	return 0;
}

int
vio_vhost_frontend_set_features(struct vio_vhost_frontend *fe, uint64_t features)
{
	int ret;

	if (!fe->features_known || (features & ~fe->features_offered) != 0) {
		FE_LOG(fe, ERR, "SET_FEATURES 0x%" PRIx64 ": not a subset of the offer 0x%" PRIx64,
		       features, fe->features_offered);
		return -EINVAL;
	}
	ret = set_u64(fe, VHOST_USER_SET_FEATURES, features);
	if (ret == 0)
		fe->features = features;
	return ret;
}

int
vio_vhost_frontend_get_protocol_features(struct vio_vhost_frontend *fe, uint64_t *features)
{
	int ret;

	if (!(fe->features_offered & VIO_BIT(VIO_VHOST_USER_F_PROTOCOL_FEATURES)))
		return -ENOTSUP;
	ret = get_u64(fe, VHOST_USER_GET_PROTOCOL_FEATURES, &fe->protocol_offered);
	if (ret < 0)
		return ret;
	fe->protocol_known = true;
	*features = fe->protocol_offered;
	return 0;
}

int
vio_vhost_frontend_set_protocol_features(struct vio_vhost_frontend *fe, uint64_t features)
{
	int ret;

	if (!fe->protocol_known || (features & ~fe->protocol_offered) != 0) {
		FE_LOG(fe, ERR,
		       "SET_PROTOCOL_FEATURES 0x%" PRIx64 ": not a subset of the offer 0x%" PRIx64,
		       features, fe->protocol_offered);
		return -EINVAL;
	}
	/* Sent before REPLY_ACK takes effect: the backend acks from the next request. */
	ret = set_u64(fe, VHOST_USER_SET_PROTOCOL_FEATURES, features);
	if (ret == 0)
		fe->protocol = features;
	return ret;
}

int
vio_vhost_frontend_set_owner(struct vio_vhost_frontend *fe)
{
	return request(fe, VHOST_USER_SET_OWNER, NULL, 0, NULL, 0, NULL, 0);
}

int
vio_vhost_frontend_reset(struct vio_vhost_frontend *fe)
{
	return request(fe,
		       vhost_frontend_has_protocol(fe, VIO_VHOST_USER_PROTOCOL_F_RESET_DEVICE)
			       ? VHOST_USER_RESET_DEVICE
			       : VHOST_USER_RESET_OWNER,
		       NULL, 0, NULL, 0, NULL, 0);
}

/* A count the backend reports, checked against [1, @p max]. */
static int
get_count(struct vio_vhost_frontend *fe, uint32_t req, unsigned int need, uint64_t max, uint64_t *v)
{
	int ret;

	if (!vhost_frontend_has_protocol(fe, need))
		return -ENOTSUP;
	ret = get_u64(fe, req, v);
	if (ret == 0 && (*v == 0 || *v > max))
		return vhost_frontend_bad_reply(fe, req, "count", *v);
	return ret;
}

int
vio_vhost_frontend_get_queue_num(struct vio_vhost_frontend *fe, uint16_t *nb)
{
	uint64_t v;
	int ret = get_count(fe, VHOST_USER_GET_QUEUE_NUM, VIO_VHOST_USER_PROTOCOL_F_MQ,
			    VIO_VHOST_FRONTEND_MAX_QUEUES, &v);

	if (ret == 0)
		*nb = (uint16_t)v;
	return ret;
}

int
vio_vhost_frontend_get_max_mem_slots(struct vio_vhost_frontend *fe, uint32_t *nb)
{
	uint64_t v;
	int ret = get_count(fe, VHOST_USER_GET_MAX_MEM_SLOTS,
			    VIO_VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS, FE_MAX_MEM_SLOTS, &v);

	if (ret == 0)
		*nb = (uint32_t)v;
	return ret;
}

/* ------------------------------------------------------------------------ */
/* Memory                                                                    */
/* ------------------------------------------------------------------------ */

static int
region_check(const struct vio_vhost_frontend *fe, const struct vio_vhost_frontend_region *r)
{
	if (r->fd < 0 || r->size == 0 || r->gpa + r->size < r->gpa ||
	    r->uaddr + r->size < r->uaddr) {
		FE_LOG(fe, ERR, "memory region gpa 0x%" PRIx64 " size 0x%" PRIx64 " fd %d: invalid",
		       r->gpa, r->size, r->fd);
		return -EINVAL;
	}
	return 0;
}

static struct vhost_user_mem_region
region_wire(const struct vio_vhost_frontend_region *r)
{
	return (struct vhost_user_mem_region){ r->gpa, r->size, r->uaddr, r->mmap_offset };
}

/* The index of @p w in the table the backend has, or fe->nb_regions. */
static uint32_t
table_find(const struct vio_vhost_frontend *fe, const struct vhost_user_mem_region *w)
{
	uint32_t i;

	for (i = 0; i < fe->nb_regions; i++)
		if (fe->regions[i].gpa == w->gpa && fe->regions[i].size == w->size &&
		    fe->regions[i].uaddr == w->uaddr)
			break;
	return i;
}

/* Keep the table as the backend has it: a region added once (the backend counts copies). */
static void
table_note(struct vio_vhost_frontend *fe, uint32_t req, const struct vhost_user_mem_region *w)
{
	uint32_t i = table_find(fe, w);

	if (req == VHOST_USER_ADD_MEM_REG && i == fe->nb_regions && i < FE_MAX_MEM_SLOTS)
		fe->regions[fe->nb_regions++] = *w;
	else if (req == VHOST_USER_REM_MEM_REG && i < fe->nb_regions)
		fe->regions[i] = fe->regions[--fe->nb_regions];
}

static int
mem_reg(struct vio_vhost_frontend *fe, uint32_t req, const struct vio_vhost_frontend_region *r)
{
	struct vhost_user_mem_reg m = { .region = region_wire(r) };
	int ret = region_check(fe, r);

	if (ret < 0)
		return ret;
	if (!vhost_frontend_has_protocol(fe, VIO_VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS))
		return -ENOTSUP;
	ret = request(fe, req, &m, sizeof(m), &r->fd, 1, NULL, 0);
	if (ret == 0)
		table_note(fe, req, &m.region);
	return ret;
}

int
vio_vhost_frontend_add_mem_region(struct vio_vhost_frontend *fe,
				  const struct vio_vhost_frontend_region *r)
{
	return mem_reg(fe, VHOST_USER_ADD_MEM_REG, r);
}

int
vio_vhost_frontend_rem_mem_region(struct vio_vhost_frontend *fe,
				  const struct vio_vhost_frontend_region *r)
{
	return mem_reg(fe, VHOST_USER_REM_MEM_REG, r);
}

int
vio_vhost_frontend_set_mem_table(struct vio_vhost_frontend *fe,
				 const struct vio_vhost_frontend_region *regions, unsigned int nb)
{
	struct vhost_user_mem_table t = { .nregions = 0 };
	int fds[VHOST_USER_MEM_REGIONS_MAX];
	unsigned int i;
	int ret;

	if (nb == 0 || nb > FE_MAX_MEM_SLOTS)
		return -EINVAL;
	for (i = 0; i < nb; i++) {
		ret = region_check(fe, &regions[i]);
		if (ret < 0)
			return ret;
	}
	if (nb > VHOST_USER_MEM_REGIONS_MAX) {
		uint32_t slots;

		/* More than one message holds: region by region, as many as the backend has. */
		ret = vio_vhost_frontend_get_max_mem_slots(fe, &slots);
		if (ret == -ENOTSUP || (ret == 0 && nb > slots)) {
			FE_LOG(fe, ERR, "%u memory regions: the backend takes %u", nb,
			       ret == 0 ? slots : VHOST_USER_MEM_REGIONS_MAX);
			return -E2BIG;
		}
		for (i = 0; ret == 0 && i < nb; i++)
			ret = vio_vhost_frontend_add_mem_region(fe, &regions[i]);
		return ret;
	}
	for (i = 0; i < nb; i++) {
		t.regions[i] = region_wire(&regions[i]);
		fds[i] = regions[i].fd;
	}
	t.nregions = nb;
	ret = request(fe, VHOST_USER_SET_MEM_TABLE, &t,
		      (uint32_t)(offsetof(struct vhost_user_mem_table, regions) +
				 nb * sizeof(t.regions[0])),
		      fds, nb, NULL, 0);
	if (ret == 0) {
		memcpy(fe->regions, t.regions, nb * sizeof(t.regions[0]));
		fe->nb_regions = nb;
	}
	return ret;
}

/* ------------------------------------------------------------------------ */
/* Vrings                                                                    */
/* ------------------------------------------------------------------------ */

static int
vring_state(struct vio_vhost_frontend *fe, uint32_t req, uint16_t idx, uint32_t num)
{
	struct vhost_user_vring_state st = { .index = idx, .num = num };

	return request(fe, req, &st, sizeof(st), NULL, 0, NULL, 0);
}

int
vio_vhost_frontend_set_vring_num(struct vio_vhost_frontend *fe, uint16_t idx, uint16_t num)
{
	if (num == 0 || num > VIO_VHOST_FRONTEND_MAX_RING)
		return -EINVAL;
	return vring_state(fe, VHOST_USER_SET_VRING_NUM, idx, num);
}

int
vio_vhost_frontend_set_vring_base(struct vio_vhost_frontend *fe, uint16_t idx, uint32_t base)
{
	return vring_state(fe, VHOST_USER_SET_VRING_BASE, idx, base);
}

int
vio_vhost_frontend_set_vring_enable(struct vio_vhost_frontend *fe, uint16_t idx, bool enable)
{
	if (!(fe->features & VIO_BIT(VIO_VHOST_USER_F_PROTOCOL_FEATURES)))
		return -ENOTSUP;
	return vring_state(fe, VHOST_USER_SET_VRING_ENABLE, idx, enable);
}

int
vio_vhost_frontend_get_vring_base(struct vio_vhost_frontend *fe, uint16_t idx, uint32_t *base)
{
	struct vhost_user_vring_state st = { .index = idx, .num = 0 };
	int ret;

	ret = request(fe, VHOST_USER_GET_VRING_BASE, &st, sizeof(st), NULL, 0, &st, sizeof(st));
	if (ret < 0)
		return ret;
	if (st.index != idx)
		return vhost_frontend_bad_reply(fe, VHOST_USER_GET_VRING_BASE, "index", st.index);
	*base = st.num;
	return 0;
}

int
vio_vhost_frontend_set_vring_addr(struct vio_vhost_frontend *fe, uint16_t idx, uint64_t desc,
				  uint64_t avail, uint64_t used, bool log, uint64_t log_gpa)
{
	struct vhost_user_vring_addr a = {
		.index = idx,
		.flags = log ? VHOST_USER_VRING_F_LOG : 0,
		.desc_uaddr = desc,
		.used_uaddr = used,
		.avail_uaddr = avail,
		.log_gpa = log_gpa,
	};

	return request(fe, VHOST_USER_SET_VRING_ADDR, &a, sizeof(a), NULL, 0, NULL, 0);
}

static int
vring_fd(struct vio_vhost_frontend *fe, uint32_t req, uint16_t idx, int fd)
{
	uint64_t v = idx & VHOST_USER_VRING_IDX_MASK;

	if (idx > VHOST_USER_VRING_IDX_MASK)
		return -EINVAL;
	if (fd < 0)
		v |= VHOST_USER_VRING_NOFD;
	return request(fe, req, &v, sizeof(v), &fd, fd < 0 ? 0 : 1, NULL, 0);
}

int
vio_vhost_frontend_set_vring_kick(struct vio_vhost_frontend *fe, uint16_t idx, int fd)
{
	return vring_fd(fe, VHOST_USER_SET_VRING_KICK, idx, fd);
}

int
vio_vhost_frontend_set_vring_call(struct vio_vhost_frontend *fe, uint16_t idx, int fd)
{
	return vring_fd(fe, VHOST_USER_SET_VRING_CALL, idx, fd);
}

int
vio_vhost_frontend_set_vring_err(struct vio_vhost_frontend *fe, uint16_t idx, int fd)
{
	return vring_fd(fe, VHOST_USER_SET_VRING_ERR, idx, fd);
}

/* ------------------------------------------------------------------------ */
/* Configuration space and status                                            */
/* ------------------------------------------------------------------------ */

int
vio_vhost_frontend_get_config(struct vio_vhost_frontend *fe, uint32_t offset, void *buf,
			      uint32_t len)
{
	struct vhost_user_config c = { .offset = offset, .size = len };
	uint32_t size = VHOST_USER_CONFIG_HDR_SIZE + len;
	int ret;

	if (len == 0 || len > VHOST_USER_CONFIG_MAX)
		return -EINVAL;
	if (!vhost_frontend_has_protocol(fe, VIO_VHOST_USER_PROTOCOL_F_CONFIG))
		return -ENOTSUP;
	/* The request carries the space to fill: the reply has the same size. */
	ret = request(fe, VHOST_USER_GET_CONFIG, &c, size, NULL, 0, &c, size);
	if (ret < 0)
		return ret;
	if (c.offset != offset)
		return vhost_frontend_bad_reply(fe, VHOST_USER_GET_CONFIG, "offset", c.offset);
	if (c.size != len)
		return vhost_frontend_bad_reply(fe, VHOST_USER_GET_CONFIG, "config size", c.size);
	memcpy(buf, c.region, len);
	return 0;
}

int
vio_vhost_frontend_set_config(struct vio_vhost_frontend *fe, uint32_t offset, const void *buf,
			      uint32_t len)
{
	struct vhost_user_config c = { .offset = offset, .size = len };

	if (len == 0 || len > VHOST_USER_CONFIG_MAX)
		return -EINVAL;
	if (!vhost_frontend_has_protocol(fe, VIO_VHOST_USER_PROTOCOL_F_CONFIG))
		return -ENOTSUP;
	memcpy(c.region, buf, len);
	return request(fe, VHOST_USER_SET_CONFIG, &c, VHOST_USER_CONFIG_HDR_SIZE + len, NULL, 0,
		       NULL, 0);
}

int
vio_vhost_frontend_set_status(struct vio_vhost_frontend *fe, uint8_t status)
{
	if (!vhost_frontend_has_protocol(fe, VIO_VHOST_USER_PROTOCOL_F_STATUS))
		return -ENOTSUP;
	return set_u64(fe, VHOST_USER_SET_STATUS, status);
}

int
vio_vhost_frontend_get_status(struct vio_vhost_frontend *fe, uint8_t *status)
{
	uint64_t v;
	int ret;

	if (!vhost_frontend_has_protocol(fe, VIO_VHOST_USER_PROTOCOL_F_STATUS))
		return -ENOTSUP;
	ret = get_u64(fe, VHOST_USER_GET_STATUS, &v);
	if (ret == 0 && v > UINT8_MAX)
		return vhost_frontend_bad_reply(fe, VHOST_USER_GET_STATUS, "status", v);
	if (ret == 0)
		*status = (uint8_t)v;
	return ret;
}
