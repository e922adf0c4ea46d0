//! The demo: loads the example district (embedded, so it works from any directory), publishes
//! its schemes, opens its periods, counts its data, and creates one account for every role.

use crate::auth::{hash_password, random_hex};
use crate::error::Error;
use crate::state::AppState;
use jixiao_core::doc::SourceText;
use jixiao_core::org::Org;
use jixiao_store::audit::Actor;
use jixiao_store::schemes::NewScheme;
use jixiao_store::users::NewUser;
use jixiao_store::values::{Content, Key};

const ORG: &str = include_str!("../../../examples/wolong/org.toml");
const SCHEME: &str = include_str!("../../../examples/wolong/scheme.toml");
const DATA: &[u8] = include_bytes!("../../../examples/wolong/data.csv");
const BUDGET: &str = include_str!("../../../examples/wolong/budget/scheme.toml");
const BUDGET_DATA: &[u8] = include_bytes!("../../../examples/wolong/budget/data.csv");
const EVAL: &str = include_str!("../../../examples/wolong/budget-eval/scheme.toml");
const RD: &str = include_str!("../../../examples/wolong/rd/scheme.toml");
const RD_DATA: &[u8] = include_bytes!("../../../examples/wolong/rd/data.csv");
const BREADY: &str = include_str!("../../../examples/wolong/bready/scheme.toml");
const FEEDS: &str = include_str!("../../../examples/wolong/feeds.toml");
/// The legal office's rule file and the year's enforcement cases (written by
/// `tools/gen-enforcement-demo.py`, with the violations it seeded in `expected.csv`).
pub const ENFORCEMENT_RULES: &str = include_str!("../../../examples/wolong/enforcement/rules.toml");
pub const ENFORCEMENT_CASES: &str = include_str!("../../../examples/wolong/enforcement/cases.csv");
const EVAL_DATA: &[u8] = include_bytes!("../../../examples/wolong/budget-eval/data.csv");
/// The office's results of the two years before jixiao (往期结果), as its tables hold them.
const EARLIER: [(&str, &[u8]); 2] = [
    (
        "2023",
        include_bytes!("../../../examples/wolong/earlier-2023.csv"),
    ),
    (
        "2024",
        include_bytes!("../../../examples/wolong/earlier-2024.csv"),
    ),
];

/// Values the demo leaves for the 七里园街道 reporter to enter (so the full cycle has
/// something to do): the fourth quarter's mediation and litigation figures (a litigation-loss
/// rate over 20% raises a red warning that the unit answers and rectifies).
pub const LEFT_FOR_REPORTER: &[(&str, &str, &str)] = &[
    ("QLY", "mediation_cases", "2025Q4"),
    ("QLY", "mediation_agreements", "2025Q4"),
    ("QLY", "lit_concluded", "2025Q4"),
    ("QLY", "lit_lost", "2025Q4"),
];

/// A demo account, printed once at start.
#[derive(Debug, Clone)]
pub struct Account {
    pub username: String,
    pub password: String,
    pub role: &'static str,
    pub unit: Option<&'static str>,
    pub what: &'static str,
}

/// username, display name, role, unit, items, what they do.
type Seed = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    &'static str,
);

const ACCOUNTS: &[Seed] = &[
    (
        "admin",
        "系统管理员",
        "admin",
        None,
        None,
        "users, keys / 用户与密钥",
    ),
    (
        "office",
        "考核办",
        "office",
        None,
        None,
        "schemes, periods, publication, appeals / 方案、期间、公示、申诉",
    ),
    (
        "finance",
        "财政局绩效科",
        "finance",
        None,
        None,
        "budget performance / 预算绩效",
    ),
    (
        "sfj_reviewer",
        "司法局审核员",
        "lead_reviewer",
        Some("SFJ"),
        None,
        "verifies rule-of-law data / 核验法治类数据",
    ),
    (
        "qly_reporter",
        "七里园街道填报员",
        "reporter",
        Some("QLY"),
        None,
        "reports 七里园街道 data / 填报",
    ),
    (
        "qly_leader",
        "七里园街道负责人",
        "unit_leader",
        Some("QLY"),
        None,
        "approves 七里园街道 data / 审核",
    ),
    (
        "evaluator",
        "第三方评价机构",
        "evaluator",
        Some("P2025-01"),
        Some("basis_rating,goal_rating,allocation_rating,management_rating,sustainability_rating"),
        "rates project P2025-01 / 项目评价",
    ),
    (
        "inspector",
        "蒲山镇交叉检查组",
        "inspector",
        Some("LHE"),
        Some("safety_inspection"),
        "蒲山镇's team in the safety cross-inspection / 异地交叉检查组",
    ),
    (
        "leader",
        "区领导",
        "leader",
        None,
        None,
        "reads everything / 只读",
    ),
];

fn err(e: impl std::fmt::Display) -> Error {
    Error::internal(&e)
}

/// Seeds an empty database with the demo district. Returns the accounts with their passwords,
/// or `None` when the database already holds an organisation (the demo never overwrites data).
pub async fn seed(state: &AppState) -> Result<Option<Vec<Account>>, Error> {
    if jixiao_store::org::district(&state.store).await?.is_some() {
        return Ok(None);
    }
    let actor = Actor::system("import");
    let mut org: Org = SourceText::new("org.toml", ORG).parse().map_err(err)?;
    // A dated change the organisation page and the report cards show: 茶庵村 became 茶庵社区
    // on 1 July 2025 (村改居). Q1 and Q2 are scored on the village, Q3 on on the community.
    let renamed = org
        .units
        .iter_mut()
        .find(|u| u.code.as_str() == "QLY-C03")
        .map(|u| {
            let now = u.clone();
            u.name = jixiao_core::text::Text::new("茶庵村", "Cha'an Village");
            u.level = jixiao_core::org::Level::Village;
            now
        });
    let mut tx = state.store.write().await?;
    jixiao_store::org::import(
        &mut tx,
        &actor,
        &org,
        "演示区初始化",
        None,
        jixiao_core::org::BEGINNING,
    )
    .await?;
    if let Some(now) = renamed {
        jixiao_store::org::update_unit(
            &mut tx,
            &actor,
            &now,
            1,
            "村改居：茶庵村撤村设居，更名茶庵社区",
            "2025-07-01",
        )
        .await?;
    }
    // Elements the evaluation schemes read from the budget projects: in the server they come
    // from the projects' amounts, approved targets and year-end monitoring (see
    // `budget_story`), never from the data files, which carry them for the command line.
    let mut from_projects: Vec<String> = Vec::new();
    // The special assessments (new R&D institutions, business environment) are yearly.
    for (content, reason) in [
        (SCHEME, "发布年度目标绩效考核方案"),
        (BUDGET, "发布项目支出绩效自评方案"),
        (EVAL, "发布第三方评价方案"),
        (RD, "发布新型研发机构绩效评价方案"),
        (BREADY, "发布法治化营商环境专项评价方案"),
    ] {
        let scheme: jixiao_core::scheme::Scheme = SourceText::new("scheme.toml", content)
            .parse()
            .map_err(err)?;
        // Elements counted from the enforcement cases likewise (see `enforcement_story`).
        from_projects.extend(
            scheme
                .elements
                .iter()
                .filter(|(_, e)| {
                    matches!(
                        e.source,
                        jixiao_core::scheme::Source::Project
                            | jixiao_core::scheme::Source::Enforcement
                    )
                })
                .map(|(code, _)| code.to_string()),
        );
        let kind = if scheme.kind == jixiao_core::scheme::SchemeKind::Budget {
            "budget"
        } else {
            "unit"
        };
        let row = jixiao_store::schemes::upload(
            &mut tx,
            &actor,
            NewScheme {
                code: scheme.id.as_str(),
                year: i64::from(scheme.year),
                kind,
                title_zh: &scheme.title.zh,
                title_en: &scheme.title.en,
                format: "toml",
                content,
                reason,
            },
        )
        .await?;
        jixiao_store::schemes::publish(&mut tx, &actor, &row.code, row.version, reason).await?;
        let yearly = content == RD || content == BREADY;
        let periods: &[&str] = if kind == "unit" && !yearly {
            &["2025Q1", "2025Q2", "2025Q3", "2025Q4", "2025"]
        } else {
            &["2025"]
        };
        for p in periods {
            jixiao_store::periods::create(&mut tx, &actor, &row.code, p, None, true).await?;
        }
    }
    let feeds: jixiao_core::feed::FeedFile =
        SourceText::new("feeds.toml", FEEDS).parse().map_err(err)?;
    for (code, def) in &feeds.feeds {
        let json = serde_json::to_string(def).map_err(err)?;
        jixiao_store::feeds::define(
            &mut tx,
            &actor,
            code.as_str(),
            &json,
            "演示数据接口 / demo feeds",
        )
        .await?;
    }
    for (name, bytes) in [
        ("data.csv", DATA),
        ("budget/data.csv", BUDGET_DATA),
        ("budget-eval/data.csv", EVAL_DATA),
        ("rd/data.csv", RD_DATA),
    ] {
        let data = jixiao_core::data::read_csv(name, bytes).map_err(err)?;
        for r in &data.records {
            if LEFT_FOR_REPORTER.iter().any(|(u, e, p)| {
                r.unit.as_str() == *u && r.item.as_str() == *e && r.period.to_string() == *p
            }) {
                continue;
            }
            if from_projects.iter().any(|x| **x == *r.item) {
                continue;
            }
            let period = r.period.to_string();
            // Values reported once serve every scheme; the budget schemes share some elements.
            if jixiao_store::values::get(&mut tx, &r.unit, &r.item, &period)
                .await?
                .is_some()
            {
                continue;
            }
            let value = r.value.normalize().to_string();
            jixiao_store::values::insert(
                &mut tx,
                &actor,
                Key {
                    unit: &r.unit,
                    element: &r.item,
                    period: &period,
                },
                Content {
                    value: &value,
                    note: r.note.as_deref().unwrap_or(""),
                    state: "counted",
                    return_reason: "",
                },
            )
            .await?;
        }
    }
    let mut accounts = Vec::new();
    for (username, display, role, unit, items, what) in ACCOUNTS {
        let password = random_hex(6);
        let hash = hash_password(&password)?;
        jixiao_store::users::create(
            &mut tx,
            &actor,
            NewUser {
                username,
                display_name: display,
                password_hash: &hash,
                role,
                unit_code: *unit,
                items: *items,
                must_change_password: true,
            },
        )
        .await?;
        accounts.push(Account {
            username: (*username).into(),
            password,
            role,
            unit: *unit,
            what,
        });
    }
    tx.commit().await.map_err(jixiao_store::StoreError::from)?;
    state.reload().await?;
    // The warnings the demo's data already cross are raised now, as they would have been when
    // the data came in (not lazily at the first change or the first scheduled round).
    crate::ops::warnings::follow_all(state).await?;
    follow_up_story(state).await?;
    earlier_years(state).await?;
    budget_story(state).await?;
    inspection_story(state).await?;
    survey_story(state).await?;
    enforcement_story(state).await?;
    Ok(Some(accounts))
}

/// A demo account as a caller of the operations.
async fn caller(state: &AppState, name: &str) -> Result<crate::ops::Caller, Error> {
    let row = jixiao_store::users::by_name(&state.store, name)
        .await?
        .ok_or_else(|| err(format!("demo user {name} missing")))?;
    let user = crate::auth::User::from_row(&row)
        .ok_or_else(|| err(format!("demo user {name} unusable")))?;
    Ok(crate::ops::Caller::person(user, "demo", String::new()))
}

/// Next year's budget projects at every gate: one supported with its targets approved, one
/// not supported (financing compliance below its veto line), one waiting for the expert's
/// scores, and a small one below the threshold still to declare its targets.
async fn budget_story(state: &AppState) -> Result<(), Error> {
    use crate::ops::projects::{self, Assign, Decide, NewProject, Review, Score, Targets};
    let finance = caller(state, "finance").await?;
    let expert = caller(state, "evaluator").await?;
    let declare = |code: &str,
                   name: &str,
                   dept: &str,
                   amount: &str,
                   source: &str,
                   kind: &str,
                   major: bool| NewProject {
        code: code.into(),
        name_zh: name.into(),
        name_en: String::new(),
        dept: dept.into(),
        year: 2026,
        amount: amount.into(),
        fund_source: source.into(),
        kind: kind.into(),
        major,
        classes: vec!["project_self".into()],
        funds: Vec::new(),
        reason: "2026年预算项目申报".into(),
    };
    let version = |d: &projects::Detail| d.item.project.version;
    let to_experts = |d: &projects::Detail| Assign {
        experts: vec!["evaluator".into()],
        version: version(d),
        reason: "组织事前绩效评估".into(),
    };
    let scores = |xs: [&str; 5], comment: &str| Score {
        scores: xs.iter().map(|x| (*x).to_owned()).collect(),
        comment: comment.into(),
    };
    // 1. 农村公路提质改造: supported, targets approved.
    let d = projects::create(
        state,
        &finance,
        &declare(
            "XM2026-01",
            "农村公路提质改造工程",
            "JTJ",
            "1200",
            "一般公共预算",
            "new",
            true,
        ),
    )
    .await?;
    let d = projects::assign(state, &finance, "XM2026-01", &to_experts(&d)).await?;
    projects::score(
        state,
        &expert,
        "XM2026-01",
        &scores(
            ["18", "16", "17", "16", "17"],
            "立项依据充分，建议细化分年度实施计划",
        ),
    )
    .await?;
    let d = projects::conclude(
        state,
        &finance,
        "XM2026-01",
        &Decide {
            version: version(&d),
            reason: "专家评审完成".into(),
        },
    )
    .await?;
    let t = |l1: &str, l2: &str, name: &str, dir: &str, value: &str, unit: &str| {
        jixiao_store::projects::TargetRow {
            level1: l1.into(),
            level2: l2.into(),
            name: name.into(),
            direction: dir.into(),
            value: value.into(),
            unit: unit.into(),
        }
    };
    let d = projects::declare_targets(
        state,
        &finance,
        "XM2026-01",
        &Targets {
            targets: vec![
                t(
                    "output",
                    "quantity",
                    "提质改造农村公路里程",
                    "at_least",
                    "42",
                    "公里",
                ),
                t(
                    "output",
                    "quality",
                    "工程验收合格率",
                    "at_least",
                    "100",
                    "%",
                ),
                t(
                    "output",
                    "timeliness",
                    "年底前完工率",
                    "at_least",
                    "95",
                    "%",
                ),
                t("output", "cost", "每公里改造成本", "at_most", "28", "万元"),
                t("benefit", "social", "受益行政村数", "at_least", "36", "个"),
                t(
                    "satisfaction",
                    "satisfaction",
                    "沿线群众满意度",
                    "at_least",
                    "90",
                    "%",
                ),
            ],
            version: version(&d),
            reason: "按事前评估意见申报绩效目标".into(),
        },
    )
    .await?;
    projects::review_targets(
        state,
        &finance,
        "XM2026-01",
        &Review {
            decision: "approve".into(),
            version: version(&d),
            reason: "目标明确、指标可衡量，予以批复".into(),
        },
    )
    .await?;
    // Its monitoring: behind at the end of June (yellow, with measures), on track in August,
    // spending behind again in September.
    for (date, spent, km, measures) in [
        (
            "2026-06-30",
            "420",
            "15",
            "7月起两个标段同时施工，加快征地拆迁进度",
        ),
        ("2026-08-31", "720", "27", ""),
        ("2026-09-30", "760", "38", "加快工程计量和进度款支付"),
    ] {
        projects::monitor(
            state,
            &finance,
            "XM2026-01",
            &crate::ops::projects::Progress {
                date: date.into(),
                spent: spent.into(),
                completed: vec![km.into()],
                note: "交通运输局报送".into(),
                measures: measures.into(),
            },
        )
        .await?;
    }
    // 2. 智慧城管平台二期: financing compliance below its line — not supported.
    let d = projects::create(
        state,
        &finance,
        &declare(
            "XM2026-02",
            "智慧城管平台二期",
            "CGJ",
            "650",
            "政府专项债券",
            "continuing",
            false,
        ),
    )
    .await?;
    let d = projects::assign(state, &finance, "XM2026-02", &to_experts(&d)).await?;
    projects::score(
        state,
        &expert,
        "XM2026-02",
        &scores(
            ["17", "15", "15", "14", "10"],
            "专项债券用于平台运维不符合债券资金使用范围",
        ),
    )
    .await?;
    projects::conclude(
        state,
        &finance,
        "XM2026-02",
        &Decide {
            version: version(&d),
            reason: "专家评审完成".into(),
        },
    )
    .await?;
    // 3. 乡村振兴示范村建设: with the expert, not yet scored.
    let d = projects::create(
        state,
        &finance,
        &declare(
            "XM2026-03",
            "乡村振兴示范村建设",
            "NYJ",
            "300",
            "一般公共预算",
            "new",
            false,
        ),
    )
    .await?;
    projects::assign(state, &finance, "XM2026-03", &to_experts(&d)).await?;
    // Last year's projects (before jixiao: recorded with their amounts and approved targets, and
    // their year-end monitoring), which the 2025 evaluations score: the amount, the approved
    // targets and the year-end spending reach the schemes from here, never retyped.
    type Last<'a> = (
        &'a str,
        &'a str,
        &'a str,
        &'a str,
        &'a [&'a str],
        [(&'a str, &'a str, &'a str); 4],
        (&'a str, &'a str, &'a str),
    );
    // code, name, department, amount, classes, targets (quantity, cost, economic, social: name,
    // value, unit), year-end (spent, quantity done, measures)
    let last: [Last; 5] = [
        (
            "P2025-01",
            "乡村振兴产业发展项目（潦河镇食用菌基地）",
            "NYJ",
            "1200",
            &["project_self", "project_eval"],
            [
                ("食用菌标准化大棚建设数量", "50", "座"),
                ("项目总成本", "1200", "万元"),
                ("带动农户增收", "400", "万元"),
                ("受益农户人数", "2000", "人"),
            ],
            ("1152", "48", ""),
        ),
        (
            "P2025-02",
            "老旧小区改造项目",
            "CGJ",
            "3500",
            &["project_self"],
            [
                ("改造老旧小区数量", "12", "个"),
                ("项目总成本", "3500", "万元"),
                ("带动相关消费", "5", "亿元"),
                ("受益居民人数", "4500", "人"),
            ],
            ("3080", "11", "剩余1个小区因管线迁改延期，2026年一季度完工"),
        ),
        (
            "P2025-03",
            "企业智能审批一体机建设项目",
            "SPJ",
            "600",
            &["project_self"],
            [
                ("智能审批一体机布设数量", "6", "台"),
                ("项目总成本", "600", "万元"),
                ("节省企业办事时间", "3", "万小时"),
                ("服务企业群众", "10000", "人次"),
            ],
            ("600", "6", ""),
        ),
        (
            "P2025-04",
            "农村公路养护项目",
            "JTJ",
            "900",
            &["project_self", "project_eval"],
            [
                ("养护农村公路里程", "120", "公里"),
                ("项目总成本", "900", "万元"),
                ("降低群众出行成本", "100", "万元"),
                ("沿线受益群众", "35000", "人"),
            ],
            (
                "666",
                "80",
                "汛期水毁路段抢修挤占工期，剩余40公里列入2026年养护计划",
            ),
        ),
        (
            "P2025-05",
            "新型研发机构扶持资金（合成生物研究院）",
            "KJJ",
            "2000",
            &["project_self"],
            [
                ("新立项研发项目数", "10", "项"),
                ("项目总成本", "2000", "万元"),
                ("转化科技成果", "8", "项"),
                ("引进培养研发人员", "150", "人"),
            ],
            ("1900", "9", "1个研发项目因设备到货延迟顺延至2026年"),
        ),
    ];
    let mut tx = state.store.write().await?;
    for (code, name, dept, amount, classes, targets, _) in &last {
        let classes: Vec<String> = classes.iter().map(|c| (*c).to_owned()).collect();
        let created = jixiao_store::projects::create(
            &mut tx,
            &finance.actor,
            jixiao_store::projects::New {
                code,
                name_zh: name,
                name_en: "",
                dept,
                year: 2025,
                amount,
                fund_source: "一般公共预算",
                kind: "continuing",
                major: false,
                exante_required: false,
                classes: &classes,
            },
            "启用系统前的2025年预算项目（按批复录入）",
        )
        .await?
        .ok_or_else(|| err(format!("demo project {code} exists")))?;
        let [q, c, e, so] = targets;
        jixiao_store::projects::set_targets(
            &mut tx,
            &finance.actor,
            code,
            &[
                t("output", "quantity", q.0, "at_least", q.1, q.2),
                t("output", "cost", c.0, "at_most", c.1, c.2),
                t("benefit", "economic", e.0, "at_least", e.1, e.2),
                t("benefit", "social", so.0, "at_least", so.1, so.2),
            ],
            "2025年批复的绩效目标（按批复文件录入）",
        )
        .await?;
        jixiao_store::projects::update(
            &mut tx,
            &finance.actor,
            code,
            created.version,
            jixiao_store::projects::Update {
                stage: "targets_approved",
                ..Default::default()
            },
            "project.targets_approve",
            "2025年绩效目标已于年初批复",
        )
        .await?;
    }
    tx.commit().await.map_err(jixiao_store::StoreError::from)?;
    for (code, _, _, _, _, _, (spent, done, measures)) in &last {
        projects::monitor(
            state,
            &finance,
            code,
            &crate::ops::projects::Progress {
                date: "2025-12-31".into(),
                spent: (*spent).into(),
                completed: vec![(*done).into()],
                note: "年末运行监控（按部门报表录入）".into(),
                measures: (*measures).into(),
            },
        )
        .await?;
    }
    // 4. 社区养老服务补贴: below the threshold, its targets still to declare.
    projects::create(
        state,
        &finance,
        &declare(
            "XM2026-04",
            "社区居家养老服务补贴",
            "MZJ",
            "80",
            "一般公共预算",
            "continuing",
            false,
        ),
    )
    .await?;
    // 5–8: one waiting for finance's review of its targets, one returned, one red at the
    // latest monitoring date (a rectification task for the department), one small one on track.
    let through_exante = |code: &'static str, xs: [&'static str; 5], comment: &'static str| {
        let (finance, expert) = (finance.clone(), expert.clone());
        async move {
            let d = projects::get(state, &finance, code).await?;
            let d = projects::assign(state, &finance, code, &to_experts(&d)).await?;
            projects::score(state, &expert, code, &scores(xs, comment)).await?;
            projects::conclude(
                state,
                &finance,
                code,
                &Decide {
                    version: version(&d),
                    reason: "专家评审完成".into(),
                },
            )
            .await
        }
    };
    let declared = |code: &'static str, targets: Vec<jixiao_store::projects::TargetRow>| {
        let finance = finance.clone();
        async move {
            let d = projects::get(state, &finance, code).await?;
            projects::declare_targets(
                state,
                &finance,
                code,
                &Targets {
                    targets,
                    version: version(&d),
                    reason: "申报绩效目标".into(),
                },
            )
            .await
        }
    };
    for (code, name, dept, amount, kind, major) in [
        (
            "XM2026-05",
            "城区雨污分流管网改造工程",
            "CGJ",
            "2400",
            "new",
            true,
        ),
        (
            "XM2026-06",
            "中小学智慧课堂建设",
            "JTY",
            "180",
            "new",
            false,
        ),
        (
            "XM2026-07",
            "农村饮水安全巩固提升工程",
            "NYJ",
            "450",
            "continuing",
            false,
        ),
        (
            "XM2026-08",
            "区级应急物资储备库建设",
            "YJJ",
            "95",
            "new",
            false,
        ),
    ] {
        let mut p = declare(code, name, dept, amount, "一般公共预算", kind, major);
        if code == "XM2026-05" {
            // Two years, two sources in the first.
            let fund = |year: i64, source: &str, amount: &str| jixiao_store::projects::FundRow {
                year,
                source: source.into(),
                amount: amount.into(),
            };
            p.funds = vec![
                fund(2026, "一般公共预算", "1400"),
                fund(2026, "政府专项债券", "1000"),
                fund(2027, "一般公共预算", "1600"),
            ];
        }
        projects::create(state, &finance, &p).await?;
    }
    through_exante(
        "XM2026-05",
        ["18", "17", "16", "17", "18"],
        "管网改造必要性充分，建议分片区实施",
    )
    .await?;
    declared(
        "XM2026-05",
        vec![
            t(
                "output",
                "quantity",
                "改造雨污分流管网长度",
                "at_least",
                "36",
                "公里",
            ),
            t(
                "output",
                "quality",
                "管网闭水试验合格率",
                "at_least",
                "100",
                "%",
            ),
            t("output", "cost", "每公里改造成本", "at_most", "66", "万元"),
            t(
                "benefit",
                "ecological",
                "城区污水收集率",
                "at_least",
                "95",
                "%",
            ),
            t(
                "satisfaction",
                "satisfaction",
                "沿线居民满意度",
                "at_least",
                "90",
                "%",
            ),
        ],
    )
    .await?;
    through_exante(
        "XM2026-06",
        ["15", "13", "12", "14", "16"],
        "绩效目标偏笼统，需补充可衡量的数量和满意度指标",
    )
    .await?;
    let d = declared(
        "XM2026-06",
        vec![
            t(
                "output",
                "quantity",
                "建设智慧教室数量",
                "at_least",
                "60",
                "间",
            ),
            t("benefit", "social", "教学质量提升", "at_least", "1", "项"),
        ],
    )
    .await?;
    projects::review_targets(
        state,
        &finance,
        "XM2026-06",
        &Review {
            decision: "return".into(),
            version: version(&d),
            reason: "效益指标不可衡量，缺少满意度指标；请按事前评估意见修改".into(),
        },
    )
    .await?;
    through_exante(
        "XM2026-07",
        ["17", "16", "16", "15", "17"],
        "民生必需，建议加快前期工作",
    )
    .await?;
    let d = declared(
        "XM2026-07",
        vec![
            t(
                "output",
                "quantity",
                "新建改造集中供水工程",
                "at_least",
                "15",
                "处",
            ),
            t("output", "quality", "水质达标率", "at_least", "95", "%"),
            t(
                "output",
                "cost",
                "每处工程平均造价",
                "at_most",
                "30",
                "万元",
            ),
            t(
                "benefit",
                "social",
                "受益农村人口",
                "at_least",
                "28000",
                "人",
            ),
            t(
                "satisfaction",
                "satisfaction",
                "受益群众满意度",
                "at_least",
                "90",
                "%",
            ),
        ],
    )
    .await?;
    projects::review_targets(
        state,
        &finance,
        "XM2026-07",
        &Review {
            decision: "approve".into(),
            version: version(&d),
            reason: "予以批复".into(),
        },
    )
    .await?;
    for (date, spent, done, measures) in [
        (
            "2026-06-30",
            "60",
            "2",
            "招标延期，7月完成施工招标，8月全面开工",
        ),
        (
            "2026-09-30",
            "150",
            "5",
            "增加施工队伍，实行周调度；未开工的4处调整至2027年实施并申请调减预算",
        ),
    ] {
        projects::monitor(
            state,
            &finance,
            "XM2026-07",
            &crate::ops::projects::Progress {
                date: date.into(),
                spent: spent.into(),
                completed: vec![done.into()],
                note: "农业农村局报送".into(),
                measures: measures.into(),
            },
        )
        .await?;
    }
    let d = declared(
        "XM2026-08",
        vec![
            t(
                "output",
                "quantity",
                "新增储备物资品类",
                "at_least",
                "40",
                "类",
            ),
            t(
                "output",
                "timeliness",
                "年底前建成投用",
                "at_least",
                "1",
                "处",
            ),
            t(
                "benefit",
                "social",
                "可保障应急转移人数",
                "at_least",
                "5000",
                "人",
            ),
        ],
    )
    .await?;
    projects::review_targets(
        state,
        &finance,
        "XM2026-08",
        &Review {
            decision: "approve".into(),
            version: version(&d),
            reason: "予以批复".into(),
        },
    )
    .await?;
    projects::monitor(
        state,
        &finance,
        "XM2026-08",
        &crate::ops::projects::Progress {
            date: "2026-09-30".into(),
            spent: "70".into(),
            completed: vec!["31".into()],
            note: "应急管理局报送".into(),
            measures: String::new(),
        },
    )
    .await?;
    // Finance reviews last year's table and publishes it: road maintenance is a statutory
    // expense, kept at its amount whatever the cut the rules suggest.
    let q = crate::ops::applied::AppliedQuery {
        kind: Some(crate::live::Kind::Provisional),
        publication: None,
    };
    let table =
        crate::ops::adjustment::table(state, &finance, "wolong-budget-self-2025", "2025", &q)
            .await?;
    let decisions = table
        .lines
        .iter()
        .filter(|l| l.project == "P2025-04")
        .filter_map(|l| l.amount.clone())
        .map(|amount| crate::ops::adjustment::Decision {
            project: "P2025-04".into(),
            amount,
            reason: "农村公路养护属法定支出，保持原规模，通过整改提高执行率".into(),
        })
        .collect();
    crate::ops::adjustment::publish(
        state,
        &finance,
        "wolong-budget-self-2025",
        "2025",
        &crate::ops::adjustment::Publish {
            publication: None,
            kind: Some(crate::live::Kind::Provisional),
            decisions,
            reason: "2026年预算编制：按2025年度项目支出绩效自评结果调整".into(),
        },
    )
    .await?;
    Ok(())
}

/// The cross-inspection checklist (100 points in all).
const CHECKLIST: [(&str, &str, &str); 5] = [
    ("duty", "安全生产责任落实", "20"),
    ("ledger", "隐患排查治理台账", "20"),
    ("sites", "重点企业和场所现场检查", "30"),
    ("plans", "应急预案与演练", "15"),
    ("training", "安全教育培训", "15"),
];

/// The fourth quarter's safety cross-inspection: a team from each sub-district and town (蒲山镇's
/// with the demo inspector), the assignment generated by the rules, no score recorded yet.
async fn inspection_story(state: &AppState) -> Result<(), Error> {
    use crate::ops::inspections::{self, Generate, NewRound};
    let office = caller(state, "office").await?;
    let teams = [
        ("QLY", "七里园街道"),
        ("MXI", "梅溪街道"),
        ("WLG", "卧龙岗街道"),
        ("WHO", "武侯街道"),
        ("JGA", "靳岗街道"),
        ("LHE", "潦河镇"),
        ("PSH", "蒲山镇"),
        ("SQI", "石桥镇"),
    ]
    .iter()
    .map(|(home, name)| jixiao_store::inspections::TeamRow {
        code: format!("JC-{home}"),
        name: format!("{name}检查组"),
        home: (*home).to_owned(),
        members: if *home == "PSH" {
            vec!["inspector".to_owned()]
        } else {
            Vec::new()
        },
    })
    .collect();
    let d = inspections::create(
        state,
        &office,
        &NewRound {
            period: "2025Q4".into(),
            title: "2025年第四季度安全生产异地交叉检查".into(),
            element: "safety_inspection".into(),
            units: Vec::new(),
            teams,
            checklist: CHECKLIST
                .iter()
                .map(
                    |(code, name, points)| jixiao_store::inspections::ChecklistItem {
                        code: (*code).to_owned(),
                        name: (*name).to_owned(),
                        points: (*points).to_owned(),
                    },
                )
                .collect(),
            rules: None,
            reason: "区安委办季度交叉检查安排".into(),
        },
    )
    .await?;
    inspections::generate(
        state,
        &office,
        d.round.id,
        &Generate {
            seed: Some(2026),
            version: d.round.version,
            reason: "按规则生成检查安排".into(),
        },
    )
    .await?;
    // The office enters five teams' sheets (七里园街道, 蒲山镇's team's, is left to the demo
    // inspector's phone).
    let items = |scores: [&str; 5]| {
        CHECKLIST
            .iter()
            .zip(scores)
            .map(|((code, _, _), s)| inspections::ItemEntry {
                item: (*code).to_owned(),
                score: s.to_owned(),
            })
            .collect::<Vec<_>>()
    };
    for (unit, scores, note) in [
        ("PSH", ["18", "16", "25", "14", "13.5"], ""),
        ("MXI", ["17", "15", "22.5", "12", "14"], ""),
        ("WHO", ["19", "18", "21", "13", "12"], "燃气管网隐患1处"),
        ("JGA", ["20", "19", "28", "15", "14"], ""),
        ("SQI", ["16", "14", "24", "11", "12.5"], ""),
    ] {
        inspections::score(
            state,
            &office,
            d.round.id,
            &inspections::Score {
                unit: unit.into(),
                score: String::new(),
                items: items(scores),
                note: note.into(),
            },
        )
        .await?;
    }
    let day = |d: i64| crate::ops::warnings::day_after(time::OffsetDateTime::now_utc(), d);
    let hazard = |unit: &str,
                  location: &str,
                  category: &str,
                  severity: &str,
                  description: &str,
                  days: i64| {
        inspections::NewHazard {
            unit: unit.into(),
            location: location.into(),
            category: category.into(),
            severity: severity.into(),
            description: description.into(),
            measures: String::new(),
            deadline: day(days),
        }
    };
    // 蒲山镇's team (the demo inspector) found a major hazard at 七里园街道.
    let inspector = caller(state, "inspector").await?;
    let fixed = inspections::hazard(
        state,
        &inspector,
        d.round.id,
        &hazard(
            "QLY",
            "七里园农贸市场东区",
            "fire",
            "major",
            "自动喷水灭火系统末端试水装置压力不足，消防水泵处于手动状态",
            15,
        ),
    )
    .await?;
    inspections::hazard(
        state,
        &office,
        d.round.id,
        &hazard(
            "WHO",
            "武侯街道老街餐饮集中区",
            "gas",
            "major",
            "液化石油气钢瓶与灶具间距不足，未安装可燃气体报警装置",
            20,
        ),
    )
    .await?;
    inspections::hazard(
        state,
        &office,
        d.round.id,
        &hazard(
            "MXI",
            "梅溪街道建材市场仓库",
            "fire",
            "general",
            "仓库内电线私拉乱接，消防通道堆放杂物",
            10,
        ),
    )
    .await?;
    // 七里园街道 fixes its major hazard and the office verifies it on site: the rate moves.
    let reporter = caller(state, "qly_reporter").await?;
    let mut t = crate::ops::rectifications::get(state, &office, fixed.hazard.task_id)
        .await?
        .item
        .task;
    for (who, action, text) in [
        (&reporter, "start", ""),
        (
            &reporter,
            "submit",
            "已更换末端试水装置，消防水泵恢复自动状态，维保单位出具检测报告",
        ),
        (&office, "verify", "现场复查合格，予以销号"),
    ] {
        t = crate::ops::rectifications::act(
            state,
            who,
            t.id,
            crate::ops::rectifications::Move {
                action: action.into(),
                version: t.version,
                text: text.into(),
            },
        )
        .await?
        .item
        .task;
    }
    Ok(())
}

/// The fourth quarter's satisfaction survey of 七里园街道's five communities: answers by code and
/// by the open link; 金华社区 (QLY-C05) stops one answer short of the minimum sample (30), so the next
/// citizen who answers by its QR code brings its satisfaction into the data.
/// The legal office's rules and the year's enforcement cases of the departments and streets,
/// imported from the case file; the legal office has confirmed three flags (one with a
/// rectification task) and dismissed one with its reason; the rest wait for review.
async fn enforcement_story(state: &AppState) -> Result<(), Error> {
    use crate::ops::enforcement::{self, Decision, NewRules};
    let office = caller(state, "office").await?;
    enforcement::set_rules(
        state,
        &office,
        NewRules {
            toml: ENFORCEMENT_RULES.into(),
            reason: "司法局发布行政执法案件合法性审查规则".into(),
        },
    )
    .await?;
    let sfj = caller(state, "sfj_reviewer").await?;
    let (cases, places) =
        enforcement::read_cases("cases.csv", ENFORCEMENT_CASES.as_bytes()).map_err(err)?;
    enforcement::record(
        state,
        &sfj,
        &cases,
        &places,
        "import",
        "导入2025年度行政执法案件（案件管理系统导出）",
    )
    .await?
    .map_err(err)?;
    let flags = jixiao_store::enforcement::flags(&state.store).await?;
    let first = |rule: &str, nth: usize| flags.iter().filter(|f| f.rule == rule).nth(nth).cloned();
    let decisions = [
        (
            first("time_limit", 0),
            "confirmed",
            "经核查案卷，未见延长办案期限的审批材料，超期属实",
            Some("2027-01-31"),
        ),
        (
            first("certificates", 0),
            "confirmed",
            "执法证件已过有效期仍参与办案，属实",
            None,
        ),
        (
            first("simple_procedure", 0),
            "confirmed",
            "当场处罚金额超过简易程序上限，属实",
            None,
        ),
        (
            first("discretion", 0),
            "dismissed",
            "当事人有主动消除违法后果情节，经集体讨论在从轻档次外适用，理由已记录在案卷",
            None,
        ),
    ];
    for (f, to, reason, by) in decisions {
        let Some(f) = f else { continue };
        enforcement::decide(
            state,
            &sfj,
            f.id,
            Decision {
                state: to.into(),
                reason: reason.into(),
                version: f.version,
                rectify_by: by.map(str::to_owned),
            },
        )
        .await?;
    }
    Ok(())
}

async fn survey_story(state: &AppState) -> Result<(), Error> {
    use crate::ops::surveys::{self, Answer, IssueCodes, New, Origin};
    use jixiao_store::surveys::Question;
    let office = caller(state, "office").await?;
    let q = |code: &str, text: &str, scale: &str| Question {
        code: code.into(),
        text: text.into(),
        scale: scale.into(),
    };
    let units: Vec<String> = (1..=5).map(|i| format!("QLY-C0{i}")).collect();
    let d = surveys::create(
        state,
        &office,
        &New {
            title: "2025年第四季度七里园街道群众满意度调查".into(),
            period: "2025Q4".into(),
            element: "satisfaction".into(),
            sample_element: "satisfaction_sample".into(),
            units: units.clone(),
            questions: vec![
                q("service", "您对本社区为民服务工作是否满意？", "three"),
                q("environment", "您对本社区人居环境整治是否满意？", "three"),
                q("safety", "请为本社区治安和安全状况打分（5 分最好）", "five"),
            ],
            min_sample: Some(30),
            open_link: Some(true),
            per_address_daily: None,
            reason: "季度群众满意度测评".into(),
        },
    )
    .await?;
    let id = d.survey.id;
    // (unit, answers by code, by link, the answers' pattern)
    let plan: [(&str, usize, usize, [i64; 5]); 5] = [
        ("QLY-C01", 30, 10, [1, 1, 2, 1, 3]),
        ("QLY-C02", 12, 24, [1, 2, 2, 1, 1]),
        ("QLY-C03", 20, 11, [2, 1, 3, 2, 1]),
        ("QLY-C04", 8, 4, [1, 1, 1, 2, 1]),
        ("QLY-C05", 15, 14, [2, 2, 1, 3, 1]),
    ];
    let comments = [
        "社区网格员上门服务很及时",
        "希望增加老年人助餐点",
        "小区路灯坏了两个月还没修",
        "",
        "",
        "",
        "",
    ];
    let mut n = 0usize;
    for (unit, by_code, by_link, pattern) in plan {
        let codes = surveys::codes(
            state,
            &office,
            id,
            &IssueCodes {
                unit: unit.into(),
                count: i64::try_from(by_code + 10).unwrap_or(10),
                reason: "入户发放答卷码".into(),
            },
        )
        .await?;
        for i in 0..by_code + by_link {
            n += 1;
            let pick = |k: usize| pattern[(i + k) % pattern.len()];
            let choices = [
                ("service".to_owned(), pick(0).min(3)),
                ("environment".to_owned(), pick(1).min(3)),
                ("safety".to_owned(), pick(2)),
            ]
            .into_iter()
            .collect();
            let device = format!("demo-device-{n:08}-{unit}");
            let address = format!("10.20.{}.{}", n / 200, n % 200);
            surveys::answer(
                state,
                id,
                unit,
                &Answer {
                    code: if i < by_code {
                        codes[i].clone()
                    } else {
                        String::new()
                    },
                    choices,
                    comment: comments[n % comments.len()].into(),
                },
                &Origin {
                    device: Some(&device),
                    address: &address,
                },
            )
            .await?;
        }
    }
    surveys::publish(state, id).await?;
    Ok(())
}

/// The office records 2023 and 2024 from its tables, so 2025's rules on consecutive results
/// (集体记功 for 优秀 three years running, 约谈 for 不合格 two years running) have them.
async fn earlier_years(state: &AppState) -> Result<(), Error> {
    let row = jixiao_store::users::by_name(&state.store, "office")
        .await?
        .ok_or_else(|| err("demo user office missing".to_owned()))?;
    let user = crate::auth::User::from_row(&row)
        .ok_or_else(|| err("demo user office unusable".to_owned()))?;
    let office = crate::ops::Caller::person(user, "demo", String::new());
    let refused = |i: jixiao_core::issue::Issues| {
        err(i
            .iter()
            .map(|x| x.render(jixiao_core::text::Lang::En))
            .collect::<Vec<_>>()
            .join("; "))
    };
    for (period, bytes) in EARLIER {
        let name = format!("earlier-{period}.csv");
        let (rows, upload) = crate::ops::earlier::read_upload(&name, bytes).map_err(refused)?;
        let body = crate::ops::earlier::RecordBody {
            period: period.to_owned(),
            reason: "启用系统前的年度考核结果，按原台账录入".to_owned(),
            rows,
        };
        crate::ops::earlier::record(state, &office, "wolong-2025", &body, Some(&upload))
            .await?
            .map_err(refused)?;
    }
    Ok(())
}

/// The demo's follow-up in progress, so every page has something true to show: 七里园街道
/// answered its yellow mediation warning of 2025Q2; the office has rectification tasks from a
/// safety inspection (one verified on time, one submitted, one overdue) and the 司法局 one from
/// an evaluation finding. Deadlines are counted from today.
async fn follow_up_story(state: &AppState) -> Result<(), Error> {
    use crate::ops::{Caller, rectifications, warnings};
    let as_user = |name: &'static str| async move {
        let row = jixiao_store::users::by_name(&state.store, name)
            .await?
            .ok_or_else(|| err(format!("demo user {name} missing")))?;
        let user = crate::auth::User::from_row(&row)
            .ok_or_else(|| err(format!("demo user {name} unusable")))?;
        Ok::<_, Error>(Caller::person(user, "demo", String::new()))
    };
    let office = as_user("office").await?;
    let reporter = as_user("qly_reporter").await?;
    let sfj = as_user("sfj_reviewer").await?;
    let now = time::OffsetDateTime::now_utc();
    let day = |d: i64| warnings::day_after(now, d);

    let mine = warnings::list(
        state,
        &reporter,
        &warnings::Filter {
            unit: Some("QLY".into()),
            period: Some("2025Q2".into()),
            ..warnings::Filter::default()
        },
    )
    .await?;
    if let Some(w) = mine.first() {
        warnings::answer(
            state,
            &reporter,
            w.warning.id,
            warnings::Answer {
                version: w.warning.version,
                cause: "二季度辖区征地拆迁纠纷集中，部分调解需走司法确认程序，尚未结案".into(),
                measures: "每周召开矛盾纠纷联调会；对未结案件逐件明确包案领导，三季度前完成".into(),
                deadline: None,
                person: Some("王晓燕（综治办）".into()),
            },
        )
        .await?;
    }

    let task = |unit: &str,
                source: &str,
                problem: &str,
                measures: &str,
                deadline: String,
                verifier: &str| {
        rectifications::NewTask {
            source: Some(source.into()),
            source_id: None,
            unit: unit.into(),
            period: "2025Q4".into(),
            problem: problem.into(),
            measures: measures.into(),
            deadline,
            verifier: Some(verifier.into()),
            person: String::new(),
        }
    };
    let step = |version: i64, action: &'static str, text: &'static str| rectifications::Move {
        action: action.into(),
        version,
        text: text.into(),
    };
    // Verified on time.
    let done = rectifications::create(
        state,
        &office,
        task(
            "QLY",
            "inspection",
            "辖区农贸市场消防通道被占用，灭火器过期 6 具",
            "清理通道，更换灭火器，建立每周巡查台账",
            day(20),
            "office",
        ),
    )
    .await?;
    let mut t = done.item.task;
    for (who, action, text) in [
        (&reporter, "start", ""),
        (
            &reporter,
            "submit",
            "通道已清理，灭火器已更换，巡查台账已建立",
        ),
        (&office, "verify", "现场复查合格"),
    ] {
        t = rectifications::act(state, who, t.id, step(t.version, action, text))
            .await?
            .item
            .task;
    }
    // Submitted, waiting for the office.
    let sub = rectifications::create(
        state,
        &office,
        task(
            "QLY",
            "inspection",
            "老旧小区电动车楼道充电，飞线 3 处",
            "拆除飞线，增设集中充电桩",
            day(10),
            "office",
        ),
    )
    .await?;
    let mut t = sub.item.task;
    for (action, text) in [
        ("start", ""),
        ("submit", "已拆除飞线，集中充电桩已安装 2 处"),
    ] {
        let mut m = step(t.id, action, text);
        m.version = t.version;
        t = rectifications::act(state, &reporter, t.id, m)
            .await?
            .item
            .task;
    }
    // Open past its deadline: overdue.
    rectifications::create(
        state,
        &office,
        task(
            "MXI",
            "inspection",
            "辖区小作坊无证经营，安全出口上锁",
            "责令整改并开展联合执法复查",
            day(-5),
            "office",
        ),
    )
    .await?;
    // An evaluation finding the 司法局 verifies.
    rectifications::create(
        state,
        &sfj,
        task(
            "LHE",
            "evaluation",
            "行政执法案卷评查发现 2 件案卷未附法制审核意见",
            "补齐法制审核意见，完善重大执法决定法制审核流程",
            day(25),
            "SFJ",
        ),
    )
    .await?;
    Ok(())
}
