"""Generate the resolved historical tickets of the WeiBao seed (data/seed_ops/tickets.yaml).

Deterministic (random.Random(20251101)): the same inputs always give the same file.
Run from the repository root:  python data/seed_ops/generate_tickets.py

Inputs (same folder): hospitals.yaml, engineers.yaml, ticket_templates.yaml.
Output: tickets.yaml, a list of
  {id, hospital_id, channel, reporter_role, title, description, system, symptom,
   department, priority, created_at, first_response_minutes, resolution_minutes,
   resolved_by, root_cause, fix_steps, fix_id}

How a ticket is made:
- hospital by contract volume; local time in the hospital's time zone, more in the daytime
  and on working days (chinese-calendar), written as ISO-8601 with +08:00;
- template by the hospital's system mix and the hour (nights bring outages and alarms,
  rarely how-to questions); placeholders ({ward}, {time}, ...) filled; ~5 % carry a fake
  patient detail (患者王某某, 住院号 ...) so that masking has something to do;
- first response: when the contract's coverage (basic 8x5 on China's working days, standard
  7x12, premium 7x24) next runs and a qualified engineer is on shift;
- resolver: among engineers with proficiency >= 3 in the system, on shift at the first
  response and under their cap (P1 needs L2+), weighted by proficiency, department
  knowledge, tag overlap, tier fit, region (onsite), the hospital's dedicated engineers
  and hidden per-engineer specialties and hospital familiarity that only history shows;
  ~10 % go to a less obvious but still qualified engineer (e.g. an L3 taking an L2 ticket);
- resolution time from priority, proficiency, specialty, onsite work and noise.
All *_minutes are wall-clock minutes from created_at; resolution_minutes >= first_response_minutes.
"""

from __future__ import annotations

import math
import random
import re
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

try:  # statutory holidays and make-up working days; a plain weekday rule otherwise
    import chinese_calendar

    def is_workday(d: date) -> bool:
        return chinese_calendar.is_workday(d)

except ImportError:  # pragma: no cover

    def is_workday(d: date) -> bool:
        return d.weekday() < 5


HERE = Path(__file__).resolve().parent
SEED = 20251101
N_TICKETS = 720
START = date(2025, 1, 1)
END = date(2026, 10, 31)
VENDOR_TZ = ZoneInfo("Asia/Shanghai")
OUT_TZ = timezone(timedelta(hours=8))
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

MONITORED_SYMPTOMS = {"outage", "storage_alarm", "interface_error", "cert_license"}
IT_TAGS = {"oracle", "sqlserver", "mysql", "storage", "security", "linux", "nginx", "hl7",
           "fhir", "webservice", "network", "ca_cert", "insurance_api"}
DEEP_TAGS = {"oracle", "sqlserver", "mysql", "hl7", "fhir", "dicom", "storage", "security",
             "insurance_api", "nginx", "linux"}
CRITICAL_SYSTEMS = {"emergency", "icu", "or_anesthesia", "infrastructure", "integration"}

# Ticket volume per hospital and the systems each one uses more or less than average.
HOSPITAL_VOLUME = {"h-hzsy": 1.7, "h-fsnh": 1.4, "h-whdh": 1.3, "h-jnwy": 1.0, "h-szlh": 1.0,
                   "h-cdqy": 0.85, "h-sytx": 0.8, "h-bjhd": 0.55, "h-sxfy": 0.45, "h-wlmq": 0.4}
HOSPITAL_SYSTEM_MIX = {
    "h-sxfy": {"icu": 0.3, "or_anesthesia": 0.5, "internet_hospital": 1.6, "nursing": 1.4},
    "h-bjhd": {"icu": 0.4, "internet_hospital": 0.5, "his": 1.5, "terminal": 1.4},
    "h-wlmq": {"internet_hospital": 0.2, "insurance": 1.8, "terminal": 1.5, "icu": 0.5},
    "h-hzsy": {"internet_hospital": 1.6, "pacs": 1.3, "integration": 1.3},
    "h-fsnh": {"emr": 1.4, "nursing": 1.3, "infrastructure": 1.3},
    "h-whdh": {"icu": 1.6, "or_anesthesia": 1.6, "emergency": 1.3},
    "h-szlh": {"registration": 1.4, "internet_hospital": 1.4, "terminal": 1.3},
    "h-jnwy": {"lis": 1.5, "his": 1.2},
    "h-cdqy": {"insurance": 1.4, "pharmacy": 1.4},
    "h-sytx": {"emergency": 1.3, "infrastructure": 1.3, "pacs": 0.8},
}
# Local hour weights (clinicians report in the daytime, most in the morning peak).
HOUR_WEIGHTS = [0.5, 0.4, 0.3, 0.3, 0.3, 0.4, 0.8, 1.6, 4.5, 6.0, 6.0, 5.0, 2.5, 2.8,
                4.5, 5.0, 4.5, 3.0, 1.8, 1.4, 1.2, 1.0, 0.8, 0.6]

WARDS = ["心内科一病区", "呼吸科二病区", "5病区", "12病区", "骨科病区", "神经内科病区", "普外科三病区",
         "肾内科病区", "儿科病区", "产科病区", "肿瘤科二病区", "内分泌科病区", "消化内科病区", "7病区"]
BUILDINGS = ["门诊楼", "住院部A栋", "3号楼", "1号楼", "医技楼", "住院部B座", "综合楼", "2号楼"]
INSTRUMENTS = ["2号生化分析仪", "1号血球仪", "化学发光免疫分析仪", "凝血分析仪", "尿液分析仪",
               "血气分析仪", "急诊生化仪", "糖化血红蛋白仪"]
HOSTS = {"his": ["his-db01", "his-db02", "his-app03"], "registration": ["reg-app01", "reg-app02"],
         "emr": ["emr-file01", "emr-app02"], "lis": ["lis-db01", "lis-app01"],
         "pacs": ["pacs-arch01", "pacs-store02"], "insurance": ["yb-qzj01", "yb-qzj02"],
         "integration": ["esb-node01", "esb-node02", "esb-db01"], "icu": ["icu-app01", "icu-db01"],
         "emergency": ["jz-app01", "jz-app02"], "or_anesthesia": ["ssmz-app01"],
         "internet_hospital": ["ih-web01", "ih-web02"],
         "infrastructure": ["core-sw01", "db-ora01", "san-01", "app-srv07", "fw-01"]}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹"


def load(name: str):
    with open(HERE / name, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _hm(s: str) -> int:
    h, m = s.split(":")
    return int(h) * 60 + int(m)


def on_shift(eng: dict, t: datetime) -> bool:
    """True when vendor wall-clock time t falls in one of the engineer's shifts."""
    local = t.astimezone(VENDOR_TZ)
    minute = local.hour * 60 + local.minute
    today, yesterday = DAYS[local.weekday()], DAYS[(local.weekday() - 1) % 7]
    for sh in eng["shifts"]:
        start, end = _hm(sh["start"]), _hm(sh["end"])
        if start < end:
            if today in sh["days"] and start <= minute < end:
                return True
        else:  # crosses midnight: belongs to the day it starts on
            if today in sh["days"] and minute >= start:
                return True
            if yesterday in sh["days"] and minute < end:
                return True
    return False


def in_coverage(tier: str, t: datetime, tz: ZoneInfo) -> bool:
    local = t.astimezone(tz)
    minute = local.hour * 60 + local.minute
    if tier == "premium":
        return True
    if tier == "standard":
        return 8 * 60 <= minute < 20 * 60
    return is_workday(local.date()) and 9 * 60 <= minute < 17 * 60


def next_coverage(tier: str, t: datetime, tz: ZoneInfo) -> datetime:
    probe = t
    while not in_coverage(tier, probe, tz):
        probe = (probe + timedelta(minutes=15)).replace(second=0, microsecond=0)
        probe -= timedelta(minutes=probe.minute % 15)
    return probe


class Generator:
    def __init__(self) -> None:
        self.rng = random.Random(SEED)
        self.hospitals = load("hospitals.yaml")
        self.engineers = load("engineers.yaml")
        self.templates = load("ticket_templates.yaml")
        self.eng_by_id = {e["id"]: e for e in self.engineers}
        self.open_work: dict[str, list[tuple[datetime, datetime]]] = {e["id"]: [] for e in self.engineers}
        self.check_caps = True
        self._hidden_traits()

    # -- what only history shows ---------------------------------------------------------
    def _hidden_traits(self) -> None:
        """Per-engineer specialties (system, symptom) and hospital familiarity."""
        rng = self.rng
        symptoms = sorted({t["symptom"] for t in self.templates})
        self.specialty: dict[str, set[tuple[str, str]]] = {}
        self.familiar: dict[str, set[str]] = {}
        for e in self.engineers:
            strong = sorted(s for s, p in e["systems"].items() if p >= 3)
            picks = set()
            for _ in range(rng.randint(2, 4)):
                picks.add((rng.choice(strong), rng.choice(symptoms)))
            # real specialties follow the templates that exist for those systems
            for s in strong:
                cands = sorted({t["symptom"] for t in self.templates if t["system"] == s})
                if rng.random() < 0.5:
                    picks.add((s, rng.choice(cands)))
            self.specialty[e["id"]] = picks
            near = sorted(h["id"] for h in self.hospitals if h["region"] in e["regions"])
            self.familiar[e["id"]] = set(rng.sample(near, k=min(len(near), rng.randint(1, 2))))

    # -- time and text ---------------------------------------------------------------------
    def created_at(self, hospital: dict, monitoring: bool) -> datetime:
        rng, tz = self.rng, ZoneInfo(hospital["timezone"])
        span = (END - START).days
        while True:
            d = START + timedelta(days=rng.randrange(span + 1))
            weight = 1.0 if is_workday(d) else 0.45
            if rng.random() < weight:
                break
        hour = rng.randrange(24) if monitoring else rng.choices(range(24), HOUR_WEIGHTS)[0]
        local = datetime(d.year, d.month, d.day, hour, rng.randrange(60), rng.randrange(60), tzinfo=tz)
        return local.astimezone(OUT_TZ)

    def fill(self, text: str, ctx: dict) -> str:
        return re.sub(r"\{(\w+)\}", lambda m: str(ctx.get(m.group(1), m.group(0))), text)

    def context(self, tpl: dict, created: datetime, tz: ZoneInfo) -> dict:
        rng = self.rng
        seen = (created - timedelta(minutes=rng.randint(3, 40))).astimezone(tz)
        time_txt = rng.choice([f"{seen:%H:%M}", f"{seen.hour}点{seen.minute:02d}",
                               f"{seen.hour}点左右" if seen.minute < 30 else f"{seen.hour}点半"])
        surname = rng.choice(SURNAMES)
        patient = rng.choice([
            f"患者{surname}某某（住院号ZY{created.year}{rng.randint(10000, 99999)}）",
            f"患者{surname}某（门诊号MZ{created:%y%m%d}{rng.randint(1000, 9999)}）",
            f"{surname}某某（住院号{rng.randint(200000, 899999)}）",
        ])
        return {
            "ward": rng.choice(WARDS), "bldg": rng.choice(BUILDINGS), "floor": rng.randint(2, 18),
            "win": rng.randint(1, 24), "room": f"{rng.randint(1, 5)}{rng.randint(1, 30):02d}",
            "or": rng.randint(1, 16), "bed": rng.randint(1, 20), "time": time_txt,
            "n": rng.randint(2, 9), "pct": f"{rng.randint(88, 99)}%",
            "ip": f"10.{rng.randint(1, 254)}.{rng.randint(1, 254)}.{rng.randint(2, 250)}",
            "host": rng.choice(HOSTS.get(tpl["system"], HOSTS["infrastructure"])),
            "inst": rng.choice(INSTRUMENTS), "ver": f"V{rng.randint(5, 6)}.{rng.randint(0, 9)}.{rng.randint(1, 20)}",
            "patient": patient,
        }

    def matching_description(self, title: str, descriptions: list[str]) -> str:
        """A description that tells the same story as the title (shared character bigrams)."""
        def grams(text: str) -> set[str]:
            text = re.sub(r"\{\w+\}", "", text)
            return {text[i:i + 2] for i in range(len(text) - 1)}

        tg = grams(title)
        weights = [(1 + len(tg & grams(d))) ** 2 for d in descriptions]
        return self.rng.choices(descriptions, weights)[0]

    def patient_note(self, created: datetime) -> str:
        rng = self.rng
        surname = rng.choice(SURNAMES)
        return rng.choice([
            f"患者{surname}某某（住院号ZY{created.year}{rng.randint(10000, 99999)}）家属在催。",
            f"病人{surname}某，门诊号MZ{created:%y%m%d}{rng.randint(1000, 9999)}，一直在窗口等。",
            f"患者{surname}某某说已经等了一个小时，联系电话13800138000（家属）。",
            f"涉及患者{surname}某，病历号{rng.randint(100000, 999999)}，麻烦优先处理。",
        ])

    # -- choices -----------------------------------------------------------------------------
    def pick_template(self, hospital: dict, hour: int, monitoring_only: bool) -> dict:
        mix = HOSPITAL_SYSTEM_MIX.get(hospital["id"], {})
        night = hour < 7 or hour >= 21
        weights = []
        for t in self.templates:
            if monitoring_only and not ("alert_titles" in t and t["symptom"] in MONITORED_SYMPTOMS):
                weights.append(0.0)
                continue
            w = mix.get(t["system"], 1.0)
            if t["priority"] == "P1":
                w *= 0.45
            if night:
                if t["symptom"] == "how_to":
                    w *= 0.08
                elif t["system"] in CRITICAL_SYSTEMS or t["symptom"] in MONITORED_SYMPTOMS:
                    w *= 1.6
                elif t["system"] not in {"his", "terminal", "nursing", "registration"}:
                    w *= 0.4
            weights.append(w)
        return self.rng.choices(self.templates, weights)[0]

    def channel(self, tpl: dict, hospital: dict) -> str:
        rng = self.rng
        if "alert_titles" in tpl and tpl["symptom"] in MONITORED_SYMPTOMS:
            p = {"premium": 0.5, "standard": 0.25, "basic": 0.05}[hospital["tier"]]
            if rng.random() < p:
                return "monitoring"
        if tpl["priority"] == "P1":
            return rng.choices(["phone", "chat", "web"], [0.6, 0.2, 0.2])[0]
        if tpl["symptom"] == "how_to":
            return rng.choices(["chat", "web", "phone"], [0.45, 0.35, 0.2])[0]
        return rng.choices(["web", "phone", "chat"], [0.45, 0.3, 0.25])[0]

    def reporter_role(self, tpl: dict, channel: str) -> str:
        if channel == "monitoring":
            return "hospital_it"
        technical = tpl["department"] == "information_dept" or set(tpl["tags"]) & IT_TAGS
        p_it = 0.85 if technical else 0.2
        return "hospital_it" if self.rng.random() < p_it else "clinician"

    def qualified(self, tpl: dict, t: datetime) -> list[dict]:
        out = []
        for e in self.engineers:
            if e["systems"].get(tpl["system"], 0) < 3:
                continue
            if tpl["priority"] == "P1" and e["tier"] == "L1":
                continue
            if not on_shift(e, t):
                continue
            if self.check_caps and sum(
                1 for since, until in self.open_work[e["id"]] if since <= t < until
            ) >= e["max_open"]:
                continue
            out.append(e)
        return out

    def score(self, e: dict, tpl: dict, hospital: dict) -> float:
        prof = e["systems"][tpl["system"]]
        s = prof ** 2
        s *= 0.4 + 0.3 * e["departments"].get(tpl["department"], 0)
        tags = set(tpl["tags"])
        if tags:
            s *= 0.5 + 1.5 * len(tags & set(e["tags"])) / len(tags)
        deep = bool(tags & DEEP_TAGS)
        if tpl["symptom"] == "how_to":
            s *= {"L1": 2.5, "L2": 1.0, "L3": 0.25}[e["tier"]]
        elif e["tier"] == "L1":
            s *= 0.6 if deep else 1.3
        elif e["tier"] == "L3":
            s *= 1.6 if deep and tpl["priority"] in ("P1", "P2") else 0.5
        if tpl["needs_onsite"]:
            s *= 1.5 if hospital["region"] in e["regions"] else 0.15
        elif hospital["region"] in e["regions"]:
            s *= 1.15
        if e["id"] in hospital["dedicated_engineers"]:
            s *= 4.0
        if (tpl["system"], tpl["symptom"]) in self.specialty[e["id"]]:
            s *= 2.5
        if hospital["id"] in self.familiar[e["id"]]:
            s *= 1.8
        return s

    def resolver(self, tpl: dict, hospital: dict, cands: list[dict]) -> dict:
        rng = self.rng
        ranked = sorted(cands, key=lambda e: (-self.score(e, tpl, hospital), e["id"]))
        if len(ranked) > 2 and rng.random() < 0.10:
            # the less obvious choice: an L3 stepping in, or whoever else was qualified
            l3 = [e for e in ranked[2:] if e["tier"] == "L3"]
            pool = l3 if l3 and rng.random() < 0.5 else ranked[2:]
            return rng.choice(pool)
        return rng.choices(ranked, [self.score(e, tpl, hospital) for e in ranked])[0]

    def first_response(self, tpl: dict, hospital: dict, created: datetime) -> tuple[datetime, list[dict]]:
        rng, tz = self.rng, ZoneInfo(hospital["timezone"])
        start = next_coverage(hospital["tier"], created, tz)
        delay = {"P1": rng.uniform(2, 20), "P2": rng.uniform(8, 75),
                 "P3": min(420, rng.lognormvariate(math.log(55), 0.7)),
                 "P4": min(900, rng.lognormvariate(math.log(110), 0.8))}[tpl["priority"]]
        t = start + timedelta(minutes=delay)
        for _ in range(7 * 24 * 4):
            cands = self.qualified(tpl, t)
            if cands:
                return t, cands
            t = next_coverage(hospital["tier"], t + timedelta(minutes=15), tz)
        raise RuntimeError(f"nobody qualified for {tpl['id']} after {created}")

    def work_minutes(self, tpl: dict, e: dict) -> float:
        rng = self.rng
        base = {"P1": 80, "P2": 170, "P3": 420, "P4": 40}[tpl["priority"]]
        prof = e["systems"][tpl["system"]]
        m = base * {5: 0.6, 4: 0.8, 3: 1.0}.get(prof, 1.3)
        if e["tier"] == "L1" and set(tpl["tags"]) & DEEP_TAGS:
            m *= 1.4
        if (tpl["system"], tpl["symptom"]) in self.specialty[e["id"]]:
            m *= 0.55
        if tpl["needs_onsite"]:
            m = m * 1.4 + rng.uniform(40, 120)
        return max(5.0, m * rng.lognormvariate(0, 0.5))

    # -- one ticket ----------------------------------------------------------------------------
    def ticket(self) -> dict:
        rng = self.rng
        hospital = rng.choices(self.hospitals, [HOSPITAL_VOLUME[h["id"]] for h in self.hospitals])[0]
        tz = ZoneInfo(hospital["timezone"])
        monitoring_slot = hospital["tier"] != "basic" and rng.random() < 0.08
        created = self.created_at(hospital, monitoring_slot)
        tpl = self.pick_template(hospital, created.astimezone(tz).hour, monitoring_slot)
        channel = self.channel(tpl, hospital)
        ctx = self.context(tpl, created, tz)
        if channel == "monitoring":
            alert = self.fill(rng.choice(tpl["alert_titles"]), ctx)
            title = alert
            desc = (f"监控自动建单：{alert}。触发时间 {created.astimezone(tz):%Y-%m-%d %H:%M}，"
                    f"已持续 {rng.randint(3, 25)} 分钟，级别 {rng.choice(['严重', '高', '警告'])}。")
            if rng.random() < 0.5:
                desc += " 信息科补充：" + self.fill(rng.choice(tpl["descriptions"]), ctx)
        else:
            raw_title = rng.choice(tpl["titles"])
            title = self.fill(raw_title, ctx)
            desc = self.fill(self.matching_description(raw_title, tpl["descriptions"]), ctx)
            if "{patient}" not in " ".join(tpl["descriptions"]) and rng.random() < 0.045:
                desc += " " + self.patient_note(created)
        responded, cands = self.first_response(tpl, hospital, created)
        eng = self.resolver(tpl, hospital, cands)
        resolved = responded + timedelta(minutes=self.work_minutes(tpl, eng))
        self.open_work[eng["id"]].append((responded, resolved))
        first = max(1, round((responded - created).total_seconds() / 60))
        cause = rng.randrange(len(tpl["root_causes"]))  # root_causes[i] pairs with fix_steps[i]
        return {
            "hospital_id": hospital["id"], "channel": channel,
            "reporter_role": self.reporter_role(tpl, channel), "title": title, "description": desc,
            "system": tpl["system"], "symptom": tpl["symptom"], "department": tpl["department"],
            "priority": tpl["priority"], "created_at": created,
            "first_response_minutes": first,
            "resolution_minutes": max(first + 1, round((resolved - created).total_seconds() / 60)),
            "resolved_by": eng["id"], "root_cause": tpl["root_causes"][cause],
            "fix_steps": list(tpl["fix_steps"][cause % len(tpl["fix_steps"])]), "fix_id": tpl["fix_id"],
        }

    def run(self, n: int = N_TICKETS) -> list[dict]:
        # Draw creation times first so that caps are checked in time order.
        drafts = []
        self.check_caps = False
        for _ in range(n):
            state = self.rng.getstate()
            probe = self.ticket()
            drafts.append((probe["created_at"], state))
        # Second pass in chronological order with fresh load tracking.
        self.open_work = {e["id"]: [] for e in self.engineers}
        self.check_caps = True
        tickets = []
        for created, state in sorted(drafts, key=lambda d: d[0]):
            self.rng.setstate(state)
            tickets.append(self.ticket())
        for i, t in enumerate(tickets, 1):
            t["created_at"] = t["created_at"].isoformat()
            tickets[i - 1] = {"id": f"T-2025-{i:05d}", **t}
        return tickets


def main() -> None:
    tickets = Generator().run()
    header = ("# Generated by data/seed_ops/generate_tickets.py (random seed 20251101); do not edit.\n"
              "# Resolved historical tickets; times ISO-8601 +08:00; *_minutes are wall-clock minutes\n"
              "# from created_at; resolved_by is an engineers.yaml id; fix_id links ticket_templates/articles.\n")
    with open(HERE / "tickets.yaml", "w", encoding="utf-8") as fh:
        fh.write(header)
        yaml.safe_dump(tickets, fh, allow_unicode=True, sort_keys=False, width=1000)
    print(f"wrote {len(tickets)} tickets to {HERE / 'tickets.yaml'}")


if __name__ == "__main__":
    main()
