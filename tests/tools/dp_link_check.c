// SPDX-License-Identifier: BSD-3-Clause
// Links the whole dataplane library with nothing of control/: the build
// fails if the dataplane uses anything of the control side.
#include <stdio.h>

int main(void)
{
	puts("the dataplane links alone");
	return 0;
}
