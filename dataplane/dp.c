// SPDX-License-Identifier: BSD-3-Clause
#include "dp.h"

struct psw_dp *psw_dp_root;

struct psw_dp *dp_publish(struct psw_dp *next)
{
	return rcu_xchg_pointer(&psw_dp_root, next);
}
