"""How an article is scored against a story: the part of the clusterer that decides.

Score of an article against a story: for each kept member, a pair score

    (cos + w_names * idf_cos(names) + w_numbers * idf_cos(numbers)) / (1 + w_names + w_numbers)

and the story score is the mean of the best ``min(n, top_k)`` pair scores. Two reasons for
this shape:

- names and numbers survive translation almost unchanged, so they separate "same event" from
  "same topic" where the multilingual embedding blurs the two; weighting them by inverse
  document frequency (counted online over the stream) makes "Boeing" in an aviation week
  worth less than "Sjölander";
- averaging the top few member scores (not the max) means a growing story must agree with
  *several* of its members, which stops chaining (A~B, B~C, C~D: single-link drift) and stops
  a big story from swallowing its neighbours through its centroid.

Mixed into ``newsloom.stories.cluster.StoryClusterer`` (which holds the weights, thresholds and
the online document frequencies this reads); the constants below are its defaults, each with
where it was fitted and where it was reported.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from newsloom.stories.expiry import _forget_singletons
from newsloom.stories.items import ClusterItem, Signals, StoryState, _idf_cos, make_signals, names_compared

if TYPE_CHECKING:
    from collections import Counter

# Added to the cosine of a member in another language. A multilingual embedding places a report
# and its counterpart in another language further apart than two reports in one language (the
# language itself is part of the vector), so one threshold for both is stricter across
# languages. Measured on MEANTIME + Primer (BCubed F1 overall / cross-language, cross-language
# precision): 0 0.983 / 0.930 (1.000); 0.04 0.984 / 0.936; 0.06 0.985 / 0.942 (1.000); 0.08
# 0.985 / 0.940 (0.993); 0.10 0.984 / 0.934 (0.982). MEANTIME alone 0.998 -> 1.000 from 0.06.
# Checked on another corpus, SemEval-2022 dev (USE-m3 cosine of title + lead): same-story pairs
# across languages sit 0.02 (mean) to 0.05 (median) below same-story pairs in one language, and
# different-story pairs show no gap (0.316 vs 0.317), so the allowance also lifts unrelated
# cross-language pairs: pooled ROC-AUC of the raw cosine 0.918 at 0, 0.918 at 0.04, 0.917 at
# 0.06. It is the top of the safe range, kept for the stories' measured gain; the clusterer
# applies it only where it can lift a candidate over the bound (see _story_score).
CROSS_LANGUAGE_BONUS = 0.06
# A short text (a feed item's title and summary, a brief) gets a lower join threshold. The cosine
# of two short texts is noisier, and a threshold fitted on title + 800 characters turns most
# same-event pairs of one-sentence items away (SemEval-2022 dev, title + first sentence: the
# median USE-m3 cosine of same-story pairs is 0.54). The allowance keeps the rate at which
# *unrelated* pairs pass the same for short texts as for full ones: on Wikinews Primer (no
# story labels used, only which pairs are different stories), 0.034% of different-story pairs
# of full texts (median 135 words) reach cosine 0.70; of title + first sentence (median 34
# words) the same share reaches 0.645. Reported on other corpora (title + first sentence, BCubed
# F1 / recall, allowance 0 -> 0.055): MEANTIME 0.946 / 0.920 -> 0.959 / 0.954 (cross-language
# recall 0.893 -> 0.939); SemEval-2022 dev titles (1,053 documents, stories from the pairs'
# labels, undated) 0.931 / 0.897 -> 0.928 / 0.902 (cross-language recall 0.079 -> 0.113). On
# Primer itself (undated: every story is a candidate for every item) 0.971 -> 0.956, precision
# 0.959 -> 0.927: the price, paid where stories are mostly single reports.
SHORT_ALLOWANCE = 0.055
SHORT_WORDS = (35, 120)  # full allowance at or below, none at or above (words of title + text)


class Scoring:
    """Pair and story scores, the short-text and cross-language allowances, and the online IDF
    weights of names and numbers. Requires the clusterer's settings and counters."""

    name_weight: float
    number_weight: float
    top_k: int
    cross_language_bonus: float
    short_text_allowance: float
    space_thresholds: dict[str, float]
    df_keys: int
    _n_docs: int
    _df_names: Counter[str]
    _df_numbers: Counter[str]

    threshold: float

    def threshold_for(self, space: str) -> float:
        """The join threshold of ``space`` (its own, else the default)."""
        return self.space_thresholds.get(space, self.threshold)

    def short_allowance(self, n_words: int | None) -> float:
        """How much lower the join threshold is for a short text (see SHORT_ALLOWANCE): the
        full allowance at ``SHORT_WORDS[0]`` words or fewer, none from ``SHORT_WORDS[1]``,
        linear in between; none when the length is unknown."""
        if n_words is None or not self.short_text_allowance:
            return 0.0
        lo, hi = SHORT_WORDS
        return self.short_text_allowance * min(1.0, max(0.0, (hi - n_words) / (hi - lo)))

    def pair_score(self, vec_a: np.ndarray, sig_a: Any, vec_b: np.ndarray, sig_b: Any) -> float:
        """Article-vs-article score on the threshold's scale (see module doc); ``sig_*`` are
        the (names, numbers) IDF weight dicts the clusterer keeps per member."""
        return self._pair_from_cos(float(vec_a @ vec_b), sig_a, sig_b)

    def _signals(self, item: ClusterItem) -> Signals:
        # Document frequencies are counted online (including this article), so the weights a
        # replay computes are exactly the ones the live stream computed.
        self._n_docs += 1
        self._df_names.update(item.names)
        self._df_numbers.update(item.numbers)
        for df in (self._df_names, self._df_numbers):
            if len(df) > self.df_keys:
                _forget_singletons(df)
        n = self._n_docs + 1
        # sorted: float sums then run in the same order in every process (set order follows
        # the per-process string hash seed)
        names = {k: math.log(n / (self._df_names[k] + 0.5)) for k in sorted(item.names)}
        numbers = {k: math.log(n / (self._df_numbers[k] + 0.5)) for k in sorted(item.numbers)}
        return make_signals(names, numbers, item.lang, item.n_words)

    def _bonus(self, a: str | None, b: str | None) -> float:
        """The cross-language allowance (CROSS_LANGUAGE_BONUS) when both languages are known
        and differ."""
        return self.cross_language_bonus if a and b and a != b else 0.0

    def _story_score(self, s: StoryState, vec: np.ndarray, sig: Any, lang: str | None = None,
                     threshold: float | None = None) -> float:
        if not s.member_vecs:
            return 0.0
        cos = np.stack(s.member_vecs) @ vec if len(s.member_vecs) > 1 else np.array([float(s.member_vecs[0] @ vec)])
        threshold = self.threshold_for(s.space) if threshold is None else threshold
        # in a space with a scale of its own (centred e5) only agreeing keys count across
        # languages (items.names_compared says why)
        agreement_only = s.space in self.space_thresholds
        if lang and self.cross_language_bonus and s.member_langs:
            # the allowance is only worth computing when it could lift a member over the bound
            w = self.name_weight + self.number_weight
            if (float(np.max(cos)) + self.cross_language_bonus + w) / (1.0 + w) < threshold:
                return 0.0
            cos = cos + np.array([self._bonus(lang, m) for m in s.member_langs], dtype=cos.dtype)
        return self._top_k_score(cos, s.member_sig, sig, threshold, agreement_only)

    def _top_k_score(self, cos: Any, member_sig: list[Any], sig: Any, threshold: float,
                     agreement_only: bool = False) -> float:
        # Cheap bound: even full name and number agreement cannot lift the best member over
        # the threshold, so skip the per-member signal work (most candidates at scale).
        w = self.name_weight + self.number_weight
        if (float(np.max(cos)) + w) / (1.0 + w) < threshold:
            return 0.0
        scores = sorted(
            (self._pair_from_cos(float(c), sig, msig, agreement_only) for c, msig in zip(cos, member_sig)),
            reverse=True,
        )
        k = min(len(scores), self.top_k)
        return sum(scores[:k]) / k

    def _pair_from_cos(self, cos: float, sig: Any, msig: Any, agreement_only: bool = False) -> float:
        # A signal counts only when both articles have it: no capitalised names (Chinese,
        # Thai...) or no numbers is absence of evidence, not disagreement. Across languages
        # only the entity keys are names (items.names_compared).
        num, den = cos, 1.0
        if sig and msig:
            na, nb = names_compared(sig, msig, agreement_only)
            if na and nb:
                num += self.name_weight * _idf_cos(na, nb)
                den += self.name_weight
            if sig.numbers and msig.numbers:
                num += self.number_weight * _idf_cos(sig.numbers, msig.numbers)
                den += self.number_weight
        return num / den
