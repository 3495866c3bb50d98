"""Text made safe for a terminal: a briefing (or a file name) is data, never commands.

A control character in a briefing would reach the terminal raw through `rag ask` and
`rag chat`: ESC sequences can retitle the window, clear the screen, hide text or, on
some terminals, write to the clipboard. Bidirectional overrides can make a quote read
as something else. All are removed; newlines and tabs stay.
"""

from __future__ import annotations

import re

# C0 controls but tab and newline, DEL, C1 controls (0x9b is a one-byte CSI), and the
# bidirectional embeddings, overrides and isolates.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` without the characters a terminal would act on rather than show."""
    return _UNSAFE.sub("", text)


def json_safe(text: str) -> str:
    """JSON text with those characters written as \\u escapes: the same data to a JSON
    reader (they only occur inside strings), nothing a terminal acts on."""
    return _UNSAFE.sub(lambda m: f"\\u{ord(m[0]):04x}", text)
