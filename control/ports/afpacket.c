// SPDX-License-Identifier: BSD-3-Clause
#include "ports/afpacket_ctl.h"
#include "ports/port_ctl.h"
#include "ports/port_kind.h"
#include "errorf.h"
#include "netaddr.h"

#include <psw/commands.h>

#include <errno.h>
#include <pthread.h>
#include <time.h>
#include <net/if.h>
#include <net/ethernet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <rte_ethdev.h>
#include <rte_malloc.h>

// Frames big enough for a 1500-byte MTU plus a VLAN tag after the ring's
// header; interfaces with larger MTUs get larger frames.
static uint32_t frame_size_for(int mtu)
{
	uint32_t need = (uint32_t)TPACKET_ALIGN(TPACKET2_HDRLEN) + 14 + 4 + (uint32_t)mtu, size = 2048;

	while (size < need)
		size <<= 1;
	return size;
}

static int iface_mtu(const char *iface, int *mtu)
{
	struct ifreq ifr;
	int ret;

	memset(&ifr, 0, sizeof(ifr));
	ret = psw_if_ioctl(iface, SIOCGIFMTU, &ifr);
	*mtu = ifr.ifr_mtu;
	return ret;
}

// A socket with its rings, not yet bound to an interface.
struct afp_rings {
	int fd;
	void *map;
	size_t map_len;
	uint32_t frames;
	uint32_t frame_size;
};

static void rings_close(struct afp_rings *r)
{
	if (r->map != NULL && r->map != MAP_FAILED)
		munmap(r->map, r->map_len);
	if (r->fd >= 0)
		close(r->fd);
	r->map = NULL;
	r->fd = -1;
}

// The slow part: each ring change waits out an RCU grace period in the
// kernel (packet_set_ring calls synchronize_net), 10 to 20 ms each here.
static int rings_create(struct afp_rings *r, uint32_t frame_size, unsigned frames, char *err,
	size_t elen)
{
	struct tpacket_req req = {
		.tp_block_size = frame_size * 16,
		.tp_frame_size = frame_size,
	};
	int v2 = TPACKET_V2, one = 1;

	r->map = NULL;
	req.tp_block_nr = (frames + 15) / 16;
	req.tp_frame_nr = req.tp_block_nr * 16;
	r->frames = req.tp_frame_nr;
	r->frame_size = frame_size;
	// protocol 0: the socket receives nothing until bind names one
	r->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (r->fd < 0)
		return psw_errorf(err, elen, -errno, "cannot open a packet socket: %s", strerror(errno));
	// a malformed frame in the tx ring is skipped rather than blocking it
	if (setsockopt(r->fd, SOL_PACKET, PACKET_VERSION, &v2, sizeof(v2)) < 0 ||
	    setsockopt(r->fd, SOL_PACKET, PACKET_LOSS, &one, sizeof(one)) < 0 ||
	    setsockopt(r->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)) < 0 ||
	    setsockopt(r->fd, SOL_PACKET, PACKET_TX_RING, &req, sizeof(req)) < 0) {
		int ret = psw_errorf(err, elen, -errno, "cannot set up packet rings: %s", strerror(errno));
		rings_close(r);
		return ret;
	}
	// our own transmissions are not received back
	setsockopt(r->fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	setsockopt(r->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
	r->map_len = (size_t)req.tp_block_size * req.tp_block_nr * 2;
	r->map = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd, 0);
	if (r->map == MAP_FAILED) {
		int ret = psw_errorf(err, elen, -errno, "cannot map packet rings: %s", strerror(errno));
		rings_close(r);
		return ret;
	}
	return 0;
}

// Sockets are made ahead by helper threads and closed by them (closing
// waits a grace period too), so that adding or removing a kernel port costs
// the control thread microseconds, not tens of milliseconds. Several threads,
// because the grace periods they wait out overlap: one thread made about 35
// sockets a second, which was all pods attached in parallel could get.
#define POOL_THREADS 4
#define POOL_TARGET 16
#define POOL_FRAMES 256
#define POOL_FRAME_SIZE 2048
#define CLOSE_MAX 256

static struct {
	pthread_t threads[POOL_THREADS];
	unsigned n_threads;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool running, stop;
	struct afp_rings ready[POOL_TARGET];
	unsigned n_ready;
	unsigned n_making;          // sockets the threads are making now
	struct afp_rings doomed[CLOSE_MAX];
	unsigned n_doomed;
} pool = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

static void *pool_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&pool.lock);
	while (!pool.stop || pool.n_doomed > 0) {
		if (pool.n_doomed > 0) {
			struct afp_rings r = pool.doomed[--pool.n_doomed];

			pthread_mutex_unlock(&pool.lock);
			rings_close(&r);
			pthread_mutex_lock(&pool.lock);
		} else if (!pool.stop && pool.n_ready + pool.n_making < POOL_TARGET) {
			struct afp_rings r;
			char err[128];
			int ret;

			pool.n_making++;
			pthread_mutex_unlock(&pool.lock);
			ret = rings_create(&r, POOL_FRAME_SIZE, POOL_FRAMES, err, sizeof(err));
			pthread_mutex_lock(&pool.lock);
			pool.n_making--;
			if (ret < 0) {
				// no pool then: ports make their own sockets
				struct timespec ts;
				clock_gettime(CLOCK_REALTIME, &ts);
				ts.tv_sec += 1;
				pthread_cond_timedwait(&pool.wake, &pool.lock, &ts);
			} else {
				pool.ready[pool.n_ready++] = r;
			}
		} else {
			pthread_cond_wait(&pool.wake, &pool.lock);
		}
	}
	while (pool.n_ready > 0)
		rings_close(&pool.ready[--pool.n_ready]);
	pthread_mutex_unlock(&pool.lock);
	return NULL;
}

int afpacket_pool_start(void)
{
	pool.stop = false;
	pool.n_threads = 0;
	while (pool.n_threads < POOL_THREADS &&
	       pthread_create(&pool.threads[pool.n_threads], NULL, pool_main, NULL) == 0)
		pthread_setname_np(pool.threads[pool.n_threads++], "psw-afpacket");
	if (pool.n_threads == 0)
		return -EAGAIN;
	pool.running = true;
	return 0;
}

void afpacket_pool_stop(void)
{
	if (!pool.running)
		return;
	pthread_mutex_lock(&pool.lock);
	pool.stop = true;
	pthread_cond_broadcast(&pool.wake);
	pthread_mutex_unlock(&pool.lock);
	for (unsigned i = 0; i < pool.n_threads; i++)
		pthread_join(pool.threads[i], NULL);
	pool.running = false;
}

static int rings_get(struct afp_rings *r, uint32_t frame_size, unsigned frames, char *err,
	size_t elen)
{
	bool got = false;

	if (frame_size == POOL_FRAME_SIZE && frames == POOL_FRAMES && pool.running) {
		pthread_mutex_lock(&pool.lock);
		if (pool.n_ready > 0) {
			*r = pool.ready[--pool.n_ready];
			got = true;
		}
		pthread_cond_broadcast(&pool.wake);
		pthread_mutex_unlock(&pool.lock);
	}
	return got ? 0 : rings_create(r, frame_size, frames, err, elen);
}

static void rings_put(struct afp_rings *r)
{
	bool queued = false;

	if (r->fd < 0)
		return;
	if (pool.running) {
		pthread_mutex_lock(&pool.lock);
		if (pool.n_doomed < CLOSE_MAX) {
			pool.doomed[pool.n_doomed++] = *r;
			queued = true;
			pthread_cond_broadcast(&pool.wake);
		}
		pthread_mutex_unlock(&pool.lock);
	}
	if (!queued)
		rings_close(r);
	r->fd = -1;
}

static void queue_close(struct afp_queue *q)
{
	struct afp_rings r = {.fd = q->fd, .map = q->map, .map_len = q->map_len};

	rings_put(&r);
	q->map = NULL;
	q->fd = -1;
}

static int queue_open(struct afp_queue *q, int ifindex, uint32_t frame_size, unsigned frames,
	int fanout_id, char *err, size_t elen)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = ifindex,
	};
	struct packet_mreq mr = {.mr_ifindex = ifindex, .mr_type = PACKET_MR_PROMISC};
	struct afp_rings r;
	int fanout, ret;

	ret = rings_get(&r, frame_size, frames, err, elen);
	if (ret < 0)
		return ret;
	q->fd = r.fd;
	q->map = r.map;
	q->map_len = r.map_len;
	q->rx = (struct afp_ring){.base = r.map, .frames = r.frames, .frame_size = r.frame_size};
	q->tx = (struct afp_ring){.base = (uint8_t *)r.map + r.map_len / 2,
		.frames = r.frames, .frame_size = r.frame_size};
	if (bind(q->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		return psw_errorf(err, elen, -errno, "cannot bind to the interface: %s", strerror(errno));
	if (setsockopt(q->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0)
		return psw_errorf(err, elen, -errno, "cannot make the interface promiscuous: %s",
			strerror(errno));
	if (fanout_id >= 0) {
		fanout = fanout_id | (PACKET_FANOUT_HASH << 16);
		if (setsockopt(q->fd, SOL_PACKET, PACKET_FANOUT, &fanout, sizeof(fanout)) < 0)
			return psw_errorf(err, elen, -errno, "cannot spread the interface over queues: %s",
				strerror(errno));
	}
	return 0;
}

static void afpacket_close(struct psw_port *p);

static int afpacket_open(struct psw_port *p, const char *iface, unsigned queues, unsigned frames,
	char *err, size_t elen)
{
	struct psw_afp *a;
	int ifindex = (int)if_nametoindex(iface), mtu = 1500, ret;
	uint32_t fsize;

	if (ifindex == 0)
		return psw_errorf(err, elen, -ENODEV, "no interface '%s'", iface);
	ret = iface_mtu(iface, &mtu);
	if (ret < 0)
		return psw_errorf(err, elen, ret, "cannot read the MTU of '%s'", iface);
	fsize = frame_size_for(mtu);
	a = rte_zmalloc("psw_afp", sizeof(*a), RTE_CACHE_LINE_SIZE);
	if (a == NULL)
		return psw_errorf(err, elen, -ENOMEM, "out of memory");
	a->ifindex = ifindex;
	for (unsigned i = 0; i < PSW_MAX_RXQ; i++)
		a->q[i].fd = -1;
	p->afp = a;
	for (unsigned i = 0; i < queues; i++) {
		// a fanout group id unique to the port: its index in the kernel
		ret = queue_open(&a->q[i], ifindex, fsize, frames, queues > 1 ? (ifindex & 0xffff) : -1,
			err, elen);
		if (ret < 0) {
			afpacket_close(p);
			return ret;
		}
	}
	p->kind = PSW_PORT_AFPACKET;
	p->nb_rxq = (uint16_t)queues;
	port_kind_set_txqs(p, queues);
	*(uint16_t *)&p->eth_port = UINT16_MAX;
	return 0;
}

static void afpacket_close(struct psw_port *p)
{
	if (p->afp == NULL)
		return;
	for (unsigned i = 0; i < PSW_MAX_RXQ; i++)
		queue_close(&p->afp->q[i]);
	rte_free(p->afp);
	p->afp = NULL;
}

static bool afpacket_link(struct psw_port *p, uint64_t *speed)
{
	char name[IF_NAMESIZE];
	struct ifreq ifr;

	*speed = RTE_ETH_SPEED_NUM_10G;
	if (p->afp == NULL || if_indextoname((unsigned)p->afp->ifindex, name) == NULL)
		return false;
	memset(&ifr, 0, sizeof(ifr));
	if (psw_if_ioctl(name, SIOCGIFFLAGS, &ifr) < 0)
		return false;
	return (ifr.ifr_flags & IFF_UP) && (ifr.ifr_flags & IFF_RUNNING);
}

// The kernel's drops (ring full, its counter resets when read: the port
// keeps the sum), ours for want of a buffer (missed), and frames longer than
// a buffer chain (errors).
static void afpacket_rx_errors(struct psw_port *p, struct port_ctl *c, uint64_t *missed,
	uint64_t *errors)
{
	uint64_t no_mbuf = 0;

	*errors = 0;
	if (p->afp == NULL) {
		*missed = c->afp_kernel_drops;
		return;
	}
	for (unsigned i = 0; i < p->nb_rxq; i++) {
		const struct afp_queue *q = &p->afp->q[i];
		struct tpacket_stats st;
		socklen_t len = sizeof(st);

		if (getsockopt(q->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0)
			c->afp_kernel_drops += st.tp_drops;
		*errors += q->rx_too_long;
		no_mbuf += q->rx_no_mbuf;
	}
	*missed = c->afp_kernel_drops + no_mbuf;
}

static int afpacket_start(struct psw_port *p, struct port_ctl *c, const json_t *opts,
	unsigned queues, char *err, size_t elen)
{
	const char *iface = json_string_value(json_object_get(opts, PSW_OPT_IFACE));
	long frames;
	int ret;

	if (iface == NULL)
		return psw_errorf(err, elen, -EINVAL, "an af_packet port needs iface=");
	if (strlen(iface) > 15 || strlen(iface) == 0 || strpbrk(iface, ",/ ") != NULL)
		return psw_errorf(err, elen, -EINVAL, "bad interface name '%s'", iface);
	ret = port_opt_int(opts, PSW_OPT_FRAMES, 16, 8192, 256, &frames, err, elen);
	if (ret < 0)
		return ret;
	snprintf(c->devargs, sizeof(c->devargs), "af_packet:iface=%s,queues=%u", iface, queues);
	return afpacket_open(p, iface, queues, (unsigned)frames, err, elen);
}

static void afpacket_stop(struct psw_port *p, struct port_ctl *c)
{
	(void)c;
	afpacket_close(p);
}

static const char *const afpacket_options[] = {PSW_OPT_IFACE, PSW_OPT_FRAMES, NULL};

const struct port_kind port_kind_afpacket = {
	.type = PSW_PORT_TYPE_AFPACKET,
	.options = afpacket_options,
	.options_text = "iface, frames",
	.start = afpacket_start,
	.stop = afpacket_stop,
	.link = afpacket_link,
	.rx_errors = afpacket_rx_errors,
};
