"""What a turn tells its asker where the answer would have gone when it cannot answer, in their language."""

from __future__ import annotations

from collections.abc import Callable

from oilfx.i18n import EN, Texts

Note = Callable[[Texts], str]   # a note written once the reader's language is known


def for_log(note: Note) -> str:
    return note(EN)


def busy(texts: Texts) -> str:
    return texts.t("This thread is still busy with earlier questions; please ask again in a minute.")


def store_gone(e: BaseException | None, texts: Texts) -> str | None:
    """What users are told about a store that will not come back by itself (StoreGone: its file was deleted);
    None for other failures. Its reason may be a Msg: rendered in `texts`."""
    why = getattr(e, "for_users", None)
    return texts.t("oilfx's store is unavailable: {reason}.", reason=why) if why else None


def store_unavailable(e: BaseException | None, texts: Texts) -> str:
    """The store could not claim the event (it is down, or gone for good)."""
    return store_gone(e, texts) or texts.t("oilfx's store is unavailable; try again shortly.")


def failed(e: BaseException, texts: Texts) -> str:
    """The turn failed unexpectedly."""
    return store_gone(e, texts) or texts.t("Something went wrong on oilfx's side ({error}); please try again.",
                                           error=type(e).__name__)
