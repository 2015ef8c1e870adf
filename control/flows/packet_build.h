// SPDX-License-Identifier: BSD-3-Clause
// A frame from the fields of a flow key (pswitchctl trace's packets).
#pragma once

#include "flow_key.h"

#include <stddef.h>
#include <stdint.h>

// Writes into 'buf' the frame whose parse gives 'k''s header fields (at
// least 60 bytes). Returns its length, or 0 when 'cap' is too small.
size_t packet_build(const struct psw_flow_key *k, uint8_t *buf, size_t cap);
