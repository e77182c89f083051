"""What one participant may send on the control channel, per kind of message, whatever number
of connections they spread it over. A message past its allowance is refused with an error
event (nothing else happens); the connection-level budget still closes a flooding socket."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from server.channels.limits import TokenBucket
from server.control.commands import (
    MEDIA_COMMANDS,
    Chat,
    Command,
    FocusSignal,
    Note,
    PasteSignal,
    RunStdin,
    TerminalInput,
    VisibilitySignal,
)
from server.settings import Settings

#: Allowances of participants not heard from lately are forgotten past this many (a reconnect
#: does not refill an allowance: it is kept, not tied to the connection).
KEPT = 4096


@dataclass(slots=True)
class Allowance:
    chat: TokenBucket
    commands: TokenBucket
    input_bytes: TokenBucket
    signals: TokenBucket
    media: TokenBucket

    def refusal(self, message: Command) -> str | None:
        """None when ``message`` is within the allowance (and spends it), else why not."""
        if isinstance(message, Chat | Note):  # what a person types: one allowance
            return None if self.chat.take() else "you are sending messages too fast: wait a moment"
        if isinstance(message, PasteSignal | FocusSignal | VisibilitySignal):
            return None if self.signals.take() else "too many signals: wait a moment"
        if isinstance(message, MEDIA_COMMANDS):  # signalling: ICE candidates come in bursts
            return None if self.media.take() else "too many audio/video messages: wait a moment"
        if isinstance(message, RunStdin | TerminalInput):
            if self.input_bytes.take(len(message.data)):
                return None
            return "you are typing faster than the program may read: wait a moment"
        return None if self.commands.take() else "too many commands: wait a moment"


class Allowances:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._kept: OrderedDict[str, Allowance] = OrderedDict()

    def of(self, participant_id: str) -> Allowance:
        allowance = self._kept.get(participant_id)
        if allowance is None:
            s = self._settings
            allowance = Allowance(
                chat=TokenBucket(s.control_chat_per_minute / 60, s.control_chat_burst),
                commands=TokenBucket(s.control_commands_per_second, s.control_command_burst),
                input_bytes=TokenBucket(s.control_input_bytes_per_second, s.control_input_byte_burst),
                signals=TokenBucket(s.control_signals_per_minute / 60, s.control_signal_burst),
                media=TokenBucket(s.media_messages_per_second, s.media_message_burst),
            )
            self._kept[participant_id] = allowance
            if len(self._kept) > KEPT:
                self._kept.popitem(last=False)
        else:
            self._kept.move_to_end(participant_id)
        return allowance
