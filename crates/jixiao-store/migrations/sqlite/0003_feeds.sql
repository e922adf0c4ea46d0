-- Machine feeds (数据接口): their definitions, every accepted event (once: the sender's event
-- id is unique per feed, so a replay changes nothing), the events turned away (for the feed's
-- health page), counters, and running totals per data element, unit and period so that an
-- event costs the same however many came before it.
CREATE TABLE feeds (
    code TEXT PRIMARY KEY,
    definition TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE feed_events (
    id INTEGER PRIMARY KEY,
    feed TEXT NOT NULL,
    event_id TEXT NOT NULL,
    unit_code TEXT NOT NULL,
    at TEXT NOT NULL,
    utc TEXT NOT NULL,
    day TEXT NOT NULL,
    data TEXT NOT NULL,
    digest TEXT NOT NULL,
    received_by TEXT NOT NULL,
    received_at TEXT NOT NULL,
    UNIQUE (feed, event_id)
);
CREATE INDEX feed_events_unit_day ON feed_events (feed, unit_code, day);
CREATE INDEX feed_events_received ON feed_events (feed, received_at);

CREATE TABLE feed_rejections (
    id INTEGER PRIMARY KEY,
    feed TEXT NOT NULL,
    event_id TEXT NOT NULL,
    path TEXT NOT NULL,
    message_zh TEXT NOT NULL,
    message_en TEXT NOT NULL,
    received_by TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE INDEX feed_rejections_received ON feed_rejections (feed, received_at);

CREATE TABLE feed_stats (
    feed TEXT PRIMARY KEY,
    accepted INTEGER NOT NULL DEFAULT 0,
    replayed INTEGER NOT NULL DEFAULT 0,
    rejected INTEGER NOT NULL DEFAULT 0,
    last_received_at TEXT,
    last_event_utc TEXT
);

CREATE TABLE feed_tallies (
    element TEXT NOT NULL,
    unit_code TEXT NOT NULL,
    period TEXT NOT NULL,
    spec TEXT NOT NULL,
    n INTEGER NOT NULL,
    total TEXT NOT NULL,
    under_n INTEGER NOT NULL,
    latest_utc TEXT,
    latest_id TEXT,
    latest TEXT,
    PRIMARY KEY (element, unit_code, period)
);
