//! Operations on a server's SQLite database: `audit verify` names a tampered entry, `backup`
//! copies a live database, `restore` puts a good backup back and refuses a tampered one.

use crate::run_in;
use jixiao_server::config::Config;
use std::path::Path;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// A server database holding the demo district (as `jixiao demo` makes it).
fn seeded(dir: &Path) -> String {
    let url = format!("sqlite://{}", dir.join("jixiao.db").display());
    let config = Config {
        database_url: url.clone(),
        data_dir: dir.join("data"),
        ..Config::default()
    };
    runtime().block_on(async {
        let state = jixiao_server::open(config).await.expect("open");
        jixiao_server::demo::seed(&state)
            .await
            .expect("seed")
            .expect("fresh database");
        state.store.pool.close().await;
    });
    url
}

/// Runs SQL directly on a database file, as someone with access to the file could.
fn tamper(url: &str, sql: &[&str]) {
    runtime().block_on(async {
        let store = jixiao_store::Store::connect(url).await.expect("connect");
        for s in sql {
            sqlx::raw_sql(sqlx::AssertSqlSafe(s.to_string()))
                .execute(&store.pool)
                .await
                .expect("tamper");
        }
        store.pool.close().await;
    });
}

fn count_units(url: &str) -> i64 {
    runtime().block_on(async {
        let store = jixiao_store::Store::connect(url).await.expect("connect");
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM units")
            .fetch_one(&store.pool)
            .await
            .expect("count");
        store.pool.close().await;
        n
    })
}

const UNGUARD: &str = "DROP TRIGGER audit_log_no_update";

#[test]
fn audit_verify_backup_and_restore() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let url = seeded(d);
    let db = ["--database", url.as_str()];

    let ok = run_in(d, &[&["audit", "verify"][..], &db].concat());
    assert_eq!(ok.code, 0, "{}{}", ok.stdout, ok.stderr);
    assert!(ok.stdout.contains("intact"), "{}", ok.stdout);
    // The server sealed the log with a key in a file of its own, beside the database.
    assert!(
        ok.stdout.contains("Sealed: every entry from 1 on"),
        "{}",
        ok.stdout
    );
    assert!(d.join("jixiao.db.seal").exists());
    // The anchor it prints checks later; a wrong one is named.
    let anchor = ok
        .stdout
        .lines()
        .skip_while(|l| !l.contains("the anchor now"))
        .nth(1)
        .expect("an anchor line")
        .trim()
        .to_owned();
    let held = run_in(
        d,
        &[&["audit", "verify", "--anchor", anchor.as_str()][..], &db].concat(),
    );
    assert_eq!(held.code, 0, "{}{}", held.stdout, held.stderr);
    assert!(held.stdout.contains("matches"), "{}", held.stdout);
    let (seq, _) = anchor.split_once(':').expect("SEQ:HASH");
    let wrong = format!("{seq}:{}", "ab".repeat(32));
    let differs = run_in(
        d,
        &[&["audit", "verify", "--anchor", wrong.as_str()][..], &db].concat(),
    );
    assert_eq!(differs.code, 1, "{}{}", differs.stdout, differs.stderr);
    assert!(differs.stderr.contains("rewritten"), "{}", differs.stderr);
    // A path with no database is an error, and stays without one.
    let missing = d.join("no-such.db");
    let url_missing = format!("sqlite://{}", missing.display());
    let none = run_in(d, &["audit", "verify", "--database", url_missing.as_str()]);
    assert_eq!(none.code, 2, "{}{}", none.stdout, none.stderr);
    assert!(!missing.exists(), "nothing was created");

    // An online backup, verified; a second one does not overwrite the first.
    let out = run_in(d, &[&["backup", "--to", "b.db"][..], &db].concat());
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(d.join("b.db").exists());
    assert!(
        d.join("b.db.seal").exists(),
        "the seal goes with the backup"
    );
    let again = run_in(d, &[&["backup", "--to", "b.db"][..], &db].concat());
    assert_eq!(again.code, 2, "{}{}", again.stdout, again.stderr);

    // Someone edits entry 10 and deletes a unit behind the server's back.
    tamper(
        &url,
        &[
            UNGUARD,
            "UPDATE audit_log SET actor = 'admin' WHERE seq = 10",
            "DELETE FROM units WHERE code = 'SQI-V02'",
        ],
    );
    let units = count_units(&url);
    let broken = run_in(d, &[&["audit", "verify"][..], &db].concat());
    assert_eq!(broken.code, 1, "{}{}", broken.stdout, broken.stderr);
    let said = format!("{}{}", broken.stdout, broken.stderr);
    assert!(said.contains("审计日志第10条"), "{said}");
    assert!(said.contains("broken at entry 10"), "{said}");

    // A tampered backup is refused and the database is left as it was.
    std::fs::copy(d.join("b.db"), d.join("c.db")).expect("copy");
    let c_url = format!("sqlite://{}", d.join("c.db").display());
    tamper(
        &c_url,
        &[UNGUARD, "UPDATE audit_log SET reason = 'x' WHERE seq = 3"],
    );
    let refused = run_in(d, &[&["restore", "--from", "c.db"][..], &db].concat());
    assert_eq!(refused.code, 1, "{}{}", refused.stdout, refused.stderr);
    assert!(
        refused.stderr.contains("broken at entry 3"),
        "{}",
        refused.stderr
    );
    assert_eq!(count_units(&url), units);

    // The good backup brings back the unit and a chain that holds.
    let restored = run_in(d, &[&["restore", "--from", "b.db"][..], &db].concat());
    assert_eq!(restored.code, 0, "{}{}", restored.stdout, restored.stderr);
    assert_eq!(count_units(&url), units + 1);
    let ok = run_in(d, &[&["audit", "verify"][..], &db].concat());
    assert_eq!(ok.code, 0, "{}{}", ok.stdout, ok.stderr);

    // An entry appended by someone without the key, chained as jixiao chains: named.
    runtime().block_on(async {
        let store = jixiao_store::Store::connect(&url).await.expect("connect");
        let (seq, hash): (i64, String) = sqlx::query_as("SELECT seq, hash FROM audit_head")
            .fetch_one(&store.pool)
            .await
            .expect("head");
        let mut e = jixiao_store::audit::Entry {
            seq: seq + 1,
            at: jixiao_store::now(),
            actor: "admin".into(),
            source: "web".into(),
            request_id: String::new(),
            action: "value.approve".into(),
            entity: "value".into(),
            entity_id: "QLY/mediation_cases/2025Q4".into(),
            before: None,
            after: None,
            reason: String::new(),
            prev_hash: hash,
            hash: String::new(),
            mac: None,
            part: None,
        };
        e.hash = jixiao_store::audit::entry_hash(&e);
        sqlx::query("INSERT INTO audit_log (seq, at, actor, source, request_id, action, entity, entity_id, reason, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
            .bind(e.seq).bind(&e.at).bind(&e.actor).bind(&e.source).bind(&e.request_id).bind(&e.action)
            .bind(&e.entity).bind(&e.entity_id).bind(&e.reason).bind(&e.prev_hash).bind(&e.hash)
            .execute(&store.pool).await.expect("forge");
        sqlx::query("UPDATE audit_head SET seq = $1, hash = $2")
            .bind(e.seq).bind(&e.hash)
            .execute(&store.pool).await.expect("head");
        store.pool.close().await;
    });
    let forged = run_in(d, &[&["audit", "verify"][..], &db].concat());
    assert_eq!(forged.code, 1, "{}{}", forged.stdout, forged.stderr);
    assert!(forged.stderr.contains("forged"), "{}", forged.stderr);
    // Without the seal file the server will not write to a sealed log.
    std::fs::rename(d.join("jixiao.db.seal"), d.join("kept.seal")).expect("move");
    std::fs::write(
        d.join("x.csv"),
        "unit,item,period,value\nQLY,mediation_cases,2025Q4,40\n",
    )
    .expect("write");
    let refused = run_in(
        d,
        &[&["import", "x.csv", "--as", "admin"][..], &db].concat(),
    );
    assert_eq!(refused.code, 1, "{}{}", refused.stdout, refused.stderr);
    assert!(
        refused.stderr.contains("seal file is missing"),
        "{}",
        refused.stderr
    );
    // Nor with the seal file of another database.
    let other = d.join("other");
    std::fs::create_dir(&other).expect("dir");
    seeded(&other);
    std::fs::copy(other.join("jixiao.db.seal"), d.join("jixiao.db.seal")).expect("copy");
    let refused = run_in(
        d,
        &[&["import", "x.csv", "--as", "admin"][..], &db].concat(),
    );
    assert_eq!(refused.code, 1, "{}{}", refused.stdout, refused.stderr);
    assert!(
        refused.stderr.contains("did not sign"),
        "{}",
        refused.stderr
    );
}

/// Settings come from JIXIAO_* variables; a misspelt one is refused by name, while the log
/// filter and the test suite's own variables are not settings and pass.
#[test]
fn environment_settings_are_checked() {
    let dir = tempfile::tempdir().expect("temp dir");
    // An empty file is an empty SQLite database (verify refuses a path with no file at all).
    std::fs::write(dir.path().join("empty.db"), b"").expect("empty database");
    let url = format!("sqlite://{}", dir.path().join("empty.db").display());
    let run = |vars: &[(&str, &str)]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_jixiao"))
            .args(["audit", "verify", "--database", &url])
            .current_dir(dir.path())
            .envs(vars.iter().copied())
            .output()
            .expect("run jixiao");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, err) = run(&[("JIXIAO_LOG", "debug"), ("JIXIAO_TEST_POSTGRES", "x")]);
    assert_eq!(code, 0, "{err}");
    let (code, err) = run(&[("JIXIAO_LISTN", "0.0.0.0:80")]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("listn") || err.contains("LISTN"), "{err}");
}

fn count_values(url: &str, state: &str) -> i64 {
    runtime().block_on(async {
        let store = jixiao_store::Store::connect(url).await.expect("connect");
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM data_values WHERE state = $1")
            .bind(state)
            .fetch_one(&store.pool)
            .await
            .expect("count");
        store.pool.close().await;
        n
    })
}

#[test]
fn import_as_an_account() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let url = seeded(d);
    let good = "unit,item,period,value\nQLY,mediation_cases,2025Q4,40\nQLY,mediation_agreements,2025Q4,36\n";
    std::fs::write(d.join("good.csv"), good).expect("write");
    std::fs::write(
        d.join("bad.csv"),
        format!("{good}QLY,mediation_cases,2025Q3,四十\n"),
    )
    .expect("write");
    let db = ["--database", url.as_str()];
    // All or nothing: the bad row stops the import, exit 1, its row named.
    let mut args = vec!["import", "bad.csv", "--as", "qly_reporter"];
    args.extend(db);
    let o = run_in(d, &args);
    assert_eq!(o.code, 1, "{}{}", o.stdout, o.stderr);
    assert!(
        o.stdout.contains("第4行") && o.stdout.contains("row 4"),
        "{}",
        o.stdout
    );
    assert_eq!(count_values(&url, "submitted"), 0);
    // Someone outside the unit's scope is refused row by row.
    let mut args = vec!["import", "good.csv", "--as", "inspector", "--dry-run"];
    args.extend(db);
    let o = run_in(d, &args);
    assert!(o.stdout.contains("有问题 2"), "{}", o.stdout);
    assert_eq!(o.code, 1, "a dry run with problems fails");
    // A clean dry run succeeds and writes nothing.
    let mut args = vec!["import", "good.csv", "--as", "qly_reporter", "--dry-run"];
    args.extend(db);
    let o = run_in(d, &args);
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    assert_eq!(count_values(&url, "submitted"), 0);
    // The good file goes in, submitted for review.
    let mut args = vec!["import", "good.csv", "--as", "qly_reporter", "--json"];
    args.extend(db);
    let o = run_in(d, &args);
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    let r: serde_json::Value = serde_json::from_str(&o.stdout).expect("json report");
    assert_eq!(
        (r["imported"].as_u64(), r["committed"].as_bool()),
        (Some(2), Some(true))
    );
    assert_eq!(count_values(&url, "submitted"), 2);
    // An unknown account is a usage error.
    let mut args = vec!["import", "good.csv", "--as", "nobody"];
    args.extend(db);
    assert_eq!(run_in(d, &args).code, 2);
}
