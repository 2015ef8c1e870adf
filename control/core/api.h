// SPDX-License-Identifier: BSD-3-Clause
// The control socket server (include/psw/ctl.h). Control thread only.
#pragma once

int api_init(const char *path);
// Waits up to 'timeout_ms' for requests and answers them.
void api_poll(int timeout_ms);
void api_fini(void);

// Set by the "shutdown" command, and by signals in main.c.
extern volatile int psw_exit_requested;
