// SPDX-License-Identifier: BSD-3-Clause
// pswitch-pktgen: a DPDK traffic generator that attaches to a switch the way
// a DPDK pod does (virtio-user on vhost-user sockets) and measures rate,
// loss, reordering, duplication and latency. Every frame carries its
// stream, and (all of them by default, one in --sample N) a sequence number
// and its transmit time.
//
//   pswitch-pktgen --port PATH[,server][,mac=M][,peer=M] ... [options]
//   pswitch-pktgen --ring-loopback ...   (two ports joined by rings)
// See --help.
#include "latency.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_ring.h>
#include <rte_udp.h>

#define MAX_PORTS 8
#define BURST 32
#define MAGIC 0x5057u // "PW"
#define MAGIC_UNSTAMPED 0x5055u // "PU": counted, not sequenced or timed
#define SEQ_WINDOW (1u << 20) // duplicates are recognized this far back

// 16 bytes after the UDP header fit in a 64-byte frame.
struct stamp {
	uint16_t magic;
	uint16_t stream; // transmitting port
	uint32_t seq;    // low 32 bits; the receiver extends it
	uint64_t tsc;
} __attribute__((packed));

struct rx_stream {
	uint64_t received;
	uint64_t max_seq;   // highest seen + 1
	uint64_t reordered;
	uint64_t duplicated;
	uint8_t *seen;      // bitmap of SEQ_WINDOW sequence numbers
};

struct gen_port {
	char path[256];
	bool server;
	struct rte_ether_addr mac, peer;
	bool has_mac, has_peer;
	uint16_t eth;
	bool tx, rx;
	struct rte_mempool *tx_pool; // frames it sent before wait there to be sent again
	uint64_t sent, tx_retries;
	uint64_t received, rx_bytes, foreign; // foreign: frames without our stamp
	struct rx_stream from[MAX_PORTS];
};

static struct gen_port ports[MAX_PORTS];
static unsigned n_ports;
static struct rte_mempool *pool;
static struct latency lat;
static uint64_t hz;
static volatile bool quit;

// options
static unsigned opt_size = 64;
static bool opt_imix;
static uint32_t opt_flows = 1;
static uint32_t opt_sample = 1; // stamp one frame in this many
static bool opt_tcp;
static int opt_vlan = -1;
static double opt_rate; // packets per second per transmitting port; 0: flat out
static double opt_duration = 10;
static double opt_warmup;
static uint64_t opt_count;
static bool opt_rfc2544;
static double opt_trial = 5;
static double opt_pdr_loss = 0.5; // percent
static double opt_resolution = 1; // percent of the top rate
static const char *opt_json;
static bool opt_progress = -1;
static bool opt_no_huge;
static bool opt_ring_loopback;
static char opt_core[16] = "0";
static char opt_prefix[64];
static char opt_virtio[128]; // extra virtio-user devargs, e.g. ",packed_vq=1"
static uint32_t src_ip = RTE_IPV4(10, 254, 0, 1), dst_ip = RTE_IPV4(10, 253, 0, 0);

static const char usage[] =
	"usage: pswitch-pktgen [options]\n"
	"  --port PATH[,server][,mac=M][,peer=M]  a virtio-user port on a vhost-user socket;\n"
	"                       server: we create the socket; peer: destination MAC (default:\n"
	"                       the next port's MAC, so ports pair up 0<->1, 2<->3)\n"
	"  --ring-loopback      two ports joined back to back by rings (self-test)\n"
	"  --tx LIST, --rx LIST ports (0,1,..) that transmit / receive (default all)\n"
	"  --size N|imix        frame size 64..1518, or IMIX 7:4:1 of 64/594/1518 (default 64)\n"
	"  --flows N            streams varied by destination IP and source port (default 1)\n"
	"  --tcp                TCP instead of UDP    --vlan VID  tag the frames\n"
	"  --src-ip A --dst-ip A  base addresses (default 10.254.0.1, 10.253.0.0)\n"
	"  --rate PPS           per transmitting port (default: as fast as possible)\n"
	"  --duration S | --count N   how long, or how many frames per port\n"
	"  --warmup S           send for S seconds first, uncounted\n"
	"  --sample N           stamp one frame in N with its sequence number and send\n"
	"                       time (default 1: every frame); the others are counted\n"
	"                       per stream only, and cost the generator no write to a\n"
	"                       buffer it sent before (flat out, it then spends less\n"
	"                       on a frame than the switch it measures)\n"
	"  --rfc2544            search the no-drop rate (NDR) and the partial-drop rate (PDR)\n"
	"  --trial S --pdr-loss PCT --resolution PCT   (defaults 5, 0.5, 1)\n"
	"  --json FILE          write the report there ('-' for stdout)\n"
	"  --progress | --no-progress   a live line on stderr (default when it is a terminal)\n"
	"  --virtio-args A,B   extra virtio-user device arguments for every port\n"
	"                       (e.g. packed_vq=1,in_order=1,mrg_rxbuf=0)\n"
	"  --core N --file-prefix P --no-huge\n";

static void on_signal(int s)
{
	(void)s;
	quit = true;
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("pswitch-pktgen: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static unsigned frame_size(uint64_t seq)
{
	static const unsigned imix[12] = {64, 64, 64, 64, 64, 64, 64, 594, 594, 594, 594, 1518};

	return opt_imix ? imix[seq % 12] : opt_size;
}

// What a transmit buffer holds, kept in the buffer's private area (which no
// other core reads): a buffer that comes back holding the frame wanted is
// sent again as it is.
struct held_frame {
	uint32_t flow;
	uint16_t size;
	uint8_t stamped;
	uint8_t valid;
};

static void forget_held(struct rte_mempool *mp, void *arg, void *obj, unsigned idx)
{
	(void)mp;
	(void)arg;
	(void)idx;
	memset(rte_mbuf_to_priv(obj), 0, sizeof(struct held_frame));
}

// Writes frame 'seq' of port 'p' into 'm', unless the buffer still holds that
// frame from an earlier round (unstamped frames of one stream are the same
// bytes): the switch's core read those bytes last, and writing them would
// take the cache lines back from it, which costs the generator more than
// everything else it does for a frame. 'stamped' frames carry their sequence
// number and transmit time; the others only their stream.
static int build_frame(struct rte_mbuf *m, unsigned p, uint64_t seq, uint64_t tsc, bool stamped)
{
	unsigned size = frame_size(seq) - 4; // the FCS is not in the buffer
	uint32_t flow = (uint32_t)(seq % opt_flows);
	struct held_frame *held = rte_mbuf_to_priv(m);
	uint8_t hdr[sizeof(struct rte_ether_hdr) + 4 + sizeof(struct rte_ipv4_hdr) +
		sizeof(struct rte_tcp_hdr) + sizeof(struct stamp)] __rte_aligned(8);
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)hdr;
	struct rte_ipv4_hdr *ip;
	struct stamp st;
	uint8_t *d, *l4;
	unsigned l2 = sizeof(*eh) + (opt_vlan >= 0 ? 4 : 0);
	unsigned l4_len = opt_tcp ? sizeof(struct rte_tcp_hdr) : sizeof(struct rte_udp_hdr);
	unsigned hdr_len = l2 + (unsigned)sizeof(*ip) + l4_len + (unsigned)sizeof(st);

	d = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)size);
	if (d == NULL)
		return -ENOSPC;
	if (!stamped && held->valid && !held->stamped && held->flow == flow && held->size == size)
		return 0;
	*held = (struct held_frame){.flow = flow, .size = (uint16_t)size, .stamped = stamped,
		.valid = 1};
	eh->dst_addr = ports[p].peer;
	eh->src_addr = ports[p].mac;
	if (opt_vlan >= 0) {
		eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_VLAN);
		*(uint16_t *)(hdr + 14) = rte_cpu_to_be_16((uint16_t)opt_vlan);
		*(uint16_t *)(hdr + 16) = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	} else {
		eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	}
	ip = (struct rte_ipv4_hdr *)(hdr + l2);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(size - l2));
	ip->time_to_live = 64;
	ip->next_proto_id = opt_tcp ? IPPROTO_TCP : IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(src_ip);
	ip->dst_addr = rte_cpu_to_be_32(dst_ip + flow);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	l4 = (uint8_t *)(ip + 1);
	memset(l4, 0, l4_len);
	*(uint16_t *)l4 = rte_cpu_to_be_16((uint16_t)(1024 + flow % 60000));
	*(uint16_t *)(l4 + 2) = rte_cpu_to_be_16(5001);
	if (opt_tcp) {
		l4[12] = 0x50;
		l4[13] = 0x10; // ACK
	} else {
		*(uint16_t *)(l4 + 4) = rte_cpu_to_be_16((uint16_t)(size - l2 - sizeof(*ip)));
	}
	st = stamped ? (struct stamp){.magic = MAGIC, .stream = (uint16_t)p, .seq = (uint32_t)seq,
		.tsc = tsc} : (struct stamp){.magic = MAGIC_UNSTAMPED, .stream = (uint16_t)p};
	memcpy(l4 + l4_len, &st, sizeof(st));
	memcpy(d, hdr, hdr_len);
	return 0;
}

static const struct stamp *find_stamp(const uint8_t *d, uint32_t len)
{
	uint32_t off = sizeof(struct rte_ether_hdr), ihl, l4;
	const struct stamp *st;
	uint16_t type = *(const uint16_t *)(d + 12);

	if (len < off + 20)
		return NULL;
	while (type == RTE_BE16(RTE_ETHER_TYPE_VLAN) || type == RTE_BE16(RTE_ETHER_TYPE_QINQ)) {
		if (len < off + 4 + 20)
			return NULL;
		type = *(const uint16_t *)(d + off + 2);
		off += 4;
	}
	if (type != RTE_BE16(RTE_ETHER_TYPE_IPV4))
		return NULL;
	ihl = (uint32_t)(d[off] & 0xf) * 4;
	l4 = d[off + 9] == IPPROTO_TCP ? 20 : 8;
	off += ihl + l4;
	if (len < off + sizeof(struct stamp))
		return NULL;
	st = (const struct stamp *)(d + off);
	return st->magic == MAGIC || st->magic == MAGIC_UNSTAMPED ? st : NULL;
}

static void account(struct gen_port *rp, const struct stamp *st, uint64_t now)
{
	struct rx_stream *s;
	uint64_t bit, seq;

	if (st->stream >= n_ports) {
		rp->foreign++;
		return;
	}
	s = &rp->from[st->stream];
	if (st->magic == MAGIC_UNSTAMPED) {
		s->received++;
		return;
	}
	// the 64-bit sequence number nearest to the highest seen
	seq = (s->max_seq & ~0xffffffffull) | st->seq;
	if (seq + (1ull << 31) < s->max_seq)
		seq += 1ull << 32;
	else if (seq > s->max_seq + (1ull << 31) && seq >= (1ull << 32))
		seq -= 1ull << 32;
	bit = seq % SEQ_WINDOW;
	if (s->seen == NULL)
		s->seen = calloc(SEQ_WINDOW / 8, 1);
	if (seq + SEQ_WINDOW / 2 > s->max_seq && (s->seen[bit / 8] & (1u << (bit % 8)))) {
		s->duplicated++;
		return;
	}
	s->seen[bit / 8] |= (uint8_t)(1u << (bit % 8));
	if (seq + 1 > s->max_seq) {
		// forget what is now half a window behind, to tell old from new
		for (uint64_t q = s->max_seq; q <= seq && q - s->max_seq < SEQ_WINDOW; q++) {
			uint64_t b = (q + SEQ_WINDOW / 2) % SEQ_WINDOW;
			s->seen[b / 8] &= (uint8_t)~(1u << (b % 8));
		}
		s->max_seq = seq + 1;
	} else {
		s->reordered++;
	}
	s->received++;
	latency_add(&lat, (now - st->tsc) * 1000000000ull / hz);
}

static void poll_rx(void)
{
	struct rte_mbuf *pkts[BURST];

	for (unsigned p = 0; p < n_ports; p++) {
		uint16_t n;
		uint64_t now;

		if (!ports[p].rx)
			continue;
		n = rte_eth_rx_burst(ports[p].eth, 0, pkts, BURST);
		if (n == 0)
			continue;
		now = rte_rdtsc();
		// the switch's core wrote these frames: start every miss at once
		for (uint16_t i = 0; i < n; i++)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
		for (uint16_t i = 0; i < n; i++) {
			const struct stamp *st = find_stamp(rte_pktmbuf_mtod(pkts[i], const uint8_t *),
				pkts[i]->data_len);

			ports[p].received++;
			ports[p].rx_bytes += pkts[i]->pkt_len;
			if (st == NULL)
				ports[p].foreign++;
			else
				account(&ports[p], st, now);
		}
		rte_pktmbuf_free_bulk(pkts, n);
	}
}

struct trial {
	double rate;       // offered, per port (0: flat out)
	double seconds;
	uint64_t sent, received, lost, reordered, duplicated;
	double tx_pps, rx_pps; // all ports
	struct latency lat;
};

static void reset_counters(void)
{
	for (unsigned p = 0; p < n_ports; p++) {
		struct gen_port *gp = &ports[p];

		gp->sent = gp->received = gp->rx_bytes = gp->foreign = gp->tx_retries = 0;
		for (unsigned s = 0; s < MAX_PORTS; s++) {
			free(gp->from[s].seen);
			memset(&gp->from[s], 0, sizeof(gp->from[s]));
		}
	}
	latency_reset(&lat);
}

static void progress(const struct trial *t, double elapsed)
{
	uint64_t sent = 0, rcvd = 0;

	for (unsigned p = 0; p < n_ports; p++) {
		sent += ports[p].sent;
		rcvd += ports[p].received;
	}
	fprintf(stderr, "\r%6.1fs  tx %10" PRIu64 " (%7.3f Mpps)  rx %10" PRIu64 " (%7.3f Mpps)  "
		"p99 %8.1f us   ", elapsed, sent, sent / elapsed / 1e6, rcvd, rcvd / elapsed / 1e6,
		latency_quantile(&lat, 0.99) / 1000.0);
	(void)t;
}

// Sends at 'rate' per port (0: flat out) for 'seconds' or opt_count frames,
// then waits for stragglers and sums up.
static void run_trial(struct trial *t, double rate, double seconds)
{
	uint64_t start, end, now, last_progress, next_seq[MAX_PORTS] = {0};
	struct rte_mbuf *burst[BURST];

	reset_counters();
	memset(t, 0, sizeof(*t));
	t->rate = rate;
	start = rte_rdtsc();
	end = start + (uint64_t)(seconds * (double)hz);
	last_progress = start;
	while (!quit) {
		bool more = false;

		now = rte_rdtsc();
		if (opt_count == 0 && now >= end)
			break;
		for (unsigned p = 0; p < n_ports; p++) {
			uint64_t due;
			uint16_t n, sent;

			if (!ports[p].tx || (opt_count && next_seq[p] >= opt_count))
				continue;
			more = true;
			due = rate > 0 ? (uint64_t)((double)(now - start) * rate / (double)hz) + 1 : UINT64_MAX;
			if (opt_count && due > opt_count)
				due = opt_count;
			if (next_seq[p] >= due)
				continue;
			n = (uint16_t)RTE_MIN((uint64_t)BURST, due - next_seq[p]);
			if (rte_pktmbuf_alloc_bulk(ports[p].tx_pool, burst, n) != 0)
				continue;
			for (uint16_t i = 0; i < n; i++)
				build_frame(burst[i], p, next_seq[p] + i, now,
					(next_seq[p] + i) % opt_sample == 0);
			sent = rte_eth_tx_burst(ports[p].eth, 0, burst, n);
			if (sent < n) {
				// a full ring: the frames not taken are sent again later,
				// keeping the sequence without holes
				ports[p].tx_retries += n - sent;
				rte_pktmbuf_free_bulk(burst + sent, n - sent);
			}
			next_seq[p] += sent;
			ports[p].sent += sent;
		}
		poll_rx();
		if (opt_count && !more)
			break;
		if (opt_progress && now - last_progress > hz / 2) {
			progress(t, (double)(now - start) / (double)hz);
			last_progress = now;
		}
	}
	t->seconds = (double)(rte_rdtsc() - start) / (double)hz;
	// what is still in flight arrives within a few milliseconds
	end = rte_rdtsc() + hz / 5;
	while (rte_rdtsc() < end)
		poll_rx();
	if (opt_progress) {
		progress(t, t->seconds);
		fputc('\n', stderr);
	}
	for (unsigned p = 0; p < n_ports; p++) {
		t->sent += ports[p].sent;
		for (unsigned s = 0; s < n_ports; s++) {
			t->received += ports[p].from[s].received;
			t->reordered += ports[p].from[s].reordered;
			t->duplicated += ports[p].from[s].duplicated;
		}
	}
	t->lost = t->sent > t->received ? t->sent - t->received : 0;
	t->tx_pps = (double)t->sent / t->seconds;
	t->rx_pps = (double)t->received / t->seconds;
	t->lat = lat;
}

static json_t *trial_json(const struct trial *t)
{
	return json_pack("{s:f,s:f,s:I,s:I,s:I,s:I,s:I,s:f,s:f,s:f,s:{s:I,s:f,s:I,s:I,s:I,s:I,s:I}}",
		"offered_pps_per_port", t->rate, "seconds", t->seconds, "sent", (json_int_t)t->sent,
		"received", (json_int_t)t->received, "lost", (json_int_t)t->lost,
		"reordered", (json_int_t)t->reordered, "duplicated", (json_int_t)t->duplicated,
		"loss_percent", t->sent ? 100.0 * (double)t->lost / (double)t->sent : 0.0,
		"tx_mpps", t->tx_pps / 1e6, "rx_mpps", t->rx_pps / 1e6,
		"latency_ns", "min", (json_int_t)(t->lat.count ? t->lat.min : 0),
		"mean", t->lat.count ? (double)t->lat.sum / (double)t->lat.count : 0.0,
		"p50", (json_int_t)latency_quantile(&t->lat, 0.5),
		"p99", (json_int_t)latency_quantile(&t->lat, 0.99),
		"p99.9", (json_int_t)latency_quantile(&t->lat, 0.999),
		"max", (json_int_t)t->lat.max, "samples", (json_int_t)t->lat.count);
}

static unsigned n_tx_ports(void)
{
	unsigned n = 0;

	for (unsigned p = 0; p < n_ports; p++)
		n += ports[p].tx;
	return n;
}

// RFC 2544 throughput: find the top rate flat out, then binary search.
static json_t *rfc2544(void)
{
	struct trial t, best_ndr = {0}, best_pdr = {0};
	json_t *trials = json_array();
	double top, lo, hi, step;
	unsigned ntx = n_tx_ports() ? n_tx_ports() : 1;

	run_trial(&t, 0, opt_trial);
	json_array_append_new(trials, trial_json(&t));
	top = t.tx_pps / ntx;
	step = top * opt_resolution / 100.0;
	for (int pass = 0; pass < 2 && !quit; pass++) {
		double allowed = pass == 0 ? 0.0 : opt_pdr_loss;
		struct trial *best = pass == 0 ? &best_ndr : &best_pdr;

		lo = 0;
		hi = top;
		// at the top rate the flat-out trial may already pass
		if (100.0 * (double)t.lost / (double)(t.sent ? t.sent : 1) <= allowed && t.duplicated == 0) {
			*best = t;
			best->rate = top;
			continue;
		}
		while (hi - lo > step && !quit) {
			double mid = (lo + hi) / 2;
			struct trial m;

			run_trial(&m, mid, opt_trial);
			json_array_append_new(trials, trial_json(&m));
			if (m.sent && 100.0 * (double)m.lost / (double)m.sent <= allowed) {
				lo = mid;
				*best = m;
			} else {
				hi = mid;
			}
		}
	}
	return json_pack("{s:f,s:f,s:f,s:o,s:o,s:o}", "ndr_mpps", best_ndr.rx_pps / 1e6,
		"pdr_mpps", best_pdr.rx_pps / 1e6, "pdr_loss_percent", opt_pdr_loss,
		"ndr", trial_json(&best_ndr), "pdr", trial_json(&best_pdr), "trials", trials);
}

static bool parse_mac(const char *s, struct rte_ether_addr *a)
{
	return rte_ether_unformat_addr(s, a) == 0;
}

static void parse_list(const char *s, bool tx)
{
	char *copy = strdup(s), *tok, *save = NULL;

	for (unsigned p = 0; p < MAX_PORTS; p++) {
		if (tx)
			ports[p].tx = false;
		else
			ports[p].rx = false;
	}
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		unsigned p = (unsigned)atoi(tok);

		if (p >= MAX_PORTS)
			die("no port %u", p);
		if (tx)
			ports[p].tx = true;
		else
			ports[p].rx = true;
	}
	free(copy);
}

static void parse_args(int argc, char **argv)
{
	enum { O_PORT = 256, O_RING, O_TX, O_RX, O_SIZE, O_FLOWS, O_TCP, O_VLAN, O_SRC, O_DST,
		O_RATE, O_DUR, O_COUNT, O_RFC, O_TRIAL, O_PDR, O_RES, O_JSON, O_PROG, O_NOPROG,
		O_CORE, O_PREFIX, O_NOHUGE, O_WARMUP, O_VIRTIO, O_SAMPLE };
	static const struct option opts[] = {
		{"port", 1, NULL, O_PORT}, {"ring-loopback", 0, NULL, O_RING}, {"tx", 1, NULL, O_TX},
		{"rx", 1, NULL, O_RX}, {"size", 1, NULL, O_SIZE}, {"flows", 1, NULL, O_FLOWS},
		{"tcp", 0, NULL, O_TCP}, {"vlan", 1, NULL, O_VLAN}, {"src-ip", 1, NULL, O_SRC},
		{"dst-ip", 1, NULL, O_DST}, {"rate", 1, NULL, O_RATE}, {"duration", 1, NULL, O_DUR},
		{"count", 1, NULL, O_COUNT}, {"rfc2544", 0, NULL, O_RFC}, {"trial", 1, NULL, O_TRIAL},
		{"pdr-loss", 1, NULL, O_PDR}, {"resolution", 1, NULL, O_RES}, {"json", 1, NULL, O_JSON},
		{"progress", 0, NULL, O_PROG}, {"no-progress", 0, NULL, O_NOPROG},
		{"core", 1, NULL, O_CORE}, {"file-prefix", 1, NULL, O_PREFIX},
		{"no-huge", 0, NULL, O_NOHUGE}, {"warmup", 1, NULL, O_WARMUP},
		{"virtio-args", 1, NULL, O_VIRTIO}, {"sample", 1, NULL, O_SAMPLE},
		{"help", 0, NULL, 'h'}, {NULL, 0, NULL, 0},
	};
	int o;

	for (unsigned p = 0; p < MAX_PORTS; p++)
		ports[p].tx = ports[p].rx = true;
	opt_progress = isatty(STDERR_FILENO);
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case O_PORT: {
			struct gen_port *gp = &ports[n_ports];
			char *copy = strdup(optarg), *tok, *save = NULL;

			if (n_ports == MAX_PORTS)
				die("at most %d ports", MAX_PORTS);
			tok = strtok_r(copy, ",", &save);
			snprintf(gp->path, sizeof(gp->path), "%s", tok);
			while ((tok = strtok_r(NULL, ",", &save)) != NULL) {
				if (strcmp(tok, "server") == 0)
					gp->server = true;
				else if (strncmp(tok, "mac=", 4) == 0 && parse_mac(tok + 4, &gp->mac))
					gp->has_mac = true;
				else if (strncmp(tok, "peer=", 5) == 0 && parse_mac(tok + 5, &gp->peer))
					gp->has_peer = true;
				else
					die("bad port option '%s'", tok);
			}
			free(copy);
			n_ports++;
			break;
		}
		case O_VIRTIO:
			if (strlen(optarg) + 2 > sizeof(opt_virtio) || strchr(optarg, ' ') != NULL)
				die("--virtio-args: too long or has a space");
			snprintf(opt_virtio, sizeof(opt_virtio), ",%s", optarg);
			break;
		case O_RING: opt_ring_loopback = true; break;
		case O_TX: parse_list(optarg, true); break;
		case O_RX: parse_list(optarg, false); break;
		case O_SIZE:
			if (strcmp(optarg, "imix") == 0)
				opt_imix = true;
			else if ((opt_size = (unsigned)atoi(optarg)) < 64 || opt_size > 1518)
				die("--size takes 64 to 1518 or imix");
			break;
		case O_FLOWS:
			if ((opt_flows = (uint32_t)strtoul(optarg, NULL, 0)) == 0)
				die("--flows takes at least 1");
			break;
		case O_TCP: opt_tcp = true; break;
		case O_VLAN:
			if ((opt_vlan = atoi(optarg)) < 0 || opt_vlan > 4095)
				die("--vlan takes 0 to 4095");
			break;
		case O_SRC:
		case O_DST: {
			unsigned a, b, c, d;

			if (sscanf(optarg, "%u.%u.%u.%u", &a, &b, &c, &d) != 4 || a > 255 || b > 255 ||
			    c > 255 || d > 255)
				die("bad address '%s'", optarg);
			*(o == O_SRC ? &src_ip : &dst_ip) = RTE_IPV4(a, b, c, d);
			break;
		}
		case O_RATE: opt_rate = atof(optarg); break;
		case O_DUR: opt_duration = atof(optarg); break;
		case O_COUNT: opt_count = strtoull(optarg, NULL, 0); break;
		case O_RFC: opt_rfc2544 = true; break;
		case O_TRIAL: opt_trial = atof(optarg); break;
		case O_PDR: opt_pdr_loss = atof(optarg); break;
		case O_RES: opt_resolution = atof(optarg); break;
		case O_JSON: opt_json = optarg; break;
		case O_PROG: opt_progress = true; break;
		case O_NOPROG: opt_progress = false; break;
		case O_CORE: snprintf(opt_core, sizeof(opt_core), "%s", optarg); break;
		case O_PREFIX: snprintf(opt_prefix, sizeof(opt_prefix), "%s", optarg); break;
		case O_NOHUGE: opt_no_huge = true; break;
		case O_WARMUP: opt_warmup = atof(optarg); break;
		case O_SAMPLE:
			if ((opt_sample = (uint32_t)strtoul(optarg, NULL, 0)) == 0)
				die("--sample takes at least 1");
			break;
		case 'h': fputs(usage, stdout); exit(0);
		default: fputs(usage, stderr); exit(2);
		}
	}
	if (opt_ring_loopback) {
		if (n_ports)
			die("--ring-loopback makes its own two ports");
		n_ports = 2;
	}
	if (opt_tcp && (opt_imix || opt_size < 74))
		die("--tcp frames carry their stamp after 54 bytes of headers: --size 74 or more");
	if (n_ports == 0)
		die("no ports (--port PATH or --ring-loopback)");
	if (opt_duration <= 0 && opt_count == 0)
		die("--duration must be positive");
}

static void start_ports(void)
{
	struct rte_eth_conf conf = {0};

	if (opt_ring_loopback) {
		// tx of each port is the rx of the other
		struct rte_ring *r[2];

		r[0] = rte_ring_create("pg_r0", 4096, (int)rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
		r[1] = rte_ring_create("pg_r1", 4096, (int)rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (r[0] == NULL || r[1] == NULL)
			die("cannot create rings");
		for (int p = 0; p < 2; p++) {
			char name[16];
			int id;

			snprintf(name, sizeof(name), "pg_ring%d", p);
			id = rte_eth_from_rings(name, &r[p], 1, &r[1 - p], 1, (unsigned)rte_socket_id());
			if (id < 0)
				die("cannot create ring port");
			ports[p].eth = (uint16_t)id;
		}
	} else {
		for (unsigned p = 0; p < n_ports; p++) {
			char name[32];

			snprintf(name, sizeof(name), "net_virtio_user%u", p);
			if (rte_eth_dev_get_port_by_name(name, &ports[p].eth) < 0)
				die("port %u (%s) did not come up", p, ports[p].path);
		}
	}
	for (unsigned p = 0; p < n_ports; p++) {
		struct gen_port *gp = &ports[p];

		if (rte_eth_dev_configure(gp->eth, 1, 1, &conf) < 0 ||
		    rte_eth_rx_queue_setup(gp->eth, 0, 1024, rte_socket_id(), NULL, pool) < 0 ||
		    rte_eth_tx_queue_setup(gp->eth, 0, 1024, rte_socket_id(), NULL) < 0 ||
		    rte_eth_dev_start(gp->eth) < 0)
			die("cannot start port %u", p);
		if (!gp->has_mac)
			rte_eth_macaddr_get(gp->eth, &gp->mac);
	}
	for (unsigned p = 0; p < n_ports; p++)
		if (!ports[p].has_peer)
			ports[p].peer = ports[(p ^ 1) < n_ports ? p ^ 1 : p].mac;
}

static void wait_links(void)
{
	uint64_t deadline = rte_rdtsc() + 30 * hz;

	for (unsigned p = 0; p < n_ports && !quit; p++) {
		struct rte_eth_link link;

		do {
			rte_eth_link_get_nowait(ports[p].eth, &link);
			if (link.link_status == RTE_ETH_LINK_UP)
				break;
			usleep(10000);
		} while (rte_rdtsc() < deadline && !quit);
		if (link.link_status != RTE_ETH_LINK_UP)
			die("port %u (%s): link did not come up", p, ports[p].path);
	}
}

int main(int argc, char **argv)
{
	char *eal[16 + MAX_PORTS], vdevs[MAX_PORTS][512];
	struct trial t;
	json_t *report;
	int n = 0;

	parse_args(argc, argv);
	if (opt_prefix[0] == '\0')
		snprintf(opt_prefix, sizeof(opt_prefix), "pswitch-pktgen-%d", getpid());
	eal[n++] = "pswitch-pktgen";
	eal[n++] = "-l";
	eal[n++] = opt_core;
	eal[n++] = "--file-prefix";
	eal[n++] = opt_prefix;
	eal[n++] = "--no-pci";
	eal[n++] = "--log-level=warning";
	if (opt_no_huge) {
		eal[n++] = "--no-huge";
		eal[n++] = "-m";
		eal[n++] = "256";
	} else {
		eal[n++] = "--single-file-segments";
		eal[n++] = "--socket-mem=512";
	}
	for (unsigned p = 0; !opt_ring_loopback && p < n_ports; p++) {
		snprintf(vdevs[p], sizeof(vdevs[p]), "--vdev=net_virtio_user%u,path=%.255s,queues=1,queue_size=1024%s%s",
			p, ports[p].path, ports[p].server ? ",server=1" : "", opt_virtio);
		if (ports[p].server)
			unlink(ports[p].path);
		eal[n++] = vdevs[p];
	}
	eal[n] = NULL;
	if (rte_eal_init(n, eal) < 0)
		die("cannot initialize DPDK");
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	hz = rte_get_tsc_hz();
	pool = rte_pktmbuf_pool_create("pktgen", 32767, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
		(int)rte_socket_id());
	if (pool == NULL)
		die("cannot create the buffer pool");
	// each transmitting port has its own buffers, so that a buffer comes
	// back holding a frame of that port (build_frame writes it only if it must)
	for (unsigned p = 0; p < n_ports; p++) {
		char name[32];

		snprintf(name, sizeof(name), "pktgen_tx%u", p);
		ports[p].tx_pool = rte_pktmbuf_pool_create(name, 4095, 256,
			RTE_ALIGN(sizeof(struct held_frame), RTE_MBUF_PRIV_ALIGN),
			RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
		if (ports[p].tx_pool == NULL)
			die("cannot create the buffer pool of port %u", p);
		rte_mempool_obj_iter(ports[p].tx_pool, forget_held, NULL);
	}
	start_ports();
	wait_links();
	if (opt_rfc2544) {
		report = json_pack("{s:o}", "rfc2544", rfc2544());
	} else {
		if (opt_warmup > 0) {
			uint64_t count = opt_count;

			opt_count = 0;
			run_trial(&t, opt_rate, opt_warmup);
			opt_count = count;
		}
		run_trial(&t, opt_rate, opt_duration);
		report = trial_json(&t);
		json_object_set_new(report, "ports", json_array());
		for (unsigned p = 0; p < n_ports; p++) {
			json_array_append_new(json_object_get(report, "ports"), json_pack(
				"{s:i,s:s,s:I,s:I,s:I,s:I}", "port", p, "path",
				opt_ring_loopback ? "ring" : ports[p].path, "sent", (json_int_t)ports[p].sent,
				"received", (json_int_t)ports[p].received, "foreign", (json_int_t)ports[p].foreign,
				"tx_retries", (json_int_t)ports[p].tx_retries));
		}
		printf("sent %" PRIu64 ", received %" PRIu64 ", lost %" PRIu64 ", reordered %" PRIu64
			", duplicated %" PRIu64 "; %.3f Mpps out, %.3f Mpps in; latency p50 %.1f us, "
			"p99 %.1f us, max %.1f us\n", t.sent, t.received, t.lost, t.reordered, t.duplicated,
			t.tx_pps / 1e6, t.rx_pps / 1e6, latency_quantile(&t.lat, 0.5) / 1e3,
			latency_quantile(&t.lat, 0.99) / 1e3, t.lat.max / 1e3);
	}
	if (opt_json != NULL) {
		if (strcmp(opt_json, "-") == 0) {
			json_dumpf(report, stdout, JSON_INDENT(2));
			printf("\n");
		} else if (json_dump_file(report, opt_json, JSON_INDENT(2)) < 0) {
			die("cannot write %s", opt_json);
		}
	}
	json_decref(report);
	for (unsigned p = 0; p < n_ports; p++) {
		rte_eth_dev_stop(ports[p].eth);
		rte_eth_dev_close(ports[p].eth);
	}
	rte_eal_cleanup();
	return quit ? 1 : 0;
}
