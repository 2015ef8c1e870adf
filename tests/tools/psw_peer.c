// SPDX-License-Identifier: BSD-3-Clause
// psw-peer: a test endpoint that attaches to pswitchd the way a DPDK pod does
// (virtio-user on vhost-user sockets), sends the frames a script names and
// records every frame it receives, so that tests can compare bytes.
//
//   psw-peer --port a=/run/a.sock[,server][,queues=N] --port b=... --script FILE --out DIR
//            [--no-huge] [--core N] [--file-prefix P] [--linger-ms N]
//
// Script lines:
//   wait-file PATH                  wait until PATH exists (the test's "go")
//   send PORT HEX [COUNT [QUEUE]]   send the frame COUNT times (on queue QUEUE)
//   stream PORT HEX PPS MS          send at PPS for MS; a 32-bit sequence
//                                   number replaces the last 4 bytes
//   sleep MS
//   mark NAME                       create DIR/NAME (tells the test where we are)
// After the script it receives for --linger-ms more, then writes DIR/PORT.rx
// (one hex frame a line, the first 20000) and DIR/summary.json.
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#define MAX_PORTS 8
#define MAX_DUMP 20000
#define MAX_SIGS 64

struct sig_count {
	uint8_t sig[16]; // MACs and the 4 bytes after (tag or ethertype)
	uint64_t n;
};

struct peer_port {
	char name[32];
	char path[256];
	bool server;
	uint16_t queues;
	uint16_t eth;
	uint64_t tx, tx_failed, rx, rx_bytes;
	FILE *dump;
	uint64_t dumped;
	struct sig_count sigs[MAX_SIGS];
	unsigned n_sigs;
	uint32_t last_seq;
	uint64_t seq_seen, reordered;
};

static struct peer_port ports[MAX_PORTS];
static unsigned n_ports;
static struct rte_mempool *pool;
static char out_dir[512] = ".";
static volatile bool quit;

static void on_signal(int s)
{
	(void)s;
	quit = true;
}

static struct peer_port *port_named(const char *name)
{
	for (unsigned i = 0; i < n_ports; i++)
		if (strcmp(ports[i].name, name) == 0)
			return &ports[i];
	fprintf(stderr, "psw-peer: unknown port '%s'\n", name);
	exit(2);
}

static void record(struct peer_port *p, struct rte_mbuf *m)
{
	const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = m->data_len;
	unsigned i;

	p->rx++;
	p->rx_bytes += m->pkt_len;
	if (p->dump != NULL && p->dumped < MAX_DUMP) {
		for (uint32_t k = 0; k < len; k++)
			fprintf(p->dump, "%02x", d[k]);
		fputc('\n', p->dump);
		p->dumped++;
	}
	if (len >= 16) {
		for (i = 0; i < p->n_sigs; i++)
			if (memcmp(p->sigs[i].sig, d, 16) == 0)
				break;
		if (i == p->n_sigs && p->n_sigs < MAX_SIGS)
			memcpy(p->sigs[p->n_sigs++].sig, d, 16);
		if (i < p->n_sigs)
			p->sigs[i].n++;
	}
	if (len >= 64) {
		uint32_t seq;

		memcpy(&seq, d + len - 4, 4);
		if (p->seq_seen && seq < p->last_seq)
			p->reordered++;
		p->last_seq = seq;
		p->seq_seen++;
	}
}

static void poll_rx(void)
{
	struct rte_mbuf *pkts[32];

	for (unsigned i = 0; i < n_ports; i++) {
		for (uint16_t q = 0; q < ports[i].queues; q++) {
			uint16_t n = rte_eth_rx_burst(ports[i].eth, q, pkts, 32);

			for (uint16_t k = 0; k < n; k++) {
				record(&ports[i], pkts[k]);
				rte_pktmbuf_free(pkts[k]);
			}
		}
	}
}

static int parse_hex(const char *hex, uint8_t *buf, size_t max)
{
	size_t n = strlen(hex) / 2;

	if (strlen(hex) % 2 || n > max || n < 1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -1;
		buf[i] = (uint8_t)v;
	}
	return (int)n;
}

static void send_frame(struct peer_port *p, uint16_t q, const uint8_t *frame, int len,
	uint32_t *seq)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint8_t *d;

	if (m == NULL) {
		p->tx_failed++;
		return;
	}
	d = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)len);
	memcpy(d, frame, (size_t)len);
	if (seq != NULL)
		memcpy(d + len - 4, seq, 4);
	// a full ring is retried: the peer never drops what it was told to send
	for (int tries = 0; tries < 100000; tries++) {
		if (rte_eth_tx_burst(p->eth, q, &m, 1) == 1) {
			p->tx++;
			return;
		}
		poll_rx();
	}
	rte_pktmbuf_free(m);
	p->tx_failed++;
}

static void wait_ms(uint64_t ms)
{
	uint64_t end = rte_rdtsc() + ms * rte_get_tsc_hz() / 1000;

	while (rte_rdtsc() < end && !quit) {
		poll_rx();
		usleep(50);
	}
}

static void run_script(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[8192];
	static uint8_t frame[9216];

	if (f == NULL) {
		fprintf(stderr, "psw-peer: cannot open script %s\n", path);
		exit(2);
	}
	while (!quit && fgets(line, sizeof(line), f) != NULL) {
		char cmd[32], a[256], hex[8192];
		unsigned long x = 0, y = 0;
		int n;

		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '#' || sscanf(line, "%31s", cmd) != 1)
			continue;
		if (strcmp(cmd, "wait-file") == 0 && sscanf(line, "%*s %255s", a) == 1) {
			struct stat st;
			while (!quit && stat(a, &st) != 0) {
				poll_rx();
				usleep(1000);
			}
		} else if (strcmp(cmd, "sleep") == 0 && sscanf(line, "%*s %lu", &x) == 1) {
			wait_ms(x);
		} else if (strcmp(cmd, "mark") == 0 && sscanf(line, "%*s %255s", a) == 1) {
			char p[1024];
			snprintf(p, sizeof(p), "%s/%s", out_dir, a);
			fclose(fopen(p, "w"));
		} else if (strcmp(cmd, "send") == 0 &&
			   (n = sscanf(line, "%*s %255s %8191s %lu %lu", a, hex, &x, &y)) >= 2) {
			struct peer_port *p = port_named(a);
			int len = parse_hex(hex, frame, sizeof(frame));

			if (len < 0) {
				fprintf(stderr, "psw-peer: bad frame in: %s\n", line);
				exit(2);
			}
			if (n == 4 && y >= p->queues) {
				fprintf(stderr, "psw-peer: port %s has no queue %lu\n", a, y);
				exit(2);
			}
			for (unsigned long k = 0; k < (n >= 3 ? x : 1) && !quit; k++)
				send_frame(p, n == 4 ? (uint16_t)y : 0, frame, len, NULL);
			poll_rx();
		} else if (strcmp(cmd, "stream") == 0 &&
			   sscanf(line, "%*s %255s %8191s %lu %lu", a, hex, &x, &y) == 4) {
			struct peer_port *p = port_named(a);
			int len = parse_hex(hex, frame, sizeof(frame));
			uint64_t hz = rte_get_tsc_hz(), start = rte_rdtsc();
			uint64_t end = start + y * hz / 1000, sent = 0;
			uint32_t seq = 0;

			if (len < 64 || x == 0) {
				fprintf(stderr, "psw-peer: stream needs a frame of 64+ bytes and a rate\n");
				exit(2);
			}
			while (!quit && rte_rdtsc() < end) {
				uint64_t due = (rte_rdtsc() - start) * x / hz;

				while (sent < due && !quit) {
					seq++;
					send_frame(p, 0, frame, len, &seq);
					sent++;
				}
				poll_rx();
			}
		} else {
			fprintf(stderr, "psw-peer: bad script line: %s\n", line);
			exit(2);
		}
	}
	fclose(f);
}

static void write_summary(void)
{
	json_t *o = json_object();
	char path[1024];

	for (unsigned i = 0; i < n_ports; i++) {
		struct peer_port *p = &ports[i];
		json_t *sigs = json_object();

		for (unsigned k = 0; k < p->n_sigs; k++) {
			char hex[40];
			for (int b = 0; b < 16; b++)
				sprintf(hex + 2 * b, "%02x", p->sigs[k].sig[b]);
			json_object_set_new(sigs, hex, json_integer((json_int_t)p->sigs[k].n));
		}
		json_object_set_new(o, p->name, json_pack("{s:I,s:I,s:I,s:I,s:I,s:o}",
			"tx", (json_int_t)p->tx, "tx_failed", (json_int_t)p->tx_failed,
			"rx", (json_int_t)p->rx, "rx_bytes", (json_int_t)p->rx_bytes,
			"reordered", (json_int_t)p->reordered, "signatures", sigs));
	}
	snprintf(path, sizeof(path), "%s/summary.json", out_dir);
	json_dump_file(o, path, JSON_INDENT(1));
	json_decref(o);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"port", required_argument, NULL, 'p'}, {"script", required_argument, NULL, 's'},
		{"out", required_argument, NULL, 'o'}, {"no-huge", no_argument, NULL, 'n'},
		{"core", required_argument, NULL, 'c'}, {"file-prefix", required_argument, NULL, 'f'},
		{"linger-ms", required_argument, NULL, 'l'}, {NULL, 0, NULL, 0},
	};
	char *eal[64], vdevs[MAX_PORTS][400], core[16] = "0", prefix[64];
	const char *script = NULL;
	unsigned long linger = 300;
	bool no_huge = false;
	int opt, n = 0;

	snprintf(prefix, sizeof(prefix), "psw-peer-%d", getpid());
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'p': {
			char *eq = strchr(optarg, '='), *comma;
			struct peer_port *p = &ports[n_ports];

			if (eq == NULL || n_ports == MAX_PORTS)
				return 2;
			*eq = '\0';
			snprintf(p->name, sizeof(p->name), "%s", optarg);
			p->queues = 1;
			comma = strchr(eq + 1, ',');
			if (comma != NULL) {
				char *o, *save = NULL;

				*comma = '\0';
				for (o = strtok_r(comma + 1, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
					if (strcmp(o, "server") == 0)
						p->server = true;
					else if (strncmp(o, "queues=", 7) == 0 && atoi(o + 7) > 0 &&
						 atoi(o + 7) <= 8)
						p->queues = (uint16_t)atoi(o + 7);
					else
						return 2;
				}
			}
			snprintf(p->path, sizeof(p->path), "%s", eq + 1);
			n_ports++;
			break;
		}
		case 's': script = optarg; break;
		case 'o': snprintf(out_dir, sizeof(out_dir), "%s", optarg); break;
		case 'n': no_huge = true; break;
		case 'c': snprintf(core, sizeof(core), "%s", optarg); break;
		case 'f': snprintf(prefix, sizeof(prefix), "%s", optarg); break;
		case 'l': linger = strtoul(optarg, NULL, 0); break;
		default: return 2;
		}
	}
	if (script == NULL || n_ports == 0) {
		fprintf(stderr, "usage: psw-peer --port NAME=PATH[,server]... --script FILE --out DIR\n");
		return 2;
	}
	eal[n++] = "psw-peer";
	eal[n++] = "-l";
	eal[n++] = core;
	eal[n++] = "--file-prefix";
	eal[n++] = prefix;
	eal[n++] = "--no-pci";
	eal[n++] = "--log-level=warning";
	if (no_huge) {
		eal[n++] = "--no-huge";
		eal[n++] = "-m";
		eal[n++] = "128";
	} else {
		eal[n++] = "--single-file-segments";
		eal[n++] = "--in-memory";
		eal[n++] = "--socket-mem=128";
	}
	for (unsigned i = 0; i < n_ports; i++) {
		struct stat st;

		// a server's socket left by a killed predecessor would block bind,
		// as it does for any DPDK application restarted in a pod
		if (ports[i].server && lstat(ports[i].path, &st) == 0 && S_ISSOCK(st.st_mode))
			unlink(ports[i].path);
		snprintf(vdevs[i], sizeof(vdevs[i]), "--vdev=net_virtio_user%u,path=%s,queues=%u,queue_size=4096%s",
			i, ports[i].path, ports[i].queues, ports[i].server ? ",server=1" : "");
		eal[n++] = vdevs[i];
	}
	eal[n] = NULL;
	if (rte_eal_init(n, eal) < 0) {
		fprintf(stderr, "psw-peer: EAL init failed\n");
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	pool = rte_pktmbuf_pool_create("peer", 16383, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
		(int)rte_socket_id());
	for (unsigned i = 0; i < n_ports; i++) {
		// link-state interrupts: how a virtio-user server notices its
		// vhost-user client (pswitchd) went away, and takes it back when it
		// reconnects, as a DPDK application in a pod must
		struct rte_eth_conf conf = {.intr_conf.lsc = ports[i].server};
		char path[1024], name[64];

		snprintf(name, sizeof(name), "net_virtio_user%u", i);
		bool ok = rte_eth_dev_get_port_by_name(name, &ports[i].eth) == 0 &&
			rte_eth_dev_configure(ports[i].eth, ports[i].queues, ports[i].queues, &conf) == 0;

		for (uint16_t q = 0; ok && q < ports[i].queues; q++)
			ok = rte_eth_rx_queue_setup(ports[i].eth, q, 1024, 0, NULL, pool) == 0 &&
				rte_eth_tx_queue_setup(ports[i].eth, q, 1024, 0, NULL) == 0;
		if (!ok || rte_eth_dev_start(ports[i].eth) < 0) {
			fprintf(stderr, "psw-peer: cannot start port %s\n", ports[i].name);
			return 1;
		}
		snprintf(path, sizeof(path), "%.512s/%.32s.rx", out_dir, ports[i].name);
		ports[i].dump = fopen(path, "w");
	}
	run_script(script);
	wait_ms(linger);
	for (unsigned i = 0; i < n_ports; i++) {
		if (ports[i].dump)
			fclose(ports[i].dump);
		rte_eth_dev_stop(ports[i].eth);
		rte_eth_dev_close(ports[i].eth);
	}
	write_summary();
	rte_eal_cleanup();
	return 0;
}
