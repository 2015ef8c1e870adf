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
	// the exact-match cache relies on the words past the base being zero
	// in every frame but IPv6 (all of them) and ARP (the hardware addresses)
	if (k.dl_type != 0xdd86)
		for (int i = PSW_KEY_IPV6_WORD; i < PSW_KEY_WORDS; i++)
			if (k.w[i] != 0 && !(k.dl_type == 0x0608 && i >= PSW_KEY_IPV6_WORD + 6))
				abort();
	// the tunnel fields are pop_vxlan's, never a frame's
	if (k.tun_src != 0 || k.tun_id != 0)
		abort();
	if (k.dl_type == 0xdd86 && (k.nw_src || k.nw_dst))
		abort();
	free(frame);
	// the same frame as a chain whose first bytes were gathered: nothing
	// read beyond what was gathered
	if (size > 14) {
		uint32_t len = 14 + (uint32_t)(data[0] % (size - 14));

		frame = malloc(len);
		if (frame == NULL)
			return 0;
		memcpy(frame, data, len);
		flow_extract_frame(frame, len, (uint32_t)size, 1, &k);
		free(frame);
	}
	return 0;
}
