-- Individual Education Plans (and SEN support plans, IDPs), their targets and provision,
-- reviews with outcomes, parents' contributions, every version, and the target bank.

CREATE TABLE plans (
    id TEXT PRIMARY KEY,
    pupil_id TEXT NOT NULL REFERENCES pupils (id),
    school_id TEXT NOT NULL REFERENCES schools (id),
    framework TEXT NOT NULL,
    stage TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'agreed_with_parents', 'active', 'under_review', 'closed')),
    starts_on TEXT NOT NULL,
    review_on TEXT NOT NULL,
    nature TEXT NOT NULL DEFAULT '',
    help_at_home TEXT NOT NULL DEFAULT '',
    pastoral TEXT NOT NULL DEFAULT '',
    pupil_views TEXT NOT NULL DEFAULT '',
    parent_views TEXT NOT NULL DEFAULT '',
    consulted TEXT NOT NULL DEFAULT '',
    agreed_on TEXT,
    agreed_how TEXT,
    previous_plan_id TEXT REFERENCES plans (id),
    version BIGINT NOT NULL DEFAULT 1,
    created_by TEXT,
    created_at TEXT NOT NULL,
    updated_by TEXT,
    updated_at TEXT NOT NULL,
    CHECK (review_on >= starts_on)
);
CREATE INDEX plans_pupil ON plans (pupil_id, starts_on);
CREATE INDEX plans_school_review ON plans (school_id, status, review_on);

CREATE TABLE plan_targets (
    id TEXT PRIMARY KEY,
    plan_id TEXT NOT NULL REFERENCES plans (id),
    pupil_id TEXT NOT NULL REFERENCES pupils (id),
    school_id TEXT NOT NULL REFERENCES schools (id),
    position BIGINT NOT NULL,
    area TEXT,
    target TEXT NOT NULL,
    strategies TEXT NOT NULL DEFAULT '',
    success_criteria TEXT NOT NULL,
    by_when TEXT,
    carried_from TEXT REFERENCES plan_targets (id)
);
CREATE INDEX plan_targets_plan ON plan_targets (plan_id, position);

CREATE TABLE plan_provision (
    id TEXT PRIMARY KEY,
    plan_id TEXT NOT NULL REFERENCES plans (id),
    pupil_id TEXT NOT NULL REFERENCES pupils (id),
    school_id TEXT NOT NULL REFERENCES schools (id),
    position BIGINT NOT NULL,
    what TEXT NOT NULL,
    who TEXT NOT NULL DEFAULT '',
    how_often TEXT NOT NULL DEFAULT '',
    group_size BIGINT,
    from_on TEXT,
    to_on TEXT
);
CREATE INDEX plan_provision_plan ON plan_provision (plan_id, position);

-- Every saved version of a plan, whole, as JSON (who changed what and when).
CREATE TABLE plan_versions (
    id TEXT PRIMARY KEY,
    plan_id TEXT NOT NULL REFERENCES plans (id),
    pupil_id TEXT NOT NULL REFERENCES pupils (id),
    school_id TEXT NOT NULL REFERENCES schools (id),
    version BIGINT NOT NULL,
    data TEXT NOT NULL,
    changed_fields TEXT NOT NULL DEFAULT '',
    changed_by TEXT,
    changed_at TEXT NOT NULL,
    UNIQUE (plan_id, version)
);

CREATE TABLE reviews (
    id TEXT PRIMARY KEY,
    plan_id TEXT NOT NULL REFERENCES plans (id),
    pupil_id TEXT NOT NULL REFERENCES pupils (id),
    school_id TEXT NOT NULL REFERENCES schools (id),
    held_on TEXT NOT NULL,
    invited TEXT NOT NULL DEFAULT '',
    attended TEXT NOT NULL DEFAULT '',
    copy_sent_on TEXT,
    progress TEXT NOT NULL DEFAULT '',
    parent_views TEXT NOT NULL DEFAULT '',
    pupil_views TEXT NOT NULL DEFAULT '',
    decision TEXT NOT NULL CHECK (decision IN ('continue_same_stage', 'move_up', 'move_down', 'off_register', 'request_statutory_assessment')),
    stage_change_id TEXT REFERENCES stage_changes (id),
    next_plan_id TEXT REFERENCES plans (id),
    recorded_by TEXT,
    recorded_at TEXT NOT NULL
);
CREATE INDEX reviews_plan ON reviews (plan_id);

CREATE TABLE target_outcomes (
    id TEXT PRIMARY KEY,
    review_id TEXT NOT NULL REFERENCES reviews (id),
    target_id TEXT NOT NULL REFERENCES plan_targets (id),
    pupil_id TEXT NOT NULL REFERENCES pupils (id),
    school_id TEXT NOT NULL REFERENCES schools (id),
    outcome TEXT NOT NULL CHECK (outcome IN ('achieved', 'partly_achieved', 'not_achieved', 'no_longer_relevant')),
    evidence TEXT NOT NULL DEFAULT ''
);
CREATE INDEX target_outcomes_target ON target_outcomes (target_id);

-- Parents' own words (and their child's) before a review.
CREATE TABLE parent_contributions (
    id TEXT PRIMARY KEY,
    plan_id TEXT NOT NULL REFERENCES plans (id),
    pupil_id TEXT NOT NULL REFERENCES pupils (id),
    school_id TEXT NOT NULL REFERENCES schools (id),
    author_user_id TEXT NOT NULL REFERENCES users (id),
    parent_views TEXT NOT NULL DEFAULT '',
    child_views TEXT NOT NULL DEFAULT '',
    submitted_at TEXT NOT NULL
);
CREATE INDEX parent_contributions_plan ON parent_contributions (plan_id);

-- Well-formed example targets: built in (school_id NULL) or added by a school.
CREATE TABLE target_bank (
    id TEXT PRIMARY KEY,
    school_id TEXT REFERENCES schools (id),
    area TEXT NOT NULL,
    stage TEXT,
    target TEXT NOT NULL,
    strategies TEXT NOT NULL DEFAULT '',
    success_criteria TEXT NOT NULL,
    created_by TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX target_bank_area ON target_bank (area);
