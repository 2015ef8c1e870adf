// SPDX-License-Identifier: BSD-3-Clause
// Command dispatch: a request reaches its handler only with the fields its
// command declares, of their types and ranges; everything else is an error
// that names the field. Handlers may stream their result.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/api.h"

#include <errno.h>
#include <string.h>

#include <event2/buffer.h>

static int calls;

static json_t *h_echo(json_t *req, struct api_reply *rep)
{
	calls++;
	if (api_int(req, "n", 0) == 13)
		return api_fail(rep, -EPERM, "not %d", 13);
	return json_pack("{s:s,s:I,s:b}", "name", api_str(req, "name"), "n",
		(json_int_t)api_int(req, "n", -1), "flag", api_bool(req, "flag"));
}

static const struct api_param echo_params[] = {
	{"name", API_STRING, .required = true},
	{"n", API_INT, .min = -5, .max = 100},
	{"flag", API_BOOL},
	{"list", API_STRINGS},
	{"opts", API_OBJECT},
	{NULL},
};
static struct api_command echo_cmd = {"test-echo", h_echo, echo_params};
API_REGISTER(echo_cmd)

// A stream of three items, "[1,2,3]", a piece at a time.
struct count {
	int next;
	bool done_called;
};

static struct count counter;

static bool count_next(void *arg, struct evbuffer *out, size_t want)
{
	struct count *c = arg;

	(void)want;
	evbuffer_add_printf(out, "%s%d%s", c->next == 0 ? "[" : ",", c->next + 1,
		c->next == 2 ? "]" : "");
	return ++c->next < 3;
}

static void count_done(void *arg)
{
	((struct count *)arg)->done_called = true;
}

static json_t *h_stream(json_t *req, struct api_reply *rep)
{
	(void)req;
	counter = (struct count){0};
	rep->stream = (struct api_stream){.next = count_next, .done = count_done, .arg = &counter};
	return NULL;
}

static struct api_command stream_cmd = {"test-stream", h_stream, NULL};
API_REGISTER(stream_cmd)

static json_t *call(const char *text, struct api_stream *st, bool *exit_after)
{
	json_error_t jerr;
	json_t *req = json_loads(text, 0, &jerr), *rep;

	assert_non_null(req);
	rep = api_dispatch(req, st, exit_after);
	json_decref(req);
	return rep;
}

static void refused(const char *text, int status, const char *words)
{
	struct api_stream st;
	bool exit_after;
	int before = calls;
	json_t *rep = call(text, &st, &exit_after);

	assert_int_equal(json_integer_value(json_object_get(rep, "status")), status);
	if (strstr(json_string_value(json_object_get(rep, "error")), words) == NULL)
		fail_msg("'%s': '%s' does not say '%s'", text,
			json_string_value(json_object_get(rep, "error")), words);
	assert_int_equal(calls, before);
	assert_null(st.next);
	json_decref(rep);
}

static void test_fields_are_checked_before_the_handler(void **state)
{
	(void)state;
	refused("{\"name\":\"x\"}", -EINVAL, "needs a \"command\"");
	refused("{\"command\":5}", -EINVAL, "needs a \"command\"");
	refused("{\"command\":\"no-such\"}", -EOPNOTSUPP, "unknown command 'no-such'");
	refused("{\"command\":\"test-echo\"}", -EINVAL, "needs field 'name'");
	refused("{\"command\":\"test-echo\",\"name\":7}", -EINVAL, "field 'name' must be a string");
	refused("{\"command\":\"test-echo\",\"name\":\"x\",\"n\":\"5\"}", -EINVAL,
		"field 'n' must be an integer");
	refused("{\"command\":\"test-echo\",\"name\":\"x\",\"n\":1.5}", -EINVAL,
		"field 'n' must be an integer");
	refused("{\"command\":\"test-echo\",\"name\":\"x\",\"n\":101}", -EINVAL, "-5 to 100, not 101");
	refused("{\"command\":\"test-echo\",\"name\":\"x\",\"n\":-9223372036854775808}", -EINVAL,
		"-5 to 100");
	refused("{\"command\":\"test-echo\",\"name\":\"x\",\"flag\":1}", -EINVAL, "true or false");
	refused("{\"command\":\"test-echo\",\"name\":\"x\",\"list\":[\"a\",2]}", -EINVAL,
		"an array of strings");
	refused("{\"command\":\"test-echo\",\"name\":\"x\",\"opts\":[]}", -EINVAL, "an object");
	refused("{\"command\":\"test-echo\",\"name\":\"x\",\"bogus\":1}", -EINVAL,
		"takes no field 'bogus'");
}

static void test_results_and_errors_of_the_handler(void **state)
{
	struct api_stream st;
	bool exit_after;
	json_t *rep;

	(void)state;
	rep = call("{\"command\":\"test-echo\",\"name\":\"x\",\"n\":-5,\"flag\":true,\"list\":[]}", &st,
		&exit_after);
	assert_int_equal(json_integer_value(json_object_get(rep, "status")), 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(rep, "result"),
		"name")), "x");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(rep, "result"), "n")), -5);
	assert_false(exit_after);
	json_decref(rep);
	rep = call("{\"command\":\"test-echo\",\"name\":\"x\",\"n\":13}", &st, &exit_after);
	assert_int_equal(json_integer_value(json_object_get(rep, "status")), -EPERM);
	assert_string_equal(json_string_value(json_object_get(rep, "error")), "not 13");
	json_decref(rep);
}

static void test_a_streamed_result(void **state)
{
	struct evbuffer *out = evbuffer_new();
	struct api_stream st;
	bool exit_after;
	json_t *rep = call("{\"command\":\"test-stream\"}", &st, &exit_after);
	char text[64] = "";

	(void)state;
	assert_int_equal(json_integer_value(json_object_get(rep, "status")), 0);
	assert_null(json_object_get(rep, "result"));
	assert_non_null(st.next);
	while (st.next(st.arg, out, 1))
		;
	st.done(st.arg);
	evbuffer_remove(out, text, sizeof(text) - 1);
	assert_string_equal(text, "[1,2,3]");
	assert_true(counter.done_called);
	evbuffer_free(out);
	json_decref(rep);
}

static void test_every_command_is_registered_once(void **state)
{
	unsigned n = 0;

	(void)state;
	for (const struct api_command *a = api_commands(); a != NULL; a = a->next) {
		for (const struct api_command *b = a->next; b != NULL; b = b->next)
			assert_string_not_equal(a->name, b->name);
		n++;
	}
	// the daemon's commands and this test's two
	assert_true(n >= 25);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields_are_checked_before_the_handler),
		cmocka_unit_test(test_results_and_errors_of_the_handler),
		cmocka_unit_test(test_a_streamed_result),
		cmocka_unit_test(test_every_command_is_registered_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
