from __future__ import annotations

from datetime import UTC, datetime

from weibao.routing.matching import EngineerProfile, History, TicketNeeds, rank_candidates

ALWAYS = [{"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": "00:00", "end": "00:00"}]
WEDNESDAY_10 = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def engineer(eid: str, tier: str = "L2", pacs: int = 4, radiology: int = 3, open_count: int = 0,
             max_open: int = 5, shifts=ALWAYS, regions=("east",), tags=("dicom",)) -> EngineerProfile:  # type: ignore[no-untyped-def]
    return EngineerProfile(
        id=eid, name=eid, tier=tier, systems={"pacs": pacs}, departments={"radiology": radiology},
        tags=frozenset(tags), regions=frozenset(regions), shifts=shifts, max_open=max_open,
        open_count=open_count,
    )


def needs(priority: str = "P2", onsite: bool = False, dedicated: frozenset[str] = frozenset()) -> TicketNeeds:
    return TicketNeeds(
        hospital_id="h1", region="east", system="pacs", symptom="image_load", department="radiology",
        priority=priority, needs_onsite=onsite, response_due=WEDNESDAY_10,
        tags=frozenset({"dicom"}), dedicated=dedicated,
    )


def test_more_proficient_engineer_ranks_first_and_factors_add_up() -> None:
    ranked = rank_candidates([engineer("a", pacs=3), engineer("b", pacs=5)], needs(), History())
    assert [c.engineer_id for c in ranked] == ["b", "a"]
    assert abs(sum(ranked[0].factors.values()) - ranked[0].score) < 1e-9
    assert ranked[0].factors["system"] > ranked[1].factors["system"]


def test_when_the_engineer_is_at_cap_they_are_excluded_with_a_reason() -> None:
    ranked = rank_candidates([engineer("a", open_count=5)], needs(), History())
    assert ranked[0].excluded_because == "at cap (5/5 open)"


def test_when_p1_only_l2_and_above_qualify() -> None:
    ranked = rank_candidates([engineer("l1", tier="L1", pacs=5), engineer("l2")], needs("P1"), History())
    assert ranked[0].engineer_id == "l2" and ranked[1].excluded_because.startswith("P1 needs")


def test_when_off_shift_until_the_response_is_due_the_engineer_is_excluded() -> None:
    weekend = [{"days": ["sat", "sun"], "start": "08:00", "end": "20:00"}]
    ranked = rank_candidates([engineer("w", shifts=weekend)], needs(), History())
    assert ranked[0].excluded_because == "not on shift before the response is due"


def test_a_shift_starting_before_the_response_is_due_counts() -> None:
    from datetime import timedelta

    later = [{"days": ["wed"], "start": "10:30", "end": "18:00"}]  # starts after the ticket, before due
    n = needs()
    early = TicketNeeds(**{**{f: getattr(n, f) for f in n.__slots__},
                           "created_at": WEDNESDAY_10, "response_due": WEDNESDAY_10 + timedelta(hours=2)})
    assert rank_candidates([engineer("late", shifts=later)], early, History())[0].excluded_because is None


def test_when_onsite_work_is_needed_the_region_must_match() -> None:
    ranked = rank_candidates([engineer("far", regions=("west",))], needs(onsite=True), History())
    assert "region east" in ranked[0].excluded_because


def test_history_and_dedication_can_outweigh_a_small_skill_gap() -> None:
    history = History(same_problem={"a": 12}, neighbours={"a": 0.6})
    ranked = rank_candidates(
        [engineer("a", pacs=4), engineer("b", pacs=5)], needs(dedicated=frozenset({"a"})), history
    )
    assert ranked[0].engineer_id == "a"
    assert ranked[0].factors["history"] > 0 and ranked[0].factors["dedicated"] > 0


def test_equal_engineers_tie_break_by_id() -> None:
    ranked = rank_candidates([engineer("zz"), engineer("aa")], needs(), History())
    assert [c.engineer_id for c in ranked] == ["aa", "zz"]


def test_when_nobody_qualifies_every_candidate_says_why() -> None:
    ranked = rank_candidates([engineer("a", pacs=1), engineer("b", open_count=9)], needs(), History())
    assert all(c.excluded_because for c in ranked)


def test_when_triage_is_unsure_the_engineer_who_knows_both_systems_ranks_higher() -> None:
    base = needs()
    unsure = TicketNeeds(**{**{f: getattr(base, f) for f in base.__slots__},
                            "system_alternatives": {"emergency": 0.8}})
    specialist = engineer("pacs-only", pacs=5)
    both = EngineerProfile(**{**{f: getattr(specialist, f) for f in specialist.__slots__},
                              "id": "both", "systems": {"pacs": 4, "emergency": 4}})
    sure = rank_candidates([specialist, both], base, History())
    assert sure[0].engineer_id == "pacs-only"
    assert all(c.excluded_because is None for c in sure)
    hedged = rank_candidates([specialist, both], unsure, History())
    assert hedged[0].engineer_id == "both"
    assert hedged[1].excluded_because == "triage is unsure; proficiency in the alternative emergency below 3"
    # Nobody covers both readings: the floor relaxes to the triaged system alone.
    alone = rank_candidates([specialist], unsure, History())
    assert alone[0].excluded_because is None
    # Among those who cover both, skill is averaged over the readings.
    deeper = EngineerProfile(**{**{f: getattr(both, f) for f in both.__slots__},
                                "id": "deeper", "systems": {"pacs": 4, "emergency": 5}})
    assert hedged[0].factors["system"] < rank_candidates([deeper], unsure, History())[0].factors["system"]
