/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef VIO_CMP_H
#define VIO_CMP_H

/*
 * vio-cmp: one vhost-user backend program that serves a socket with either
 * vio's backend (lib/vhost) or DPDK 22.11's rte_vhost, and times the
 * library's burst calls against whatever frontend connects
 * (doc/benchmark.md, "vio against DPDK"). devtools/bench.sh drives it
 * through its commands on stdin and a stock dpdk-testpmd as the peer.
 *
 * One concern per file: main.c the EAL, the options and the command loop,
 * backend.c the two libraries behind one set of calls (serve, wait, close,
 * features), measure.c the timed burst loops.
 */

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

/* DPDK's vhost library moves at most 32 packets per call (its MAX_PKT_BURST). */
#define CMP_MAX_BURST 32

/* Virtqueue ids in virtio-net order: the guest's receive queue 0 and transmit queue 0. */
#define CMP_RXQ 0
#define CMP_TXQ 1

/* The two libraries compared. */
enum cmp_lib {
	CMP_LIB_VIO,  /* vio_vhost_*: lib/vhost, the engine behind it */
	CMP_LIB_DPDK, /* rte_vhost_*: DPDK 22.11's vhost library */
	CMP_NB_LIBS,
};

/* Direction, from the device's point of view (STYLE.md). */
enum cmp_dir {
	CMP_DIR_ENQUEUE, /* host to guest: the guest's receive queue */
	CMP_DIR_DEQUEUE, /* guest to host: the guest's transmit queue */
};

/*
 * The device of the socket being served. Written by the libraries' control
 * threads (callbacks), read by the main lcore: @c generation changes at
 * every connect and disconnect, so a measurement can tell that its device
 * went away under it.
 */
struct cmp_conn {
	atomic_int vid;         /* -1: no device ready */
	atomic_uint generation; /* incremented by every new and destroy callback */
	atomic_uint nb_ready;   /* new-device callbacks since serve */
	atomic_uint nb_destroyed;
};

extern struct cmp_conn cmp_conn;
extern const char *const cmp_lib_names[CMP_NB_LIBS];

/* backend.c */

/*
 * Features each library offers by default (registered on a probe path,
 * never started), in @p offered. rte_vhost is registered with @p dpdk_flags.
 * 0 or a negative errno (printed).
 */
int cmp_backend_probe(uint64_t dpdk_flags, uint64_t offered[CMP_NB_LIBS]);
/* Register, offer exactly @p features, start: 0 or a negative errno (printed). */
int cmp_backend_serve(enum cmp_lib lib, const char *path, uint64_t features, uint64_t dpdk_flags);
/* Stop serving the current socket (its device is destroyed first). */
int cmp_backend_close(void);
/* The library being served, or CMP_NB_LIBS when none. */
enum cmp_lib cmp_backend_lib(void);
/* Features offered on the served socket. */
int cmp_backend_offered(uint64_t *features);
/*
 * Interrupts the library has sent the guest on @p queue_id so far (vio's
 * queue counter, rte_vhost's "guest_notifications" statistic).
 * -ENOTSUP when rte_vhost keeps no statistics.
 */
int cmp_backend_notifications(int vid, uint16_t queue_id, uint64_t *count);
/* Negotiated features of device @p vid. */
int cmp_backend_negotiated(int vid, uint64_t *features);

/* measure.c */

/* What one measurement window saw. */
struct cmp_result {
	uint64_t packets;    /* moved by the timed calls */
	uint64_t calls;      /* calls that moved at least one packet (the timed ones) */
	uint64_t idle_calls; /* calls that moved none (not in cycles) */
	uint64_t cycles;     /* TSC cycles inside the timed calls */
	uint64_t window;     /* TSC cycles of the whole window */
	uint64_t bad_len;    /* dequeue: packets whose length was not the expected one */
	/* Calls longer than cmp_measure.max_call_cycles: neither in cycles nor in packets. */
	uint64_t long_calls;
	uint64_t long_packets;
};

struct cmp_measure {
	enum cmp_lib lib;
	enum cmp_dir dir;
	int vid;
	unsigned int generation; /* of cmp_conn when the device was seen ready */
	struct rte_mempool *mp;  /* dequeue: the mbufs the library fills */
	struct rte_mbuf **pkts;  /* enqueue: the packets sent, every call */
	uint16_t burst;
	uint32_t pkt_len; /* dequeue: the length the peer sends */
	/*
	 * A call that takes longer was interrupted or descheduled (the machine
	 * is shared): its cycles are not the library's. 0: keep every call.
	 */
	uint64_t max_call_cycles;
};

/*
 * Call the library's burst for @p cycles TSC cycles; the timed figures go
 * to @p r (zeroed first). 0, or -1 when the device went away.
 */
int cmp_measure_run(const struct cmp_measure *m, uint64_t cycles, struct cmp_result *r);

/* Cycles of one back-to-back rte_rdtsc_precise() pair: what each timed call carries. */
double cmp_timer_overhead(void);

#endif /* VIO_CMP_H */
