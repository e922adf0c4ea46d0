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
