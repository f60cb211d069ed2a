-- Indicator totals of every district and province (and any unit above a commune), kept beside
-- the commune totals of 0008 in the same transaction as each submission, return and correction,
-- so that a province's or the whole country's dashboard reads nine rows a month instead of every
-- commune's. A unit's row holds the sum of the commune totals under its path;
-- `congdongso report verify` recounts it.

create table report_rollup (
    unit_id integer not null references unit (unit_id),
    month text not null,
    indicator_id integer not null references indicator (indicator_id),
    total integer not null,
    primary key (unit_id, month, indicator_id)
);

with above (unit_id, commune_id) as materialized (
    select a.unit_id, c.unit_id from unit a join unit c on a.valid_to is null and a.level <> 'commune'
    and c.unit_id <> a.unit_id and substr(c.path, 1, length(a.path)) = a.path)
insert into report_rollup (unit_id, month, indicator_id, total)
select x.unit_id, k.month, k.indicator_id, cast(sum(k.total) as bigint) from above x
join report_total k on k.commune_id = x.commune_id group by x.unit_id, k.month, k.indicator_id;

-- Teams expected to report, kept per commune like the report totals: a month's report is expected
-- from every team active on its 15th, and counting those teams one by one under the whole country
-- reads every team. Teams are tallied by their commune, the first month they are expected (the
-- month whose 15th is on or after their founding) and the first month they are no longer
-- ('9999-12' while active); triggers keep the tally in the same transaction as every change to a
-- team or to a village's commune. A month's expected teams are the rows with
-- from_month <= month < to_month.

create table team_tally (
    commune_id integer not null references unit (unit_id),
    from_month text not null,
    to_month text not null,
    teams integer not null,
    primary key (commune_id, from_month, to_month)
);

insert into team_tally (commune_id, from_month, to_month, teams)
select v.commune_id, (case when t.established_on is null then '9999-12' when cast(substr(t.established_on, 9, 2) as integer) <= 15 then substr(t.established_on, 1, 7) else strftime('%Y-%m', t.established_on, 'start of month', '+1 month') end), (case when t.dissolved_on is null then '9999-12' when cast(substr(t.dissolved_on, 9, 2) as integer) <= 15 then substr(t.dissolved_on, 1, 7) else strftime('%Y-%m', t.dissolved_on, 'start of month', '+1 month') end), count(*)
from team t join village v on v.village_id = t.village_id where 1 = 1 group by 1, 2, 3;

create trigger team_tally_insert after insert on team begin
    insert into team_tally (commune_id, from_month, to_month, teams)
    select v.commune_id, (case when new.established_on is null then '9999-12' when cast(substr(new.established_on, 9, 2) as integer) <= 15 then substr(new.established_on, 1, 7) else strftime('%Y-%m', new.established_on, 'start of month', '+1 month') end), (case when new.dissolved_on is null then '9999-12' when cast(substr(new.dissolved_on, 9, 2) as integer) <= 15 then substr(new.dissolved_on, 1, 7) else strftime('%Y-%m', new.dissolved_on, 'start of month', '+1 month') end), 1 from village v
    where v.village_id = new.village_id
    on conflict (commune_id, from_month, to_month) do update set teams = teams + excluded.teams;
end;

create trigger team_tally_delete after delete on team begin
    insert into team_tally (commune_id, from_month, to_month, teams)
    select v.commune_id, (case when old.established_on is null then '9999-12' when cast(substr(old.established_on, 9, 2) as integer) <= 15 then substr(old.established_on, 1, 7) else strftime('%Y-%m', old.established_on, 'start of month', '+1 month') end), (case when old.dissolved_on is null then '9999-12' when cast(substr(old.dissolved_on, 9, 2) as integer) <= 15 then substr(old.dissolved_on, 1, 7) else strftime('%Y-%m', old.dissolved_on, 'start of month', '+1 month') end), -1 from village v
    where v.village_id = old.village_id
    on conflict (commune_id, from_month, to_month) do update set teams = teams + excluded.teams;
end;

create trigger team_tally_update after update of village_id, established_on, dissolved_on on team begin
    insert into team_tally (commune_id, from_month, to_month, teams)
    select v.commune_id, (case when old.established_on is null then '9999-12' when cast(substr(old.established_on, 9, 2) as integer) <= 15 then substr(old.established_on, 1, 7) else strftime('%Y-%m', old.established_on, 'start of month', '+1 month') end), (case when old.dissolved_on is null then '9999-12' when cast(substr(old.dissolved_on, 9, 2) as integer) <= 15 then substr(old.dissolved_on, 1, 7) else strftime('%Y-%m', old.dissolved_on, 'start of month', '+1 month') end), -1 from village v
    where v.village_id = old.village_id
    on conflict (commune_id, from_month, to_month) do update set teams = teams + excluded.teams;
    insert into team_tally (commune_id, from_month, to_month, teams)
    select v.commune_id, (case when new.established_on is null then '9999-12' when cast(substr(new.established_on, 9, 2) as integer) <= 15 then substr(new.established_on, 1, 7) else strftime('%Y-%m', new.established_on, 'start of month', '+1 month') end), (case when new.dissolved_on is null then '9999-12' when cast(substr(new.dissolved_on, 9, 2) as integer) <= 15 then substr(new.dissolved_on, 1, 7) else strftime('%Y-%m', new.dissolved_on, 'start of month', '+1 month') end), 1 from village v
    where v.village_id = new.village_id
    on conflict (commune_id, from_month, to_month) do update set teams = teams + excluded.teams;
end;

create trigger team_tally_village after update of commune_id on village when new.commune_id <> old.commune_id begin
    insert into team_tally (commune_id, from_month, to_month, teams)
    select old.commune_id, (case when t.established_on is null then '9999-12' when cast(substr(t.established_on, 9, 2) as integer) <= 15 then substr(t.established_on, 1, 7) else strftime('%Y-%m', t.established_on, 'start of month', '+1 month') end), (case when t.dissolved_on is null then '9999-12' when cast(substr(t.dissolved_on, 9, 2) as integer) <= 15 then substr(t.dissolved_on, 1, 7) else strftime('%Y-%m', t.dissolved_on, 'start of month', '+1 month') end), -count(*) from team t
    where t.village_id = new.village_id group by 1, 2, 3
    on conflict (commune_id, from_month, to_month) do update set teams = teams + excluded.teams;
    insert into team_tally (commune_id, from_month, to_month, teams)
    select new.commune_id, (case when t.established_on is null then '9999-12' when cast(substr(t.established_on, 9, 2) as integer) <= 15 then substr(t.established_on, 1, 7) else strftime('%Y-%m', t.established_on, 'start of month', '+1 month') end), (case when t.dissolved_on is null then '9999-12' when cast(substr(t.dissolved_on, 9, 2) as integer) <= 15 then substr(t.dissolved_on, 1, 7) else strftime('%Y-%m', t.dissolved_on, 'start of month', '+1 month') end), count(*) from team t
    where t.village_id = new.village_id group by 1, 2, 3
    on conflict (commune_id, from_month, to_month) do update set teams = teams + excluded.teams;
end;
