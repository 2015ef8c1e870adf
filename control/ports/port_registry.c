// SPDX-License-Identifier: BSD-3-Clause
// The port registry: names, numbers and the port table the PMDs read.
#include "errorf.h"
#include "ports/port_ctl.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct psw_port *port_by_ofport(uint16_t ofport)
{
	const struct port_table *t = dp_view()->ports;

	if (ofport == PSW_PORT_NONE || ofport >= PSW_MAX_PORTS || t == NULL)
		return NULL;
	return t->by_ofport[ofport];
}

struct psw_port *port_by_name(const char *name)
{
	const struct port_table *t = dp_view()->ports;

	for (uint32_t i = 0; name != NULL && t != NULL && i < t->n; i++) {
		struct psw_port *p = t->by_ofport[t->ofports[i]];

		if (strcmp(p->name, name) == 0)
			return p;
	}
	return NULL;
}

uint16_t port_resolve(const char *name)
{
	struct psw_port *p = port_by_name(name);

	return p ? p->ofport : PSW_PORT_NONE;
}

const char *port_name_of(uint16_t ofport)
{
	struct psw_port *p = port_by_ofport(ofport);

	return p ? p->name : NULL;
}

// Whether the flow syntax would read 'name' as a number (strtoull's forms:
// decimal, 0x hex, 0 octal): such a name would mean another port's number
// in in_port= and output:.
static bool reads_as_number(const char *name)
{
	char *end;

	if (!isdigit((unsigned char)name[0]))
		return false;
	errno = 0;
	(void)strtoull(name, &end, 0);
	return *end == '\0';
}

int port_name_check(const char *name, char *err, size_t elen)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n >= PSW_PORT_NAME_MAX)
		return psw_errorf(err, elen, -EINVAL, "bad port name '%s': use 1 to %d characters",
			name ? name : "", PSW_PORT_NAME_MAX - 1);
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!isalnum((unsigned char)c) && c != '-' && c != '_' && c != '.')
			return psw_errorf(err, elen, -EINVAL, "bad port name '%s': use letters, digits, "
				"'-', '_' and '.' only", name);
	}
	// names become file names (sockets, pending deletions)
	if (name[0] == '.')
		return psw_errorf(err, elen, -EINVAL, "bad port name '%s': it may not start with '.'",
			name);
	if (reads_as_number(name))
		return psw_errorf(err, elen, -EINVAL, "bad port name '%s': it reads as a port number",
			name);
	return 0;
}

uint16_t port_table_free_ofport(void)
{
	const struct port_table *t = dp_view()->ports;

	for (uint16_t i = 1; i < PSW_MAX_PORTS; i++)
		if (t->by_ofport[i] == NULL)
			return i;
	return PSW_PORT_NONE;
}

void port_table_free(struct port_table *t)
{
	free(t);
}

// A copy of the table the transaction sees, with slot 'ofport' set to 'p'.
static int stage(struct dp_txn *t, uint16_t ofport, struct psw_port *p)
{
	struct port_table *next = malloc(sizeof(*next));

	if (next == NULL)
		return -ENOMEM;
	*next = *dp_view()->ports;
	next->by_ofport[ofport] = p;
	next->n = 0;
	for (uint16_t i = 1; i < PSW_MAX_PORTS; i++)
		if (next->by_ofport[i] != NULL)
			next->ofports[next->n++] = i;
	txn_set_ports(t, next);
	return 0;
}

int port_table_stage_add(struct dp_txn *t, struct psw_port *p)
{
	return stage(t, p->ofport, p);
}

int port_table_stage_remove(struct dp_txn *t, uint16_t ofport)
{
	return stage(t, ofport, NULL);
}
