// SPDX-License-Identifier: BSD-3-Clause
// Deletions finished later: a CNI DEL that finds pswitchd down leaves the
// port's name as a file in the pending directory, which sits beside the
// control socket (the one path pswitchd and the plugin both know). pswitchd
// does not restore such ports at start, and removes them when it sees the
// file while running.
#pragma once

#include "psw/ctl.h"

#include <stdbool.h>

// Remembers the directory: "<dir of control_socket>/pending-del".
void pending_del_init(const char *control_socket);

// True when a deletion of port 'name' is pending (port_restore skips it).
bool pending_del_has(const char *name);

// Deletes the ports named in the directory and their files. Returns how many
// files were handled.
unsigned pending_del_run(void);
