-- P9: warnings kept as records and followed up (预警 → 通知 → 响应 → 整改 → 销号), the in-app
-- inbox and the outgoing channels (webhooks, e-mail) with their outbox and delivery log, and
-- rectification tasks (整改).

-- A warning: one crossing of a scheme's warning line by a unit in a period. At most one is open
-- per (scheme, rule, unit, period); `crossing` says whether the value is outside the line as last
-- evaluated, so a warning resolved while the value is still outside is not raised again until
-- the value has come back inside and crossed again.
CREATE TABLE warnings (
    id INTEGER PRIMARY KEY,
    scheme_code TEXT NOT NULL,
    rule_code TEXT NOT NULL,
    unit_code TEXT NOT NULL,
    period TEXT NOT NULL,
    element TEXT NOT NULL,
    -- yellow, orange, red
    level TEXT NOT NULL,
    value TEXT NOT NULL,
    -- the line crossed, as the scheme says it (e.g. "> 20")
    line TEXT NOT NULL,
    -- open (raised and notified), acknowledged, resolved, closed
    state TEXT NOT NULL,
    open INTEGER NOT NULL,
    crossing INTEGER NOT NULL,
    overdue INTEGER NOT NULL DEFAULT 0,
    rectify INTEGER NOT NULL DEFAULT 0,
    lead_code TEXT,
    raised_at TEXT NOT NULL,
    respond_by TEXT NOT NULL,
    acknowledged_at TEXT,
    acknowledged_by TEXT,
    cause TEXT NOT NULL DEFAULT '',
    measures TEXT NOT NULL DEFAULT '',
    escalated_at TEXT,
    resolved_at TEXT,
    resolved_by TEXT,
    resolution TEXT NOT NULL DEFAULT '',
    previous_id INTEGER,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX warnings_one_open ON warnings (scheme_code, rule_code, unit_code, period) WHERE open = 1;
CREATE INDEX warnings_key ON warnings (scheme_code, rule_code, unit_code, period, id);
CREATE INDEX warnings_unit ON warnings (unit_code, state);
CREATE INDEX warnings_due ON warnings (state, respond_by);

-- Every step of a warning's life.
CREATE TABLE warning_events (
    id INTEGER PRIMARY KEY,
    warning_id INTEGER NOT NULL,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    -- raised, notified, changed, acknowledged, escalated, back_inside, rectified, resolved, closed
    kind TEXT NOT NULL,
    level TEXT NOT NULL,
    value TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX warning_events_of ON warning_events (warning_id, id);

-- Rectification tasks (整改).
CREATE TABLE rectifications (
    id INTEGER PRIMARY KEY,
    -- warning, inspection, enforcement, evaluation, appeal, manual
    source_kind TEXT NOT NULL,
    source_id TEXT NOT NULL DEFAULT '',
    unit_code TEXT NOT NULL,
    person TEXT NOT NULL DEFAULT '',
    period TEXT NOT NULL,
    problem TEXT NOT NULL,
    measures TEXT NOT NULL DEFAULT '',
    deadline TEXT NOT NULL,
    verifier_code TEXT NOT NULL,
    -- open, in_progress, submitted, verified, returned
    state TEXT NOT NULL,
    completion TEXT NOT NULL DEFAULT '',
    submitted_at TEXT,
    verified_at TEXT,
    verified_by TEXT,
    return_reason TEXT NOT NULL DEFAULT '',
    reminded_at TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX rectifications_unit ON rectifications (unit_code, period);
CREATE INDEX rectifications_source ON rectifications (source_kind, source_id);

-- The in-app inbox. `key` makes a notice once per person: the same event told twice (a retry,
-- two nodes, a restart) is one notice.
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL,
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    link TEXT NOT NULL,
    created_at TEXT NOT NULL,
    read_at TEXT,
    UNIQUE (username, key)
);
CREATE INDEX notifications_unread ON notifications (username, read_at, id);

-- What a person wants sent where, per kind of notice: in-app always; e-mail when chosen and an
-- address is set.
CREATE TABLE notice_prefs (
    username TEXT PRIMARY KEY,
    email TEXT NOT NULL DEFAULT '',
    -- comma-separated kinds sent by e-mail
    email_kinds TEXT NOT NULL DEFAULT '',
    -- comma-separated kinds not shown in the inbox
    muted_kinds TEXT NOT NULL DEFAULT ''
);

-- Outgoing channels configured by the admin.
CREATE TABLE channels (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    -- webhook (template json, wecom or dingtalk) or email (one address: a group mailbox)
    kind TEXT NOT NULL,
    template TEXT NOT NULL DEFAULT 'json',
    target TEXT NOT NULL,
    secret TEXT NOT NULL DEFAULT '',
    -- comma-separated kinds; empty: all
    kinds TEXT NOT NULL DEFAULT '',
    enabled INTEGER NOT NULL DEFAULT 1,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- Messages to send, once each: `key` is unique per destination, so a notice queued twice is
-- queued once. Claimed with a lease before sending; delivered rows are never sent again.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    -- webhook or email
    kind TEXT NOT NULL,
    channel_id INTEGER,
    -- a URL or an e-mail address
    target TEXT NOT NULL,
    key TEXT NOT NULL,
    subject TEXT NOT NULL,
    payload TEXT NOT NULL,
    -- queued, delivered, failed (gave up)
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at TEXT NOT NULL,
    lease_until TEXT,
    last_error TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    delivered_at TEXT,
    UNIQUE (target, key)
);
CREATE INDEX outbox_due ON outbox (state, next_at);

-- Every attempt to deliver.
CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY,
    outbox_id INTEGER NOT NULL,
    at TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    ok INTEGER NOT NULL,
    status INTEGER,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX deliveries_of ON deliveries (outbox_id, id);
