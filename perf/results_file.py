# SPDX-License-Identifier: BSD-3-Clause
"""perf/RESULTS.md's sections: each benchmark owns the text between its
begin and end markers and writes it anew, leaving the rest as it is."""

import os


def replace_section(path, begin, end, section):
    """Puts 'section' (which starts with 'begin' and ends with 'end') in
    place of the one 'path' has, or at its end."""
    text = open(path).read() if os.path.exists(path) else "# pswitch performance\n"
    if begin in text and end in text:
        text = text[:text.index(begin)] + section + text[text.index(end) + len(end):]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    with open(path, "w") as f:
        f.write(text)
