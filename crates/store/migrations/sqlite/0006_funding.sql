-- Funding policies (chính sách hỗ trợ) as data. A policy is a chain of versions sharing a key;
-- changing it makes a new version and marks the old one superseded, so that whatever was computed
-- under the old one keeps pointing at it. Amounts are whole đồng.

create table funding_policy (
    funding_policy_id integer primary key,
    policy_key text not null,
    version integer not null check (version > 0),
    name text not null,
    name_key text not null,
    legal_basis text not null default '',
    kind text not null check (kind in ('team_month', 'member_month', 'work_day', 'one_off')),
    amount integer not null check (amount >= 0),
    effective_from text not null,
    effective_to text,
    scope_unit_id integer not null references unit (unit_id),
    cap_months integer check (cap_months is null or cap_months > 0),
    cap_per_year integer check (cap_per_year is null or cap_per_year > 0),
    source text not null check (source in ('province', 'district', 'commune')),
    status text not null check (status in ('proposed', 'in_force', 'withdrawn')),
    note text not null default '',
    created_at text not null,
    superseded_at text,
    check (effective_to is null or effective_to > effective_from),
    unique (policy_key, version)
);
-- One current version per key, and current names differ.
create unique index funding_policy_current on funding_policy (policy_key) where superseded_at is null;
create unique index funding_policy_current_name on funding_policy (name_key) where superseded_at is null;
create index funding_policy_scope on funding_policy (scope_unit_id);
