#!/usr/bin/env python3
"""Generates the demo district's organisation and data (examples/wolong/org.toml, data.csv).

Deterministic (seeded): running it again gives the same files. The scheme (scheme.toml) is
hand-written; this script only makes plausible numbers for it. Each unit has a hidden
"performance" factor so that results spread over the grades, plus a few deliberate cases the
demo should show: a veto (蒲山镇, serious accident), an uncertified officer (城管局), a missed
legal review (石桥镇), a village whose survey is missing (its result is blocked), 七里园街道's
seed figures (100% certified, disputes resolved +40%, execution rate 47.30%).

Usage: python3 tools/gen_demo.py   (from the repository root)
"""
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "examples" / "wolong"
rng = random.Random(2025)
QUARTERS = ["2025Q1", "2025Q2", "2025Q3", "2025Q4"]
LAST_YEAR = ["2024Q1", "2024Q2", "2024Q3", "2024Q4"]

DEPARTMENTS = [
    # code, zh, en, class, performance
    ("FGW", "区发展和改革委员会", "Development and Reform Commission", "econ", 0.97),
    ("GXJ", "区工业和信息化局", "Industry and Information Technology Bureau", "econ", 0.93),
    ("SWJ", "区商务局", "Commerce Bureau", "econ", 0.99),
    ("NYJ", "区农业农村局", "Agriculture and Rural Affairs Bureau", "econ", 0.88),
    ("KJJ", "区科学技术局", "Science and Technology Bureau", "econ", 0.91),
    ("SCJ", "区市场监督管理局", "Market Regulation Bureau", "enforce", 0.98),
    ("YJJ", "区应急管理局", "Emergency Management Bureau", "enforce", 0.96),
    ("STJ", "市生态环境局卧龙分局", "Ecology and Environment Bureau, Wolong Branch", "enforce", 0.92),
    ("CGJ", "区城市管理局", "Urban Management Bureau", "enforce", 0.90),
    ("JTJ", "区交通运输局", "Transport Bureau", "enforce", 0.86),
    ("SFJ", "区司法局", "Justice Bureau", "service", 0.97),
    ("CZJ", "区财政局", "Finance Bureau", "service", 0.95),
    ("RSJ", "区人力资源和社会保障局", "Human Resources and Social Security Bureau", "service", 0.90),
    ("MZJ", "区民政局", "Civil Affairs Bureau", "service", 0.87),
    ("SPJ", "区行政审批服务局", "Administrative Approval Service Bureau", "service", 0.99),
    ("JTY", "区教育体育局", "Education and Sports Bureau", "service", 0.89),
    # Not assessed: they run the assessment or lead indicators.
    ("KHB", "区目标绩效考核办公室", "Target Performance Assessment Office", None, 1.0),
    ("ZZB", "区委组织部", "Organisation Department", None, 1.0),
    ("XFJ", "区信访局", "Petitions Bureau", None, 1.0),
]
INVESTMENT_TARGETS = {"FGW": 15000, "GXJ": 25000, "SWJ": 40000, "NYJ": 10000, "KJJ": 8000}

STREETS = [
    # code, zh, en, level, performance, investment coefficient
    ("QLY", "七里园街道", "Qiliyuan Sub-district", "subdistrict", 1.00, 1.10),
    ("MXI", "梅溪街道", "Meixi Sub-district", "subdistrict", 0.97, 1.20),
    ("WLG", "卧龙岗街道", "Wolonggang Sub-district", "subdistrict", 0.92, 1.15),
    ("WHO", "武侯街道", "Wuhou Sub-district", "subdistrict", 0.98, 1.20),
    ("JGA", "靳岗街道", "Jingang Sub-district", "subdistrict", 0.90, 1.00),
    ("LHE", "潦河镇", "Liaohe Town", "town", 0.93, 0.85),
    ("PSH", "蒲山镇", "Pushan Town", "town", 0.95, 0.90),
    ("SQI", "石桥镇", "Shiqiao Town", "town", 0.88, 0.80),
]
VILLAGES = {
    "QLY": ["七里园社区", "王庄社区", "茶庵社区", "李庄社区", "金华社区"],
    "MXI": ["梅溪社区", "汉画街社区", "新华社区", "解放社区", "文化路社区"],
    "WLG": ["卧龙岗社区", "武侯祠社区", "卧龙社区", "十里庙社区", "麒麟岗社区"],
    "WHO": ["武侯社区", "光武社区", "百里奚社区", "仲景社区", "车站社区"],
    "JGA": ["靳岗社区", "孔庄社区", "刘庄社区", "丁庄社区", "马庄社区"],
    "LHE": ["潦河村", "坡地村", "郭营村", "杨庄村", "李营村"],
    "PSH": ["蒲山村", "胡营村", "岳庄村", "徐营村", "魏营村"],
    "SQI": ["石桥村", "小寨村", "大寨村", "龙王沟村", "马营村"],
}
PINYIN = {
    "七里园社区": "Qiliyuan", "王庄社区": "Wangzhuang", "茶庵社区": "Cha'an", "李庄社区": "Lizhuang", "金华社区": "Jinhua",
    "梅溪社区": "Meixi", "汉画街社区": "Hanhuajie", "新华社区": "Xinhua", "解放社区": "Jiefang", "文化路社区": "Wenhualu",
    "卧龙岗社区": "Wolonggang", "武侯祠社区": "Wuhouci", "卧龙社区": "Wolong", "十里庙社区": "Shilimiao", "麒麟岗社区": "Qilingang",
    "武侯社区": "Wuhou", "光武社区": "Guangwu", "百里奚社区": "Bailixi", "仲景社区": "Zhongjing", "车站社区": "Chezhan",
    "靳岗社区": "Jingang", "孔庄社区": "Kongzhuang", "刘庄社区": "Liuzhuang", "丁庄社区": "Dingzhuang", "马庄社区": "Mazhuang",
    "潦河村": "Liaohe", "坡地村": "Podi", "郭营村": "Guoying", "杨庄村": "Yangzhuang", "李营村": "Liying",
    "蒲山村": "Pushan", "胡营村": "Huying", "岳庄村": "Yuezhuang", "徐营村": "Xuying", "魏营村": "Weiying",
    "石桥村": "Shiqiao", "小寨村": "Xiaozhai", "大寨村": "Dazhai", "龙王沟村": "Longwanggou", "马营村": "Maying",
}

rows = []


def put(unit, item, period, value, note=""):
    if isinstance(value, float):
        value = f"{value:.2f}".rstrip("0").rstrip(".")
    rows.append((unit, item, period, str(value), note))


def jitter(x, spread):
    return x * (1 + rng.uniform(-spread, spread))


def clamp(x, lo, hi):
    return max(lo, min(hi, x))


def cumulative(unit, planned_item, done_item, total, perf):
    """Cumulative plan and completion per quarter (aggregate = last)."""
    for i, q in enumerate(QUARTERS, 1):
        plan = round(total * i / 4)
        done = min(plan, round(plan * clamp(jitter(perf, 0.04), 0.5, 1.0)))
        put(unit, planned_item, q, plan)
        put(unit, done_item, q, done)


def common(unit, perf, lawsuits=True, innovation=True):
    if lawsuits:
        for q in QUARTERS:
            concluded = rng.randint(0, 3)
            lost = 1 if concluded and rng.random() > perf + 0.05 else 0
            put(unit, "lit_concluded", q, concluded)
            put(unit, "lit_lost", q, lost)
    rating = clamp(round(jitter(perf * 100, 0.05), 1), 55, 100)
    band = 1 if rating >= 80 else (2 if rating >= 60 else 3)
    put(unit, "party_rating", "2025", rating)
    put(unit, "party_band", "2025", band)
    for item, p in (("innov_national", 0.03), ("innov_provincial", 0.15), ("innov_city", 0.35)):
        n = sum(1 for _ in range(2) if rng.random() < p * perf)
        if n and innovation:
            put(unit, item, "2025", n)
    for item, p in (("commend_national", 0.02), ("commend_provincial", 0.10), ("commend_city", 0.25)):
        n = sum(1 for _ in range(2) if rng.random() < p * perf)
        if n:
            put(unit, item, "2025", n)
    if rng.random() > perf + 0.06:
        put(unit, "summons", rng.choice(QUARTERS), 1, "区委督查通报")


def satisfaction(unit, perf, skip=None):
    for q in QUARTERS:
        if q == skip:
            continue
        put(unit, "satisfaction", q, clamp(round(jitter(perf * 97, 0.025), 1), 60, 100))


def department(code, cls, perf):
    cumulative(code, "key_tasks_planned", "key_tasks_done", rng.randint(24, 40), perf)
    common(code, perf)
    for q in QUARTERS:
        concluded = rng.randint(0, 4)
        put(code, "recon_concluded", q, concluded)
        put(code, "recon_corrected", q, 1 if concluded > 2 and rng.random() > perf else 0)
    satisfaction(code, perf)
    if cls == "econ":
        target = INVESTMENT_TARGETS[code]
        for q in QUARTERS:
            put(code, "investment_attracted", q, round(jitter(target * perf / 4, 0.15)))
            put(code, "fixed_investment_done", q, round(jitter(30000 * perf / 4, 0.2)))
            put(code, "new_above_scale", q, rng.randint(0, 2))
        planned = rng.randint(6, 12)
        put(code, "projects_planned", "2025", planned)
        for i, q in enumerate(QUARTERS, 1):
            put(code, "projects_started", q, min(planned, round(planned * i / 4 * clamp(jitter(perf, 0.05), 0.6, 1.0))))
    elif cls == "enforce":
        officers = rng.randint(30, 80)
        for q in QUARTERS:
            certified = officers - (1 if code == "CGJ" and q in ("2025Q3", "2025Q4") else 0)
            put(code, "enforcement_officers", q, officers)
            put(code, "certified_officers", q, certified, "新招录人员证件在办" if certified < officers else "")
            decisions = rng.randint(2, 8)
            put(code, "major_decisions", q, decisions)
            put(code, "major_reviewed", q, decisions)
            closed = rng.randint(40, 120)
            put(code, "cases_closed", q, closed)
            put(code, "cases_on_time", q, min(closed, round(closed * clamp(jitter(perf, 0.03), 0.8, 1.0))))
            found = rng.randint(10, 40)
            put(code, "hazards_found", q, found)
            put(code, "hazards_closed", q, min(found, round(found * clamp(jitter(perf, 0.05), 0.7, 1.0))))
            if rng.random() > perf + 0.03:
                put(code, "general_accidents", q, 1, "已结案")
    elif cls == "service":
        for q in QUARTERS:
            reviews = rng.randint(800, 5000)
            put(code, "reviews", q, reviews)
            put(code, "good_reviews", q, round(reviews * clamp(jitter(perf * 0.995, 0.01), 0.9, 1.0)))
            hours = 1.6 if code == "SPJ" else jitter(22 / perf, 0.15)
            put(code, "avg_handling_hours", q, round(hours, 1), "企业智能审批一体机推送" if code == "SPJ" else "")
            received = rng.randint(50, 400)
            put(code, "hotline_received", q, received)
            put(code, "hotline_closed", q, min(received, round(received * clamp(jitter(perf, 0.02), 0.85, 1.0))))
            put(code, "online_share", q, clamp(round(jitter(perf * 97, 0.03), 1), 60, 100))
            if code == "CZJ":
                # The district's financing platform, below the 70% sector line and falling.
                assets = 860000 + 12000 * QUARTERS.index(q)
                put(code, "platform_assets", q, assets, "隐性债务监测系统推送")
                put(code, "platform_liabilities", q, round(assets * (0.705 - 0.01 * QUARTERS.index(q))), "隐性债务监测系统推送")


def street(code, perf, level):
    cumulative(code, "key_tasks_planned", "key_tasks_done", rng.randint(30, 50), perf)
    common(code, perf)
    satisfaction(code, perf)
    officers = rng.randint(20, 45)
    growth = 1.40 if code == "QLY" else jitter(1 + 0.4 * perf - 0.05, 0.1)
    applied_total = rng.randint(2000, 6000)
    recovered_share = 0.473 if code == "QLY" else clamp(jitter(0.42 * perf, 0.12), 0.1, 0.9)
    for i, q in enumerate(QUARTERS):
        put(code, "enforcement_officers", q, officers)
        put(code, "certified_officers", q, officers)
        decisions = rng.randint(1, 5)
        reviewed = decisions - (1 if code == "SQI" and q == "2025Q2" else 0)
        put(code, "major_decisions", q, decisions)
        put(code, "major_reviewed", q, reviewed, "案件未经法制审核即作出决定，已整改" if reviewed < decisions else "")
        cases = rng.randint(20, 60)
        put(code, "mediation_cases", q, cases)
        put(code, "mediation_agreements", q, round(cases * clamp(jitter(0.86 * perf, 0.06), 0.5, 1.0)))
        # 七里园街道's seed figure: disputes resolved +40% year on year.
        last = rng.randint(8, 18) * 5 if code == "QLY" else rng.randint(40, 90)
        put(code, "disputes_resolved", LAST_YEAR[i], last)
        put(code, "disputes_resolved", q, round(last * growth))
        put(code, "enterprises", q, 2400 + 150 * i if code == "QLY" else rng.randint(600, 3000))
        put(code, "enterprise_disputes", q, rng.randint(3, 12))
        applied = round(applied_total / 4)
        put(code, "amount_applied", q, applied)
        put(code, "amount_recovered", q, round(applied * recovered_share, 2))
        coef = dict((s[0], s[5]) for s in STREETS)[code]
        put(code, "investment_attracted", q, round(jitter(30000 * coef * perf / 4, 0.12)))
        put(code, "fixed_investment_done", q, round(jitter(45000 * coef * perf / 4, 0.15)))
        found = rng.randint(15, 50)
        put(code, "hazards_found", q, found)
        put(code, "hazards_closed", q, min(found, round(found * clamp(jitter(perf * 0.99, 0.04), 0.7, 1.0))))
        put(code, "safety_daily", q, clamp(round(jitter(perf * 95, 0.03), 1), 50, 100))
        put(code, "safety_inspection", q, clamp(round(jitter(perf * 93, 0.04), 1), 50, 100), "异地交叉检查组评分")
        if rng.random() > perf + 0.02:
            put(code, "petitions_escalated", q, 1)
    required = rng.randint(8, 14)
    put(code, "plans_required", "2025", required)
    for i, q in enumerate(QUARTERS, 1):
        filed = min(required, round(required * clamp(jitter(perf, 0.05), 0.6, 1.0)))
        put(code, "plans_filed", q, filed)
        put(code, "plans_reviewed", q, max(0, filed - rng.randint(0, 2)))
        put(code, "drills_done", q, min(filed, round(filed * i / 4)))
    if code == "PSH":
        put(code, "major_accidents", "2025Q3", 1, "9·14 某建材厂较大事故")


def village(code, perf, urban, missing_survey):
    cumulative(code, "key_tasks_planned", "key_tasks_done", rng.randint(10, 20), perf)
    common(code, perf, lawsuits=False, innovation=False)
    satisfaction(code, perf, skip="2025Q3" if missing_survey else None)
    income_target = 20 * (1.2 if urban else 0.85)
    for q in QUARTERS:
        put(code, "collective_income", q, round(jitter(income_target * perf / 4, 0.2), 2))
        put(code, "living_env_score", q, clamp(round(jitter(perf * 93, 0.04), 1), 50, 100))
        received = rng.randint(5, 25)
        put(code, "disputes_received", q, received)
        put(code, "disputes_resolved", q, min(received, round(received * clamp(jitter(perf, 0.03), 0.7, 1.0))))
        if rng.random() > perf:
            put(code, "hotline_complaints", q, rng.randint(1, 3))


def toml_str(s):
    return '"' + s.replace('"', '\\"') + '"'


def main():
    org = [
        "# 卧龙区组织架构（演示）· Wolong District organisation (demo)",
        "# 区直部门、街道（乡镇）、村（社区）和预算项目；class 为考核类别，coefficients 为弹性系数。",
        "# Departments, sub-districts and towns, villages and communities, budget projects.",
        "",
        "[district]",
        'code = "wolong"',
        'name = { zh = "卧龙区", en = "Wolong District" }',
        "",
    ]
    for code, zh, en, cls, perf in DEPARTMENTS:
        org += ["[[units]]", f"code = {toml_str(code)}", f"name = {{ zh = {toml_str(zh)}, en = {toml_str(en)} }}", 'level = "department"']
        if cls:
            org.append(f"class = {toml_str(cls)}")
        if code in INVESTMENT_TARGETS:
            org.append(f"targets = {{ investment = {INVESTMENT_TARGETS[code]} }}")
        org.append("")
        if cls:
            department(code, cls, perf)
    for code, zh, en, level, perf, coef in STREETS:
        org += ["[[units]]", f"code = {toml_str(code)}", f"name = {{ zh = {toml_str(zh)}, en = {toml_str(en)} }}", f'level = "{level}"', 'class = "street"', f"coefficients = {{ investment = {coef} }}", ""]
        street(code, perf, level)
    missing = "WLG-C04"
    for parent, names in VILLAGES.items():
        pinfo = next(s for s in STREETS if s[0] == parent)
        urban = pinfo[3] == "subdistrict"
        for i, zh in enumerate(names, 1):
            code = f"{parent}-{'C' if urban else 'V'}{i:02d}"
            en = PINYIN[zh] + (" Community" if urban else " Village")
            perf = clamp(rng.gauss(0.935, 0.035), 0.82, 1.02)
            income_k = round(rng.choice([1.1, 1.2]) if urban else rng.choice([0.8, 0.9, 1.0]), 1)
            env_k = round(rng.choice([0.9, 1.0, 1.1]), 1)
            org += [
                "[[units]]",
                f"code = {toml_str(code)}",
                f"name = {{ zh = {toml_str(zh)}, en = {toml_str(en)} }}",
                f"parent = {toml_str(parent)}",
                f'level = "{"community" if urban else "village"}"',
                'class = "village"',
                f"coefficients = {{ collective_income = {income_k}, living_env = {env_k} }}",
                "",
            ]
            village(code, perf, urban, code == missing)
    # Budget projects, scored by budget/scheme.toml.
    projects = [
        ("P2025-01", "乡村振兴产业发展项目（潦河镇食用菌基地）", "Rural revitalisation: Liaohe mushroom base", "NYJ"),
        ("P2025-02", "老旧小区改造项目", "Old residential compound renovation", "CGJ"),
        ("P2025-03", "企业智能审批一体机建设项目", "Enterprise approval kiosk", "SPJ"),
        ("P2025-04", "农村公路养护项目", "Rural road maintenance", "JTJ"),
        ("P2025-05", "新型研发机构扶持资金（合成生物研究院）", "Support for a new R&D institution (synthetic biology)", "KJJ"),
    ]
    evaluated = {"P2025-01", "P2025-04"}  # also evaluated by a third party (budget-eval/)
    for code, zh, en, parent in projects:
        cls = 'class = ["project_self", "project_eval"]' if code in evaluated else 'class = "project_self"'
        org += ["[[units]]", f"code = {toml_str(code)}", f"name = {{ zh = {toml_str(zh)}, en = {toml_str(en)} }}", f"parent = {toml_str(parent)}", 'level = "project"', cls, ""]
    (ROOT / "org.toml").write_text("\n".join(org), encoding="utf-8")
    with open(ROOT / "data.csv", "w", encoding="utf-8", newline="") as f:
        f.write("unit,item,period,value,note\n")
        for r in rows:
            f.write(",".join(r) + "\n")
    budget_data(projects)
    evaluation_data()


def evaluation_data():
    """The third-party evaluation of two key projects (budget-eval/)."""
    out = ["unit,item,period,value,note"]
    figures = {
        "P2025-01": dict(basis_rating=92, goal_rating=85, allocation_rating=88, management_rating=86, sustainability_rating=88,
                         budget=1200, funds_arrived=1200, spent=1152, violations=0, qty_planned=50, qty_done=48, quality_rate=98,
                         on_time=1, cost_actual=1164, cost_budget=1200, benefit_done=360, benefit_target=400,
                         beneficiaries=1800, beneficiaries_target=2000, beneficiary_satisfaction=91),
        "P2025-04": dict(basis_rating=80, goal_rating=62, allocation_rating=70, management_rating=65, sustainability_rating=65,
                         budget=900, funds_arrived=810, spent=666, violations=1, qty_planned=120, qty_done=80, quality_rate=90,
                         on_time=0, cost_actual=990, cost_budget=900, benefit_done=60, benefit_target=100,
                         beneficiaries=30000, beneficiaries_target=35000, beneficiary_satisfaction=78),
    }
    notes = {"violations": "审计发现超范围列支1笔", "basis_rating": "评价机构：卧龙区某会计师事务所"}
    for code, items in figures.items():
        for item, v in items.items():
            if item == "violations" and v == 0:
                continue
            out.append(f"{code},{item},2025,{v},{notes.get(item, '') if code == 'P2025-04' or item == 'basis_rating' else ''}")
    (ROOT / "budget-eval" / "data.csv").write_text("\n".join(out) + "\n", encoding="utf-8")


def budget_data(projects):
    """Self-evaluation data for the budget projects."""
    out = ["unit,item,period,value,note"]
    plan = {
        # budget (万元), spent share, quantity done/planned, quality, on time, cost/plan, benefit, beneficiaries, survey
        "P2025-01": (1200, 0.96, (48, 50), 98, 1, 0.97, (360, 400), (1800, 2000), 92),
        "P2025-02": (3500, 0.88, (11, 12), 96, 0, 1.04, (5, 5), (4200, 4500), 86),
        "P2025-03": (600, 1.00, (6, 6), 100, 1, 0.92, (3, 3), (12000, 10000), 97),
        "P2025-04": (900, 0.74, (80, 120), 90, 0, 1.10, (60, 100), (30000, 35000), None),
        "P2025-05": (2000, 0.95, (9, 10), 95, 1, 0.99, (7, 8), (120, 150), None),
    }
    for code, *_ in projects:
        b, spent, (qd, qp), quality, on_time, cost, (bd, bp), (pd, pp), survey = plan[code]
        rowsb = [
            ("budget", b), ("spent", round(b * spent, 2)), ("qty_done", qd), ("qty_planned", qp), ("quality_rate", quality),
            ("on_time", on_time), ("cost_actual", round(b * cost, 2)), ("cost_budget", b), ("benefit_done", bd), ("benefit_target", bp),
            ("beneficiaries", pd), ("beneficiaries_target", pp),
        ]
        if survey is not None:
            rowsb.append(("beneficiary_satisfaction", survey))
        for item, v in rowsb:
            out.append(f"{code},{item},2025,{v},")
        out.append(f"{code},sustainability_rating,2025,{88 if code != 'P2025-04' else 65},第三方评价机构评分")
    (ROOT / "budget" / "data.csv").write_text("\n".join(out) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
