// SPDX-License-Identifier: BSD-3-Clause
// The control protocol of pswitchd, shared with pswitchctl and pswitch-cni.
//
// A stream unix socket, mode 0600 (root only). Each message is one JSON object
// on one line ('\n' ends it). A request names its command:
//   {"command": "add-flow", "flow": "table=0,priority=10,actions=drop"}
// A reply has "status" (0 or a negative errno) and either "result" or "error":
//   {"status": 0, "result": {...}}
//   {"status": -22, "error": "unknown port 'pod9'"}
// A client may send several requests on one connection; replies come in order.
#pragma once

#define PSW_CTL_DEFAULT_SOCKET "/run/pswitch/pswitchd.sock"
#define PSW_CTL_DEFAULT_RUN_DIR "/run/pswitch"

// Deletions finished later: a client that finds pswitchd down leaves an empty
// file named after the port in this directory beside the control socket;
// pswitchd does not restore that port and removes it when it sees the file.
#define PSW_CTL_PENDING_DEL_DIR "pending-del"

// Requests longer than this (without their newline) are refused and the
// connection closed; a batch of 100,000 flows fits.
#define PSW_CTL_MAX_MESSAGE (64u << 20)
#define PSW_CTL_MAX_MESSAGE_TEXT "64 MiB"
// Replies may be longer (a dump of a million flows): clients read up to this.
#define PSW_CTL_MAX_REPLY (1u << 30)
