/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * vio in DPDK telemetry (rte_telemetry.h; read with dpdk-telemetry.py):
 *
 *   /vio/ports               the ids of the ports that exist, in creation order
 *   /vio/port,<port>         role, driver, socket, state, features, counts
 *   /vio/queue,<port>,<qp>   the counters and ring positions of queue pair qp
 *   /vio/mem,<port>          the memory table the device has; the IOTLB size
 *
 * <port> is a port's id (decimal) or its name (the ethdev name with net_vio).
 *
 * The commands are registered once, when the library is loaded (registering
 * needs no EAL: it only adds to telemetry's table). They run on a telemetry
 * thread, concurrently with ports being made and freed: each holds the
 * registry lock from finding its port to its last read, and vio_port_free()
 * takes the port out of the registry before it frees anything. Beneath that,
 * a backend port's connection is read through the vhost layer's queries
 * (under its lock), a frontend port's device and queues under the port's
 * fe->lock. What the lcores count and where they stand in the rings is read
 * as it is, without synchronisation with them: a snapshot that may be a
 * burst old, good enough for monitoring. Nothing here is on the data path.
 *
 * A process that unloads the library (dlclose) must not query telemetry
 * afterwards: DPDK has no way to unregister a command.
 */

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_telemetry.h>

#include "port_internal.h"
#include "vio_engine.h"
#include "vio_vhost.h"
#include "vio_virtio.h"

/*
 * Regions /vio/mem lists: four arrays of this many 64-bit numbers stay within
 * telemetry's 16 KiB reply (MAX_OUTPUT_LEN of DPDK 22.11); nb_regions counts all.
 */
#define TEL_MEM_REGIONS_MAX 128

/* A 64-bit field of a struct, by name: the tables below. */
struct tel_field {
	const char *name;
	size_t off;
};

static uint64_t
field_u64(const void *base, const struct tel_field *f)
{
	uint64_t v;

	memcpy(&v, (const char *)base + f->off, sizeof(v));
	return v;
}

static const char *
role_name(enum vio_port_role r)
{
	return r == VIO_PORT_ROLE_FRONTEND ? "frontend" : "backend";
}

static void
dict_hex(struct rte_tel_data *d, const char *name, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
	rte_tel_data_add_dict_string(d, name, buf);
}

/* A dict of its own under @p name in @p d; the container belongs to @p d from then on. */
static int
dict_add_container(struct rte_tel_data *d, const char *name, struct rte_tel_data *c)
{
	if (rte_tel_data_add_dict_container(d, name, c, 0) < 0) {
		rte_tel_data_free(c);
		return -ENOSPC;
	}
	return 0;
}

static void
dict_port_head(struct rte_tel_data *d, const struct vio_port *p)
{
	rte_tel_data_add_dict_int(d, "id", (int)p->id);
	rte_tel_data_add_dict_string(d, "name", p->name);
}

/* ------------------------------------------------------------------------ */
/* /vio/ports                                                                */
/* ------------------------------------------------------------------------ */

static int
tel_ports(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct vio_port *p = NULL;

	RTE_SET_USED(cmd);
	RTE_SET_USED(params);
	rte_tel_data_start_array(d, RTE_TEL_INT_VAL);
	port_registry_lock();
	while ((p = port_registry_next(p)) != NULL)
		rte_tel_data_add_array_int(d, (int)p->id);
	port_registry_unlock();
	return 0;
}

/* ------------------------------------------------------------------------ */
/* /vio/port,<port>                                                          */
/* ------------------------------------------------------------------------ */

/* A backend port's socket: the vid of its connection (-1 without one). */
static int
backend_vid(const struct vio_port *p, struct vio_vhost_socket_info *si)
{
	*si = (struct vio_vhost_socket_info){ .vid = -1 };
	if (vio_vhost_get_socket_info(p->cfg.iface, si) < 0)
		si->vid = -1;
	return si->vid;
}

static void
port_backend(struct rte_tel_data *d, const struct vio_port *p)
{
	const struct vio_port_config *c = &p->cfg;
	struct vio_vhost_socket_info si;
	int vid = backend_vid(p, &si), n;
	uint64_t features = 0;

	rte_tel_data_add_dict_string(d, "iface", c->iface);
	rte_tel_data_add_dict_int(d, "client", c->client);
	rte_tel_data_add_dict_int(d, "iommu", c->iommu);
	rte_tel_data_add_dict_int(d, "started", si.started);
	rte_tel_data_add_dict_string(d, "link", vio_port_link_up(p) ? "up" : "down");
	rte_tel_data_add_dict_int(d, "connected", vid >= 0);
	rte_tel_data_add_dict_int(d, "vid", vid >= 0 ? vid : -1);
	if (vid >= 0)
		(void)vio_vhost_get_negotiated_features(vid, &features);
	dict_hex(d, "features", features);
	rte_tel_data_add_dict_u64(d, "connections", si.connections);
	rte_tel_data_add_dict_u64(d, "link_ups",
				  atomic_load_explicit(&p->link_ups, memory_order_relaxed));
	n = vid >= 0 ? vio_vhost_get_mem_regions(vid, NULL, 0) : 0;
	rte_tel_data_add_dict_int(d, "mem_regions", n > 0 ? n : 0);
	n = vid >= 0 ? vio_vhost_get_vring_num(vid) : 0;
	rte_tel_data_add_dict_int(d, "vrings", n > 0 ? n : 0);
}

static void
port_frontend(struct rte_tel_data *d, const struct vio_port *p)
{
	const struct vio_port_config *c = &p->cfg;
	struct port_fe_status st = { .connected = false };

	rte_tel_data_add_dict_string(d, "path", c->path);
	rte_tel_data_add_dict_int(d, "server", c->server);
	rte_tel_data_add_dict_int(d, "queue_size", c->queue_size);
	if (p->fe != NULL)
		port_fe_status(p->fe, &st);
	rte_tel_data_add_dict_string(d, "link", st.connected && st.programmed ? "up" : "down");
	rte_tel_data_add_dict_int(d, "connected", st.connected);
	dict_hex(d, "features", st.features);
	rte_tel_data_add_dict_u64(d, "connections", st.info.connections);
	rte_tel_data_add_dict_int(d, "mem_regions", (int)st.info.mem_regions);
	rte_tel_data_add_dict_int(d, "queue_pairs_started", st.active);
	rte_tel_data_add_dict_u64(d, "mem_updates", st.info.mem_updates);
	rte_tel_data_add_dict_u64(d, "mem_missed", st.info.mem_missed);
}

static int
tel_port(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct vio_port *p;
	int ret = -ENOENT;

	RTE_SET_USED(cmd);
	port_registry_lock();
	p = port_registry_find(params);
	if (p != NULL) {
		rte_tel_data_start_dict(d);
		dict_port_head(d, p);
		rte_tel_data_add_dict_string(d, "role", role_name(p->cfg.role));
		rte_tel_data_add_dict_string(d, "driver", vio_port_driver_name(p->cfg.driver));
		rte_tel_data_add_dict_int(d, "queue_pairs", p->cfg.nb_queue_pairs);
		if (p->cfg.role == VIO_PORT_ROLE_FRONTEND)
			port_frontend(d, p);
		else
			port_backend(d, p);
		ret = 0;
	}
	port_registry_unlock();
	return ret;
}

/* ------------------------------------------------------------------------ */
/* /vio/queue,<port>,<qp>                                                    */
/* ------------------------------------------------------------------------ */

/* One vring of a backend port's connection: vio's engine counters, the vring, the ring. */
static struct rte_tel_data *
queue_backend_dir(int vid, uint16_t vring)
{
	struct rte_tel_data *c;
	struct vio_vhost_vring_info vi;
	struct vio_vq_stats st;
	const uint64_t *v = (const uint64_t *)&st;
	unsigned int i;

	if (vio_vhost_queue_stats_get(vid, vring, &st) < 0 ||
	    vio_vhost_get_vring_info(vid, vring, &vi) < 0)
		return NULL;
	c = rte_tel_data_alloc();
	if (c == NULL)
		return NULL;
	rte_tel_data_start_dict(c);
	rte_tel_data_add_dict_int(c, "vring", vring);
	rte_tel_data_add_dict_int(c, "size", vi.size);
	rte_tel_data_add_dict_int(c, "started", vi.started);
	rte_tel_data_add_dict_int(c, "enabled", vi.enabled);
	rte_tel_data_add_dict_int(c, "live", vi.live);
	rte_tel_data_add_dict_int(c, "broken", vi.broken);
	if (vi.live) {
		rte_tel_data_add_dict_int(c, "packed", vi.ring.packed);
		rte_tel_data_add_dict_int(c, "last_avail_idx", vi.ring.last_avail_idx);
		rte_tel_data_add_dict_int(c, "last_used_idx", vi.ring.last_used_idx);
		if (vi.ring.packed) {
			rte_tel_data_add_dict_int(c, "avail_wrap", vi.ring.avail_wrap);
			rte_tel_data_add_dict_int(c, "used_wrap", vi.ring.used_wrap);
		} else {
			rte_tel_data_add_dict_int(c, "avail_idx", vi.ring.avail_idx);
		}
	}
	for (i = 0; i < VIO_VQ_NB_STATS; i++)
		rte_tel_data_add_dict_u64(c, vio_vq_stat_name(i), v[i]);
	return c;
}

static void
queue_backend(struct rte_tel_data *d, const struct vio_port *p, uint16_t qp)
{
	struct vio_vhost_socket_info si;
	int vid = backend_vid(p, &si);
	struct rte_tel_data *c;

	rte_tel_data_add_dict_int(d, "connected", vid >= 0);
	if (vid < 0)
		return;
	/* Queue pair n: vring 2n, the guest's receive queue; 2n + 1, its transmit queue. */
	c = queue_backend_dir(vid, (uint16_t)(2 * qp));
	if (c != NULL)
		dict_add_container(d, "to_guest", c);
	c = queue_backend_dir(vid, (uint16_t)(2 * qp + 1));
	if (c != NULL)
		dict_add_container(d, "from_guest", c);
}

/* The counters of a frontend queue, by name. */
static const struct tel_field vnet_stats[] = {
	{ "packets", offsetof(struct vio_vnet_vq_stats, packets) },
	{ "bytes", offsetof(struct vio_vnet_vq_stats, bytes) },
	{ "kicks", offsetof(struct vio_vnet_vq_stats, kicks) },
	{ "no_room", offsetof(struct vio_vnet_vq_stats, no_room) },
	{ "mbuf_alloc_failed", offsetof(struct vio_vnet_vq_stats, mbuf_alloc_failed) },
	{ "err_used", offsetof(struct vio_vnet_vq_stats, err_used) },
};

static struct rte_tel_data *
queue_frontend_dir(struct port_fe *fe, uint16_t qp, bool tx)
{
	struct vio_vnet_vq_ring_state r;
	struct vio_vnet_vq_stats st;
	struct rte_tel_data *c;
	unsigned int i;

	if (port_fe_queue_snapshot(fe, qp, tx, &st, &r) < 0)
		return NULL;
	c = rte_tel_data_alloc();
	if (c == NULL)
		return NULL;
	rte_tel_data_start_dict(c);
	rte_tel_data_add_dict_int(c, "vring", 2 * qp + tx);
	rte_tel_data_add_dict_int(c, "size", r.size);
	rte_tel_data_add_dict_int(c, "packed", r.packed);
	rte_tel_data_add_dict_int(c, "avail_idx", r.avail_idx);
	rte_tel_data_add_dict_int(c, "last_used_idx", r.last_used_idx);
	if (r.packed) {
		rte_tel_data_add_dict_int(c, "avail_wrap", r.avail_wrap);
		rte_tel_data_add_dict_int(c, "used_wrap", r.used_wrap);
	} else {
		rte_tel_data_add_dict_int(c, "used_idx", r.used_idx);
	}
	rte_tel_data_add_dict_int(c, "nb_free", r.nb_free);
	for (i = 0; i < RTE_DIM(vnet_stats); i++)
		rte_tel_data_add_dict_u64(c, vnet_stats[i].name, field_u64(&st, &vnet_stats[i]));
	return c;
}

static void
queue_frontend(struct rte_tel_data *d, const struct vio_port *p, uint16_t qp)
{
	struct rte_tel_data *rx = NULL, *tx = NULL;

	if (p->fe != NULL) {
		rx = queue_frontend_dir(p->fe, qp, false);
		tx = queue_frontend_dir(p->fe, qp, true);
	}
	rte_tel_data_add_dict_int(d, "started", rx != NULL && tx != NULL);
	if (rx != NULL)
		dict_add_container(d, "rx", rx);
	if (tx != NULL)
		dict_add_container(d, "tx", tx);
}

/* "<port>,<qp>": the port key into @p key, the queue pair into @p qp. */
static int
parse_port_qp(const char *params, char *key, size_t key_len, unsigned long *qp)
{
	const char *comma = params != NULL ? strrchr(params, ',') : NULL;
	char *end;

	if (comma == NULL || (size_t)(comma - params) >= key_len || comma[1] < '0' ||
	    comma[1] > '9')
		return -EINVAL;
	memcpy(key, params, (size_t)(comma - params));
	key[comma - params] = '\0';
	errno = 0;
	*qp = strtoul(comma + 1, &end, 10);
	return *end == '\0' && errno == 0 ? 0 : -EINVAL;
}

static int
tel_queue(const char *cmd, const char *params, struct rte_tel_data *d)
{
	char key[PORT_NAME_MAX];
	const struct vio_port *p;
	unsigned long qp;
	int ret;

	RTE_SET_USED(cmd);
	ret = parse_port_qp(params, key, sizeof(key), &qp);
	if (ret < 0)
		return ret;
	port_registry_lock();
	p = port_registry_find(key);
	if (p == NULL || qp >= p->cfg.nb_queue_pairs) {
		port_registry_unlock();
		return -ENOENT;
	}
	rte_tel_data_start_dict(d);
	dict_port_head(d, p);
	rte_tel_data_add_dict_string(d, "role", role_name(p->cfg.role));
	rte_tel_data_add_dict_int(d, "qp", (int)qp);
	if (p->cfg.role == VIO_PORT_ROLE_FRONTEND)
		queue_frontend(d, p, (uint16_t)qp);
	else
		queue_backend(d, p, (uint16_t)qp);
	port_registry_unlock();
	return 0;
}

/* ------------------------------------------------------------------------ */
/* /vio/mem,<port>                                                           */
/* ------------------------------------------------------------------------ */

static struct rte_tel_data *
u64_array(const struct vio_vhost_mem_region_info *r, unsigned int n, const struct tel_field *f)
{
	struct rte_tel_data *a = rte_tel_data_alloc();
	unsigned int i;

	if (a == NULL)
		return NULL;
	rte_tel_data_start_array(a, RTE_TEL_U64_VAL);
	for (i = 0; i < n; i++)
		rte_tel_data_add_array_u64(a, field_u64(&r[i], f));
	return a;
}

static void
mem_regions(struct rte_tel_data *d, const struct vio_vhost_mem_region_info *r, int nb)
{
	static const struct tel_field cols[] = {
		{ "gpa", offsetof(struct vio_vhost_mem_region_info, gpa) },
		{ "size", offsetof(struct vio_vhost_mem_region_info, size) },
		{ "uaddr", offsetof(struct vio_vhost_mem_region_info, uaddr) },
		{ "mmap_offset", offsetof(struct vio_vhost_mem_region_info, mmap_offset) },
	};
	unsigned int i,
		n = nb > 0 ? RTE_MIN((unsigned int)nb, (unsigned int)TEL_MEM_REGIONS_MAX) : 0;
	uint64_t total = 0;

	for (i = 0; i < n; i++)
		total += r[i].size;
	rte_tel_data_add_dict_int(d, "nb_regions", nb > 0 ? nb : 0);
	rte_tel_data_add_dict_int(d, "regions_listed", (int)n);
	rte_tel_data_add_dict_u64(d, "listed_bytes", total);
	for (i = 0; i < RTE_DIM(cols); i++) {
		struct rte_tel_data *a = u64_array(r, n, &cols[i]);

		if (a != NULL)
			dict_add_container(d, cols[i].name, a);
	}
}

static int
tel_mem(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct vio_vhost_mem_region_info r[TEL_MEM_REGIONS_MAX]; /* 4 KiB */
	const struct vio_port *p;
	int nb = 0;

	RTE_SET_USED(cmd);
	port_registry_lock();
	p = port_registry_find(params);
	if (p == NULL) {
		port_registry_unlock();
		return -ENOENT;
	}
	rte_tel_data_start_dict(d);
	dict_port_head(d, p);
	rte_tel_data_add_dict_string(d, "role", role_name(p->cfg.role));
	if (p->cfg.role == VIO_PORT_ROLE_FRONTEND) {
		if (p->fe != NULL)
			nb = (int)port_fe_mem_regions(p->fe, r, TEL_MEM_REGIONS_MAX);
	} else {
		struct vio_vhost_socket_info si;
		int vid = backend_vid(p, &si), iotlb;

		rte_tel_data_add_dict_int(d, "connected", vid >= 0);
		if (vid >= 0)
			nb = vio_vhost_get_mem_regions(vid, r, TEL_MEM_REGIONS_MAX);
		/* Only with a vIOMMU in use (VIRTIO_F_ACCESS_PLATFORM negotiated). */
		iotlb = vid >= 0 ? vio_vhost_get_iotlb_entries(vid) : -ENOTSUP;
		if (iotlb >= 0)
			rte_tel_data_add_dict_int(d, "iotlb_entries", iotlb);
	}
	mem_regions(d, r, nb);
	port_registry_unlock();
	return 0;
}

/* ------------------------------------------------------------------------ */

RTE_INIT(port_telemetry_register)
{
	static const struct {
		const char *cmd;
		telemetry_cb fn;
		const char *help;
	} cmds[] = {
		{ "/vio/ports", tel_ports, "The ids of vio's ports. Takes no parameters." },
		{ "/vio/port", tel_port,
		  "A vio port: role, driver, socket, link, features. Parameter: port id or name." },
		{ "/vio/queue", tel_queue,
		  "Counters and ring positions of a vio queue pair. Parameters: port,qp." },
		{ "/vio/mem", tel_mem,
		  "The memory table of a vio port's device, its IOTLB. Parameter: port id or "
		  "name." },
	};
	unsigned int i;

	for (i = 0; i < RTE_DIM(cmds); i++)
		if (rte_telemetry_register_cmd(cmds[i].cmd, cmds[i].fn, cmds[i].help) < 0)
			PORT_LOG(WARNING, "telemetry command %s not registered", cmds[i].cmd);
}
