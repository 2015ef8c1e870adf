// SPDX-License-Identifier: BSD-3-Clause
// libFuzzer target: the packet parser must never read past the frame, and
// what it accepts must be self-consistent.
#include "flow_key.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct psw_flow_key k;
	// a heap copy of exactly 'size' bytes lets ASan catch any over-read
	uint8_t *frame = malloc(size ? size : 1);
	enum psw_drop_reason r;

	if (frame == NULL)
		return 0;
	memcpy(frame, data, size);
	r = flow_extract(frame, (uint32_t)size, 1, &k);
	if (r == PSW_DROP_NONE && size < 14)
		abort();
	if (r == PSW_DROP_NONE && (k.nw_frag & PSW_FRAG_LATER) && (k.tp_src || k.tp_dst))
		abort();
	free(frame);
	return 0;
}
