#!/usr/bin/env python3
"""The peer `jixiao score` is measured against: the same scoring written the way an analyst
would write it with pandas and numpy (vectorised, float64), reading the same files.

    python3 bench/score_pandas.py --scheme S.json --org O.json --data D.csv --period 2025Q2

Reads the scheme and organisation as JSON (what `synth_files` writes), the data CSV
(unit,item,period,value), checks it as `jixiao check` does for such a file (every cell present,
numbers that parse, known units and items, no duplicate unit × item × period), scores every
unit for one quarter and prints one CSV line per unit: class code, rank, unit code, total (two
decimals, half up) and grade — the columns `bench/score_compare.py` compares with jixiao's.

It implements the rules the synthetic district uses (DOMAIN.md §2): ratio (higher and lower,
zero actual full), threshold, linear band, qualitative rating in percent, deduction and bonus
per event, the formula `w * min(a / t, 1)`, rank among peers (competition ranking), elastic
coefficients on the target or on the score, missing values scoring 0, totals ranked high to low
with `module:<code>` tie-breaks, grade bands and the excellent quota (share rounded down, ties
at the cut all excluded). Anything else in a scheme stops it with a message: a peer that
silently scored a rule differently would not be a peer.
"""

import argparse
import json
import sys

import numpy as np
import pandas as pd


def die(msg):
    print(f"score_pandas: {msg}", file=sys.stderr)
    sys.exit(2)


def num(v):
    return None if v is None else float(v)


def weights_to_points(children, parent_points, what):
    out = []
    for c in children:
        if c.get("points") is not None:
            out.append(float(c["points"]))
        elif c.get("weight") is not None:
            out.append(float(c["weight"]) * parent_points / 100.0)
        else:
            die(f"{what}: points or weight needed")
    return out


def indicator_table(scheme):
    rules = scheme["rules"]
    default_mode = rules.get("coefficient_mode", "target")
    rows = []
    for ccode, cls in scheme["classes"].items():
        if cls.get("bonus") or cls.get("deductions") or cls.get("vetoes"):
            die(f"class {ccode}: bonus, deduction and veto items are not implemented")
        cpoints = float(cls["points"])
        modules = cls["modules"]
        for mi, (m, mpoints) in enumerate(zip(modules, weights_to_points(modules, cpoints, ccode))):
            if m.get("modules"):
                die(f"class {ccode}: sub-modules are not implemented")
            inds = m["indicators"]
            for ind, w in zip(inds, weights_to_points(inds, mpoints, m["code"])):
                meth = ind["method"]
                kind = meth["type"]
                row = dict(
                    cls=ccode, module=m["code"], module_i=mi, code=ind["code"],
                    element=ind.get("element"), w=w, kind=kind,
                    target=num(ind.get("target")), lower=ind.get("direction") == "lower",
                    elastic=bool(ind.get("elastic")),
                    score_mode=(ind.get("coefficient_mode") or default_mode) == "score",
                    floor=np.nan, per=np.nan, step=np.nan, rmin=0.0,
                )
                if ind.get("prorate") or ind.get("formula"):
                    die(f"{ind['code']}: prorated targets and actual formulas are not implemented")
                if kind == "ratio":
                    if meth.get("max_ratio") not in (None, "1") or meth.get("zero_actual") not in (None, "full"):
                        die(f"{ind['code']}: ratio options are not implemented")
                elif kind == "threshold":
                    if meth.get("op") is not None:
                        die(f"{ind['code']}: threshold operators are not implemented")
                elif kind == "linear":
                    row["floor"] = float(meth["floor"])
                elif kind == "qualitative":
                    if meth.get("band_element") or meth.get("entry") not in (None, "percent"):
                        die(f"{ind['code']}: qualitative bands and entry in points are not implemented")
                elif kind in ("deduction", "bonus"):
                    if meth.get("items"):
                        die(f"{ind['code']}: count items are not implemented")
                    row["per"] = float(meth["per"])
                elif kind == "formula":
                    if meth["score"].replace(" ", "") != "w*min(a/t,1)" or meth.get("allow_over"):
                        die(f"{ind['code']}: only the formula w * min(a / t, 1) is implemented")
                elif kind == "rank":
                    row["step"] = float(meth["step"])
                    row["rmin"] = float(meth.get("min") or 0)
                else:
                    die(f"{ind['code']}: method {kind} is not implemented")
                rows.append(row)
    return pd.DataFrame(rows)


def read_data(path, units, elements):
    d = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    for col in ("unit", "item", "period", "value"):
        if col not in d.columns:
            die(f"{path}: no column {col}")
        empty = d[col].str.strip() == ""
        if empty.any():
            die(f"{path}: row {int(empty.idxmax()) + 2}, column {col}: empty")
    value = pd.to_numeric(d["value"].str.rstrip("%"), errors="coerce")
    if value.isna().any():
        die(f"{path}: row {int(value.isna().idxmax()) + 2}, column value: not a number")
    d["value"] = value
    bad = ~d["period"].str.fullmatch(r"\d{4}(Q[1-4]|H[12]|-\d{2})?")
    if bad.any():
        die(f"{path}: row {int(bad.idxmax()) + 2}, column period: not a period")
    unknown = ~d["unit"].isin(units)
    if unknown.any():
        die(f"{path}: row {int(unknown.idxmax()) + 2}: unknown unit {d['unit'][unknown.idxmax()]}")
    unknown = ~d["item"].isin(elements)
    if unknown.any():
        die(f"{path}: row {int(unknown.idxmax()) + 2}: unknown item {d['item'][unknown.idxmax()]}")
    dup = d.duplicated(["unit", "item", "period"])
    if dup.any():
        die(f"{path}: row {int(dup.idxmax()) + 2}: duplicate unit, item and period")
    return d


def indicator_scores(grid):
    """Every indicator's score, vectorised (numpy; the rank method through pandas)."""
    k = grid["k"].where(grid["elastic"]).to_numpy()
    has_k = ~np.isnan(k)
    a_ = grid["value"].to_numpy()
    missing = np.isnan(a_)
    a_ = np.nan_to_num(a_)
    w = grid["w"].to_numpy()
    t = grid["target"].to_numpy(dtype=float)
    t = np.where(has_k & ~grid["score_mode"].to_numpy(), t * np.where(has_k, k, 1.0), t)
    kind = grid["kind"].to_numpy()
    lower = grid["lower"].to_numpy()
    floor = grid["floor"].to_numpy()
    per = grid["per"].to_numpy()

    with np.errstate(divide="ignore", invalid="ignore"):
        ratio_hi = np.where(a_ >= t, w, np.where(a_ <= 0, 0.0, w * a_ / t))
        ratio_lo = np.where(a_ <= 0, w, np.where(a_ <= t, w, w * t / a_))
        linear = np.where(a_ >= t, w, np.where(a_ <= floor, 0.0, w * (a_ - floor) / (t - floor)))
        qual = w * np.clip(a_, 0, 100) / 100
        deduction = np.maximum(w - a_ * per, 0.0)
        bonus = np.minimum(a_ * per, w)
        formula = np.minimum(w * np.minimum(a_ / t, 1.0), w)
    raw = np.select(
        [
            (kind == "ratio") & ~lower,
            (kind == "ratio") & lower,
            kind == "threshold",
            kind == "linear",
            kind == "qualitative",
            kind == "deduction",
            kind == "bonus",
            kind == "formula",
        ],
        [ratio_hi, ratio_lo, np.where(a_ >= t, w, 0.0), linear, qual, deduction, bonus, formula],
        0.0,
    )
    score_k = has_k & grid["score_mode"].to_numpy()
    raw = np.where(score_k, np.minimum(raw * np.where(score_k, k, 1.0), w), raw)
    # Rank among peers: competition ranking of the actual values within the class.
    is_rank = (kind == "rank") & ~missing
    if is_rank.any():
        r = grid.loc[is_rank, ["cls", "code", "value", "lower"]]
        signed = np.where(r["lower"], r["value"], -r["value"])
        rk = pd.Series(signed, index=r.index).groupby([r["cls"], r["code"]]).rank(method="min")
        ri = grid.loc[is_rank]
        raw[is_rank] = np.maximum(ri["w"] - (rk - 1) * ri["step"], ri["rmin"]).to_numpy()
    score = np.where(missing, 0.0, np.maximum(raw, 0.0))
    return score



def standings(grid, units, rules):
    """Totals, ranks (shared on ties), grades and the quota, per class (pandas)."""
    # Totals, compared on 9 decimals so that exact ties stay ties in floating point.
    total = grid.groupby("unit", sort=False)["score"].sum()
    res = units.set_index("unit").join(total.rename("total"))
    res["total"] = res["total"].fillna(0.0)
    keys = ["total"]
    for i, tb in enumerate(rules.get("tie_break", [])):
        kind_, _, code = tb.partition(":")
        if kind_ == "module":
            part = grid[grid["module"] == code].groupby("unit")["score"].sum()
        elif kind_ == "indicator":
            part = grid[grid["code"] == code].groupby("unit")["score"].sum()
        else:
            die(f"tie break {tb} is not implemented")
        res[f"tb{i}"] = part
        keys.append(f"tb{i}")
    for c in keys:
        res[c + "_r"] = res[c].round(9)
    rkeys = [c + "_r" for c in keys]
    res = res.sort_values(["cls"] + rkeys + ["order"], ascending=[True] + [False] * len(rkeys) + [True])
    res["pos"] = res.groupby("cls").cumcount() + 1
    first = res.groupby(["cls"] + rkeys, sort=False)["pos"].transform("min")
    res["rank"] = first

    grades = rules.get("grades") or [
        {"code": "excellent", "name": {"en": "Excellent"}, "min": 90},
        {"code": "good", "name": {"en": "Good"}, "min": 80},
        {"code": "pass", "name": {"en": "Pass"}, "min": 60},
        {"code": "fail", "name": {"en": "Fail"}, "min": 0},
    ]
    mins = np.array([float(g["min"]) for g in grades])
    names = np.array([g["name"]["en"] for g in grades] + [""])
    band = np.array([np.argmax(x >= mins) if (x >= mins).any() else len(grades) for x in res["total_r"]])
    quota = rules.get("quota", {})
    if quota is not False and quota is not None:
        qgrade = [g["code"] for g in grades].index(quota.get("grade", "excellent"))
        demote = [g["code"] for g in grades].index(quota.get("demote_to", "good"))
        share = float(quota.get("share", 0.3))
        if quota.get("rounding", "down") != "down" or quota.get("unresolved_tie", "exclude_all") != "exclude_all":
            die("only quota rounding down with ties at the cut excluded is implemented")
        res["band"] = band
        cand = (res["band"] == qgrade).astype(int)
        # Members of a tie group count together: a group fits only if all of it fits.
        group_cum = cand.groupby([res["cls"]] + [res[c] for c in rkeys], sort=False).transform("sum")
        cum_before = cand.groupby(res["cls"]).cumsum() - cand
        start_cum = cum_before.groupby([res["cls"]] + [res[c] for c in rkeys], sort=False).transform("min")
        allowed = np.floor(res.groupby("cls")["order"].transform("size") * share + 1e-9)
        over = (res["band"] == qgrade) & (start_cum + group_cum > allowed)
        band = np.where(over, demote, band)
    res["grade"] = names[band]
    return res


def time_scoring(grid, units, rules, rounds=5):
    """The scoring alone, on values already in memory (the peer of the engine's full
    recompute): medians of `rounds` runs, to standard error."""
    import time

    n = len(grid)
    a, b = [], []
    for _ in range(rounds):
        t = time.perf_counter()
        grid["score"] = indicator_scores(grid)
        a.append(time.perf_counter() - t)
        t = time.perf_counter()
        standings(grid, units, rules)
        b.append(time.perf_counter() - t)
    sa, sb = sorted(a)[rounds // 2], sorted(b)[rounds // 2]
    print(
        f"numpy peer, one quarter: {n} indicator scores in {sa:.3f} s = {n / sa / 1e6:.2f} M/s; "
        f"totals, ranks, grades {sb:.3f} s; together {n / (sa + sb) / 1e6:.2f} M/s",
        file=sys.stderr,
    )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scheme", required=True)
    ap.add_argument("--org", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--period", required=True)
    ap.add_argument(
        "--time-scoring",
        action="store_true",
        help="also time the scoring alone on the loaded values (to standard error)",
    )
    a = ap.parse_args()
    if not pd.Series([a.period]).str.fullmatch(r"\d{4}Q[1-4]").all():
        die("only a quarter is implemented (e.g. 2025Q2)")
    with open(a.scheme, encoding="utf-8") as f:
        scheme = json.load(f)
    with open(a.org, encoding="utf-8") as f:
        org = json.load(f)
    rules = scheme["rules"]
    if rules.get("bonus") or scheme.get("bonus") or scheme.get("deductions") or scheme.get("vetoes"):
        die("scheme-wide adjustments are not implemented")
    if rules.get("missing", "zero") != "zero":
        die("only missing = zero is implemented")
    ind = indicator_table(scheme)

    units = pd.DataFrame(
        {
            "unit": [u["code"] for u in org["units"]],
            "cls": [u.get("class") for u in org["units"]],
        }
    )
    units["order"] = np.arange(len(units))
    coef = pd.DataFrame(
        [(u["code"], k, float(v)) for u in org["units"] for k, v in (u.get("coefficients") or {}).items()],
        columns=["unit", "code", "k"],
    )

    data = read_data(a.data, set(units["unit"]), set(scheme["elements"]))
    data = data[data["period"] == a.period][["unit", "item", "value"]]

    # Every unit × every indicator of its class; a value not reported scores 0.
    grid = units.merge(ind, on="cls")
    grid = grid.merge(data, left_on=["unit", "element"], right_on=["unit", "item"], how="left")
    grid = grid.merge(coef, on=["unit", "code"], how="left")
    grid["score"] = indicator_scores(grid)
    res = standings(grid, units, rules)
    if a.time_scoring:
        time_scoring(grid, units, rules)
    res["total_2"] = np.floor(res["total"] * 100 + 0.5 + 1e-9) / 100
    out = res.reset_index()[["cls", "rank", "unit", "total_2", "grade"]]
    out.columns = ["class_code", "rank", "unit_code", "total", "grade"]
    out.to_csv(sys.stdout, index=False, float_format="%.2f")


if __name__ == "__main__":
    main()
