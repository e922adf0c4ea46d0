//! The server through its real router against a fresh database: SQLite always, PostgreSQL when
//! `JIXIAO_TEST_POSTGRES` names a server (CI sets it; each test gets its own database).
//! Every scenario runs on both: `scenario!(name)` makes `name_sqlite` and `name_postgres`.

mod applied;
mod authz;
mod chain;
mod concurrency;
mod contract;
mod cycle;
mod dhis2;
mod earlier;
mod enforcement;
mod entry;
mod exports;
mod feeds;
mod followup;
mod imports;
mod inspections;
mod nodes;
mod org;
mod pages;
mod projects;
mod review;
mod rollup;
mod rules;
mod security;
mod sessions;
mod special;
mod surveys;

use axum_test::{TestResponse, TestServer};
use jixiao_server::config::Config;
use jixiao_server::state::AppState;
use serde_json::{Value, json};
use std::collections::HashMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

pub struct App {
    pub state: AppState,
    pub router: axum::Router,
    pub passwords: HashMap<String, String>,
    _dir: tempfile::TempDir,
}

/// The PostgreSQL server to test against, if any.
pub fn postgres() -> Option<String> {
    std::env::var("JIXIAO_TEST_POSTGRES")
        .ok()
        .filter(|s| !s.is_empty())
}

pub async fn fresh_database(db: Db, dir: &std::path::Path) -> String {
    match db {
        Db::Sqlite => format!("sqlite://{}", dir.join("jixiao.db").display()),
        Db::Postgres => {
            use sqlx::Connection;
            let admin = postgres().expect("JIXIAO_TEST_POSTGRES");
            sqlx::any::install_default_drivers();
            let name = format!("jx_{}", uuid::Uuid::new_v4().simple());
            let mut conn = sqlx::AnyConnection::connect(&admin)
                .await
                .expect("connect to postgres");
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut conn)
                .await
                .expect("create database");
            let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
            format!("{base}/{name}")
        }
    }
}

impl App {
    /// A fresh database holding the demo district with an account for every role.
    pub async fn spawn(db: Db) -> App {
        App::spawn_with(db, |_| {}).await
    }

    /// [`App::spawn`] with settings of the test's own.
    pub async fn spawn_with(db: Db, configure: impl FnOnce(&mut Config)) -> App {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = Config {
            database_url: fresh_database(db, dir.path()).await,
            data_dir: dir.path().join("data"),
            login_per_minute: 1000,
            sync_seconds: 0,
            ..Config::default()
        };
        configure(&mut config);
        let state = jixiao_server::open(config).await.expect("open");
        let accounts = jixiao_server::demo::seed(&state)
            .await
            .expect("seed")
            .expect("empty database");
        let passwords = accounts
            .into_iter()
            .map(|a| (a.username, a.password))
            .collect();
        let router = jixiao_server::build_app(state.clone());
        App {
            state,
            router,
            passwords,
            _dir: dir,
        }
    }

    /// An API key for a new key of `role` (made by the admin), as the Authorization header.
    pub async fn api_key(&self, role: &str) -> String {
        let admin = self.user("admin").await;
        let key = admin
            .ok_post(
                "/api/v1/api-keys",
                json!({ "name": format!("test-{role}-{}", uuid::Uuid::new_v4().simple()), "role": role }),
                201,
            )
            .await;
        format!("Bearer {}", key["key"].as_str().expect("key"))
    }

    /// A value's (number, version) as stored.
    pub async fn stored(&self, key: &[&str; 3]) -> Option<(String, i64)> {
        let mut conn = self.state.store.read().await.expect("connection");
        jixiao_store::values::get(&mut conn, key[0], key[1], key[2])
            .await
            .expect("read")
            .map(|r| (r.value, r.version))
    }

    /// A value's (number, version) in the live results.
    pub async fn live_row(&self, key: &[&str; 3]) -> Option<(String, i64)> {
        self.state
            .live
            .read()
            .await
            .values
            .get(key[0], key[1], key[2])
            .map(|r| (r.value, r.version))
    }

    pub fn client(&self) -> Client {
        Client {
            server: TestServer::builder()
                .save_cookies()
                .build(self.router.clone()),
            csrf: None,
        }
    }

    /// Signs in as a demo account and sets its own password (as every first sign-in must).
    pub async fn user(&self, name: &str) -> Client {
        let mut c = self.client();
        let first = self
            .passwords
            .get(name)
            .unwrap_or_else(|| panic!("no demo account {name}"))
            .clone();
        let r = c
            .post(
                "/api/v1/auth/login",
                json!({ "username": name, "password": first }),
            )
            .await;
        assert_eq!(r.status_code(), 200, "{name} signs in: {}", r.text());
        c.csrf = r.json::<Value>()["csrf_token"].as_str().map(str::to_owned);
        let r = c
            .post(
                "/api/v1/auth/password",
                json!({ "old_password": first, "new_password": own_password(name) }),
            )
            .await;
        assert_eq!(r.status_code(), 200, "{name} sets a password: {}", r.text());
        c.csrf = r.json::<Value>()["csrf_token"].as_str().map(str::to_owned);
        c
    }
}

/// A password of the account's own choosing (not containing the username, as the policy says).
pub fn own_password(name: &str) -> String {
    format!("Chosen#{}#Passw0rd", name.len())
}

/// One person's session against the app.
pub struct Client {
    pub server: TestServer,
    pub csrf: Option<String>,
}

impl Client {
    fn with_csrf(&self, r: axum_test::TestRequest) -> axum_test::TestRequest {
        match &self.csrf {
            Some(t) => r.add_header("x-csrf-token", t.as_str()),
            None => r,
        }
    }

    pub async fn get(&self, path: &str) -> TestResponse {
        self.server.get(path).await
    }

    pub async fn post(&self, path: &str, body: Value) -> TestResponse {
        self.with_csrf(self.server.post(path).json(&body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> TestResponse {
        self.with_csrf(self.server.put(path).json(&body)).await
    }

    /// POST and expect `status`, returning the JSON body.
    pub async fn ok_post(&self, path: &str, body: Value, status: u16) -> Value {
        let r = self.post(path, body).await;
        assert_eq!(r.status_code(), status, "POST {path}: {}", r.text());
        r.json()
    }

    pub async fn ok_put(&self, path: &str, body: Value) -> Value {
        let r = self.put(path, body).await;
        assert_eq!(r.status_code(), 200, "PUT {path}: {}", r.text());
        r.json()
    }

    pub async fn ok_get(&self, path: &str) -> Value {
        let r = self.get(path).await;
        assert_eq!(r.status_code(), 200, "GET {path}: {}", r.text());
        r.json()
    }

    /// Saves a value at `path` (`/api/v1/values/{unit}/{element}/{period}`) with `body` and
    /// submits it; the submit's answer.
    pub async fn put_and_submit(&self, path: &str, body: Value) -> Value {
        let saved = self.ok_put(path, body).await;
        self.ok_post(
            &format!("{path}/submit"),
            json!({ "version": saved["value"]["row"]["version"] }),
            200,
        )
        .await
    }

    /// Posts a page's form (with the CSRF field a page puts in it).
    pub async fn post_form<K: AsRef<str>, V: AsRef<str>>(
        &self,
        path: &str,
        fields: &[(K, V)],
    ) -> axum_test::TestResponse {
        let mut all = vec![("_csrf".to_owned(), self.csrf.clone().unwrap_or_default())];
        all.extend(
            fields
                .iter()
                .map(|(k, v)| (k.as_ref().to_owned(), v.as_ref().to_owned())),
        );
        self.server.post(path).form(&all).await
    }
}

/// The demo leaves one village's survey score to enter (WLG-C04, 2025Q3), and publishing the
/// year needs it: the office enters, submits and verifies it, so it counts.
pub async fn count_the_last_survey_score(office: &Client) {
    let path = "/api/v1/values/WLG-C04/satisfaction/2025Q3";
    let s = office.put_and_submit(path, json!({ "value": "90" })).await;
    let s = office
        .ok_post(
            &format!("{path}/verify"),
            json!({ "version": s["value"]["row"]["version"] }),
            200,
        )
        .await;
    assert_eq!(s["value"]["row"]["state"], "counted");
}

/// Attaches a PDF as evidence at `path` (a value's or an appeal's `/evidence`); its sha256.
pub async fn attach_pdf(c: &Client, path: &str, bytes: &[u8], name: &str) -> String {
    let up = c
        .server
        .post(path)
        .add_header("x-csrf-token", c.csrf.clone().unwrap_or_default().as_str())
        .multipart(
            axum_test::multipart::MultipartForm::new().add_part(
                "file",
                axum_test::multipart::Part::bytes(bytes.to_vec())
                    .file_name(name)
                    .mime_type("application/pdf"),
            ),
        )
        .await;
    assert_eq!(up.status_code(), 201, "{}", up.text());
    up.json::<Value>()["sha256"]
        .as_str()
        .expect("sha")
        .to_owned()
}

/// A unit's total in a results report.
pub fn total_of(report: &Value, unit: &str) -> Option<String> {
    report["classes"]
        .as_array()?
        .iter()
        .flat_map(|c| c["rows"].as_array().into_iter().flatten())
        .find(|r| r["unit"] == unit)
        .and_then(|r| r["total"].as_str().map(str::to_owned))
}

/// Runs a scenario on SQLite and, when configured, on PostgreSQL.
#[macro_export]
macro_rules! scenario {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::Db::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if $crate::postgres().is_none() {
                    eprintln!("JIXIAO_TEST_POSTGRES is not set: the PostgreSQL run of this scenario is skipped here (CI sets it)");
                    return;
                }
                super::$name($crate::Db::Postgres).await;
            }
        }
    };
}
