-- Coverage and the trained share of each commune (villages with an active team among active
-- villages; active members present at a training session among active members), kept so that a
-- province's or the whole country's dashboard adds a few thousand rows instead of counting every
-- member. The counts depend on the day (teams and memberships begin and end on dates), so a row
-- holds the day it was counted for and the first later day on which one of the commune's teams
-- or memberships begins or ends (`counted_until`, null when none does): the counts hold from the
-- one to the day before the other. Every change that may alter a commune's counts (its villages,
-- their teams, the teams' memberships, the attendance of anyone who was ever a member there) bumps
-- the commune's `generation` in the same transaction; a row counted at an older generation or for
-- a day outside its span is counted again when next read. Reading never trusts a row whose generation moved.

create table reach_kept (
    commune_id bigint primary key references unit (unit_id),
    generation bigint not null default 0,
    counted_generation bigint,
    counted_on text,
    counted_until text,
    villages bigint not null default 0,
    villages_with_team bigint not null default 0,
    members bigint not null default 0,
    members_trained bigint not null default 0
);

create index membership_person on membership (person_id);

-- Bumps the generation of every commune in a set (nulls ignored).
create function reach_bump(communes bigint[]) returns void language sql as $$
    insert into reach_kept (commune_id, generation)
    select distinct c, 1 from unnest(communes) as c where c is not null
    on conflict (commune_id) do update set generation = reach_kept.generation + 1
$$;

create function reach_village() returns trigger language plpgsql as $$
begin
    if tg_op = 'INSERT' then
        perform reach_bump(array[new.commune_id]);
    elsif tg_op = 'DELETE' then
        perform reach_bump(array[old.commune_id]);
    else
        perform reach_bump(array[old.commune_id, new.commune_id]);
    end if;
    return null;
end
$$;

create trigger reach_village after insert or delete or update of commune_id, status on village
    for each row execute function reach_village();

create function reach_team() returns trigger language plpgsql as $$
declare
    ids bigint[] := array[]::bigint[];
begin
    if tg_op <> 'INSERT' then
        ids := ids || old.village_id;
    end if;
    if tg_op <> 'DELETE' then
        ids := ids || new.village_id;
    end if;
    perform reach_bump(array(select commune_id from village where village_id = any(ids)));
    return null;
end
$$;

create trigger reach_team after insert or delete or update of village_id, established_on, dissolved_on, status on team
    for each row execute function reach_team();

create function reach_membership() returns trigger language plpgsql as $$
declare
    ids bigint[] := array[]::bigint[];
begin
    if tg_op <> 'INSERT' then
        ids := ids || old.team_id;
    end if;
    if tg_op <> 'DELETE' then
        ids := ids || new.team_id;
    end if;
    perform reach_bump(array(select v.commune_id from team t join village v on v.village_id = t.village_id
                             where t.team_id = any(ids)));
    return null;
end
$$;

create trigger reach_membership after insert or delete or update of team_id, person_id, joined_on, left_on on membership
    for each row execute function reach_membership();

create function reach_attendance() returns trigger language plpgsql as $$
declare
    ids bigint[] := array[]::bigint[];
begin
    if tg_op <> 'INSERT' then
        ids := ids || old.person_id;
    end if;
    if tg_op <> 'DELETE' then
        ids := ids || new.person_id;
    end if;
    perform reach_bump(array(select v.commune_id from membership m join team t on t.team_id = m.team_id
                             join village v on v.village_id = t.village_id where m.person_id = any(ids)));
    return null;
end
$$;

create trigger reach_attendance after insert or delete or update of status, person_id on attendance
    for each row execute function reach_attendance();
