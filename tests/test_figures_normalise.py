"""figures.normalise's fast path (text that needs no change, told so in C) gives exactly what the character loop
gives, whatever the text: the guard's matching must not depend on which path ran."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from oilfx.figures import _normalise_each, normalise

# Characters the guard meets: ASCII, Hangul, fullwidth digits and signs, compatibility forms, combining marks,
# Hangul jamo that compose, emphasis and zero-width characters.
SAMPLES = ("WTI ₩98,492 per barrel", "원화로 약 9만 8천 원입니다", "９８，４９２원", "ﾜﾝ ＄７６.４１", "e\u0301",
           "\u1100\u1161", "\u212b \u00c5", "**₩98,492**", "1\u200b000원", "ﬁve ㎏ ① Ⅻ", "")


def test_samples_match_the_loop() -> None:
    for text in SAMPLES:
        assert normalise(text) == _normalise_each(text), text


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.one_of(st.characters(), st.sampled_from("".join(SAMPLES))), max_size=40))
def test_any_text_matches_the_loop(text: str) -> None:
    assert normalise(text) == _normalise_each(text)
