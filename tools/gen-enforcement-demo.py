#!/usr/bin/env python3
"""Writes the demo district's enforcement cases (examples/wolong/enforcement/cases.csv) and the
violations seeded into them (expected.csv: case number, rule).

Every unit that reports major enforcement decisions in examples/wolong/data.csv gets, per quarter
of 2025, that many major cases plus a few ordinary and simple ones, all lawful; then a fixed list
of cases is made to break exactly one rule each, at least three per rule. The server's test
imports cases.csv and requires that the flags raised are exactly expected.csv: the generator
decides the violations, the rules engine finds them on its own.

Deterministic (seeded); run again only to change the demo:
    python3 tools/gen-enforcement-demo.py
"""
import csv
import datetime as dt
import os
import random

ROOT = os.path.join(os.path.dirname(__file__), "..")
OUT = os.path.join(ROOT, "examples", "wolong", "enforcement")
rng = random.Random(20250101)

HEADER = ["案件编号", "执法部门代码", "当事人类型（个人/单位）", "程序（简易/普通）", "立案日期",
          "调查终结日期", "告知日期", "听证告知日期", "听证日期", "法制审核日期", "审核人",
          "决定日期", "送达日期", "缴款日期", "结案日期", "法律依据", "罚款金额（元）",
          "法定罚款下限（元）", "法定罚款上限（元）", "裁量档次（从轻/一般/从重）",
          "重大执法决定（是/否）", "批准延长天数", "加处罚款（元）", "执法人员（证号:起:止;…）"]

BASES = {
    "SCJ": [("《食品安全法》第一百二十四条", 50000, 100000), ("《价格法》第四十二条", 5000, 50000),
            ("《广告法》第五十八条", 100000, 1000000)],
    "YJJ": [("《安全生产法》第九十九条", 20000, 200000), ("《安全生产法》第一百零一条", 10000, 100000)],
    "STJ": [("《大气污染防治法》第一百零八条", 20000, 200000), ("《水污染防治法》第八十三条", 100000, 1000000)],
    "CGJ": [("《城市市容和环境卫生管理条例》第三十六条", 500, 5000), ("《城乡规划法》第六十四条", 10000, 100000)],
    "JTJ": [("《道路运输条例》第六十三条", 3000, 10000), ("《道路运输条例》第七十条", 10000, 50000)],
}
STREET_BASES = [("《城市市容和环境卫生管理条例》第三十四条", 500, 5000),
                ("《河南省城市市容和环境卫生管理条例》第四十一条", 1000, 10000),
                ("《城乡规划法》第六十五条", 5000, 50000)]
SIMPLE_BASES = [("《道路交通安全法》第九十条", 20, 200), ("《治安管理处罚法》第二十三条", 50, 200)]


# The case-number prefix of each unit (宛卧 = 南阳市卧龙区), as real decisions are numbered.
ABBR = {"SCJ": "市监", "YJJ": "应急", "STJ": "环", "CGJ": "城管", "JTJ": "交运",
        "JGA": "靳岗综执", "LHE": "潦河综执", "MXI": "梅溪综执", "PSH": "蒲山综执",
        "QLY": "七里园综执", "SQI": "石桥综执", "WHO": "武侯综执", "WLG": "卧龙岗综执"}


def d(x):
    return x.isoformat() if x else ""


def majors():
    out = {}
    with open(os.path.join(ROOT, "examples", "wolong", "data.csv"), encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["item"] == "major_decisions" and r["period"].startswith("2025Q"):
                out[(r["unit"], int(r["period"][-1]))] = int(float(r["value"]))
    return out


def officers(unit, n=2):
    base = {"SCJ": 1, "YJJ": 2, "STJ": 3, "CGJ": 4, "JTJ": 5}.get(unit, 6 + sum(map(ord, unit)) % 3)
    return [f"41130{base}{k:03d}" for k in rng.sample(range(1, 41), n)]


def fine_in(lo, hi, band):
    w = hi - lo
    a, b = {"从轻": (lo, lo + 0.3 * w), "一般": (lo + 0.3 * w, hi - 0.3 * w),
            "从重": (hi - 0.3 * w, hi)}[band]
    # inside, away from the edges, to the hundred (or ten for small fines)
    step = 100 if w >= 5000 else 10
    v = rng.uniform(a + 0.1 * (b - a), b - 0.1 * (b - a))
    return int(v // step * step) if int(v // step * step) > a else int(a) + step


def ordinary(unit, number, q, major):
    start = dt.date(2025, 3 * q - 2, 1)
    end = dt.date(2025 + (q == 4), 1 if q == 4 else 3 * q + 1, 1) - dt.timedelta(days=1)
    decided = start + dt.timedelta(days=rng.randint(0, (end - start).days))
    filed = decided - dt.timedelta(days=rng.randint(25, 85))
    investigated = filed + dt.timedelta(days=rng.randint(10, 20))
    notified = decided - dt.timedelta(days=rng.randint(5, 9))
    if notified <= investigated:
        notified = investigated + dt.timedelta(days=1)
    bases = BASES.get(unit, STREET_BASES)
    basis, lo, hi = rng.choice(bases)
    band = rng.choice(["从轻", "一般", "一般", "一般", "从重"])
    fine = fine_in(lo, hi, band)
    party = rng.choice(["单位", "单位", "个人"])
    if party == "个人" and fine >= 10000:
        party = "单位"
    hearing = None
    threshold = 10000 if party == "个人" else 100000
    if fine >= threshold or (major and rng.random() < 0.5):
        hearing = notified
    served = decided + dt.timedelta(days=rng.randint(1, 5))
    paid = served + dt.timedelta(days=rng.randint(3, 14))
    closed = paid + dt.timedelta(days=rng.randint(1, 6))
    reviewed = decided - dt.timedelta(days=rng.randint(1, 4)) if major else None
    return {
        "number": number, "dept": unit, "party": party, "procedure": "普通",
        "filed": filed, "investigated": investigated, "notified": notified,
        "hearing_notified": hearing, "hearing_held": hearing + dt.timedelta(days=7) if hearing and rng.random() < 0.4 else None,
        "reviewed": reviewed, "reviewer": f"法制审核员{rng.randint(1, 6):02d}" if major else "",
        "decided": decided, "served": served, "paid": paid, "closed": closed,
        "basis": basis, "fine": fine, "lo": lo, "hi": hi, "band": band,
        "major": major, "ext": 0, "surcharge": None,
        "officers": [(c, dt.date(2021, 1, 1), dt.date(2027, 12, 31)) for c in officers(unit)],
    }


def simple(unit, number, q):
    start = dt.date(2025, 3 * q - 2, 1)
    day = start + dt.timedelta(days=rng.randint(0, 85))
    basis, _, _ = rng.choice(SIMPLE_BASES)
    fine = rng.choice([50, 100, 150, 200])
    return {
        "number": number, "dept": unit, "party": "个人", "procedure": "简易",
        "filed": day, "investigated": None, "notified": day, "hearing_notified": None,
        "hearing_held": None, "reviewed": None, "reviewer": "", "decided": day, "served": day,
        "paid": day, "closed": day, "basis": basis, "fine": fine, "lo": None, "hi": None,
        "band": "", "major": False, "ext": 0, "surcharge": None,
        "officers": [(c, dt.date(2021, 1, 1), dt.date(2027, 12, 31)) for c in officers(unit)],
    }


def violate(c, rule):
    """Makes case `c` break `rule` (and only it)."""
    if rule == "time_limit":
        c["filed"] = c["decided"] - dt.timedelta(days=rng.choice([91, 96, 105]))
        c["investigated"] = c["filed"] + dt.timedelta(days=15)
    elif rule == "discretion":
        w = c["hi"] - c["lo"]
        c["band"] = "从轻"
        c["fine"] = int(c["lo"] + 0.6 * w) // 100 * 100
        c["hearing_notified"] = c["notified"]
    elif rule == "simple_procedure":
        c["fine"] = rng.choice([500, 1000])
    elif rule == "legal_review":
        c["major"] = True
        if rng.random() < 0.5:
            c["reviewed"], c["reviewer"] = None, ""
        else:
            c["reviewed"] = c["decided"] + dt.timedelta(days=2)
            c["reviewer"] = "法制审核员02"
    elif rule == "certificates":
        cert, frm, _ = c["officers"][1]
        c["officers"][1] = (cert, frm, c["decided"] - dt.timedelta(days=rng.choice([1, 20])))
    elif rule == "hearing":
        c["party"] = "单位"
        c["lo"], c["hi"], c["band"] = 100000, 1000000, "从轻"
        c["fine"] = 150000
        c["hearing_notified"], c["hearing_held"] = None, None
    elif rule == "surcharge":
        c["surcharge"] = c["fine"] + rng.choice([100, 500])
        c["paid"] = c["served"] + dt.timedelta(days=40)
        c["closed"] = c["paid"] + dt.timedelta(days=2)
    elif rule == "date_order":
        if rng.random() < 0.5:
            c["notified"] = None
        else:
            c["served"] = c["decided"] - dt.timedelta(days=1)


def main():
    counts = majors()
    units = sorted({u for u, _ in counts})
    cases = []
    for u in units:
        for q in range(1, 5):
            seq = 0
            for _ in range(counts.get((u, q), 0)):
                seq += 1
                cases.append(ordinary(u, f"宛卧{ABBR[u]}罚〔2025〕{q}{seq:03d}号", q, True))
            for _ in range(rng.randint(3, 5)):
                seq += 1
                cases.append(ordinary(u, f"宛卧{ABBR[u]}罚〔2025〕{q}{seq:03d}号", q, False))
            for _ in range(rng.randint(1, 3)):
                seq += 1
                cases.append(simple(u, f"宛卧{ABBR[u]}简〔2025〕{q}{seq:03d}号", q))
    # Violations: each rule broken on a few cases, never two rules on one case. The legal-review
    # ones are major decisions of enforcement departments.
    plan = {"time_limit": 5, "discretion": 5, "simple_procedure": 4, "legal_review": 4,
            "certificates": 5, "hearing": 3, "surcharge": 3, "date_order": 5}
    ordinary_ix = [i for i, c in enumerate(cases) if c["procedure"] == "普通" and not c["major"]]
    major_ix = [i for i, c in enumerate(cases) if c["major"]]
    simple_ix = [i for i, c in enumerate(cases) if c["procedure"] == "简易"]
    rng.shuffle(ordinary_ix)
    rng.shuffle(major_ix)
    rng.shuffle(simple_ix)
    expected = []
    for rule, n in plan.items():
        pool = {"legal_review": major_ix, "simple_procedure": simple_ix}.get(rule, ordinary_ix)
        for _ in range(n):
            i = pool.pop()
            violate(cases[i], rule)
            expected.append((cases[i]["number"], rule))
    # A few lawful cases near the limits: decided on day 90 exactly; an approved extension.
    for i in ordinary_ix[:3]:
        c = cases[i]
        c["filed"] = c["decided"] - dt.timedelta(days=90)
        c["investigated"] = c["filed"] + dt.timedelta(days=12)
    for i in ordinary_ix[3:5]:
        c = cases[i]
        c["filed"] = c["decided"] - dt.timedelta(days=110)
        c["investigated"] = c["filed"] + dt.timedelta(days=12)
        c["ext"] = 30
    with open(os.path.join(OUT, "cases.csv"), "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        for c in cases:
            w.writerow([c["number"], c["dept"], c["party"], c["procedure"], d(c["filed"]),
                        d(c["investigated"]), d(c["notified"]), d(c["hearing_notified"]),
                        d(c["hearing_held"]), d(c["reviewed"]), c["reviewer"], d(c["decided"]),
                        d(c["served"]), d(c["paid"]), d(c["closed"]), c["basis"], c["fine"],
                        c["lo"] or "", c["hi"] or "", c["band"], "是" if c["major"] else "否",
                        c["ext"] or "", c["surcharge"] or "",
                        ";".join(f"{a}:{d(b)}:{d(e)}" for a, b, e in c["officers"])])
    with open(os.path.join(OUT, "expected.csv"), "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["case", "rule"])
        for r in sorted(expected):
            w.writerow(r)
    print(f"{len(cases)} cases, {len(expected)} seeded violations")


if __name__ == "__main__":
    main()
