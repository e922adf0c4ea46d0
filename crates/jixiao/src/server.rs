//! The server commands: serve, demo, audit verify, backup, restore.

use crate::cli::{
    AuditArgs, BackupArgs, DemoArgs, ImportArgs, RestoreArgs, ServeArgs, ServerOptions,
};
use crate::commands::{Failure, usage};
use jixiao_core::issue::{Issue, Issues, Location};
use jixiao_core::text::Text;
use jixiao_server::config::Config;

type Outcome = Result<(), Failure>;

fn config(o: &ServerOptions) -> Result<Config, Failure> {
    let mut c = Config::load(o.config.as_deref()).map_err(|e| {
        usage(
            format!("配置有误：{e}"),
            format!("configuration error: {e}"),
        )
    })?;
    if let Some(d) = &o.database {
        c.database_url = d.clone();
    }
    if let Some(l) = &o.listen {
        c.listen = l.clone();
    }
    Ok(c)
}

fn failed(what: &str, e: impl std::fmt::Display) -> Failure {
    Failure::Invalid(Issues(vec![Issue::error(
        "server",
        what,
        Location::File,
        Text::new(format!("{what}失败：{e}"), format!("{what} failed: {e}")),
    )]))
}

fn logging(c: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("JIXIAO_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let _ = if c.log_json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| failed("runtime", e))
}

pub fn serve(a: ServeArgs) -> Outcome {
    let c = config(&a.server)?;
    logging(&c);
    runtime()?.block_on(async {
        let state = jixiao_server::open(c)
            .await
            .map_err(|e| failed("数据库 database", e))?;
        jixiao_server::serve(state)
            .await
            .map_err(|e| failed("服务 serve", e))
    })
}

pub fn demo(a: DemoArgs) -> Outcome {
    let mut c = config(&a.server)?;
    if a.server.database.is_none() && std::env::var_os("JIXIAO_DATABASE_URL").is_none() {
        c.database_url = "sqlite://jixiao-demo.db".into();
        if !a.keep {
            // The seal belongs to the database it sealed: a fresh demo gets a fresh one.
            for f in [
                "jixiao-demo.db",
                "jixiao-demo.db-wal",
                "jixiao-demo.db-shm",
                "jixiao-demo.db.seal",
            ] {
                let _ = std::fs::remove_file(f);
            }
        }
    }
    logging(&c);
    let listen = c.listen.clone();
    runtime()?.block_on(async {
        let state = jixiao_server::open(c).await.map_err(|e| failed("数据库 database", e))?;
        match jixiao_server::demo::seed(&state).await.map_err(|e| failed("演示数据 demo data", format!("{e:?}")))? {
            Some(accounts) => {
                println!("演示区已载入：卧龙区（16个区直部门、8个街道乡镇、40个村和社区、5个预算项目、4个新型研发机构），方案已发布，2025年四个季度的数据已计分。");
                println!("The demo district is loaded: schemes published, four quarters of 2025 counted.\n");
                println!("账号（首次登录须修改密码）· accounts (each must change its password at first sign-in):");
                for acc in &accounts {
                    println!("  {:<14} {:<14} {:<14} {:<9} {}", acc.username, acc.password, acc.role, acc.unit.unwrap_or("-"), acc.what);
                }
                println!("\n七里园街道2025年第四季度的调解数据留给 qly_reporter 填报 · 七里园街道's 2025Q4 mediation figures are left for qly_reporter to report.");
            }
            None => println!("沿用已有的演示数据库（账号密码在创建时已打印）· reusing the existing demo database (passwords were printed when it was created)"),
        }
        println!("\n网页 web: http://{listen}/   API: http://{listen}/api/v1   文档 docs: http://{listen}/api/v1/docs   Ctrl-C 停止 to stop\n");
        jixiao_server::serve(state).await.map_err(|e| failed("服务 serve", e))
    })
}

/// The store at the configured database with its audit seal, if the seal file exists (a
/// check never makes one).
async fn sealed_store(c: &Config) -> Result<jixiao_store::Store, Failure> {
    let mut store = jixiao_store::Store::connect(&c.database_url)
        .await
        .map_err(|e| failed("数据库 database", e))?;
    if let Some(path) = c.seal_path()
        && let Some(seal) =
            jixiao_store::audit::Seal::load(&path).map_err(|e| failed("审计封印 audit seal", e))?
    {
        store = store.with_seal(seal);
    }
    Ok(store)
}

fn broken(at: i64, p: &str) -> Failure {
    Failure::Invalid(Issues(vec![Issue::error(
        "audit_broken",
        "audit_log",
        Location::Cell {
            row: at as usize,
            column: None,
        },
        Text::new(
            format!("审计日志第{at}条起被篡改、删除或调换：{p}"),
            format!("the audit log is broken at entry {at}: {p}"),
        ),
    )]))
}

pub fn audit_verify(a: AuditArgs) -> Outcome {
    let c = config(&a.server)?;
    // Checking a file that is not there must not make an empty database and call it intact.
    if let Some(path) = sqlite_path(&c.database_url).filter(|p| !p.exists()) {
        return Err(usage(
            format!("没有数据库文件“{}”", path.display()),
            format!("there is no database file `{}`", path.display()),
        ));
    }
    let anchor = match &a.anchor {
        None => None,
        Some(text) => Some(
            text.split_once(':')
                .and_then(|(seq, hash)| {
                    Some((seq.trim().parse::<i64>().ok()?, hash.trim().to_owned()))
                })
                .ok_or_else(|| {
                    usage(
                        format!("锚点“{text}”应为“序号:哈希”"),
                        format!("the anchor `{text}` should be SEQ:HASH"),
                    )
                })?,
        ),
    };
    runtime()?.block_on(async {
        let store = sealed_store(&c).await?;
        let v = jixiao_store::audit::verify(&store).await.map_err(|e| failed("校验 verify", e))?;
        if let (Some(at), Some(p)) = (v.broken_at, &v.problem) {
            return Err(broken(at, p));
        }
        if let Some((seq, hash)) = &anchor
            && let Some(p) = jixiao_store::audit::verify_anchor(&store, *seq, hash)
                .await
                .map_err(|e| failed("校验 verify", e))?
        {
            return Err(broken(*seq, &p));
        }
        if let Some(p) = v.value_problem {
            return Err(Failure::Invalid(Issues(vec![Issue::error(
                "value_tampered",
                "data_values",
                Location::File,
                Text::new(format!("数值表与审计日志不符（在绩效系统之外被改动）：{p}"), format!("the values table disagrees with the audit log (changed outside jixiao): {p}")),
            )])));
        }
        println!("审计日志完整：{} 条记录，哈希链无断裂；{} 个数值与其审计记录一致。\nThe audit log is intact: {} entries, the hash chain holds; {} values match their audit entries.", v.entries, v.values_checked, v.entries, v.values_checked);
        match (v.sealed_from, v.seal_head) {
            (Some(from), Some(seen)) => println!("封印：第{from}条起每条都以封印密钥签名，封印已核对至第{seen}条。\nSealed: every entry from {from} on is signed with the seal's key; the seal has checked up to entry {seen}."),
            _ => println!("未封印：没有封印文件，只核对了哈希链。\nNot sealed: no seal file, only the hash chain was checked."),
        }
        if let Some((seq, _)) = &anchor {
            println!("锚点第{seq}条相符 · the anchor at entry {seq} matches.");
        }
        println!("当前锚点（可打印或公布，日后用 --anchor 核对）· the anchor now (print or publish it; check it later with --anchor):\n  {}:{}", v.head_seq, v.head_hash);
        Ok(())
    })
}

/// Imports a file as a named account (an operator on the server acts for that account: its
/// scope applies and the audit names it, with source `import`). Exit 1 when nothing was
/// imported because of problems.
pub fn import(a: ImportArgs) -> Outcome {
    let c = config(&a.server)?;
    let bytes = std::fs::read(&a.file).map_err(|e| failed(&a.file.display().to_string(), e))?;
    let name = a
        .file
        .file_name()
        .map_or_else(|| "import".into(), |n| n.to_string_lossy().into_owned());
    runtime()?.block_on(async {
        let state = jixiao_server::open(c)
            .await
            .map_err(|e| failed("数据库 database", e))?;
        let row = jixiao_store::users::by_name(&state.store, &a.user)
            .await
            .map_err(|e| failed("数据库 database", e))?
            .filter(|r| !r.disabled)
            .ok_or_else(|| {
                usage(
                    format!("没有可用的账号“{}”", a.user),
                    format!("no active account `{}`", a.user),
                )
            })?;
        let user = jixiao_server::auth::User::from_row(&row)
            .ok_or_else(|| failed("账号 account", "unknown role"))?;
        let caller = jixiao_server::ops::Caller::person(
            user,
            "import",
            format!("cli-{}", std::process::id()),
        );
        let mode = if a.valid_rows {
            jixiao_server::ops::imports::Mode::ValidRows
        } else {
            jixiao_server::ops::imports::Mode::AllOrNothing
        };
        let r = jixiao_server::ops::imports::import(
            &state,
            &caller,
            &name,
            &bytes,
            mode,
            a.dry_run,
            a.period.as_deref(),
            a.counted.as_deref(),
        )
        .await
        .map_err(|e| failed("导入 import", e.message.zh.clone()))?;
        state.advance_seal().await;
        if a.json {
            println!("{}", serde_json::to_string_pretty(&r).unwrap_or_default());
        } else {
            println!(
                "{}：{} 行；新增 {}，更新 {}，未变 {}，有问题 {}{}",
                r.file,
                r.rows,
                r.imported,
                r.updated,
                r.unchanged,
                r.rejected,
                if r.committed {
                    "；已写入"
                } else {
                    "；未写入"
                }
            );
            println!(
                "{}: {} rows; {} new, {} updated, {} unchanged, {} with problems; {}",
                r.file,
                r.rows,
                r.imported,
                r.updated,
                r.unchanged,
                r.rejected,
                if r.committed {
                    "written"
                } else {
                    "nothing written"
                }
            );
            for p in &r.problems {
                let col = p.column.as_deref().unwrap_or("");
                println!(
                    "  {} 第{}行 {col}：{}（{}）",
                    p.file, p.row, p.message.zh, p.value
                );
                println!(
                    "  {} row {} {col}: {} ({})",
                    p.file, p.row, p.message.en, p.value
                );
            }
        }
        // Problems fail the command, so a script notices: a dry run that found any (nothing
        // would be written as it is), or an all-or-nothing import they stopped. Importing the
        // valid rows only succeeds with what it wrote; its report names the rest.
        if !r.problems.is_empty() && (a.dry_run || (!r.committed && !a.valid_rows)) {
            return Err(Failure::Invalid(Issues(Vec::new())));
        }
        Ok(())
    })
}

/// The seal file kept beside a backup file.
fn seal_beside(file: &std::path::Path) -> std::path::PathBuf {
    std::path::PathBuf::from(format!("{}.seal", file.display()))
}

fn sqlite_path(url: &str) -> Option<std::path::PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    Some(std::path::PathBuf::from(
        rest.split('?').next().unwrap_or(rest),
    ))
}

pub fn backup(a: BackupArgs) -> Outcome {
    let c = config(&a.server)?;
    if sqlite_path(&c.database_url).is_none() {
        println!(
            "PostgreSQL：请用 pg_dump 在线备份，例如 · use pg_dump, e.g.\n  pg_dump --format=custom --file=jixiao.dump \"{}\"\n恢复 · restore: pg_restore --clean --dbname=… jixiao.dump",
            jixiao_server::config::redact(&c.database_url)
        );
        return Ok(());
    }
    if a.to.exists() {
        return Err(usage(
            format!("备份文件 {} 已存在", a.to.display()),
            format!("{} already exists", a.to.display()),
        ));
    }
    runtime()?.block_on(async {
        let store = jixiao_store::Store::connect(&c.database_url)
            .await
            .map_err(|e| failed("数据库 database", e))?;
        jixiao_store::backup_sqlite(&store, &a.to.display().to_string())
            .await
            .map_err(|e| failed("备份 backup", e))?;
        println!(
            "已备份到 {} · backed up to {}",
            a.to.display(),
            a.to.display()
        );
        // The seal goes with the backup, its head where the backup ends: without the key the
        // backup's entries could not be checked when it is restored.
        if let Some(path) = c.seal_path()
            && let Some(seal) = jixiao_store::audit::Seal::load(&path).map_err(|e| failed("审计封印 audit seal", e))?
        {
            let copy = jixiao_store::Store::open_sqlite_read_only(&a.to)
                .await
                .map_err(|e| failed("备份 backup", e))?;
            let v = jixiao_store::audit::verify(&copy).await;
            copy.pool.close().await;
            let v = v.map_err(|e| failed("备份 backup", e))?;
            let to = seal_beside(&a.to);
            seal.copy_to(&to, (v.head_seq, v.head_hash)).map_err(|e| failed("审计封印 audit seal", e))?;
            println!(
                "审计封印已复制到 {}（内含密钥，请与备份分开妥善保管）· the audit seal was copied to {} (it holds the key: keep it safe, apart from the backup)",
                to.display(),
                to.display()
            );
        }
        Ok(())
    })
}

pub fn restore(a: RestoreArgs) -> Outcome {
    let c = config(&a.server)?;
    let Some(target) = sqlite_path(&c.database_url) else {
        println!(
            "PostgreSQL：请用 pg_restore 恢复，例如 · use pg_restore, e.g.\n  pg_restore --clean --dbname=\"{}\" jixiao.dump",
            jixiao_server::config::redact(&c.database_url)
        );
        return Ok(());
    };
    if !a.from.exists() {
        return Err(usage(
            format!("备份文件 {} 不存在", a.from.display()),
            format!("{} does not exist", a.from.display()),
        ));
    }
    runtime()?.block_on(async {
        // The backup must be a jixiao database whose audit chain holds, checked with the seal
        // that came with it (or this database's own).
        let mut check = jixiao_store::Store::open_sqlite_read_only(&a.from)
            .await
            .map_err(|e| failed("读取备份 reading the backup", e))?;
        let own = c.seal_path();
        let seal = [Some(seal_beside(&a.from)), own.clone()]
            .into_iter()
            .flatten()
            .find_map(|p| jixiao_store::audit::Seal::load(&p).ok().flatten());
        if let Some(seal) = seal {
            check = check.with_seal(seal);
        }
        let v = jixiao_store::audit::verify(&check)
            .await
            .map_err(|e| failed("校验备份 checking the backup", e));
        check.pool.close().await;
        let v = v?;
        if let (Some(at), p) = (v.broken_at, &v.problem) {
            return Err(failed(
                "恢复 restore",
                format!(
                    "the backup's audit log is broken at entry {at}: {}",
                    p.as_deref().unwrap_or("")
                ),
            ));
        }
        // From now on the seal follows the restored log.
        if let (Some(seal), Some(own)) = (check.seal(), &own) {
            seal.copy_to(own, (v.head_seq, v.head_hash.clone()))
                .map_err(|e| failed("审计封印 audit seal", e))?;
        }
        for ext in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{ext}", target.display()));
        }
        std::fs::copy(&a.from, &target).map_err(|e| failed("恢复 restore", e))?;
        println!(
            "已从 {} 恢复到 {}（{} 条审计记录校验无误）· restored ({} audit entries verified)",
            a.from.display(),
            target.display(),
            v.entries,
            v.entries
        );
        Ok(())
    })
}
