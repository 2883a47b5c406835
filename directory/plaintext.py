"""User text as plain text: what registration, owner editing and partner imports store.

Listings are text, never markup: templates escape them and our JavaScript hands them to the
DOM and to Leaflet as text. Storing them without tags as well means a page or a partner's
reuse of the open data that forgets to escape still shows words, not a script.
"""

import html
import re

import nh3

# Elements that end a line: « Ferme<br>Bio » reads « Ferme », « Bio », not « FermeBio ».
# ``[^<>]*``, not ``[^>]*``: a tag never spans another « < », and a text of unclosed « <p »
# is then read once, not once per « < » (130,000 of them took half a minute).
BREAKS = re.compile(r"<\s*/?\s*(?:br|p|div|li|tr|h[1-6])\b[^<>]*>", re.IGNORECASE)
# Rounds of cleaning before giving up on a text that keeps revealing markup (entities
# encoded again and again): then no « < » nor « > » is kept at all.
ROUNDS = 20
# What a round of cleaning may change: markup, entities, carriage returns, NUL and a
# leading byte-order mark (html5ever's input rules). A text with none of them is already
# clean (tests/security/test_plain_text_fast_path.py): most names and addresses, skipped.
MAY_CHANGE = re.compile("[<>&\r\x00\ufeff]")


def _one_round(text: str) -> str:
    # nh3 (ammonia) with no allowed tag keeps only text, scripts' and styles' content
    # dropped, and answers HTML-escaped text: decode it back to characters.
    return html.unescape(nh3.clean(BREAKS.sub("\n", text), tags=set()))


def _cleaned(text: str) -> str:
    for _ in range(ROUNDS):
        cleaned = _one_round(text)
        if cleaned == text:
            return text
        text = cleaned
    return text.replace("<", "").replace(">", "")


def plain_text(value: str, *, multiline: bool = True) -> str:
    """Tags, comments and scripts removed, entities decoded, spaces tidied.

    Decoding can reveal markup (« &lt;b&gt; » is « <b> »), so cleaning repeats until the
    text no longer changes. One line unless ``multiline``.
    """
    text = value or ""
    if MAY_CHANGE.search(text):
        text = _cleaned(text)
    lines = [" ".join(line.split()) for line in text.splitlines()]
    if multiline:
        return "\n".join(lines).strip()
    return " ".join(line for line in lines if line)
