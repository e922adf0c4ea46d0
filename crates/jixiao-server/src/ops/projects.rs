//! Budget projects (预算项目) through their first gates: a department declares a project
//! (amount, fund source, new or continuing, major or not); one of at least the district's
//! threshold needs an ex-ante evaluation (事前绩效评估) — finance assigns experts, each scores
//! the five dimensions, finance concludes by the rules ([`jixiao_core::budget::conclude`]); a
//! project not supported stops there. Then the department declares its performance targets in
//! the standard indicator system and finance approves or returns them with reasons; approved
//! targets are the project's targets from then on.
//!
//! Stages: draft → exante → exante_done (or rejected) → targets_submitted → targets_approved
//! (or targets_returned → targets_submitted again). A project below the threshold goes from
//! draft to its targets directly, unless finance sends it to experts.

use crate::error::{Error, Result};
use crate::live::Live;
use crate::ops::notices::{Notice, To, tell_in};
use crate::ops::{Caller, allow_in, commit, require_reason};
use crate::state::AppState;
use jixiao_core::Decimal;
use jixiao_core::access::{Action, Role, can};
use jixiao_core::budget::{Conclusion, ExAnteResult, ExpertScores};
use jixiao_core::issue::{Issue, Issues, Location};
use jixiao_core::text::Text;
use jixiao_store::projects::{ExpertRow, ProjectRow, TargetRow};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The stages, in order.
pub const STAGES: [&str; 7] = [
    "draft",
    "exante",
    "exante_done",
    "rejected",
    "targets_submitted",
    "targets_returned",
    "targets_approved",
];

pub fn stage_name(stage: &str) -> Text {
    match stage {
        "draft" => Text::new("申报中", "declared"),
        "exante" => Text::new("事前评估中", "ex-ante evaluation"),
        "exante_done" => Text::new("事前评估已通过", "ex-ante passed"),
        "rejected" => Text::new("事前评估不予支持", "not supported ex ante"),
        "targets_submitted" => Text::new("绩效目标待审核", "targets awaiting review"),
        "targets_returned" => Text::new("绩效目标已退回", "targets returned"),
        "targets_approved" => Text::new("绩效目标已批复", "targets approved"),
        other => Text::new(other, other),
    }
}

/// The standard indicator system of performance targets: (level 1, its level-2 kinds).
pub const SYSTEM: [(&str, &[&str]); 3] = [
    ("output", &["quantity", "quality", "timeliness", "cost"]),
    (
        "benefit",
        &["economic", "social", "ecological", "sustainable"],
    ),
    ("satisfaction", &["satisfaction"]),
];

pub fn level_name(code: &str) -> Text {
    match code {
        "output" => Text::new("产出指标", "Output"),
        "benefit" => Text::new("效益指标", "Benefit"),
        "satisfaction" => Text::new("满意度指标", "Satisfaction"),
        "quantity" => Text::new("数量指标", "Quantity"),
        "quality" => Text::new("质量指标", "Quality"),
        "timeliness" => Text::new("时效指标", "Timeliness"),
        "cost" => Text::new("成本指标", "Cost"),
        "economic" => Text::new("经济效益指标", "Economic"),
        "social" => Text::new("社会效益指标", "Social"),
        "ecological" => Text::new("生态效益指标", "Ecological"),
        "sustainable" => Text::new("可持续影响指标", "Sustainable impact"),
        "at_least" => Text::new("≥", "≥"),
        "at_most" => Text::new("≤", "≤"),
        "new" => Text::new("新增项目", "new"),
        "continuing" => Text::new("延续项目", "continuing"),
        other => Text::new(other, other),
    }
}

/// A project as a reader sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Item {
    #[serde(flatten)]
    pub project: ProjectRow,
    /// The name in both languages (the English one may be empty).
    #[schema(value_type = Object)]
    pub name: Text,
    #[schema(value_type = Object)]
    pub dept_name: Text,
    #[schema(value_type = Object)]
    pub stage_name: Text,
}

/// One project with its experts, targets and what the caller may do now.
#[derive(Debug, Serialize, ToSchema)]
pub struct Detail {
    #[serde(flatten)]
    pub item: Item,
    /// The ex-ante dimensions (name and points), in the order scores are given.
    #[schema(value_type = Vec<Object>)]
    pub dimensions: Vec<jixiao_core::budget::Dimension>,
    /// The experts; each one's scores are shown to finance and to that expert only.
    pub experts: Vec<ExpertRow>,
    /// The ex-ante result as computed from the scores (once every expert has scored).
    #[schema(value_type = Option<Object>)]
    pub exante: Option<ExAnteResult>,
    pub targets: Vec<TargetRow>,
    /// The funding by year and source (the amount is the sum for the project's year).
    pub funds: Vec<jixiao_store::projects::FundRow>,
    /// The targets monitored (the approved ≥ targets, in order): what each report's
    /// `completed` gives, one by one.
    pub goals: Vec<TargetRow>,
    /// The monitoring reports, by date, each with its computed result.
    pub monitoring: Vec<Monitored>,
    /// assign, score, conclude, targets, approve, return, monitor.
    pub allowed: Vec<String>,
}

/// A monitoring report with what the rules make of it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Monitored {
    #[serde(flatten)]
    pub row: jixiao_store::projects::MonitorRow,
    #[schema(value_type = Option<Object>)]
    pub result: Option<jixiao_core::budget::Monitoring>,
}

/// The targets monitored against time: the output quantities to reach (数量指标, ≥) — what
/// accumulates through the year. Decision: rates (quality, timeliness, satisfaction), benefits
/// and cost ceilings are not progress and are judged at evaluation, not against time.
pub fn goals_of(targets: &[TargetRow]) -> Vec<TargetRow> {
    targets
        .iter()
        .filter(|t| t.level1 == "output" && t.level2 == "quantity" && t.direction == "at_least")
        .cloned()
        .collect()
}

/// A report as the rules read it: the project's amount as the budget, each monitored target
/// with its completion (`None` if a stored number no longer reads — they are checked when
/// written).
fn report_of(
    amount: &str,
    goals: &[TargetRow],
    day: &str,
    spent: Decimal,
    done: &[Decimal],
) -> Option<jixiao_core::budget::MonitorReport> {
    Some(jixiao_core::budget::MonitorReport {
        date: day.to_owned(),
        budget: amount.parse().ok()?,
        spent,
        goals: goals
            .iter()
            .zip(done)
            .enumerate()
            .map(|(i, (t, c))| {
                Some(jixiao_core::budget::Goal {
                    code: jixiao_core::code::Ident::parse(&format!("t{}", i + 1)).ok()?,
                    name: Text::new(t.name.clone(), t.name.clone()),
                    target: t.value.parse().ok()?,
                    completed: *c,
                })
            })
            .collect::<Option<Vec<_>>>()?,
    })
}

/// The rules' view of a stored report.
fn monitored(
    p: &ProjectRow,
    goals: &[TargetRow],
    m: &jixiao_store::projects::MonitorRow,
) -> Option<jixiao_core::budget::Monitoring> {
    let done = m
        .completed
        .iter()
        .map(|c| c.parse().ok())
        .collect::<Option<Vec<Decimal>>>()?;
    let report = report_of(&p.amount, goals, &m.day, m.spent.parse().ok()?, &done)?;
    jixiao_core::budget::monitor(&jixiao_core::budget::MonitorRules::default(), &report).ok()
}

fn dept_name(live: &Live, code: &str) -> Text {
    live.unit_name(code)
        .cloned()
        .unwrap_or_else(|| Text::new(code, code))
}

fn item(live: &Live, p: ProjectRow) -> Item {
    Item {
        name: Text::new(p.name_zh.clone(), p.name_en.clone()),
        dept_name: dept_name(live, &p.dept),
        stage_name: stage_name(&p.stage),
        project: p,
    }
}

fn username(caller: &Caller) -> Option<&str> {
    caller.user.as_ref().map(|u| u.username.as_str())
}

/// Whether the caller may read the project (its department's people, the district's readers,
/// and its ex-ante experts).
fn may_read(live: &Live, caller: &Caller, p: &ProjectRow, experts: &[ExpertRow]) -> bool {
    can(
        &caller.principal,
        Action::ReadProjects { unit: &p.dept },
        live,
    ) || username(caller).is_some_and(|u| experts.iter().any(|e| e.expert == u))
}

fn not_found() -> Error {
    Error::not_found("预算项目", "budget project")
}

/// The projects the caller may read.
pub async fn list(state: &AppState, caller: &Caller) -> Result<Vec<Item>> {
    if caller.principal.role == Role::Public {
        return Err(Error::unauthorized());
    }
    let rows = jixiao_store::projects::list(&state.store).await?;
    let mine = match username(caller) {
        Some(u) => jixiao_store::projects::assigned_to(&state.store, u).await?,
        None => Vec::new(),
    };
    let live = state.live.read().await;
    Ok(rows
        .into_iter()
        .filter(|p| {
            can(
                &caller.principal,
                Action::ReadProjects { unit: &p.dept },
                &*live,
            ) || mine.contains(&p.code)
        })
        .map(|p| item(&live, p))
        .collect())
}

async fn load(state: &AppState, code: &str) -> Result<(ProjectRow, Vec<ExpertRow>)> {
    let p = jixiao_store::projects::get(&state.store, code)
        .await?
        .ok_or_else(not_found)?;
    let experts = jixiao_store::projects::experts(&state.store, code).await?;
    Ok((p, experts))
}

/// The experts' scores as the rules read them (`None` until every expert has scored).
fn scored(experts: &[ExpertRow]) -> Option<Vec<ExpertScores>> {
    if experts.is_empty() {
        return None;
    }
    experts
        .iter()
        .map(|e| {
            let scores = e
                .scores
                .as_ref()?
                .iter()
                .map(|s| s.parse::<Decimal>().ok())
                .collect::<Option<Vec<_>>>()?;
            Some(ExpertScores {
                expert: e.expert.clone(),
                scores,
            })
        })
        .collect()
}

/// One project (404 to whoever may not read it).
pub async fn get(state: &AppState, caller: &Caller, code: &str) -> Result<Detail> {
    let (p, mut experts) = load(state, code).await?;
    let targets = jixiao_store::projects::targets(&state.store, code).await?;
    let funds = jixiao_store::projects::funds(&state.store, code).await?;
    let goals = if p.stage == "targets_approved" {
        goals_of(&targets)
    } else {
        Vec::new()
    };
    let monitoring: Vec<Monitored> = jixiao_store::projects::monitoring(&state.store, code)
        .await?
        .into_iter()
        .map(|row| Monitored {
            result: monitored(&p, &goals, &row),
            row,
        })
        .collect();
    let live = state.live.read().await;
    if !may_read(&live, caller, &p, &experts) {
        return Err(not_found());
    }
    let manages = can(&caller.principal, Action::ManageBudget, &*live);
    let declares = can(
        &caller.principal,
        Action::DeclareProject { unit: &p.dept },
        &*live,
    );
    let me = username(caller).map(str::to_owned);
    let is_expert = me
        .as_deref()
        .is_some_and(|u| experts.iter().any(|e| e.expert == u));
    let rules = &state.config.budget.exante;
    let exante = scored(&experts).and_then(|s| jixiao_core::budget::conclude(rules, &s).ok());
    // An expert sees their own scores only; the department sees the conclusion, not who gave
    // what.
    if !manages {
        for e in &mut experts {
            if me.as_deref() != Some(e.expert.as_str()) {
                e.scores = None;
                e.comment.clear();
            }
        }
    }
    // The computed result before finance concludes is finance's; everyone sees the conclusion.
    let shown = manages || p.exante_conclusion.is_some();
    let mut allowed = Vec::new();
    match p.stage.as_str() {
        "draft" | "exante" if manages => allowed.push("assign"),
        _ => {}
    }
    if p.stage == "exante" && is_expert {
        allowed.push("score");
    }
    if p.stage == "exante" && manages && exante.is_some() {
        allowed.push("conclude");
    }
    if declares && may_declare_targets(&p).is_ok() {
        allowed.push("targets");
    }
    if p.stage == "targets_submitted" && manages {
        allowed.extend(["approve", "return"]);
    }
    if p.stage == "targets_approved" && declares {
        allowed.push("monitor");
    }
    Ok(Detail {
        funds,
        item: item(&live, p),
        dimensions: rules.dimensions.clone(),
        experts,
        exante: exante.filter(|_| shown),
        targets,
        goals,
        monitoring,
        allowed: allowed.into_iter().map(str::to_owned).collect(),
    })
}

/// A project to declare.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProject {
    pub code: String,
    pub name_zh: String,
    #[serde(default)]
    pub name_en: String,
    /// The department that runs it (a unit code).
    pub dept: String,
    pub year: i64,
    /// 万元, as text (`1200`, `85.5`).
    pub amount: String,
    pub fund_source: String,
    /// `new` or `continuing`.
    pub kind: String,
    #[serde(default)]
    pub major: bool,
    /// The evaluation classes that will score it once its targets are approved (classes of
    /// the budget schemes, e.g. `project_self`, `project_eval`); none: not evaluated in jixiao.
    #[serde(default)]
    pub classes: Vec<String>,
    /// The funding by year and source, for a project over several years or from several
    /// sources; the rows of its own year add up to `amount`. None: `amount` from `fund_source`.
    #[serde(default)]
    pub funds: Vec<jixiao_store::projects::FundRow>,
    /// Why (required; in a list, the list's reason serves an item without one).
    #[serde(default)]
    pub reason: String,
}

fn problem(field: &str, zh: String, en: String) -> Issue {
    Issue::error(
        "invalid",
        "project",
        Location::Path {
            path: field.to_owned(),
        },
        Text::new(zh, en),
    )
}

/// What is wrong with a project to declare (each problem at its field), given the
/// organisation and the loaded schemes; the caller's right to declare for the department is
/// checked apart.
pub(crate) fn check_new(live: &Live, b: &NewProject) -> Issues {
    let mut issues = Issues::new();
    let amount = jixiao_core::data::parse_number(&b.amount);
    if jixiao_core::code::Code::parse(b.code.trim()).is_err() {
        issues.push(problem(
            "code",
            format!("项目代码“{}”只能用字母、数字、-、_、.", b.code),
            format!(
                "project code `{}` may use letters, digits, -, _ and . only",
                b.code
            ),
        ));
    }
    if b.name_zh.trim().is_empty() {
        issues.push(problem(
            "name_zh",
            "请填写项目名称".into(),
            "the project needs a name".into(),
        ));
    }
    if !live.units.contains(b.dept.trim()) {
        issues.push(problem(
            "dept",
            format!("部门“{}”不在本区的组织机构中", b.dept),
            format!(
                "department `{}` is not in the district's organisation",
                b.dept
            ),
        ));
    }
    if !(2000..=2100).contains(&b.year) {
        issues.push(problem(
            "year",
            format!("年度 {} 不在 2000–2100 之间", b.year),
            format!("year {} is not within 2000–2100", b.year),
        ));
    }
    match amount {
        Some(a) if a > Decimal::ZERO => {}
        _ => issues.push(problem(
            "amount",
            format!("金额“{}”应为大于0的数（万元）", b.amount),
            format!(
                "amount `{}` should be a number above 0 (10,000 yuan)",
                b.amount
            ),
        )),
    }
    if b.fund_source.trim().is_empty() {
        issues.push(problem(
            "fund_source",
            "请填写资金来源".into(),
            "the fund source is required".into(),
        ));
    }
    if !matches!(b.kind.as_str(), "new" | "continuing") {
        issues.push(problem(
            "kind",
            format!("项目类型“{}”应为 new（新增）或 continuing（延续）", b.kind),
            format!("kind `{}` should be new or continuing", b.kind),
        ));
    }
    let mut own_year = Decimal::ZERO;
    let mut seen = std::collections::BTreeSet::new();
    for (i, f) in b.funds.iter().enumerate() {
        let at = |field: &str| format!("funds[{i}].{field}");
        if !(b.year..b.year + 10).contains(&f.year) {
            issues.push(problem(
                &at("year"),
                format!("资金年度 {} 应在项目年度 {} 起的十年内", f.year, b.year),
                format!(
                    "funding year {} should fall within ten years from {}",
                    f.year, b.year
                ),
            ));
        }
        if f.source.trim().is_empty() {
            issues.push(problem(
                &at("source"),
                "请填写资金来源".into(),
                "the fund source is required".into(),
            ));
        }
        if !seen.insert((f.year, f.source.trim().to_owned())) {
            issues.push(problem(
                &at("source"),
                format!("{}年“{}”重复", f.year, f.source),
                format!("{} `{}` comes twice", f.year, f.source),
            ));
        }
        match jixiao_core::data::parse_number(&f.amount) {
            Some(a) if a > Decimal::ZERO => {
                if f.year == b.year {
                    own_year += a;
                }
            }
            _ => issues.push(problem(
                &at("amount"),
                format!("金额“{}”应为大于0的数（万元）", f.amount),
                format!("amount `{}` should be a number above 0", f.amount),
            )),
        }
    }
    if let (false, Some(a)) = (b.funds.is_empty(), amount)
        && own_year != a
    {
        issues.push(problem(
            "funds",
            format!(
                "{}年各资金来源合计 {} 万元，与项目金额 {} 万元不符",
                b.year,
                own_year.normalize(),
                a.normalize()
            ),
            format!(
                "the funding of {} adds up to {}, the amount is {}",
                b.year,
                own_year.normalize(),
                a.normalize()
            ),
        ));
    }
    let known = project_classes(live);
    for (i, c) in b.classes.iter().enumerate() {
        if !known.contains_key(c) {
            let all = known.keys().cloned().collect::<Vec<_>>().join(", ");
            issues.push(problem(
                &format!("classes[{i}]"),
                format!("评价类别“{c}”不是任何预算评价方案的项目类别（{all}）"),
                format!("class `{c}` is not a project class of any budget scheme ({all})"),
            ));
        }
    }
    issues
}

/// Declares a project (its department's people or finance). Whether it needs an ex-ante
/// evaluation follows from its amount and the district's threshold.
pub async fn create(state: &AppState, caller: &Caller, b: &NewProject) -> Result<Detail> {
    require_reason(&b.reason)?;
    {
        let live = state.live.read().await;
        allow_in(&live, caller, Action::DeclareProject { unit: &b.dept })?;
        let issues = check_new(&live, b);
        if issues.errors().next().is_some() {
            return Err(Error::invalid(&issues));
        }
    }
    let mut tx = state.store.write().await?;
    if !insert(&mut tx, state, caller, b).await? {
        return Err(Error::conflict(
            "exists",
            Text::new(
                format!("项目代码“{}”已被使用", b.code),
                format!("project code `{}` is taken", b.code),
            ),
        ));
    }
    commit(tx).await?;
    get(state, caller, b.code.trim()).await
}

/// Writes a checked project in `tx`; false when its code is taken.
pub(crate) async fn insert(
    tx: &mut jixiao_store::Tx,
    state: &AppState,
    caller: &Caller,
    b: &NewProject,
) -> Result<bool> {
    let amount = jixiao_core::data::parse_number(&b.amount).unwrap_or_default();
    let required = amount >= state.config.budget.exante_threshold;
    let amount = amount.normalize().to_string();
    let classes: Vec<String> = b.classes.iter().map(|c| c.trim().to_owned()).collect();
    let created = jixiao_store::projects::create(
        tx,
        &caller.actor,
        jixiao_store::projects::New {
            code: b.code.trim(),
            name_zh: b.name_zh.trim(),
            name_en: b.name_en.trim(),
            dept: b.dept.trim(),
            year: b.year,
            amount: &amount,
            fund_source: b.fund_source.trim(),
            kind: &b.kind,
            major: b.major,
            exante_required: required,
            classes: &classes,
        },
        &b.reason,
    )
    .await?;
    if created.is_none() {
        return Ok(false);
    }
    let funds: Vec<jixiao_store::projects::FundRow> = if b.funds.is_empty() {
        vec![jixiao_store::projects::FundRow {
            year: b.year,
            source: b.fund_source.trim().to_owned(),
            amount: amount.clone(),
        }]
    } else {
        b.funds
            .iter()
            .map(|f| jixiao_store::projects::FundRow {
                year: f.year,
                source: f.source.trim().to_owned(),
                amount: jixiao_core::data::parse_number(&f.amount)
                    .unwrap_or_default()
                    .normalize()
                    .to_string(),
            })
            .collect()
    };
    jixiao_store::projects::set_funds(tx, &caller.actor, b.code.trim(), &funds, &b.reason).await?;
    Ok(true)
}

fn stale() -> Error {
    Error::conflict(
        "stale",
        Text::new(
            "项目已被他人修改，请刷新后重试",
            "someone changed the project first; reload and try again",
        ),
    )
}

fn wrong_stage(p: &ProjectRow, what: &str, what_en: &str) -> Error {
    let s = stage_name(&p.stage);
    Error::conflict(
        "stage",
        Text::new(
            format!("项目处于“{}”阶段，不能{what}", s.zh),
            format!("the project is at `{}`: cannot {what_en}", s.en),
        ),
    )
}

/// A project the caller acts on for its department (404 to whoever may not read it, 403 to a
/// reader who does not work for it).
pub(crate) async fn load_for_department(
    state: &AppState,
    caller: &Caller,
    code: &str,
) -> Result<ProjectRow> {
    let (p, experts) = load(state, code).await?;
    let live = state.live.read().await;
    if !may_read(&live, caller, &p, &experts) {
        return Err(not_found());
    }
    allow_in(&live, caller, Action::DeclareProject { unit: &p.dept })?;
    Ok(p)
}

/// Problems with their places as an invalid input.
fn invalid_at(ps: Vec<(String, Text)>) -> Error {
    Error::invalid(&Issues(
        ps.into_iter()
            .map(|(place, t)| Issue::error("invalid", "project", Location::Path { path: place }, t))
            .collect(),
    ))
}

/// Whether the department may declare targets now: the gate of the ex-ante evaluation.
fn may_declare_targets(p: &ProjectRow) -> std::result::Result<(), Error> {
    let passed = p
        .exante_conclusion
        .as_deref()
        .is_some_and(|c| c == "support" || c == "revise");
    match p.stage.as_str() {
        "targets_returned" => Ok(()),
        "exante_done" if passed => Ok(()),
        "draft" if !p.exante_required => Ok(()),
        "draft" | "exante" => Err(Error::conflict(
            "gate",
            Text::new(
                "项目须先通过事前绩效评估，才能申报绩效目标",
                "the project must pass its ex-ante evaluation before it declares targets",
            ),
        )),
        "rejected" => Err(Error::conflict(
            "gate",
            Text::new(
                format!(
                    "事前绩效评估结论为“不予支持”（{}），项目不能申报绩效目标，也不能列入预算",
                    p.exante_reason
                ),
                "the ex-ante conclusion is `do not support`: the project can neither declare targets nor enter the budget".to_owned(),
            ),
        )),
        _ => Err(wrong_stage(p, "申报绩效目标", "declare targets")),
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Assign {
    /// Usernames of evaluators (评审专家).
    pub experts: Vec<String>,
    pub version: i64,
    pub reason: String,
}

async fn tell(
    tx: &mut jixiao_store::Tx,
    state: &AppState,
    to: &[To],
    p: &ProjectRow,
    what: &str,
    title: Text,
) -> Result<()> {
    tell_in(
        tx,
        &state.config,
        to,
        &Notice {
            kind: "budget",
            key: format!("project:{}:{what}:{}", p.code, p.version),
            body: Text::new(
                format!("{}（{}）", p.name_zh, p.code),
                format!("{} ({})", p.name_en, p.code),
            ),
            title,
            link: format!("/projects/{}", p.code),
        },
    )
    .await?;
    Ok(())
}

/// Finance sends a project to ex-ante experts (evaluators' accounts).
pub async fn assign(state: &AppState, caller: &Caller, code: &str, b: &Assign) -> Result<Detail> {
    allow_in(&*state.live.read().await, caller, Action::ManageBudget)?;
    require_reason(&b.reason)?;
    let (p, _) = load(state, code).await?;
    if !matches!(p.stage.as_str(), "draft" | "exante") {
        return Err(wrong_stage(&p, "指派评审专家", "assign experts"));
    }
    let mut experts: Vec<String> = b.experts.iter().map(|e| e.trim().to_owned()).collect();
    experts.sort();
    experts.dedup();
    let mut issues = Issues::new();
    if experts.is_empty() {
        issues.push(problem(
            "experts",
            "请至少指派一位评审专家".into(),
            "assign at least one expert".into(),
        ));
    }
    for (i, e) in experts.iter().enumerate() {
        let ok = jixiao_store::users::by_name(&state.store, e)
            .await?
            .is_some_and(|u| u.role == "evaluator");
        if !ok {
            issues.push(problem(
                &format!("experts[{i}]"),
                format!("“{e}”不是评审专家（第三方评价）账号"),
                format!("`{e}` is not an evaluator's account"),
            ));
        }
    }
    if issues.errors().next().is_some() {
        return Err(Error::invalid(&issues));
    }
    let mut tx = state.store.write().await?;
    jixiao_store::projects::set_experts(&mut tx, code, &experts).await?;
    let after = jixiao_store::projects::update(
        &mut tx,
        &caller.actor,
        code,
        b.version,
        jixiao_store::projects::Update {
            stage: "exante",
            experts: Some(&experts),
            ..Default::default()
        },
        "project.exante_assign",
        &b.reason,
    )
    .await?
    .ok_or_else(stale)?;
    let to: Vec<To> = experts.iter().map(|e| To::User(e.clone())).collect();
    tell(
        &mut tx,
        state,
        &to,
        &after,
        "assigned",
        Text::new(
            "请对预算项目进行事前绩效评估",
            "Please evaluate a budget project ex ante",
        ),
    )
    .await?;
    commit(tx).await?;
    get(state, caller, code).await
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Score {
    /// One score per dimension, in the order of `dimensions`, as text (`18`, `15.5`).
    pub scores: Vec<String>,
    #[serde(default)]
    pub comment: String,
}

/// An assigned expert scores the dimensions (again, until finance concludes).
pub async fn score(state: &AppState, caller: &Caller, code: &str, b: &Score) -> Result<Detail> {
    let (p, experts) = load(state, code).await?;
    let me = username(caller).ok_or_else(Error::unauthorized)?;
    if !experts.iter().any(|e| e.expert == me) {
        return Err(
            if may_read(&*state.live.read().await, caller, &p, &experts) {
                Error::forbidden()
            } else {
                not_found()
            },
        );
    }
    if p.stage != "exante" {
        return Err(wrong_stage(&p, "评分", "score"));
    }
    let rules = &state.config.budget.exante;
    let mut issues = Issues::new();
    let mut numbers = Vec::new();
    for (j, s) in b.scores.iter().enumerate() {
        match jixiao_core::data::parse_number(s) {
            Some(x) => numbers.push(x),
            None => issues.push(problem(
                &format!("scores[{j}]"),
                format!("评分“{s}”不是数字"),
                format!("score `{s}` is not a number"),
            )),
        }
    }
    if issues.errors().next().is_none()
        && let Err(ps) = jixiao_core::budget::conclude(
            rules,
            &[ExpertScores {
                expert: me.to_owned(),
                scores: numbers.clone(),
            }],
        )
    {
        for (place, t) in ps {
            issues.push(Issue::error(
                "invalid",
                "project",
                Location::Path {
                    path: place.replace("experts[0].", ""),
                },
                t,
            ));
        }
    }
    if issues.errors().next().is_some() {
        return Err(Error::invalid(&issues));
    }
    let texts: Vec<String> = numbers.iter().map(|x| x.normalize().to_string()).collect();
    let mut tx = state.store.write().await?;
    jixiao_store::projects::score(&mut tx, &caller.actor, code, &texts, b.comment.trim()).await?;
    commit(tx).await?;
    get(state, caller, code).await
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Decide {
    pub version: i64,
    pub reason: String,
}

/// Finance concludes the ex-ante evaluation from every expert's scores: 予以支持 or
/// 调整完善后予以支持 open the way to targets; 不予支持 stops the project.
pub async fn conclude(state: &AppState, caller: &Caller, code: &str, b: &Decide) -> Result<Detail> {
    allow_in(&*state.live.read().await, caller, Action::ManageBudget)?;
    require_reason(&b.reason)?;
    let (p, experts) = load(state, code).await?;
    if p.stage != "exante" {
        return Err(wrong_stage(
            &p,
            "作出事前评估结论",
            "conclude the ex-ante evaluation",
        ));
    }
    let Some(scores) = scored(&experts) else {
        let waiting: Vec<&str> = experts
            .iter()
            .filter(|e| e.scores.is_none())
            .map(|e| e.expert.as_str())
            .collect();
        return Err(Error::conflict(
            "not_scored",
            Text::new(
                format!("以下专家尚未评分：{}", waiting.join("、")),
                format!("these experts have not scored yet: {}", waiting.join(", ")),
            ),
        ));
    };
    let r =
        jixiao_core::budget::conclude(&state.config.budget.exante, &scores).map_err(invalid_at)?;
    let conclusion = match r.conclusion {
        Conclusion::Support => "support",
        Conclusion::Revise => "revise",
        Conclusion::Reject => "reject",
    };
    let stage = if r.conclusion.passes() {
        "exante_done"
    } else {
        "rejected"
    };
    let total = r.total.normalize().to_string();
    let mut tx = state.store.write().await?;
    let after = jixiao_store::projects::update(
        &mut tx,
        &caller.actor,
        code,
        b.version,
        jixiao_store::projects::Update {
            stage,
            exante: Some((&total, conclusion, &r.reason.zh)),
            ..Default::default()
        },
        "project.exante_conclude",
        &b.reason,
    )
    .await?
    .ok_or_else(stale)?;
    let name = r.conclusion.name();
    tell(
        &mut tx,
        state,
        &[To::Unit(after.dept.clone())],
        &after,
        "concluded",
        Text::new(
            format!("事前绩效评估结论：{}", name.zh),
            format!("Ex-ante conclusion: {}", name.en),
        ),
    )
    .await?;
    commit(tx).await?;
    get(state, caller, code).await
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Targets {
    pub targets: Vec<TargetRow>,
    pub version: i64,
    pub reason: String,
}

/// Every target checked against the standard indicator system; at least one output and one
/// benefit target.
fn check_targets(ts: &[TargetRow]) -> Issues {
    let mut issues = Issues::new();
    for (i, t) in ts.iter().enumerate() {
        let at = |f: &str| format!("targets[{i}].{f}");
        match SYSTEM.iter().find(|(l1, _)| *l1 == t.level1) {
            None => issues.push(problem(
                &at("level1"),
                format!(
                    "一级指标“{}”应为 output（产出）、benefit（效益）或 satisfaction（满意度）",
                    t.level1
                ),
                format!(
                    "level 1 `{}` should be output, benefit or satisfaction",
                    t.level1
                ),
            )),
            Some((_, kinds)) if !kinds.contains(&t.level2.as_str()) => issues.push(problem(
                &at("level2"),
                format!(
                    "“{}”下的二级指标“{}”应为：{}",
                    level_name(&t.level1).zh,
                    t.level2,
                    kinds.join("、")
                ),
                format!(
                    "level 2 `{}` under {} should be one of {}",
                    t.level2,
                    t.level1,
                    kinds.join(", ")
                ),
            )),
            Some(_) => {}
        }
        if t.name.trim().is_empty() {
            issues.push(problem(
                &at("name"),
                "请填写指标名称".into(),
                "the target needs a name".into(),
            ));
        }
        if !matches!(t.direction.as_str(), "at_least" | "at_most") {
            issues.push(problem(
                &at("direction"),
                format!("方向“{}”应为 at_least（≥）或 at_most（≤）", t.direction),
                format!("direction `{}` should be at_least or at_most", t.direction),
            ));
        }
        if jixiao_core::data::parse_number(&t.value).is_none() {
            issues.push(problem(
                &at("value"),
                format!("指标值“{}”不是数字", t.value),
                format!("value `{}` is not a number", t.value),
            ));
        }
    }
    for (l1, zh, en) in [
        ("output", "产出指标", "an output target"),
        ("benefit", "效益指标", "a benefit target"),
    ] {
        if !ts.iter().any(|t| t.level1 == l1) {
            issues.push(problem(
                "targets",
                format!("绩效目标至少应有一项{zh}"),
                format!("the targets need at least {en}"),
            ));
        }
    }
    issues
}

/// The department declares (or after a return, corrects) the project's targets, for finance
/// to review — only once the ex-ante gate is passed.
pub async fn declare_targets(
    state: &AppState,
    caller: &Caller,
    code: &str,
    b: &Targets,
) -> Result<Detail> {
    let p = load_for_department(state, caller, code).await?;
    require_reason(&b.reason)?;
    may_declare_targets(&p)?;
    let issues = check_targets(&b.targets);
    if issues.errors().next().is_some() {
        return Err(Error::invalid(&issues));
    }
    let targets: Vec<TargetRow> = b
        .targets
        .iter()
        .map(|t| TargetRow {
            level1: t.level1.clone(),
            level2: t.level2.clone(),
            name: t.name.trim().to_owned(),
            direction: t.direction.clone(),
            value: jixiao_core::data::parse_number(&t.value)
                .map(|v| v.normalize().to_string())
                .unwrap_or_default(),
            unit: t.unit.trim().to_owned(),
        })
        .collect();
    let mut tx = state.store.write().await?;
    jixiao_store::projects::set_targets(&mut tx, &caller.actor, code, &targets, &b.reason).await?;
    jixiao_store::projects::update(
        &mut tx,
        &caller.actor,
        code,
        b.version,
        jixiao_store::projects::Update {
            stage: "targets_submitted",
            ..Default::default()
        },
        "project.targets_submit",
        &b.reason,
    )
    .await?
    .ok_or_else(stale)?;
    commit(tx).await?;
    get(state, caller, code).await
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Review {
    /// `approve` or `return`.
    pub decision: String,
    pub version: i64,
    pub reason: String,
}

/// Finance approves the targets (they become the project's targets) or returns them with the
/// reason.
pub async fn review_targets(
    state: &AppState,
    caller: &Caller,
    code: &str,
    b: &Review,
) -> Result<Detail> {
    allow_in(&*state.live.read().await, caller, Action::ManageBudget)?;
    require_reason(&b.reason)?;
    let (p, _) = load(state, code).await?;
    if p.stage != "targets_submitted" {
        return Err(wrong_stage(&p, "审核绩效目标", "review targets"));
    }
    let (stage, action, returned, title) = match b.decision.as_str() {
        "approve" => (
            "targets_approved",
            "project.targets_approve",
            None,
            Text::new("绩效目标已批复", "Targets approved"),
        ),
        "return" => (
            "targets_returned",
            "project.targets_return",
            Some(b.reason.trim()),
            Text::new(
                format!("绩效目标被退回：{}", b.reason.trim()),
                format!("Targets returned: {}", b.reason.trim()),
            ),
        ),
        other => {
            return Err(Error::bad_request(
                "bad_decision",
                Text::new(
                    format!("审核意见“{other}”应为 approve（批复）或 return（退回）"),
                    format!("decision `{other}` should be approve or return"),
                ),
            ));
        }
    };
    let mut tx = state.store.write().await?;
    let after = jixiao_store::projects::update(
        &mut tx,
        &caller.actor,
        code,
        b.version,
        jixiao_store::projects::Update {
            stage,
            return_reason: Some(returned.unwrap_or("")),
            ..Default::default()
        },
        action,
        &b.reason,
    )
    .await?
    .ok_or_else(stale)?;
    tell(
        &mut tx,
        state,
        &[To::Unit(after.dept.clone())],
        &after,
        stage,
        title,
    )
    .await?;
    commit(tx).await?;
    if stage == "targets_approved" {
        publish_after_change(state).await;
    }
    get(state, caller, code).await
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Progress {
    /// The monitoring date, `YYYY-MM-DD`, in the project's year.
    pub date: String,
    /// Spent so far (万元).
    pub spent: String,
    /// Completed so far, one per monitored target (`goals`), in order.
    pub completed: Vec<String>,
    #[serde(default)]
    pub note: String,
    /// Corrective measures: required when the result is yellow or red.
    #[serde(default)]
    pub measures: String,
}

/// The department reports spending and goal progress at a monitoring date; the levels come
/// from the rules, and a yellow or red result needs the corrective measures in the same report.
pub async fn monitor(
    state: &AppState,
    caller: &Caller,
    code: &str,
    b: &Progress,
) -> Result<Detail> {
    let p = load_for_department(state, caller, code).await?;
    let goals = goals_of(&jixiao_store::projects::targets(&state.store, code).await?);
    let checked = check_progress(&p, &goals, b, caller)?.map_err(invalid_at)?;
    let mut tx = state.store.write().await?;
    let red = write_progress(&mut tx, state, caller, &p, &checked).await?;
    commit(tx).await?;
    if red {
        crate::ops::rectifications::publish_after_change(state).await;
    }
    publish_after_change(state).await;
    get(state, caller, code).await
}

/// A monitoring report checked and computed, ready to store.
pub struct Checked {
    row: jixiao_store::projects::MonitorRow,
    m: jixiao_core::budget::Monitoring,
}

/// Checks a monitoring report of `p` and computes its levels: the problems by field
/// (`date`, `spent`, `completed[i]`, `measures`) when it cannot stand.
pub(crate) fn check_progress(
    p: &ProjectRow,
    goals: &[TargetRow],
    b: &Progress,
    caller: &Caller,
) -> Result<std::result::Result<Checked, Vec<(String, Text)>>> {
    if p.stage != "targets_approved" {
        return Err(wrong_stage(p, "报送运行监控", "report monitoring"));
    }
    let mut ps: Vec<(String, Text)> = Vec::new();
    let mut problem =
        |field: &str, zh: String, en: String| ps.push((field.to_owned(), Text::new(zh, en)));
    if !b.date.starts_with(&format!("{}-", p.year))
        || crate::ops::warnings::check_day(&b.date, "date").is_err()
    {
        problem(
            "date",
            format!(
                "监控日期“{}”应为项目年度 {} 内的日期（YYYY-MM-DD）",
                b.date, p.year
            ),
            format!(
                "the monitoring date `{}` should be a day (YYYY-MM-DD) in the project's year {}",
                b.date, p.year
            ),
        );
    }
    let spent = jixiao_core::data::parse_number(&b.spent);
    if spent.is_none() {
        problem(
            "spent",
            format!("支出“{}”不是数字", b.spent),
            format!("spending `{}` is not a number", b.spent),
        );
    }
    if b.completed.len() != goals.len() {
        problem(
            "completed",
            format!(
                "应报送 {} 项目标的完成值，收到 {} 项",
                goals.len(),
                b.completed.len()
            ),
            format!(
                "{} targets' completion expected, {} given",
                goals.len(),
                b.completed.len()
            ),
        );
    }
    let mut done = Vec::new();
    for (i, c) in b.completed.iter().enumerate() {
        match jixiao_core::data::parse_number(c) {
            Some(x) => done.push(x),
            None => problem(
                &format!("completed[{i}]"),
                format!("完成值“{c}”不是数字"),
                format!("completion `{c}` is not a number"),
            ),
        }
    }
    if !ps.is_empty() {
        return Ok(Err(ps));
    }
    let report = report_of(&p.amount, goals, &b.date, spent.unwrap_or_default(), &done)
        .ok_or_else(|| Error::internal(&"a stored amount or target value does not read"))?;
    let m = match jixiao_core::budget::monitor(
        &jixiao_core::budget::MonitorRules::default(),
        &report,
    ) {
        Ok(m) => m,
        // The rules name the goals; the report names them `completed[i]`.
        Err(ps) => {
            return Ok(Err(ps
                .into_iter()
                .map(|(place, t)| {
                    let place = place
                        .replace("goals", "completed")
                        .replace("].completed", "]");
                    (place, t)
                })
                .collect()));
        }
    };
    let level = match m.level {
        jixiao_core::budget::Level::Green => "green",
        jixiao_core::budget::Level::Yellow => "yellow",
        jixiao_core::budget::Level::Red => "red",
    };
    if level != "green" && b.measures.trim().is_empty() {
        let why: Vec<String> = std::iter::once(&m.spending)
            .chain(&m.goals)
            .filter(|g| g.level != jixiao_core::budget::Level::Green)
            .map(|g| g.explanation.zh.clone())
            .collect();
        return Ok(Err(vec![(
            "measures".to_owned(),
            Text::new(
                format!(
                    "本次监控为{}，须填写纠偏措施：{}",
                    m.level.name().zh,
                    why.join("；")
                ),
                format!(
                    "the result is {}: the corrective measures are required",
                    m.level.name().en
                ),
            ),
        )]));
    }
    let row = jixiao_store::projects::MonitorRow {
        project: p.code.clone(),
        day: b.date.clone(),
        spent: spent.unwrap_or_default().normalize().to_string(),
        completed: done.iter().map(|x| x.normalize().to_string()).collect(),
        note: b.note.trim().to_owned(),
        measures: b.measures.trim().to_owned(),
        level: level.to_owned(),
        reported_by: caller.actor.name.clone(),
        reported_at: String::new(),
    };
    Ok(Ok(Checked { row, m }))
}

/// Stores a checked monitoring report in `tx`: yellow and red tell the office; red opens the
/// department's rectification task (P9), verified by the office, once per project and date (a
/// corrected report of the date does not open another). True when a task was opened.
pub(crate) async fn write_progress(
    tx: &mut jixiao_store::Tx,
    state: &AppState,
    caller: &Caller,
    p: &ProjectRow,
    c: &Checked,
) -> Result<bool> {
    let (row, m) = (&c.row, &c.m);
    jixiao_store::projects::report_monitoring(tx, &caller.actor, row, &row.note).await?;
    if row.level != "green" {
        tell(
            tx,
            state,
            &[To::Office],
            p,
            &format!("monitor-{}", row.day),
            Text::new(
                format!("预算项目运行监控{}：{}", m.level.name().zh, p.name_zh),
                format!("Budget monitoring {}: {}", m.level.name().en, p.code),
            ),
        )
        .await?;
    }
    let source_id = format!("{}@{}", p.code, row.day);
    let red = row.level == "red"
        && jixiao_store::rectifications::of_source(tx, "monitoring", &source_id)
            .await?
            .is_empty();
    if red {
        let why: Vec<String> = std::iter::once(&m.spending)
            .chain(&m.goals)
            .filter(|g| g.level == jixiao_core::budget::Level::Red)
            .map(|g| g.explanation.zh.clone())
            .collect();
        let t = jixiao_store::rectifications::open(
            tx,
            &caller.actor,
            &jixiao_store::rectifications::New {
                source_kind: "monitoring",
                source_id: &source_id,
                severity: "",
                unit: &p.dept,
                person: "",
                period: &quarter_of(&row.day),
                problem: &format!(
                    "预算项目“{}”（{}）{} 运行监控为红色：{}",
                    p.name_zh,
                    p.code,
                    row.day,
                    why.join("；")
                ),
                measures: &row.measures,
                deadline: &crate::ops::warnings::day_after(time::OffsetDateTime::now_utc(), 30),
                verifier: "office",
            },
        )
        .await?;
        crate::ops::rectifications::tell_opened(tx, state, &t).await?;
    }
    Ok(red)
}

/// The quarter (`2026Q2`) of a day `2026-06-30`.
fn quarter_of(day: &str) -> String {
    let month: u32 = day.get(5..7).and_then(|m| m.parse().ok()).unwrap_or(1);
    format!(
        "{}Q{}",
        day.get(..4).unwrap_or(""),
        month.saturating_sub(1) / 3 + 1
    )
}

/// One line of the monitoring report of a date.
#[derive(Debug, Serialize, ToSchema)]
pub struct MonitorLine {
    pub code: String,
    #[schema(value_type = Object)]
    pub name: Text,
    #[schema(value_type = Object)]
    pub dept_name: Text,
    pub amount: String,
    pub level: String,
    #[schema(value_type = Option<Object>)]
    pub result: Option<jixiao_core::budget::Monitoring>,
    pub measures: String,
}

/// Finance's monitoring report of a date: every project that reported then, worst first.
pub async fn monitoring_report(
    state: &AppState,
    caller: &Caller,
    day: &str,
) -> Result<Vec<MonitorLine>> {
    allow_in(&*state.live.read().await, caller, Action::ReadRankings)?;
    let rows = jixiao_store::projects::monitoring_on(&state.store, day).await?;
    let mut out = Vec::new();
    for m in rows {
        let Some(p) = jixiao_store::projects::get(&state.store, &m.project).await? else {
            continue;
        };
        let goals = goals_of(&jixiao_store::projects::targets(&state.store, &p.code).await?);
        let result = monitored(&p, &goals, &m);
        let dept = dept_name(&*state.live.read().await, &p.dept);
        out.push(MonitorLine {
            code: p.code.clone(),
            name: Text::new(p.name_zh.clone(), p.name_en.clone()),
            dept_name: dept,
            amount: p.amount.clone(),
            level: m.level.clone(),
            result,
            measures: m.measures.clone(),
        });
    }
    let rank = |l: &str| match l {
        "red" => 0,
        "yellow" => 1,
        _ => 2,
    };
    out.sort_by(|a, b| {
        rank(&a.level)
            .cmp(&rank(&b.level))
            .then_with(|| a.code.cmp(&b.code))
    });
    Ok(out)
}

/// The dates monitoring reports were made at, newest first (readers of the district).
pub async fn monitoring_days(state: &AppState, caller: &Caller) -> Result<Vec<String>> {
    allow_in(&*state.live.read().await, caller, Action::ReadRankings)?;
    Ok(jixiao_store::projects::monitoring_days(&state.store).await?)
}

/// The budget units (departments, sub-districts, towns) the caller may declare projects for:
/// (code, name), in the organisation's order.
pub async fn declare_choices(state: &AppState, caller: &Caller) -> Vec<(String, Text)> {
    let live = state.live.read().await;
    live.org
        .as_ref()
        .map(|o| {
            o.units
                .iter()
                .filter(|u| {
                    use jixiao_core::org::Level;
                    // Budget units: the departments, sub-districts and towns (a village's
                    // projects go through its town).
                    matches!(
                        u.level,
                        Level::Department | Level::Subdistrict | Level::Town
                    )
                })
                .filter(|u| {
                    can(
                        &caller.principal,
                        Action::DeclareProject {
                            unit: u.code.as_str(),
                        },
                        &*live,
                    )
                })
                .map(|u| (u.code.to_string(), u.name.clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// Whether the caller reads the monitoring reports (the district's readers).
pub async fn reads_monitoring(state: &AppState, caller: &Caller) -> bool {
    can(
        &caller.principal,
        Action::ReadRankings,
        &*state.live.read().await,
    )
}

/// The project classes of the loaded schemes (classes of kind project, or any class of a budget
/// scheme): what a project's `classes` may name.
pub fn project_classes(live: &Live) -> std::collections::BTreeMap<String, Text> {
    live.schemes
        .values()
        .flat_map(|s| {
            let budget = s.model.scheme.kind == jixiao_core::scheme::SchemeKind::Budget;
            s.model
                .scheme
                .classes
                .iter()
                .filter(move |(_, c)| budget || c.kind == jixiao_core::scheme::ClassKind::Project)
                .map(|(code, c)| (code.to_string(), c.name.clone()))
        })
        .collect()
}

/// The evaluation classes a project may be declared into (code and name), for the form.
pub async fn class_choices(state: &AppState) -> Vec<(String, Text)> {
    project_classes(&*state.live.read().await)
        .into_iter()
        .collect()
}

/// The day of a project's year-end monitoring, whose spending is the year's.
fn year_end(year: i64) -> String {
    format!("{year}-12-31")
}

/// Writes what the evaluation schemes read from the projects whose targets are approved
/// (elements with `source = "project"`): the amount, an approved target by its category, the
/// spending of the year-end monitoring; for the project's year, as counted values noting where
/// they came from. A project not yet among the assessed objects joins them first (a unit of
/// level project under its department, in its evaluation classes, from the first day of its
/// year). Only the schemes of a project's classes are served. Returns the values written.
pub async fn publish_elements(state: &AppState) -> Result<usize> {
    use jixiao_core::scheme::ProjectRead;
    let (specs, known) = {
        let live = state.live.read().await;
        // (element, what it reads, the classes of the schemes that use it)
        let mut specs: Vec<(String, jixiao_core::scheme::ProjectSpec, Vec<String>)> = Vec::new();
        for s in live.schemes.values() {
            let classes: Vec<String> = s
                .model
                .scheme
                .classes
                .keys()
                .map(|c| c.to_string())
                .collect();
            for e in &s.model.elements {
                if let Some(spec) = &e.def.project {
                    match specs.iter_mut().find(|(c, _, _)| *c == e.code.as_str()) {
                        Some((_, _, cs)) => cs.extend(classes.iter().cloned()),
                        None => specs.push((e.code.to_string(), spec.clone(), classes.clone())),
                    }
                }
            }
        }
        (specs, live.units.clone())
    };
    let projects: Vec<ProjectRow> = jixiao_store::projects::list(&state.store)
        .await?
        .into_iter()
        .filter(|p| p.stage == "targets_approved" && !p.classes.is_empty())
        .collect();
    if projects.is_empty() {
        return Ok(0);
    }
    let mut wanted: Vec<crate::ops::values::Worked> = Vec::new();
    for p in &projects {
        let targets = jixiao_store::projects::targets(&state.store, &p.code).await?;
        let end = jixiao_store::projects::monitoring(&state.store, &p.code)
            .await?
            .into_iter()
            .find(|m| m.day == year_end(p.year));
        for (element, spec, classes) in &specs {
            if !p.classes.iter().any(|c| classes.contains(c)) {
                continue;
            }
            let read = match spec.read {
                ProjectRead::Amount => {
                    Some((p.amount.clone(), format!("项目金额（{}年预算）", p.year)))
                }
                ProjectRead::Target => targets
                    .iter()
                    .find(|t| Some(format!("{}.{}", t.level1, t.level2)) == spec.category)
                    .map(|t| {
                        (
                            t.value.clone(),
                            format!("批复的绩效目标：{} {}{}", t.name, t.value, t.unit),
                        )
                    }),
                ProjectRead::Spent => end.as_ref().map(|m| {
                    (
                        m.spent.clone(),
                        format!("年末运行监控（{}）累计支出", m.day),
                    )
                }),
            };
            if let Some((v, note)) = read {
                let v = jixiao_core::data::parse_number(&v).ok_or_else(|| {
                    Error::internal(&format!("{}: stored `{v}` does not read", p.code))
                })?;
                wanted.push((element.clone(), p.code.clone(), p.year.to_string(), v, note));
            }
        }
    }
    let actor = jixiao_store::audit::Actor::system("project");
    let mut tx = state.store.write().await?;
    let mut joined = 0;
    for p in projects.iter().filter(|p| !known.contains(&p.code)) {
        let code = |s: &str| {
            jixiao_core::code::Code::parse(s)
                .map_err(|_| Error::internal(&format!("project {}: bad code `{s}`", p.code)))
        };
        let class = p
            .classes
            .iter()
            .map(|c| {
                jixiao_core::code::Ident::parse(c)
                    .map_err(|_| Error::internal(&format!("project {}: bad class `{c}`", p.code)))
            })
            .collect::<Result<Vec<_>>>()?;
        let name_en = if p.name_en.is_empty() {
            p.code.clone()
        } else {
            p.name_en.clone()
        };
        let unit = jixiao_core::org::Unit {
            code: code(&p.code)?,
            name: Text::new(p.name_zh.clone(), name_en),
            parent: Some(code(&p.dept)?),
            level: jixiao_core::org::Level::Project,
            class: jixiao_core::org::Classes(class),
            coefficients: Default::default(),
            targets: Default::default(),
        };
        jixiao_store::org::create_unit(
            &mut tx,
            &actor,
            &unit,
            &format!("{}-01-01", p.year),
            "绩效目标已批复，项目纳入绩效评价",
        )
        .await?;
        joined += 1;
    }
    let written =
        crate::ops::values::write_counted(&mut tx, &actor, &wanted, "value.project").await?;
    if written.is_empty() && joined == 0 {
        return Ok(0);
    }
    commit(tx).await?;
    if joined > 0 {
        state.reload().await?;
    } else {
        state.live.write().await.apply_many(&written);
    }
    crate::ops::warnings::follow(state, &written).await;
    Ok(written.len())
}

/// [`publish_elements`] after a project changed: a failure is logged (the change stands; the
/// scheduled round writes the elements).
pub async fn publish_after_change(state: &AppState) {
    if let Err(e) = publish_elements(state).await {
        tracing::warn!(error = %e.detail(jixiao_core::text::Lang::En), "could not update the project data elements; the next scheduled round will");
    }
}
