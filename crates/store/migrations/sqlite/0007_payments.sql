-- What teams are owed and paid. Entitlements are computed per month from the policies in force;
-- the database itself refuses a second entitlement for the same policy, team (or member, or
-- work-day claim) and month. Payment lists (bảng kê chi trả) go prepared → submitted → approved
-- → paid; an approved list's lines never change. The ledger is append-only: a mistake found after
-- payment is corrected by a reversal and a new entry, never by editing.

create table work_claim (
    work_claim_id integer primary key,
    person_id integer not null references person (person_id),
    team_id integer not null references team (team_id),
    worked_on text not null,
    task text not null,
    mobilised_by text not null default '',
    status text not null default 'submitted' check (status in ('submitted', 'approved', 'rejected')),
    decided_by text,
    decided_at text,
    created_by text not null,
    created_at text not null,
    unique (person_id, worked_on)
);
create index work_claim_team on work_claim (team_id, worked_on);

create table payment_list (
    payment_list_id integer primary key,
    commune_id integer not null references unit (unit_id),
    month text not null,
    status text not null default 'prepared' check (status in ('prepared', 'submitted', 'approved', 'paid')),
    total integer not null default 0,
    prepared_by text not null,
    prepared_at text not null,
    submitted_by text,
    submitted_at text,
    approved_by text,
    approved_at text,
    paid_by text,
    paid_at text,
    paid_on text,
    -- 1 for a month's list; 2, 3… for supplementary lists of what was owed after it went ahead.
    seq integer not null default 1 check (seq > 0),
    unique (commune_id, month, seq)
);

create table entitlement (
    entitlement_id integer primary key,
    month text not null,
    policy_key text not null,
    funding_policy_id integer not null references funding_policy (funding_policy_id),
    team_id integer not null references team (team_id),
    person_id integer references person (person_id),
    work_claim_id integer references work_claim (work_claim_id),
    commune_id integer not null references unit (unit_id),
    amount integer not null check (amount > 0),
    payment_list_id integer references payment_list (payment_list_id),
    computed_at text not null
);
-- Never twice: a team per policy and month; a member per policy and month; a claim per policy.
create unique index entitlement_team_month on entitlement (policy_key, team_id, month)
    where person_id is null and work_claim_id is null;
create unique index entitlement_member_month on entitlement (policy_key, person_id, month)
    where person_id is not null and work_claim_id is null;
create unique index entitlement_claim on entitlement (policy_key, work_claim_id) where work_claim_id is not null;
create index entitlement_commune_month on entitlement (commune_id, month);

create table payment_line (
    payment_line_id integer primary key,
    payment_list_id integer not null references payment_list (payment_list_id),
    entitlement_id integer not null unique references entitlement (entitlement_id),
    line_no integer not null,
    payee text not null,
    team_id integer not null references team (team_id),
    team_name text not null,
    policy_name text not null,
    amount integer not null check (amount > 0)
);
create index payment_line_list on payment_line (payment_list_id, line_no);

create table ledger_entry (
    ledger_entry_id integer primary key,
    kind text not null check (kind in ('payment', 'reversal', 'adjustment')),
    paid_on text not null,
    month text not null,
    team_id integer not null references team (team_id),
    commune_id integer not null references unit (unit_id),
    payment_line_id integer references payment_line (payment_line_id),
    reverses_id integer unique references ledger_entry (ledger_entry_id),
    amount integer not null check (amount <> 0),
    payee text not null,
    note text not null default '',
    recorded_by text not null,
    recorded_at text not null
);
create index ledger_team on ledger_entry (team_id, paid_on);
create index ledger_commune on ledger_entry (commune_id, paid_on);

-- The ledger is append-only.
create trigger ledger_entry_no_update before update on ledger_entry
begin
    select raise(abort, 'sổ cái chỉ được ghi thêm; sai sót sửa bằng bút toán đảo và bút toán mới');
end;
create trigger ledger_entry_no_delete before delete on ledger_entry
begin
    select raise(abort, 'sổ cái chỉ được ghi thêm; sai sót sửa bằng bút toán đảo và bút toán mới');
end;
-- An approved or paid list is frozen: its lines do not change, and neither does it (but for being
-- marked paid).
create trigger payment_line_frozen_update before update on payment_line
when (select status from payment_list where payment_list_id = old.payment_list_id) in ('approved', 'paid')
begin
    select raise(abort, 'bảng kê đã duyệt không được sửa');
end;
create trigger payment_line_frozen_delete before delete on payment_line
when (select status from payment_list where payment_list_id = old.payment_list_id) in ('approved', 'paid')
begin
    select raise(abort, 'bảng kê đã duyệt không được sửa');
end;
create trigger payment_line_frozen_insert before insert on payment_line
when (select status from payment_list where payment_list_id = new.payment_list_id) in ('approved', 'paid')
begin
    select raise(abort, 'bảng kê đã duyệt không được sửa');
end;
create trigger payment_list_frozen before update on payment_list
when old.status = 'paid' or (old.status = 'approved' and (new.status <> 'paid' or new.total <> old.total))
begin
    select raise(abort, 'bảng kê đã duyệt không được sửa');
end;
