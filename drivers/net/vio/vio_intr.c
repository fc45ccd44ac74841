/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * Rx queue interrupts (dev_conf.intr_conf.rxq = 1).
 *
 * The event fd of Rx queue q is a copy of the guest's kick eventfd of its
 * transmit queue q: rte_eth_dev_rx_intr_enable() asks the guest to kick after
 * it posts a packet, the application sleeps in rte_epoll_wait() until it does
 * (EAL reads the eventfd's counter), then polls.
 *
 * Until a frontend connects there is no kick fd: the queue gets an eventfd of
 * the PMD's own, which nothing writes, so the application can register it.
 * When a frontend's ring starts (link up, queue enabled) its kick fd replaces
 * the queue's fd, in the application's epoll set too (the registration is
 * moved), and the PMD writes the new fd once: the application wakes up,
 * polls, and arms the interrupt again. A ring restarted within the same
 * connection keeps the request (vio_vhost_notify_enable() remembers it); the
 * signal covers a request that raced the restart.
 *
 * A frontend port (path=): the event fd is a copy of the receive vring's call
 * eventfd, which the port owns and gives every backend it connects to, so it
 * does not change; enable asks the backend to signal it (vio_port_notify_*).
 */

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rte_epoll.h>

#include "vio_ethdev.h"

/* Whether the application registered queue @p q's fd in an epoll set. */
static bool
registered(struct rte_intr_handle *h, uint16_t q, int fd)
{
	struct rte_epoll_event *ev = rte_intr_elist_index_get(h, q);

	return ev != NULL && ev->status != RTE_EPOLL_INVALID && ev->fd == fd && ev->epfd >= 0;
}

/* Give queue @p q the fd @p fd (taken over), moving the application's registration. */
static void
queue_fd_swap(struct vio_pmd *pmd, uint16_t q, int fd)
{
	struct rte_intr_handle *h = pmd->eth_dev->intr_handle;
	int old = rte_intr_efds_index_get(h, q);
	bool reg = old >= 0 && registered(h, q, old);
	struct rte_epoll_event saved;
	int epfd = -1;

	if (reg) {
		/* EAL's DEL clears the event's data: keep it for the ADD. */
		saved = *rte_intr_elist_index_get(h, q);
		epfd = saved.epfd;
		rte_epoll_ctl(epfd, EPOLL_CTL_DEL, old, rte_intr_elist_index_get(h, q));
	}
	rte_intr_efds_index_set(h, q, fd);
	if (reg) {
		saved.status = RTE_EPOLL_INVALID;
		rte_intr_elist_index_set(h, q, saved);
		if (rte_epoll_ctl(epfd, EPOLL_CTL_ADD, fd, rte_intr_elist_index_get(h, q)) < 0)
			PMD_LOG(ERR, "%s: rxq %u: cannot move the interrupt to the new kick fd",
				pmd->eth_dev->data->name, q);
		else
			eventfd_write(fd, 1); /* wake the sleeper: the ring restarted */
	}
	if (old >= 0)
		close(old);
}

int
vio_pmd_intr_start_locked(struct vio_pmd *pmd)
{
	struct rte_eth_dev *dev = pmd->eth_dev;
	struct rte_intr_handle *h = dev->intr_handle;
	uint16_t nb = dev->data->nb_rx_queues, q;
	int ret;

	if (!dev->data->dev_conf.intr_conf.rxq || pmd->intr_on)
		return 0;
	ret = rte_intr_vec_list_alloc(h, "vio_intr_vec", nb);
	if (ret < 0)
		return ret;
	for (q = 0; q < nb; q++) {
		int fd = vio_port_notify_fd(pmd->port, q);

		if (fd < 0)
			fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (fd < 0) {
			ret = -errno;
			goto err;
		}
		rte_intr_efds_index_set(h, q, fd);
		rte_intr_vec_list_index_set(h, q, RTE_INTR_VEC_RXTX_OFFSET + q);
	}
	if (rte_intr_type_set(h, RTE_INTR_HANDLE_VDEV) < 0 || rte_intr_nb_efd_set(h, nb) < 0 ||
	    rte_intr_max_intr_set(h, nb + 1) < 0 ||
	    rte_intr_efd_counter_size_set(h, sizeof(uint64_t)) < 0) {
		ret = -EINVAL;
		goto err;
	}
	pmd->intr_on = true;
	return 0;

err:
	PMD_LOG(ERR, "%s: Rx interrupts: %s", dev->data->name, strerror(-ret));
	while (q-- > 0) {
		close(rte_intr_efds_index_get(h, q));
		rte_intr_efds_index_set(h, q, -1);
	}
	rte_intr_vec_list_free(h);
	return ret;
}

void
vio_pmd_intr_stop_locked(struct vio_pmd *pmd)
{
	struct rte_intr_handle *h = pmd->eth_dev->intr_handle;
	int q, nb;

	if (!pmd->intr_on)
		return;
	nb = rte_intr_nb_efd_get(h);
	for (q = 0; q < nb; q++) {
		int fd = rte_intr_efds_index_get(h, q);

		/*
		 * The frontend keeps its copy of the kick eventfd open: without the
		 * DEL, the application's epoll set would keep an event pointing
		 * into this handle.
		 */
		if (fd >= 0 && registered(h, q, fd))
			rte_epoll_ctl(rte_intr_elist_index_get(h, q)->epfd, EPOLL_CTL_DEL, fd,
				      rte_intr_elist_index_get(h, q));
		if (fd >= 0)
			close(fd);
		rte_intr_efds_index_set(h, q, -1);
	}
	rte_intr_nb_efd_set(h, 0);
	rte_intr_vec_list_free(h);
	pmd->intr_on = false;
}

void
vio_pmd_intr_refresh_locked(struct vio_pmd *pmd, uint16_t qp)
{
	int fd;

	if (!pmd->intr_on || qp >= rte_intr_nb_efd_get(pmd->eth_dev->intr_handle))
		return;
	fd = vio_port_notify_fd(pmd->port, qp);
	if (fd >= 0)
		queue_fd_swap(pmd, qp, fd);
}

int
vio_pmd_rx_intr_enable(struct rte_eth_dev *dev, uint16_t queue_id)
{
	struct vio_pmd *pmd = dev->data->dev_private;
	int ret = vio_port_notify_enable(pmd->port, queue_id, true);

	/* Without a live queue there is nothing to arm; the next ring start wakes the sleeper. */
	return ret == -ENODEV ? 0 : ret;
}

int
vio_pmd_rx_intr_disable(struct rte_eth_dev *dev, uint16_t queue_id)
{
	struct vio_pmd *pmd = dev->data->dev_private;
	int ret = vio_port_notify_enable(pmd->port, queue_id, false);

	return ret == -ENODEV ? 0 : ret;
}
