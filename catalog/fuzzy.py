"""Name matching in Python: how well a typed word matches the words of a product name.

The same ranking on every database: PostgreSQL finds the candidates with its trigram index
(catalog.selectors), SQLite reads a bounded set of them; both are ranked here so that whole
words and prefixes of the product's own name come before a word that only resembles it, and
a misspelling ('notebok', 'gell', 'blak') or two swapped letters ('pne') still matches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

WORD = re.compile(r"[^\W_]+")
# A word of the name matches a typed word from this score on (1 exact, 0.9 prefix).
MATCH = 0.6
EXACT, PREFIX = 1.0, 0.9
# Below exact and prefix, however close: a resemblance never outranks the word itself.
CLOSE = 0.85


def words(text: str) -> list[str]:
    return WORD.findall(text.lower())


def trigrams(word: str) -> set[str]:
    """pg_trgm's trigrams of one word: padded with two spaces before and one after."""
    padded = f"  {word} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def edit_distance(a: str, b: str) -> int:
    """Insertions, deletions, substitutions and swaps of two neighbours (optimal string
    alignment), so 'pne' is one edit from 'pen'."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


def word_score(typed: str, word: str) -> float:
    """1 for the same word, 0.9 for a prefix, otherwise the better of the shared trigrams (as
    pg_trgm's word similarity counts them) and the edit distance, at most CLOSE."""
    if word == typed:
        return EXACT
    if word.startswith(typed):
        return PREFIX
    if len(typed) < 3:
        return 0.0
    shared = len(trigrams(typed) & trigrams(word)) / len(trigrams(typed))
    edits = 1 - edit_distance(typed, word) / max(len(typed), len(word))
    return min(CLOSE, max(shared, edits))


@dataclass(frozen=True)
class Rank:
    """Sorts best first (as a key of `sorted`, ascending)."""

    matched_all: bool
    key: tuple

    @classmethod
    def of(cls, query: str, name: str, product_name: str = "") -> Rank:
        typed = words(query)
        name_words = words(name)
        product_words = words(product_name) or name_words
        best = [max((word_score(t, w) for w in name_words), default=0.0) for t in typed]
        matched_all = all(
            score >= MATCH for t, score in zip(typed, best, strict=True) if len(t) >= 3
        )
        # How much of the product's own name the typed words are: 'notebok' is all of
        # 'Notebook' but half of 'Notebook case'.
        covered = sum(
            1 for w in product_words if any(word_score(t, w) >= MATCH for t in typed)
        ) / max(len(product_words), 1)
        whole = sum(1 for score in best if score >= PREFIX)
        return cls(matched_all, (-whole, -round(covered, 3), -round(sum(best), 3)))


def ranked(query: str, rows: list[tuple[int, str, str]], *, keep=frozenset()) -> list[int]:
    """Ids of `rows` (id, SKU name, product name) that match every typed word of 3+ letters
    (or are in `keep`), best first; ties keep the rows' order."""
    scored = []
    for position, (pk, name, product_name) in enumerate(rows):
        rank = Rank.of(query, name, product_name)
        if rank.matched_all or pk in keep:
            scored.append((rank.key, position, pk))
    return [pk for _key, _position, pk in sorted(scored)]


def alternatives(word: str) -> list[str]:
    """The word and each spelling with two neighbouring letters swapped ('pne': 'npe', 'pen'),
    for a database search that cannot count a swap as one mistake."""
    swaps = {word[:i] + word[i + 1] + word[i] + word[i + 2 :] for i in range(len(word) - 1)}
    return [word, *sorted(swaps - {word})]


def chunks(word: str) -> list[str]:
    """The word's three-letter pieces: a misspelled word still shares some with the name."""
    return sorted({word[i : i + 3] for i in range(len(word) - 2)}) or [word]
