"""The estate's services behind one object, sharing one clock (tests pass a fake one)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from weibao.core.accounts import Hospital
from weibao.core.db import session_scope
from weibao.estate.access import RemoteAccess
from weibao.estate.changes import Changes
from weibao.estate.common import Clock, default_clock
from weibao.estate.installations import Installations
from weibao.estate.releases import Releases
from weibao.routing.models import Engineer


class Estate:
    def __init__(self, sessions: sessionmaker[Session], clock: Clock = default_clock) -> None:
        self.sessions = sessions
        self.clock = clock
        # The services read the time through `now`, so replacing `clock` moves them all.
        self.access = RemoteAccess(sessions, self.now)
        self.installations = Installations(sessions, self.now)
        self.releases = Releases(sessions, self.now)
        self.changes = Changes(sessions, self.installations, self.now)

    def now(self) -> datetime:
        return self.clock()

    def names(self) -> tuple[dict[str, str], dict[str, str]]:
        """Hospital and engineer names by id, for pages and payloads."""
        with session_scope(self.sessions) as session:
            hospitals = dict(session.execute(select(Hospital.id, Hospital.name)).tuples().all())
            engineers = dict(session.execute(select(Engineer.id, Engineer.name)).tuples().all())
        return hospitals, engineers
