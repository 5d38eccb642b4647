"""Who may read which audience's articles: the one table every reading route consults.

`engineer` articles are the vendor's internal knowledge and `management` ones brief the
hospital's management through its IT contact; neither reaches clinicians or callers who
have not signed in, whether through search, the chat, related fixes, cases or a link.
"""

from __future__ import annotations

INTERNAL = "engineer"
PUBLIC_AUDIENCES: tuple[str, ...] = ("clinician", "it_staff")

READABLE: dict[str, tuple[str, ...]] = {
    "anonymous": PUBLIC_AUDIENCES,
    "clinician": PUBLIC_AUDIENCES,
    "hospital_it": (*PUBLIC_AUDIENCES, "management"),
    "engineer": (*PUBLIC_AUDIENCES, "management", INTERNAL),
    "manager": (*PUBLIC_AUDIENCES, "management", INTERNAL),
    "admin": (*PUBLIC_AUDIENCES, "management", INTERNAL),
}


def readable_audiences(role: str) -> tuple[str, ...]:
    """The audiences `role` may read; an unknown role reads what anonymous callers do."""
    return READABLE.get(role, PUBLIC_AUDIENCES)


def may_read(role: str, audience: str) -> bool:
    return audience in readable_audiences(role)
