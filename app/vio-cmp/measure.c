/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * The timed loops. One template, instantiated for each library and direction
 * with the library's burst function called directly (no function pointer in
 * the timed region), so that both sides pay exactly the same harness: an
 * rte_rdtsc_precise() (mfence, rdtsc) right before and right after the call,
 * a PLT call into a shared library, nothing else.
 */

#include <string.h>

#include <rte_cycles.h>
#include <rte_vhost.h>

#include "cmp.h"
#include "vio_vhost.h"

static __rte_always_inline uint16_t
lib_burst(const enum cmp_lib lib, const enum cmp_dir dir, int vid, struct rte_mempool *mp,
	  struct rte_mbuf **pkts, uint16_t n)
{
	if (lib == CMP_LIB_VIO)
		return dir == CMP_DIR_ENQUEUE ? vio_vhost_enqueue_burst(vid, CMP_RXQ, pkts, n)
					      : vio_vhost_dequeue_burst(vid, CMP_TXQ, mp, pkts, n);
	return dir == CMP_DIR_ENQUEUE ? rte_vhost_enqueue_burst(vid, CMP_RXQ, pkts, n)
				      : rte_vhost_dequeue_burst(vid, CMP_TXQ, mp, pkts, n);
}

static __rte_always_inline int
measure_loop(const enum cmp_lib lib, const enum cmp_dir dir, const struct cmp_measure *m,
	     uint64_t cycles, struct cmp_result *r)
{
	struct rte_mbuf *out[CMP_MAX_BURST];
	struct rte_mbuf **pkts = dir == CMP_DIR_ENQUEUE ? m->pkts : out;
	uint64_t start = rte_rdtsc(), now = start, end = start + cycles;

	memset(r, 0, sizeof(*r));
	while (now < end) {
		uint64_t t0, t1;
		uint16_t n, i;

		t0 = rte_rdtsc_precise();
		n = lib_burst(lib, dir, m->vid, m->mp, pkts, m->burst);
		t1 = rte_rdtsc_precise();
		now = t1;
		/*
		 * A destroyed device: vio's burst returns 0, rte_vhost's logs an
		 * error per call; stop at once either way. Relaxed: the line is
		 * written only at connect and disconnect.
		 */
		if (atomic_load_explicit(&cmp_conn.generation, memory_order_relaxed) !=
		    m->generation)
			return -1;
		if (n == 0) {
			r->idle_calls++;
			continue;
		}
		if (t1 - t0 > m->max_call_cycles) {
			r->long_calls++;
			r->long_packets += n;
		} else {
			r->cycles += t1 - t0;
			r->packets += n;
			r->calls++;
		}
		if (dir == CMP_DIR_DEQUEUE) {
			for (i = 0; i < n; i++)
				r->bad_len += pkts[i]->pkt_len != m->pkt_len;
			rte_pktmbuf_free_bulk(pkts, n);
		}
	}
	r->window = now - start;
	return 0;
}

static __rte_noinline int
measure_vio_enqueue(const struct cmp_measure *m, uint64_t cycles, struct cmp_result *r)
{
	return measure_loop(CMP_LIB_VIO, CMP_DIR_ENQUEUE, m, cycles, r);
}

static __rte_noinline int
measure_vio_dequeue(const struct cmp_measure *m, uint64_t cycles, struct cmp_result *r)
{
	return measure_loop(CMP_LIB_VIO, CMP_DIR_DEQUEUE, m, cycles, r);
}

static __rte_noinline int
measure_dpdk_enqueue(const struct cmp_measure *m, uint64_t cycles, struct cmp_result *r)
{
	return measure_loop(CMP_LIB_DPDK, CMP_DIR_ENQUEUE, m, cycles, r);
}

static __rte_noinline int
measure_dpdk_dequeue(const struct cmp_measure *m, uint64_t cycles, struct cmp_result *r)
{
	return measure_loop(CMP_LIB_DPDK, CMP_DIR_DEQUEUE, m, cycles, r);
}

int
cmp_measure_run(const struct cmp_measure *m, uint64_t cycles, struct cmp_result *r)
{
	if (m->lib == CMP_LIB_VIO)
		return m->dir == CMP_DIR_ENQUEUE ? measure_vio_enqueue(m, cycles, r)
						 : measure_vio_dequeue(m, cycles, r);
	return m->dir == CMP_DIR_ENQUEUE ? measure_dpdk_enqueue(m, cycles, r)
					 : measure_dpdk_dequeue(m, cycles, r);
}

double
cmp_timer_overhead(void)
{
	uint64_t best = UINT64_MAX;
	unsigned int i;

	/* The minimum of many pairs: the pair's own cost, without interrupts. */
	for (i = 0; i < 10000; i++) {
		uint64_t t0 = rte_rdtsc_precise();
		uint64_t t1 = rte_rdtsc_precise();

		if (t1 - t0 < best)
			best = t1 - t0;
	}
	return (double)best;
}
