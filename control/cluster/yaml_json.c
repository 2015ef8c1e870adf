// SPDX-License-Identifier: BSD-3-Clause
// YAML documents as JSON values, through libyaml's event parser (Debian's
// libyaml). Kubernetes manifests use YAML's JSON-like subset: mappings,
// sequences and scalars, typed as YAML 1.2's core schema does (null, true,
// false, integers, floats; a quoted scalar is always a string). Aliases are
// refused (a document that expands itself, the "billion laughs", is an
// attack), as are documents nested deeper than YAML_MAX_DEPTH.
#include "cluster/yaml_json.h"
#include "errorf.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#define YAML_MAX_DEPTH 64

struct builder {
	yaml_parser_t parser;
	char *err;
	size_t elen;
};

static int fail_at(struct builder *b, const yaml_mark_t *mark, const char *what)
{
	return psw_errorf(b->err, b->elen, -EINVAL, "line %zu, column %zu: %s", mark->line + 1,
		mark->column + 1, what);
}

static bool is_int(const char *s)
{
	if (*s == '+' || *s == '-')
		s++;
	return *s != '\0' && strspn(s, "0123456789") == strlen(s);
}

// The JSON value of a plain (unquoted) scalar, as YAML 1.2's core schema
// reads it.
static json_t *plain_scalar(const char *s, size_t len)
{
	char *end;

	if (len == 0 || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 || strcmp(s, "Null") == 0 ||
	    strcmp(s, "NULL") == 0)
		return json_null();
	if (strcmp(s, "true") == 0 || strcmp(s, "True") == 0 || strcmp(s, "TRUE") == 0)
		return json_true();
	if (strcmp(s, "false") == 0 || strcmp(s, "False") == 0 || strcmp(s, "FALSE") == 0)
		return json_false();
	if (is_int(s)) {
		long long v;

		errno = 0;
		v = strtoll(s, &end, 10);
		if (errno == 0 && *end == '\0')
			return json_integer(v);
	}
	if (strspn(s, "+-0123456789.eE") == len && strpbrk(s, "0123456789") != NULL) {
		double d;

		errno = 0;
		d = strtod(s, &end);
		if (errno == 0 && *end == '\0' && isfinite(d))
			return json_real(d);
	}
	return json_stringn(s, len);
}

static int next_event(struct builder *b, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&b->parser, ev))
		return fail_at(b, &b->parser.problem_mark, b->parser.problem ? b->parser.problem :
			"not YAML");
	return 0;
}

static int build_value(struct builder *b, yaml_event_t *ev, unsigned depth, json_t **out);

// The rest of a mapping or sequence whose start event was just read.
static int build_collection(struct builder *b, bool mapping, unsigned depth, json_t **out)
{
	json_t *c = mapping ? json_object() : json_array();
	yaml_event_t ev;
	int ret;

	if (c == NULL)
		return psw_errorf(b->err, b->elen, -ENOMEM, "out of memory");
	for (;;) {
		json_t *key = NULL, *val = NULL;

		if ((ret = next_event(b, &ev)) < 0)
			goto fail;
		if (ev.type == (mapping ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT)) {
			yaml_event_delete(&ev);
			*out = c;
			return 0;
		}
		if (mapping) {
			if (ev.type != YAML_SCALAR_EVENT) {
				ret = fail_at(b, &ev.start_mark, "a mapping's key must be a scalar");
				yaml_event_delete(&ev);
				goto fail;
			}
			key = json_stringn((const char *)ev.data.scalar.value, ev.data.scalar.length);
			yaml_event_delete(&ev);
			if ((ret = next_event(b, &ev)) < 0) {
				json_decref(key);
				goto fail;
			}
		}
		ret = build_value(b, &ev, depth + 1, &val);
		yaml_event_delete(&ev);
		if (ret < 0) {
			json_decref(key);
			goto fail;
		}
		if (mapping) {
			if (json_object_get(c, json_string_value(key)) != NULL) {
				ret = psw_errorf(b->err, b->elen, -EINVAL, "key '%s' given twice",
					json_string_value(key));
				json_decref(key);
				json_decref(val);
				goto fail;
			}
			ret = json_object_set_new(c, json_string_value(key), val);
			json_decref(key);
		} else {
			ret = json_array_append_new(c, val);
		}
		if (ret < 0) {
			ret = psw_errorf(b->err, b->elen, -ENOMEM, "out of memory");
			goto fail;
		}
	}
fail:
	json_decref(c);
	return ret;
}

static int build_value(struct builder *b, yaml_event_t *ev, unsigned depth, json_t **out)
{
	if (depth > YAML_MAX_DEPTH)
		return fail_at(b, &ev->start_mark, "nested too deep");
	switch (ev->type) {
	case YAML_SCALAR_EVENT: {
		const char *s = (const char *)ev->data.scalar.value;
		size_t len = ev->data.scalar.length;

		if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && ev->data.scalar.plain_implicit)
			*out = plain_scalar(s, len);
		else
			*out = json_stringn(s, len);
		return *out ? 0 : psw_errorf(b->err, b->elen, -EINVAL,
			"a scalar that is no UTF-8 text");
	}
	case YAML_MAPPING_START_EVENT:
		return build_collection(b, true, depth, out);
	case YAML_SEQUENCE_START_EVENT:
		return build_collection(b, false, depth, out);
	case YAML_ALIAS_EVENT:
		return fail_at(b, &ev->start_mark, "aliases are not supported");
	default:
		return fail_at(b, &ev->start_mark, "unexpected YAML");
	}
}

int yaml_to_json(const char *text, size_t len, json_t **docs, char *err, size_t elen)
{
	struct builder b = {.err = err, .elen = elen};
	json_t *list = json_array();
	yaml_event_t ev;
	int ret = 0;
	bool done = false;

	*docs = NULL;
	if (list == NULL || !yaml_parser_initialize(&b.parser)) {
		json_decref(list);
		return psw_errorf(err, elen, -ENOMEM, "out of memory");
	}
	yaml_parser_set_input_string(&b.parser, (const unsigned char *)text, len);
	while (!done && ret == 0) {
		if ((ret = next_event(&b, &ev)) < 0)
			break;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
		case YAML_STREAM_START_EVENT:
		case YAML_DOCUMENT_END_EVENT:
			break;
		default: {
			json_t *v = NULL;

			ret = build_value(&b, &ev, 0, &v);
			// an empty document is none
			if (ret == 0 && !json_is_null(v))
				json_array_append_new(list, v);
			else
				json_decref(v);
			break;
		}
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&b.parser);
	if (ret < 0) {
		json_decref(list);
		return ret;
	}
	*docs = list;
	return 0;
}
