"""A participant's colour: the pad's own rule (web-src/pad/colors.ts), so playback draws each
cursor in the colour the participants saw."""

from __future__ import annotations


def color_for(participant_id: str) -> str:
    hashed = 0
    for char in participant_id:
        code = ord(char)
        unit = code if code < 0x10000 else 0xD800 + ((code - 0x10000) >> 10)  # JS charCodeAt(0)
        hashed = (hashed * 31 + unit) & 0xFFFFFFFF
    return f"hsl({hashed % 360} 70% 42%)"
