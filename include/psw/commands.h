// SPDX-License-Identifier: BSD-3-Clause
// The names pswitchd, pswitchctl and pswitch-cni share: commands, the fields
// of requests, port types and port options. A request is a JSON object
// (include/psw/ctl.h) whose "command" is one of PSW_CMD_*; each command
// takes the fields listed beside it, of the types given, and refuses any
// other field or type.
#pragma once

#define PSW_KEY_COMMAND "command"

// daemon
#define PSW_CMD_VERSION "version"
#define PSW_CMD_SHOW "show"
#define PSW_CMD_SHUTDOWN "shutdown"

// ports: name (string), type (string), options (object)
#define PSW_CMD_ADD_PORT "add-port"
#define PSW_CMD_DEL_PORT "del-port" // name
#define PSW_CMD_SET_PORT "set-port" // name, options
#define PSW_KEY_NAME "name"
#define PSW_KEY_TYPE "type"
#define PSW_KEY_OPTIONS "options"

// mirrors: name, output (string), select_src and select_dst (strings)
#define PSW_CMD_ADD_MIRROR "add-mirror"
#define PSW_CMD_DEL_MIRROR "del-mirror"
#define PSW_KEY_OUTPUT "output"
#define PSW_KEY_SELECT_SRC "select_src"
#define PSW_KEY_SELECT_DST "select_dst"

// flows: flow (string) or flows (strings), replace (bool); match (string),
// strict (bool); packet (string)
#define PSW_CMD_ADD_FLOW "add-flow"
#define PSW_CMD_ADD_FLOWS "add-flows"
#define PSW_CMD_DEL_FLOWS "del-flows"
#define PSW_CMD_MOD_FLOWS "mod-flows"
#define PSW_CMD_DUMP_FLOWS "dump-flows"
#define PSW_CMD_TRACE "trace"
#define PSW_KEY_FLOW "flow"
#define PSW_KEY_FLOWS "flows"
#define PSW_KEY_REPLACE "replace"
#define PSW_KEY_MATCH "match"
#define PSW_KEY_STRICT "strict"
#define PSW_KEY_PACKET "packet"

// PMDs: clear (bool); port, queue and core (integers; core -1 unpins)
#define PSW_CMD_PMD_STATS "pmd-stats"
#define PSW_CMD_PMD_RXQ_SHOW "pmd-rxq-show"
#define PSW_CMD_PMD_RXQ_PIN "pmd-rxq-pin"
#define PSW_CMD_PMD_RXQ_REBALANCE "pmd-rxq-rebalance"
#define PSW_CMD_DROP_STATS "drop-stats"
#define PSW_KEY_CLEAR "clear"
#define PSW_KEY_PORT "port"
#define PSW_KEY_QUEUE "queue"
#define PSW_KEY_CORE "core"

// MAC table: port, mac (strings), vlan (integer), all (bool)
#define PSW_CMD_FDB_SHOW "fdb-show"
#define PSW_CMD_FDB_ADD "fdb-add"
#define PSW_CMD_FDB_DEL "fdb-del"
#define PSW_CMD_FDB_FLUSH "fdb-flush"
#define PSW_KEY_MAC "mac"
#define PSW_KEY_VLAN "vlan"
#define PSW_KEY_ALL "all"

// the cluster: pods (all: bool, the whole cluster's), nodes, namespaces, cluster
#define PSW_CMD_PODS "pods"
#define PSW_CMD_NODES "nodes"
#define PSW_CMD_NAMESPACES "namespaces"
#define PSW_CMD_CLUSTER "cluster"

// Port types
#define PSW_PORT_TYPE_VHOST "vhost-user"
#define PSW_PORT_TYPE_VHOST_CLIENT "vhost-user-client"
#define PSW_PORT_TYPE_AFPACKET "af_packet"
#define PSW_PORT_TYPE_TAP "tap"
#define PSW_PORT_TYPE_DPDK "dpdk"

// Port options (add-port's "options"; set-port changes the policing ones)
#define PSW_OPT_PATH "path"           // vhost-user socket
#define PSW_OPT_QUEUES "queues"
#define PSW_OPT_TAG "tag"             // access VLAN
#define PSW_OPT_OFPORT "ofport"
#define PSW_OPT_IFACE "iface"         // af_packet, tap
#define PSW_OPT_FRAMES "frames"       // af_packet ring size
#define PSW_OPT_DEVARGS "devargs"     // dpdk
#define PSW_OPT_MAC "mac"             // a pod's port
#define PSW_OPT_IPS "ips"
#define PSW_OPT_PORT_SECURITY "port_security"
#define PSW_OPT_CNI "cni"             // the CNI plugin's record, kept as given
#define PSW_OPT_INGRESS_RATE "ingress_policing_rate"   // kbit/s
#define PSW_OPT_INGRESS_BURST "ingress_policing_burst" // kbit
#define PSW_OPT_EGRESS_RATE "egress_policing_rate"
#define PSW_OPT_EGRESS_BURST "egress_policing_burst"
