"""Languages (ko, en): gettext catalogs compiled by Babel, sentences with named placeholders, KST dates and
times as each language writes them. The bottom layer: any module may import it; it imports nothing of oilfx's."""

from oilfx.i18n.formats import format_clock, format_day, format_moment
from oilfx.i18n.lang import Lang, question_lang
from oilfx.i18n.message import EN, KO, Msg, Text, Texts, lazy, lazy_n, texts
from oilfx.i18n.names import BENCHMARK_NAMES, benchmark_name

__all__ = ["BENCHMARK_NAMES", "EN", "KO", "Lang", "Msg", "Text", "Texts", "benchmark_name", "format_clock",
           "format_day", "format_moment", "lazy", "lazy_n", "question_lang", "texts"]
