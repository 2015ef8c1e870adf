// SPDX-License-Identifier: BSD-3-Clause
// pswitch-cni: what every part of the plugin shares. The plugin speaks the
// CNI specification 1.1.0 (and configs of 0.4.0 and 1.0.0) to the runtime on
// stdin, stdout and the environment, and pswitchd's control protocol to the
// switch. It never links DPDK.
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define CNI_SPEC_VERSION "1.1.0"

// Error codes of the specification; codes from 100 up are this plugin's.
enum cni_code {
	CNI_ERR_INCOMPATIBLE_VERSION = 1,
	CNI_ERR_UNSUPPORTED_FIELD = 2,
	CNI_ERR_UNKNOWN_CONTAINER = 3,
	CNI_ERR_INVALID_ENV = 4,
	CNI_ERR_IO = 5,
	CNI_ERR_DECODE = 6,
	CNI_ERR_INVALID_CONFIG = 7,
	CNI_ERR_TRY_AGAIN = 11,
	CNI_ERR_NOT_AVAILABLE = 50,
	CNI_ERR_LIMITED = 51,
	CNI_ERR_SWITCH = 100,   // pswitchd refused the port
	CNI_ERR_NETLINK = 101,  // the kernel refused a veth, address or route
	CNI_ERR_CHECK = 102,    // CHECK found the attachment not as it should be
};

struct cni_error {
	unsigned code;
	char msg[512];
	char details[1024];
};

// Fills 'e' and returns -1, so that a caller can 'return cni_fail(...)'.
int cni_fail(struct cni_error *e, unsigned code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
// Adds a sentence to the details of 'e' (what was cleaned up, the cause).
void cni_detail(struct cni_error *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

enum cni_cmd { CMD_ADD, CMD_DEL, CMD_CHECK, CMD_STATUS, CMD_GC, CMD_VERSION };

enum pod_kind { POD_KERNEL, POD_DPDK };

#define CNI_MAX_ADDRS 8
#define CNI_MAX_ROUTES 32

struct cni_ip {
	char address[64];   // "10.88.0.5/16"
	char gateway[48];   // may be empty
	bool v4;
	int interface;      // index in the result's interfaces, -1 when none
};

struct cni_route {
	char dst[64];       // "0.0.0.0/0"
	char gw[48];        // may be empty: the gateway of the address family
	bool v4;
};

// What IPAM gave (or a previous result says).
struct cni_addrs {
	struct cni_ip ips[CNI_MAX_ADDRS];
	unsigned n_ips;
	struct cni_route routes[CNI_MAX_ROUTES];
	unsigned n_routes;
	json_t *dns;        // as IPAM or the config gave it, may be NULL
};

// The environment of one call.
struct cni_env {
	enum cni_cmd cmd;
	const char *command;
	const char *container_id;
	const char *netns;
	const char *ifname;
	const char *args;
	const char *path;
	// from CNI_ARGS
	char k8s_namespace[256];
	char k8s_pod[256];
	char k8s_pod_uid[128];
	char mac_arg[32];
};

struct vhost_conf {
	char socket_dir[80];
	bool pswitchd_server;     // pswitchd listens (mode "server"); the pod listens by default
	uid_t owner;
	gid_t group;
	bool has_owner, has_group;
	mode_t socket_mode;
	mode_t dir_mode;
	unsigned queues;
};

// runtimeConfig.bandwidth (the "bandwidth" capability), from the pod's side:
// ingress is what reaches the pod, egress what it sends. Bits per second and
// bits; 0: none.
struct cni_bandwidth {
	uint64_t ingress_rate, ingress_burst;
	uint64_t egress_rate, egress_burst;
};

// The network configuration on stdin.
struct cni_conf {
	json_t *root;             // owned
	char version[16];
	char name[128];
	enum pod_kind kind;
	char socket[108];
	char state_dir[128];
	unsigned mtu;
	unsigned vlan;
	bool port_security;
	struct vhost_conf vhost;
	json_t *ipam;             // borrowed from root, may be NULL
	char ipam_type[64];
	json_t *dns;              // borrowed, may be NULL
	json_t *prev_result;      // borrowed, may be NULL
	char runtime_mac[32];
	struct cni_bandwidth bandwidth;
	json_t *valid_attachments; // GC, borrowed
	char log_file[256];
	int log_verbosity;
};

// Names derived from one attachment (container ID and interface).
struct attachment {
	uint64_t hash;            // of container ID and interface: names and fallback MAC
	char port[16];            // pswitchd port name, also the host veth's name
	char sock_dir[160];       // DPDK pods
	char sock_path[192];
	char info_path[192];
	char record[512];         // the plugin's state file of the attachment
};
