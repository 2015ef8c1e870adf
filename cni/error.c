// SPDX-License-Identifier: BSD-3-Clause
#include "cni.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int cni_fail(struct cni_error *e, unsigned code, const char *fmt, ...)
{
	va_list ap;

	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

void cni_detail(struct cni_error *e, const char *fmt, ...)
{
	size_t n = strlen(e->details);
	va_list ap;

	if (n > 0 && n + 2 < sizeof(e->details)) {
		memcpy(e->details + n, "; ", 3);
		n += 2;
	}
	va_start(ap, fmt);
	vsnprintf(e->details + n, sizeof(e->details) - n, fmt, ap);
	va_end(ap);
}
