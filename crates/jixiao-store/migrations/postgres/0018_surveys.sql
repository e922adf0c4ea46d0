-- P12: citizen satisfaction surveys (群众满意度调查). The office opens a questionnaire per unit
-- and period; citizens answer without signing in, with a one-time code (printed slips) or
-- through the open link (lower trust: one answer per device, a daily limit per network). Answers
-- are anonymous: no code, address or device is kept with an answer; the codes and the
-- de-duplication keys are stored only as hashes salted per survey.
CREATE TABLE surveys (
    id BIGSERIAL PRIMARY KEY,
    title TEXT NOT NULL,
    period TEXT NOT NULL,
    -- the element the satisfaction fills (source = "survey") and, optionally, the sample size
    element TEXT NOT NULL,
    sample_element TEXT NOT NULL DEFAULT '',
    -- comma-separated unit codes
    units TEXT NOT NULL,
    -- the questions (JSON: code, text, scale three|five)
    questions TEXT NOT NULL,
    -- below it, no satisfaction value is written (the scheme's missing-data rule applies)
    min_sample BIGINT NOT NULL,
    -- whether the open link is accepted, and its answers per network and day
    open_link BIGINT NOT NULL,
    per_address_daily BIGINT NOT NULL,
    salt TEXT NOT NULL,
    -- open or closed
    state TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);

-- One-time codes, as salted hashes; used once, never linked to the answer.
CREATE TABLE survey_codes (
    survey_id BIGINT NOT NULL,
    code_hash TEXT NOT NULL,
    unit TEXT NOT NULL,
    used BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (survey_id, code_hash)
);

CREATE TABLE survey_answers (
    id BIGSERIAL PRIMARY KEY,
    survey_id BIGINT NOT NULL,
    unit TEXT NOT NULL,
    -- code or open
    channel TEXT NOT NULL,
    -- the choices, in the questions' order (JSON array; 1 = best)
    choices TEXT NOT NULL,
    -- the answer's points (sum over its questions, each 0–100) and questions answered
    points BIGINT NOT NULL,
    answered BIGINT NOT NULL,
    comment TEXT NOT NULL DEFAULT '',
    -- the day (Beijing) only
    day TEXT NOT NULL
);
CREATE INDEX survey_answers_unit ON survey_answers (survey_id, unit);

-- De-duplication of the open link: a device once per survey (day ''), a network's answers per
-- day; keys are salted hashes.
CREATE TABLE survey_keys (
    survey_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    hash TEXT NOT NULL,
    day TEXT NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (survey_id, kind, hash, day)
);
