-- P12: what an inspection team records at a unit: the round's checklist (items with their
-- points; the score is their sum) and the hazards found (location, category, severity,
-- deadline), each opening a rectification task whose severity the rate elements can select
-- (重大事故隐患整改率 counts the major ones).
ALTER TABLE rectifications ADD COLUMN severity TEXT NOT NULL DEFAULT '';

CREATE TABLE inspection_checklist (
    round_id BIGINT NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    -- the item's full marks (exact decimal text)
    points TEXT NOT NULL,
    position BIGINT NOT NULL,
    PRIMARY KEY (round_id, code)
);

CREATE TABLE inspection_item_scores (
    round_id BIGINT NOT NULL,
    unit TEXT NOT NULL,
    item TEXT NOT NULL,
    -- exact decimal text, within 0 and the item's points
    score TEXT NOT NULL,
    PRIMARY KEY (round_id, unit, item)
);

CREATE TABLE inspection_hazards (
    id BIGSERIAL PRIMARY KEY,
    round_id BIGINT NOT NULL,
    unit TEXT NOT NULL,
    team TEXT NOT NULL,
    location TEXT NOT NULL,
    -- fire, chemicals, construction, traffic, equipment, gas, industry, other
    category TEXT NOT NULL,
    -- general (一般隐患) or major (重大隐患)
    severity TEXT NOT NULL,
    description TEXT NOT NULL,
    deadline TEXT NOT NULL,
    -- the rectification task it opened
    task_id BIGINT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX inspection_hazards_round ON inspection_hazards (round_id, unit);
