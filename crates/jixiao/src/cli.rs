//! The command line.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "jixiao",
    version,
    about = "绩效 jixiao — 县区绩效考核：方案校验、计分、排名、解释与模拟\nPerformance assessment for county-level governments: check, score, rank, explain, what-if.",
    after_help = "退出码 exit codes: 0 成功 ok · 1 输入有误 invalid input (errors on stderr) · 2 用法错误 usage"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// 校验方案、组织和数据文件 · Check a scheme, organisation and data file
    Check(CheckArgs),
    /// 计分、排名、定等次 · Score, rank and grade every unit for a period
    Score(ScoreArgs),
    /// 解释一个单位的得分 · Explain a unit's score, or one indicator's
    Explain(ExplainArgs),
    /// 模拟调整分值、目标或系数 · Re-score with changed points, targets or coefficients
    Whatif(WhatifArgs),
    /// 启动服务 · Run the server (SQLite by default, or PostgreSQL)
    Serve(ServeArgs),
    /// 演示：载入演示区、为每个角色建账号并启动服务 · Load the demo district, create an account per role, serve
    Demo(DemoArgs),
    /// 审计日志 · The audit log
    #[command(subcommand)]
    Audit(AuditCommand),
    /// 批量导入数据（CSV、Excel、JSON）· Import values from a CSV, Excel or JSON file
    Import(ImportArgs),
    /// 在线备份 SQLite 数据库 · Back up the SQLite database while it runs
    Backup(BackupArgs),
    /// 从备份恢复 SQLite 数据库（须先停止服务）· Restore the SQLite database from a backup (server stopped)
    Restore(RestoreArgs),
}

#[derive(Debug, Args)]
pub struct ServerOptions {
    /// 配置文件（默认 jixiao.toml）· configuration file (default jixiao.toml)
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// 数据库（覆盖配置）· database URL (overrides the configuration)
    #[arg(long, value_name = "URL")]
    pub database: Option<String>,
    /// 监听地址（覆盖配置）· address to listen on (overrides the configuration)
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub server: ServerOptions,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    #[command(flatten)]
    pub server: ServerOptions,
    /// 保留上次的演示数据库（默认每次重新创建）· keep the previous demo database (by default it is made afresh)
    #[arg(long)]
    pub keep: bool,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// 校验审计日志的哈希链 · Check the audit log's hash chain
    Verify(AuditArgs),
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(flatten)]
    pub server: ServerOptions,
    /// 核对此前打印或公布的锚点（序号:哈希）· check an anchor printed or published earlier (SEQ:HASH)
    #[arg(long, value_name = "SEQ:HASH")]
    pub anchor: Option<String>,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(flatten)]
    pub server: ServerOptions,
    /// 要导入的文件 · the file to import
    pub file: PathBuf,
    /// 以哪个账号导入（其权限范围和审计记录）· the account to import as (its scope; the audit names it)
    #[arg(long = "as", value_name = "USER")]
    pub user: String,
    /// 只检查，不写入 · check only, write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// 只导入没有问题的行（默认全部成功才导入）· import the good rows (default: all or nothing)
    #[arg(long)]
    pub valid_rows: bool,
    /// 按单位一行、数据项一列的表没有期间列时的期间 · the period of a wide sheet without a period column
    #[arg(long)]
    pub period: Option<String>,
    /// 直接计入（不经审核），须写原因；仅考核办 · count the values at once, with this reason (the office only)
    #[arg(long, value_name = "REASON")]
    pub counted: Option<String>,
    /// 以 JSON 输出报告 · print the report as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    #[command(flatten)]
    pub server: ServerOptions,
    /// 备份文件 · the backup file to write
    #[arg(long, value_name = "FILE")]
    pub to: PathBuf,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    #[command(flatten)]
    pub server: ServerOptions,
    /// 备份文件 · the backup file to restore
    #[arg(long, value_name = "FILE")]
    pub from: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LangArg {
    Zh,
    En,
}

impl From<LangArg> for jixiao_core::text::Lang {
    fn from(l: LangArg) -> Self {
        match l {
            LangArg::Zh => jixiao_core::text::Lang::Zh,
            LangArg::En => jixiao_core::text::Lang::En,
        }
    }
}

/// Where the inputs are: a directory holding scheme.toml, org.toml and data.csv, or each file.
#[derive(Debug, Args)]
pub struct Inputs {
    /// 目录：含 scheme.toml、org.toml、data.csv · a directory with scheme.toml, org.toml, data.csv
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// 考核方案（TOML 或 JSON）· the assessment scheme (TOML or JSON)
    #[arg(long, value_name = "FILE")]
    pub scheme: Option<PathBuf>,
    /// 组织文件 · the organisation file
    #[arg(long, value_name = "FILE")]
    pub org: Option<PathBuf>,
    /// 数据文件（CSV）· the data file (CSV)
    #[arg(long, value_name = "FILE")]
    pub data: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub inputs: Inputs,
    /// 输出格式 · output format
    #[arg(long, value_enum, default_value = "text")]
    pub format: CheckFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScoreFormat {
    Table,
    Json,
    Csv,
    Xlsx,
}

#[derive(Debug, Args)]
pub struct ScoreArgs {
    #[command(flatten)]
    pub inputs: Inputs,
    /// 考核期间，如 2025、2025H1、2025Q2 · the period, e.g. 2025, 2025H1, 2025Q2
    #[arg(long)]
    pub period: String,
    /// 只输出一个类别 · only this class
    #[arg(long)]
    pub class: Option<String>,
    /// 输出格式 · output format
    #[arg(long, value_enum, default_value = "table")]
    pub format: ScoreFormat,
    /// 往期结果（`jixiao score --format json` 的输出），由近及远，可重复；供“连续”结果运用规则使用 · earlier results (outputs of `jixiao score --format json`), newest first, repeatable; read by consecutive application rules
    #[arg(long = "previous", value_name = "FILE")]
    pub previous: Vec<PathBuf>,
    /// 输出文件（xlsx 必填；其他格式默认输出到屏幕）· output file (required for xlsx)
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// 语言 · language
    #[arg(long, value_enum, default_value = "zh")]
    pub lang: LangArg,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    #[command(flatten)]
    pub inputs: Inputs,
    #[arg(long)]
    pub period: String,
    /// 单位代码或名称 · unit code or name
    #[arg(long)]
    pub unit: String,
    /// 指标代码或名称；省略则解释总分、名次和等次 · indicator code or name; omit to explain the total, rank and grade
    #[arg(long)]
    pub indicator: Option<String>,
    #[arg(long, value_enum, default_value = "zh")]
    pub lang: LangArg,
    /// 以 JSON 输出 · print JSON instead of text
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct WhatifArgs {
    #[command(flatten)]
    pub inputs: Inputs,
    #[arg(long)]
    pub period: String,
    /// 分值：[类别/]代码=分值 · points: [class/]code=points
    #[arg(long = "points", value_name = "[CLASS/]CODE=N")]
    pub points: Vec<String>,
    /// 权重：[类别/]代码=百分比 · weight: [class/]code=percent
    #[arg(long = "weight", value_name = "[CLASS/]CODE=N")]
    pub weight: Vec<String>,
    /// 目标值：[类别/]指标=目标 · target: [class/]indicator=target
    #[arg(long = "target", value_name = "[CLASS/]CODE=N")]
    pub target: Vec<String>,
    /// 弹性系数：单位/指标或模块=系数 · coefficient: unit/indicator-or-module=k
    #[arg(long = "coef", value_name = "UNIT/CODE=K")]
    pub coef: Vec<String>,
    /// 结果运用：应用代码/等次、规则序号或 otherwise=系数，如 bonus/good=0.9 · results applied: application/grade, rule number or otherwise=value, e.g. bonus/good=0.9
    #[arg(long = "outcome", value_name = "APP/RULE=V")]
    pub outcome: Vec<String>,
    #[arg(long, value_enum, default_value = "zh")]
    pub lang: LangArg,
    /// 以 JSON 输出 · print JSON instead of a table
    #[arg(long)]
    pub json: bool,
}
