-- Monthly team reports on a catalogue of indicators (chỉ tiêu) kept as data. A team leader saves
-- a draft and submits; the commune officer approves (locked) or returns it with a comment. The
-- totals per commune, month and indicator, and the counts of reports received and on time, are
-- kept up to date in the same transaction as each submission and return, so that dashboards
-- answer at once and at national scale; `congdongso report verify` recounts them.

create table indicator (
    indicator_id integer primary key,
    code text not null unique,
    name text not null,
    unit_of_measure text not null,
    sort_order integer not null,
    active integer not null default 1 check (active in (0, 1)),
    created_at text not null
);

create table team_report (
    team_report_id integer primary key,
    team_id integer not null references team (team_id),
    month text not null,
    status text not null default 'draft' check (status in ('draft', 'submitted', 'approved', 'returned')),
    -- The commune whose totals the report counts in (the team's village's commune when submitted).
    commune_id integer not null references unit (unit_id),
    submission_key text,
    submitted_at text,
    submitted_by text,
    late integer not null default 0 check (late in (0, 1)),
    decided_at text,
    decided_by text,
    comment text not null default '',
    created_at text not null,
    updated_at text not null,
    unique (team_id, month)
);
create unique index team_report_submission on team_report (submission_key) where submission_key is not null;
create index team_report_commune_month on team_report (commune_id, month);

create table report_value (
    team_report_id integer not null references team_report (team_report_id),
    indicator_id integer not null references indicator (indicator_id),
    value integer not null check (value >= 0),
    primary key (team_report_id, indicator_id)
);

create table report_total (
    commune_id integer not null references unit (unit_id),
    month text not null,
    indicator_id integer not null references indicator (indicator_id),
    total integer not null,
    primary key (commune_id, month, indicator_id)
);

create table report_count (
    commune_id integer not null references unit (unit_id),
    month text not null,
    received integer not null,
    on_time integer not null,
    primary key (commune_id, month)
);
