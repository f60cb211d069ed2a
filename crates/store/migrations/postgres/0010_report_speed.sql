-- Indicator totals of every district and province (and any unit above a commune), kept beside
-- the commune totals of 0008 in the same transaction as each submission, return and correction,
-- so that a province's or the whole country's dashboard reads nine rows a month instead of every
-- commune's. A unit's row holds the sum of the commune totals under its path;
-- `congdongso report verify` recounts it.

create table report_rollup (
    unit_id bigint not null references unit (unit_id),
    month text not null,
    indicator_id bigint not null references indicator (indicator_id),
    total bigint not null,
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
    commune_id bigint not null references unit (unit_id),
    from_month text not null,
    to_month text not null,
    teams bigint not null,
    primary key (commune_id, from_month, to_month)
);

-- The first month whose 15th is on or after a day ('9999-12' for no day).
create function team_tally_month(day text) returns text language sql immutable as $$
    select case when day is null then '9999-12'
                when cast(substr(day, 9, 2) as integer) <= 15 then substr(day, 1, 7)
                else to_char(date_trunc('month', cast(day as date)) + interval '1 month', 'YYYY-MM') end
$$;

insert into team_tally (commune_id, from_month, to_month, teams)
select v.commune_id, team_tally_month(t.established_on), team_tally_month(t.dissolved_on), count(*)
from team t join village v on v.village_id = t.village_id group by 1, 2, 3;

create function team_tally_add(commune bigint, established text, dissolved text, n bigint) returns void
language sql as $$
    insert into team_tally (commune_id, from_month, to_month, teams)
    values (commune, team_tally_month(established), team_tally_month(dissolved), n)
    on conflict (commune_id, from_month, to_month) do update set teams = team_tally.teams + excluded.teams
$$;

create function team_tally_team() returns trigger language plpgsql as $$
begin
    if tg_op <> 'INSERT' then
        perform team_tally_add((select commune_id from village where village_id = old.village_id),
                               old.established_on, old.dissolved_on, -1);
    end if;
    if tg_op <> 'DELETE' then
        perform team_tally_add((select commune_id from village where village_id = new.village_id),
                               new.established_on, new.dissolved_on, 1);
    end if;
    return null;
end
$$;

create trigger team_tally_team after insert or delete or update of village_id, established_on, dissolved_on on team
    for each row execute function team_tally_team();

create function team_tally_village() returns trigger language plpgsql as $$
begin
    insert into team_tally (commune_id, from_month, to_month, teams)
    select old.commune_id, team_tally_month(established_on), team_tally_month(dissolved_on), -count(*) from team
    where village_id = new.village_id group by 1, 2, 3
    on conflict (commune_id, from_month, to_month) do update set teams = team_tally.teams + excluded.teams;
    insert into team_tally (commune_id, from_month, to_month, teams)
    select new.commune_id, team_tally_month(established_on), team_tally_month(dissolved_on), count(*) from team
    where village_id = new.village_id group by 1, 2, 3
    on conflict (commune_id, from_month, to_month) do update set teams = team_tally.teams + excluded.teams;
    return null;
end
$$;

create trigger team_tally_village after update of commune_id on village
    for each row when (new.commune_id is distinct from old.commune_id) execute function team_tally_village();
