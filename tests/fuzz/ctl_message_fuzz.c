// SPDX-License-Identifier: BSD-3-Clause
// libFuzzer target: control messages as they arrive on the socket, split at
// arbitrary points, through the framing and JSON decoding, then the command
// registry's checks of every field (which refuse with a sentence, or let a
// handler run).
#include "core/api.h"
#include "ctl_proto.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctl_reader r;
	int fds[2];
	char err[160];
	json_t *msg;
	size_t off = 0;

	if (pipe(fds) < 0)
		return 0;
	ctl_reader_init(&r);
	while (off < size) {
		// the first byte of each chunk picks the chunk's length
		size_t chunk = 1 + data[off] % 64;

		if (chunk > size - off)
			chunk = size - off;
		if (write(fds[1], data + off, chunk) != (ssize_t)chunk)
			break;
		off += chunk;
		if (ctl_reader_fill(&r, fds[0]) < 0)
			break;
		while (ctl_reader_next(&r, &msg, err, sizeof(err)) == 1) {
			if (msg != NULL && !json_is_object(msg))
				abort();
			err[0] = '\0';
			if (msg != NULL && api_check(msg, err, sizeof(err)) < 0 && err[0] == '\0')
				abort();
			json_decref(msg);
		}
	}
	close(fds[0]);
	close(fds[1]);
	ctl_reader_free(&r);
	return 0;
}
