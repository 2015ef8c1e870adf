// SPDX-License-Identifier: BSD-3-Clause
// libFuzzer target: the flow syntax. Whatever parses must format and parse
// back to the same flow; whatever does not must say why.
#include "flows/flow_parse.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint16_t resolve(const char *name)
{
	return strcmp(name, "p1") == 0 ? 1 : PSW_PORT_NONE;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), err[256], m[1024], a[2048], again[3200];
	struct flow_spec s, s2;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	err[0] = '\0';
	if (flow_parse(text, FLOW_PARSE_ADD, resolve, &s, err, sizeof(err)) == 0) {
		flow_format_match(&s.match, &s.mask, s.priority, NULL, m, sizeof(m));
		flow_format_actions(s.actions, s.n_actions, NULL, a, sizeof(a));
		snprintf(again, sizeof(again), "table=%u,%s,actions=%s", s.table_id, m, a);
		if (flow_parse(again, FLOW_PARSE_ADD, resolve, &s2, err, sizeof(err)) != 0)
			abort();
		if (memcmp(&s.mask, &s2.mask, sizeof(s.mask)) != 0 ||
		    s.n_actions != s2.n_actions || s.priority != s2.priority)
			abort();
	} else if (err[0] == '\0') {
		abort();
	}
	flow_parse(text, FLOW_PARSE_FILTER, resolve, &s, err, sizeof(err));
	flow_parse(text, FLOW_PARSE_PACKET, resolve, &s, err, sizeof(err));
	free(text);
	return 0;
}
