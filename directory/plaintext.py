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


def plain_text(value: str, *, multiline: bool = True) -> str:
    """Tags, comments and scripts removed, entities decoded, spaces tidied.

    Decoding can reveal markup (« &lt;b&gt; » is « <b> »), so cleaning repeats until the
    text no longer changes. One line unless ``multiline``.
    """
    text = value or ""
    for _ in range(ROUNDS):
        # nh3 (ammonia) with no allowed tag keeps only text, scripts' and styles' content
        # dropped, and answers HTML-escaped text: decode it back to characters.
        cleaned = html.unescape(nh3.clean(BREAKS.sub("\n", text), tags=set()))
        if cleaned == text:
            break
        text = cleaned
    else:
        text = text.replace("<", "").replace(">", "")
    lines = [" ".join(line.split()) for line in text.splitlines()]
    if multiline:
        return "\n".join(lines).strip()
    return " ".join(line for line in lines if line)
