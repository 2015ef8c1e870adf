// SPDX-License-Identifier: BSD-3-Clause
// libFuzzer target: network configurations as a runtime hands them to
// pswitch-cni on stdin, for every verb, through to the result built from
// their prevResult.
#include "conf.h"
#include "ipam.h"
#include "result.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum cni_cmd cmds[] = {CMD_ADD, CMD_DEL, CMD_CHECK, CMD_GC, CMD_STATUS};
	char *text = malloc(size + 1);

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		struct cni_conf conf;
		struct cni_error e = {0};
		struct cni_addrs a;

		if (cni_conf_parse(text, cmds[i], &conf, &e) == 0) {
			if (e.code != 0)
				abort(); // success never carries an error
			if (conf.prev_result != NULL && cni_result_addrs(conf.prev_result, &a, &e) == 0) {
				struct pod_iface pi = {.host_name = "psw000000000000", .host_mac = "",
					.name = "eth0", .mac = "0a:58:00:00:00:01", .sandbox = "/x", .mtu = 1500};
				json_t *res = result_build(&conf, &pi, conf.prev_result);

				if (!json_is_object(res) || json_array_size(json_object_get(res, "interfaces")) < 2)
					abort();
				json_decref(res);
			}
		} else if (e.code == 0 || e.msg[0] == '\0') {
			abort(); // every refusal says why, with a code
		}
		cni_conf_free(&conf);
	}
	free(text);
	return 0;
}
