// SPDX-License-Identifier: BSD-3-Clause
// pswitch-cni: the CNI plugin that attaches pods to pswitchd. A runtime runs
// it once per verb with CNI_* variables, the network configuration on stdin,
// and reads the result or the error object on stdout. Logs go to stderr (or
// "logFile"), never to stdout.
#include "cni.h"
#include "conf.h"
#include "log.h"
#include "result.h"
#include "verbs.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_CONFIG (1u << 20)

static char *read_stdin(size_t *len)
{
	size_t cap = 8192, n = 0;
	char *buf = malloc(cap + 1);

	while (buf != NULL) {
		ssize_t r = read(STDIN_FILENO, buf + n, cap - n);

		if (r < 0) {
			free(buf);
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == cap) {
			char *nb = cap >= MAX_CONFIG ? NULL : realloc(buf, cap * 2 + 1);
			if (nb == NULL) {
				free(buf);
				return NULL;
			}
			buf = nb;
			cap *= 2;
		}
	}
	if (buf != NULL)
		buf[n] = '\0';
	*len = n;
	return buf;
}

static int print_json(json_t *o)
{
	int ret = json_dumpf(o, stdout, JSON_INDENT(2));

	fputc('\n', stdout);
	fflush(stdout);
	json_decref(o);
	return ret;
}

int main(int argc, char **argv)
{
	struct cni_env env;
	struct cni_conf conf = {0};
	struct cni_error e = {0};
	json_t *out = NULL;
	size_t len = 0;
	char *text = NULL;
	int ret = -1;

	if (argc > 1 && (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0)) {
		printf("pswitch-cni %s, CNI spec %s (configs 0.4.0, 1.0.0, 1.1.0)\n", PSW_VERSION,
			CNI_SPEC_VERSION);
		return 0;
	}
	psw_log_setup(PSW_LOG_TEXT, 0, "pswitch-cni");
	if (cni_env_read(&env, &e) < 0)
		goto out;
	if (env.cmd == CMD_VERSION) {
		print_json(json_pack("{s:s,s:o}", "cniVersion", CNI_SPEC_VERSION, "supportedVersions",
			cni_supported_versions()));
		return 0;
	}
	text = read_stdin(&len);
	if (text == NULL) {
		cni_fail(&e, CNI_ERR_IO, "cannot read the network configuration from stdin (at most %u bytes)",
			MAX_CONFIG);
		goto out;
	}
	if (cni_conf_parse(text, env.cmd, &conf, &e) < 0)
		goto out;
	if (conf.log_file[0] != '\0') {
		int fd = open(conf.log_file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
		if (fd >= 0) {
			dup2(fd, STDERR_FILENO);
			close(fd);
		}
	}
	psw_log_setup(PSW_LOG_TEXT, conf.log_verbosity, "pswitch-cni");
	switch (env.cmd) {
	case CMD_ADD:
		ret = cmd_add(&env, &conf, &out, &e);
		break;
	case CMD_DEL:
		ret = cmd_del(&env, &conf, &e);
		break;
	case CMD_CHECK:
		ret = cmd_check(&env, &conf, &e);
		break;
	case CMD_GC:
		ret = cmd_gc(&env, &conf, &e);
		break;
	case CMD_STATUS:
		ret = cmd_status(&env, &conf, &e);
		break;
	case CMD_VERSION:
		break;
	}
	if (ret == 0 && out != NULL)
		print_json(out);
out:
	if (ret < 0) {
		LOG_ERR(e.msg, KV_STR("command", env.command ? env.command : ""), KV_INT("code", e.code));
		result_error(conf.version[0] ? conf.version : NULL, &e);
	}
	cni_conf_free(&conf);
	free(text);
	return ret < 0 ? 1 : 0;
}
