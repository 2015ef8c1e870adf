// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <stddef.h>

// Writes a sentence for the caller into 'err' and returns 'ret' (a negative
// errno), so that a failure is reported and returned in one statement.
int psw_errorf(char *err, size_t len, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
