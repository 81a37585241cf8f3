"""Size and encoding caps on what comes in from Slack and what goes out to it.

- A question longer than OILFX_MAX_QUESTION_CHARS is not sent to the model: the user is asked to shorten it.
  Cutting it instead would answer a question the user did not ask (the actual question is often at the end of a
  pasted page), and a 40,000-character paste costs ~10,000 input tokens on every later turn of the thread.
- An answer is at most MAX_ANSWER_MESSAGES Slack messages; a longer one is cut at a paragraph or word boundary
  with a visible note (cut_note), on the placeholder and the streaming path alike.
- Lone UTF-16 surrogates (a JSON payload's unpaired `\\uD83D`) cannot be encoded as UTF-8, so the OpenAI request,
  the store and Slack's API all refuse them; they are replaced with U+FFFD where text enters (the listeners) and
  where model text leaves for Slack.
"""

from __future__ import annotations

from collections.abc import Callable, Sized
from typing import TypeVar

from oilfx.i18n import Texts

M = TypeVar("M", bound=Sized)

MAX_ANSWER_MESSAGES = 4      # ~14,000 characters: several screens of a thread, far beyond a normal answer
CUT_NOTE_ROOM = 300          # characters the last streamed message keeps free for the note (or an error line)


def clean_text(text: str) -> str:
    """`text` with every lone surrogate replaced by U+FFFD (a valid surrogate pair becomes its character)."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def question_too_long(text: str, limit: int, texts: Texts) -> str | None:
    """The polite note for a question over `limit` characters, in the asker's language, or None if it fits."""
    if len(text) <= limit:
        return None
    length, most = format(len(text), ","), format(limit, ",")
    return texts.t("Your message is {length} characters long; oilfx reads questions of up to {limit} characters "
                   "(OILFX_MAX_QUESTION_CHARS). Please shorten it to the question itself and ask again.",
                   length=length, limit=most)


def cut_note(texts: Texts, limit: int = MAX_ANSWER_MESSAGES) -> str:
    """The visible note where a too-long answer was cut (italic mrkdwn)."""
    return "_" + texts.n("(The answer was cut here: it ran past {count} Slack message.)",
                         "(The answer was cut here: it ran past {count} Slack messages.)", limit) + "_"


def cut_at_boundary(text: str, limit: int) -> str:
    """At most `limit` characters of `text`, ending at a paragraph, line or word boundary where one is in the
    second half, never inside an `&amp;`-style entity, with an open code fence closed."""
    if len(text) <= limit:
        return text
    window = text[:max(1, limit)]
    cut = max(window.rfind("\n\n"), window.rfind("\n"), window.rfind(" "))
    if cut < len(window) // 2:
        cut = len(window)
        amp = window.rfind("&", max(0, cut - 6))
        if amp != -1 and ";" not in window[amp:]:
            cut = amp
    kept = text[:cut].rstrip()
    return kept + "\n```" if kept.count("```") % 2 else kept


def capped(body: str, pack: Callable[[str], list[M]], texts: Texts, limit: int = MAX_ANSWER_MESSAGES) -> list[M]:
    """`pack(body)` (text -> Slack messages), cut so that it makes at most `limit` messages, with cut_note last."""
    messages = pack(body)
    budget = len(body)
    note = cut_note(texts, limit)
    while len(messages) > limit and budget > 0:
        budget = max(0, budget * limit // len(messages) - len(note) - 2)
        messages = pack(cut_at_boundary(body, budget) + "\n\n" + note)
    return messages
