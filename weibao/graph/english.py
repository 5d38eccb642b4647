"""A light English stemmer: one form for a word's inflections (plural, past, -ing).

"print", "prints", "printed" and "printing" read as one word for the dictionary linker's
Latin aliases (weibao.graph.linking) and for the classifier's word features
(weibao.graph.classifier), so that an alias or a training phrase written in one form
matches a ticket written in another. Only inflections are folded, never derivations
("printer" stays apart from "print": a device is not a failure). The same function must be
applied to both sides; its output is a key, not a word to show.
"""

from __future__ import annotations

import re
from functools import lru_cache

_VOWEL = re.compile(r"[aeiouy]")
# Irregular forms that tickets use (hung screens, frozen PCs, sent results).
_IRREGULAR = {
    "hung": "hang", "froze": "freez", "frozen": "freez", "sent": "send", "went": "go",
    "gone": "go", "shown": "show", "broke": "break", "broken": "break", "lost": "lose",
    "ran": "run", "running": "run", "taken": "take", "took": "take",
    "came": "come", "done": "do", "did": "do", "does": "do",
    "got": "get", "gotten": "get", "wrote": "write", "written": "write", "printouts": "printout",
    "children": "child", "analyses": "analysis",
}
# Endings that look like a plural but are not one (status, analysis, virus, access).
_KEEP_S = ("ss", "us", "is", "ics", "ous", "as")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The key of a lower-case Latin word; words of three letters or less stay as they are."""
    if len(word) <= 3 or not word.isascii():
        return word
    if word in _IRREGULAR:
        return stem(_IRREGULAR[word])
    w = word
    if w.endswith("'s"):
        w = w[:-2]
    elif w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith(("sses", "shes", "ches", "xes", "zes")):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(_KEEP_S) and len(w) > 3:
        w = w[:-1]
    for suffix in ("ing", "ed"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3 and _VOWEL.search(w[: -len(suffix)]):
            w = w[: -len(suffix)]
            if w.endswith("i") and suffix == "ed":  # copied, tried
                w = w[:-1] + "y"
            elif len(w) > 3 and w[-1] == w[-2] and w[-1] not in "lsz":  # stopped, jammed
                w = w[:-1]
            break
    # "store", "stored", "storing" and "stores" all end as "stor".
    if w.endswith("e") and len(w) > 3 and not w.endswith(("ee", "ye")):
        w = w[:-1]
    return w
