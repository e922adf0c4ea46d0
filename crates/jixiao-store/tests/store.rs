//! The store on SQLite, and on PostgreSQL when JIXIAO_TEST_POSTGRES names a server
//! (e.g. postgres://postgres@127.0.0.1:54329/postgres); each test gets a fresh database.

use jixiao_store::audit::{Actor, Change, Filter, append, list, verify};
use jixiao_store::{Page, Store, values};

async fn stores() -> Vec<(Store, Option<tempfile::TempDir>)> {
    let dir = tempfile::tempdir().expect("tmp");
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let mut out = vec![(Store::connect(&url).await.expect("sqlite"), Some(dir))];
    if let Ok(pg) = std::env::var("JIXIAO_TEST_POSTGRES") {
        out.push((fresh_pg(&pg).await, None));
    }
    out
}

async fn fresh_pg(admin_url: &str) -> Store {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let name = format!("jixiao_test_{}", std::process::id())
        + &format!(
            "_{}",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        );
    let mut admin = sqlx::AnyConnection::connect(admin_url)
        .await
        .expect("postgres admin");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .expect("create db");
    let base = admin_url
        .rsplit_once('/')
        .map(|(b, _)| b)
        .unwrap_or(admin_url);
    Store::connect(&format!("{base}/{name}"))
        .await
        .expect("postgres")
}

fn actor() -> Actor {
    Actor {
        name: "tester".into(),
        source: "cli".into(),
        request_id: "r1".into(),
    }
}

#[tokio::test]
async fn values_and_audit_chain_on_every_backend() {
    for (store, _keep) in stores().await {
        let a = actor();
        let mut tx = store.write().await.expect("tx");
        let key = values::Key {
            unit: "QLY",
            element: "cert",
            period: "2025Q1",
        };
        let content = |value, state| values::Content {
            value,
            note: "",
            state,
            return_reason: "",
        };
        let v = values::insert(&mut tx, &a, key, content("96.5", "draft"))
            .await
            .expect("insert");
        let v2 = values::update(
            &mut tx,
            &a,
            &v,
            "value.submit",
            content("96.5", "submitted"),
        )
        .await
        .expect("update")
        .expect("won");
        // A stale version loses.
        assert!(
            values::update(&mut tx, &a, &v, "value.submit", content("1", "submitted"))
                .await
                .expect("update")
                .is_none()
        );
        tx.commit().await.expect("commit");
        assert_eq!(v2.version, 2);
        let (n, rows) = values::list(
            &store,
            &values::Filter {
                state: "submitted".into(),
                ..Default::default()
            },
            Page::default(),
        )
        .await
        .expect("list");
        assert_eq!((n, rows.len()), (1, 1));
        let (n, _) = values::list(
            &store,
            &values::Filter {
                root: "MXI".into(),
                ..Default::default()
            },
            Page::default(),
        )
        .await
        .expect("list");
        assert_eq!(n, 0);
        let (n, entries) = list(&store, &Filter::default(), Page::default())
            .await
            .expect("audit");
        assert_eq!(n, 2);
        assert_eq!(entries[0].action, "value.submit");
        let ok = verify(&store).await.expect("verify");
        assert_eq!((ok.entries, ok.broken_at), (2, None));
        let mut tx = store.write().await.expect("tx");
        append(
            &mut tx,
            &a,
            Change {
                action: "x",
                entity: "y",
                entity_id: "z",
                before: None,
                after: None,
                reason: "why",
            },
        )
        .await
        .expect("append");
        tx.commit().await.expect("commit");
        assert_eq!(verify(&store).await.expect("verify").entries, 3);
        // The log refuses updates through the normal path.
        assert!(
            sqlx::query("UPDATE audit_log SET actor = 'mallory' WHERE seq = 1")
                .execute(&store.pool)
                .await
                .is_err()
        );
    }
}

/// A bulk insert is audited by batch: one chained entry per `BATCH` values committing to each
/// value's change, every change still listed and found one by one, `verify` recomputing each
/// batch's digest — and a change altered or removed behind jixiao's back is reported.
#[tokio::test]
async fn bulk_inserts_are_audited_by_batch() {
    use jixiao_store::audit::{BATCH, BATCH_ENTITY, changes_since};
    for (store, _keep) in stores().await {
        let postgres = store.backend == jixiao_store::Backend::Postgres;
        let a = actor();
        let n = BATCH + 3;
        let units: Vec<String> = (0..n).map(|i| format!("U{i:05}")).collect();
        let numbers: Vec<String> = (0..n).map(|i| format!("{i}.5")).collect();
        let rows: Vec<(values::Key, values::Content)> = units
            .iter()
            .zip(&numbers)
            .map(|(u, v)| {
                (
                    values::Key {
                        unit: u,
                        element: "cert",
                        period: if u.as_str() < "U00010" {
                            "2025Q1"
                        } else {
                            "2025Q2"
                        },
                    },
                    values::Content {
                        value: v,
                        note: "",
                        state: "counted",
                        return_reason: "",
                    },
                )
            })
            .collect();
        let mut tx = store.write().await.expect("tx");
        let written = values::insert_many_as(&mut tx, &a, &rows, "value.import.count", "核定数")
            .await
            .expect("insert");
        tx.commit().await.expect("commit");
        assert_eq!(written.len(), n);
        // A later change of one of them, audited on its own.
        let mut tx = store.write().await.expect("tx");
        let changed = values::update(
            &mut tx,
            &a,
            &written[1],
            "value.return",
            values::Content {
                value: "7",
                note: "",
                state: "returned",
                return_reason: "重报",
            },
        )
        .await
        .expect("update")
        .expect("not raced");
        tx.commit().await.expect("commit");

        let batches = list(
            &store,
            &Filter {
                entity: BATCH_ENTITY.into(),
                ..Default::default()
            },
            Page::default(),
        )
        .await
        .expect("batches");
        assert_eq!(batches.0, 2, "{BATCH} values per batch entry");
        assert_eq!(batches.1[1].entity_id, "2025Q1,2025Q2");
        assert_eq!(batches.1[0].entity_id, "2025Q2");
        assert!(
            batches.1[0]
                .after
                .as_deref()
                .unwrap_or("")
                .contains("\"values\":3")
        );
        let (total, _) = list(
            &store,
            &Filter {
                entity: "value".into(),
                ..Default::default()
            },
            Page::default(),
        )
        .await
        .expect("values");
        assert_eq!(
            total,
            n as i64 + 1,
            "every value's change is listed on its own"
        );
        // One value's history: its change within the second batch.
        let last = format!("{}/cert/2025Q2", units[n - 1]);
        let (k, history) = list(
            &store,
            &Filter {
                entity_id: last.clone(),
                ..Default::default()
            },
            Page::default(),
        )
        .await
        .expect("history");
        assert_eq!(k, 1);
        let h = &history[0];
        assert_eq!(
            (
                h.entity.as_str(),
                h.part,
                h.action.as_str(),
                h.reason.as_str(),
                h.actor.as_str()
            ),
            ("value", Some(2), "value.import.count", "核定数", "tester")
        );
        assert_eq!(h.seq, batches.1[0].seq);
        assert_eq!(h.hash, batches.1[0].hash);
        assert!(
            h.after
                .as_deref()
                .unwrap_or("")
                .contains(&format!("\"{}\"", numbers[n - 1]))
        );
        // A value changed after its batch: both entries, newest first.
        let (k, history) = list(
            &store,
            &Filter {
                contains: format!("{}/", units[1]),
                ..Default::default()
            },
            Page::default(),
        )
        .await
        .expect("history");
        assert_eq!(k, 2);
        assert_eq!(
            (history[0].action.as_str(), history[0].part),
            ("value.return", None)
        );
        assert_eq!(history[1].part, Some(1));
        // Followers read each change.
        let changes = changes_since(&store, 0, 100_000).await.expect("changes");
        assert_eq!(changes.len(), 2 + n + 1);
        assert_eq!(changes[0].1, BATCH_ENTITY);
        assert_eq!(changes[1].1, "value");
        assert_eq!(
            changes.last().map(|c| c.2.as_str()),
            Some(&*format!("{}/cert/2025Q1", units[1]))
        );
        let ok = verify(&store).await.expect("verify");
        assert_eq!(
            (
                ok.entries,
                ok.broken_at,
                ok.values_checked,
                ok.value_problem.clone()
            ),
            (3, None, n as i64, None),
            "{:?}",
            ok.problem
        );
        assert_eq!(changed.state, "returned");

        // The changes refuse updates through the normal path …
        assert!(
            sqlx::query("UPDATE audit_values SET after = NULL WHERE idx = 0")
                .execute(&store.pool)
                .await
                .is_err()
        );
        // … and one changed behind jixiao's back is found.
        let drop = if postgres {
            "DROP TRIGGER audit_values_no_update ON audit_values"
        } else {
            "DROP TRIGGER audit_values_no_update"
        };
        sqlx::query(drop).execute(&store.pool).await.expect("drop");
        sqlx::query(
            "UPDATE audit_values SET after = REPLACE(after, '\"1.5\"', '\"99\"') WHERE idx = 1",
        )
        .execute(&store.pool)
        .await
        .expect("tamper");
        let bad = verify(&store).await.expect("verify");
        assert_eq!(bad.broken_at, Some(batches.1[1].seq), "{:?}", bad.problem);
        assert!(bad.problem.unwrap_or_default().contains("batch entry"));
    }
}

/// Many stored values changed at once: each only if still at the version read, each change
/// audited in a batch with its before and after; a value changed by someone else first stops
/// the whole write and is named.
#[tokio::test]
async fn bulk_updates_check_versions_and_are_audited_by_batch() {
    for (store, _keep) in stores().await {
        let a = actor();
        let rows: Vec<(values::Key, values::Content)> = ["QLY", "MXI", "SFJ"]
            .iter()
            .map(|u| {
                (
                    values::Key {
                        unit: u,
                        element: "cert",
                        period: "2025Q1",
                    },
                    values::Content {
                        value: "1",
                        note: "",
                        state: "draft",
                        return_reason: "",
                    },
                )
            })
            .collect();
        let mut tx = store.write().await.expect("tx");
        let stored = values::insert_many(&mut tx, &a, &rows)
            .await
            .expect("insert");
        tx.commit().await.expect("commit");
        let counted = |v: &'static str| values::Content {
            value: v,
            note: "核定",
            state: "counted",
            return_reason: "",
        };
        let mut tx = store.write().await.expect("tx");
        let changed = values::update_many_as(
            &mut tx,
            &a,
            &[(&stored[0], counted("5")), (&stored[2], counted("7.5"))],
            "value.import.count",
            "区司法局核定数",
        )
        .await
        .expect("update")
        .expect("no race");
        tx.commit().await.expect("commit");
        assert_eq!(changed.len(), 2);
        let mut conn = store.read().await.expect("read");
        let now = values::by_id(&mut conn, stored[2].id)
            .await
            .expect("read")
            .expect("row");
        drop(conn);
        assert_eq!(now, changed[1], "the rows returned are the rows stored");
        assert_eq!(
            (now.value.as_str(), now.version, now.note.as_str()),
            ("7.5", 2, "核定")
        );
        assert!(now.reported_at.is_some());
        let (n, history) = list(
            &store,
            &Filter {
                entity_id: "SFJ/cert/2025Q1".into(),
                ..Default::default()
            },
            Page::default(),
        )
        .await
        .expect("history");
        assert_eq!(n, 2);
        assert_eq!(
            (
                history[0].action.as_str(),
                history[0].reason.as_str(),
                history[0].part
            ),
            ("value.import.count", "区司法局核定数", Some(1))
        );
        assert!(
            history[0]
                .before
                .as_deref()
                .unwrap_or("")
                .contains("\"draft\"")
        );
        assert!(
            history[0]
                .after
                .as_deref()
                .unwrap_or("")
                .contains("\"counted\"")
        );
        let ok = verify(&store).await.expect("verify");
        assert_eq!(
            (ok.broken_at, ok.value_problem.clone(), ok.values_checked),
            (None, None, 3)
        );

        // Someone changes MXI first; a write still holding its old version stops, naming it.
        let mut tx = store.write().await.expect("tx");
        values::update(&mut tx, &a, &stored[1], "value.save", counted("2"))
            .await
            .expect("update")
            .expect("not raced");
        tx.commit().await.expect("commit");
        let mut tx = store.write().await.expect("tx");
        let raced = values::update_many_as(
            &mut tx,
            &a,
            &[(&changed[0], counted("6")), (&stored[1], counted("3"))],
            "value.import.count",
            "x",
        )
        .await
        .expect("update");
        drop(tx);
        assert_eq!(
            raced,
            Err(values::Raced {
                id: Some(stored[1].id)
            })
        );
        let mut conn = store.read().await.expect("read");
        let qly = values::by_id(&mut conn, stored[0].id)
            .await
            .expect("read")
            .expect("row");
        assert_eq!(
            (qly.value.as_str(), qly.version),
            ("5", 2),
            "nothing of the stopped write kept"
        );
        drop(conn);
        assert_eq!(verify(&store).await.expect("verify").broken_at, None);
    }
}

/// A large commit (an import) leaves copying SQLite's write-ahead log to a background
/// checkpoint: what it wrote is there for every connection at once, and every later write
/// begins with the automatic checkpoint on again — also on the connection the large commit
/// turned it off on (a pool of two connections, so each is used again and again).
#[tokio::test]
async fn large_commits_leave_the_checkpoint_to_the_background() {
    use sqlx::Row;
    let dir = tempfile::tempdir().expect("tmp");
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let sqlite = Store::connect_with(
        &url,
        jixiao_store::PoolOptions {
            size: Some(2),
            ..jixiao_store::PoolOptions::default()
        },
    )
    .await
    .expect("sqlite");
    let mut all = vec![(sqlite, Some(dir))];
    if let Ok(pg) = std::env::var("JIXIAO_TEST_POSTGRES") {
        all.push((fresh_pg(&pg).await, None));
    }
    for (store, _keep) in all {
        let postgres = store.backend == jixiao_store::Backend::Postgres;
        let units: Vec<String> = (0..300).map(|i| format!("U{i:03}")).collect();
        for round in 0..6 {
            let mut tx = store.write().await.expect("tx");
            if !postgres {
                let pages: i64 = sqlx::query("PRAGMA wal_autocheckpoint")
                    .fetch_one(&mut *tx)
                    .await
                    .expect("pragma")
                    .try_get(0)
                    .expect("pages");
                assert_eq!(
                    pages, 1000,
                    "round {round}: the write checkpoints by itself"
                );
            }
            let period = format!("2025Q{}", round % 4 + 1);
            let element = format!("e{round}");
            let rows: Vec<(values::Key, values::Content)> = units
                .iter()
                .map(|u| {
                    (
                        values::Key {
                            unit: u,
                            element: &element,
                            period: &period,
                        },
                        values::Content {
                            value: "1.5",
                            note: "",
                            state: "counted",
                            return_reason: "",
                        },
                    )
                })
                .collect();
            values::insert_many_as(&mut tx, &actor(), &rows, "value.import.count", "导入")
                .await
                .expect("insert");
            tx.commit_large().await.expect("commit");
            let n: i64 = sqlx::query("SELECT COUNT(*) FROM data_values")
                .fetch_one(&store.pool)
                .await
                .expect("count")
                .try_get(0)
                .expect("n");
            assert_eq!(n, 300 * (round + 1), "round {round}: every row is there");
        }
        assert_eq!(verify(&store).await.expect("verify").broken_at, None);
    }
}
