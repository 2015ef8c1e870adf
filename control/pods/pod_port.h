// SPDX-License-Identifier: BSD-3-Clause
// Pod ports: a port whose options name the pod's MAC (and addresses) gets a
// static MAC table entry, so that traffic to the pod is never flooded, and
// port-security flows, so that the pod sends only from its own MAC and IPv4
// addresses (ARP included). Everything is tied to the port: added with it,
// restored with it, removed with it.
#pragma once

#include "port.h"

#include <jansson.h>
#include <stdbool.h>

// The cookie of the flows a pod port owns: "PSW" and the port number.
#define POD_COOKIE_BASE 0x5053570000000000ULL
#define POD_COOKIE(ofport) (POD_COOKIE_BASE | (ofport))

// Port options read here: mac ("0a:58:0a:58:00:05"), ips (["10.88.0.5/16",
// "fd00::5/64"]), port_security (true by default). Returns true when 'opts'
// makes the port a pod port.
bool pod_port_wanted(const json_t *opts);

// Writes options given as strings (pswitchctl's ips=A,B and
// port_security=false) as a list and a boolean, as they are kept.
void pod_port_normalize(json_t *opts);

// Checks the pod options before anything is created (ips and port_security
// need mac). Returns 0 or -EINVAL.
int pod_port_check(const json_t *opts, char *err, size_t elen);

// A pod's port gets its MAC entry and flows in the transaction that adds
// it, and loses them in the one that removes it (subscribed to the ports'
// events).
