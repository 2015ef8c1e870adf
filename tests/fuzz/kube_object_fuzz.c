// SPDX-License-Identifier: BSD-3-Clause
// libFuzzer target: Kubernetes objects as a manifest file or the API server
// hands them over: the bytes are read as a YAML stream (JSON is YAML), and
// every document as each kind pswitchd keeps. What is accepted must have a
// key and the fields its readers promise; what is refused must say why.
#include "cluster/kube_object.h"
#include "cluster/yaml_json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_form(enum kube_kind k, const json_t *form)
{
	char key[KUBE_KEY_MAX];

	if (!json_is_object(form) || !json_is_string(json_object_get(form, "name")))
		abort();
	kube_object_key(k, form, key, sizeof(key));
	if (key[0] == '\0')
		abort();
	if (k == KUBE_POD && (!json_is_object(json_object_get(form, "labels")) ||
			      !json_is_array(json_object_get(form, "ips")) ||
			      !json_is_string(json_object_get(form, "node"))))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *docs = NULL, *doc;
	char err[256] = "";
	size_t i;

	if (yaml_to_json((const char *)data, size, &docs, err, sizeof(err)) < 0) {
		if (err[0] == '\0' || docs != NULL)
			abort(); // every refusal says why, and leaves nothing
		return 0;
	}
	json_array_foreach(docs, i, doc) {
		for (unsigned k = 0; k < KUBE_KINDS; k++) {
			json_t *form;

			err[0] = '\0';
			form = kube_object_read((enum kube_kind)k, doc, err, sizeof(err));
			if (form == NULL && err[0] == '\0')
				abort();
			if (form != NULL)
				check_form((enum kube_kind)k, form);
			json_decref(form);
		}
	}
	json_decref(docs);
	return 0;
}
