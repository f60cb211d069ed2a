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
    commune_id integer primary key references unit (unit_id),
    generation integer not null default 0,
    counted_generation integer,
    counted_on text,
    counted_until text,
    villages integer not null default 0,
    villages_with_team integer not null default 0,
    members integer not null default 0,
    members_trained integer not null default 0
);

create index membership_person on membership (person_id);

create trigger reach_village_insert after insert on village begin
    insert into reach_kept (commune_id, generation) values (new.commune_id, 1)
    on conflict (commune_id) do update set generation = generation + 1;
end;

create trigger reach_village_update after update of commune_id, status on village begin
    insert into reach_kept (commune_id, generation) values (old.commune_id, 1)
    on conflict (commune_id) do update set generation = generation + 1;
    insert into reach_kept (commune_id, generation) values (new.commune_id, 1)
    on conflict (commune_id) do update set generation = generation + 1;
end;

create trigger reach_village_delete after delete on village begin
    insert into reach_kept (commune_id, generation) values (old.commune_id, 1)
    on conflict (commune_id) do update set generation = generation + 1;
end;

create trigger reach_team_insert after insert on team begin
    insert into reach_kept (commune_id, generation)
    select commune_id, 1 from village where village_id = new.village_id
    on conflict (commune_id) do update set generation = generation + 1;
end;

create trigger reach_team_update after update of village_id, established_on, dissolved_on, status on team begin
    insert into reach_kept (commune_id, generation)
    select commune_id, 1 from village where village_id in (old.village_id, new.village_id)
    on conflict (commune_id) do update set generation = generation + 1;
end;

create trigger reach_team_delete after delete on team begin
    insert into reach_kept (commune_id, generation)
    select commune_id, 1 from village where village_id = old.village_id
    on conflict (commune_id) do update set generation = generation + 1;
end;

create trigger reach_membership_insert after insert on membership begin
    insert into reach_kept (commune_id, generation)
    select v.commune_id, 1 from team t join village v on v.village_id = t.village_id where t.team_id = new.team_id
    on conflict (commune_id) do update set generation = generation + 1;
end;

create trigger reach_membership_update after update of team_id, person_id, joined_on, left_on on membership begin
    insert into reach_kept (commune_id, generation)
    select distinct v.commune_id, 1 from team t join village v on v.village_id = t.village_id
    where t.team_id in (old.team_id, new.team_id)
    on conflict (commune_id) do update set generation = generation + 1;
end;

create trigger reach_membership_delete after delete on membership begin
    insert into reach_kept (commune_id, generation)
    select v.commune_id, 1 from team t join village v on v.village_id = t.village_id where t.team_id = old.team_id
    on conflict (commune_id) do update set generation = generation + 1;
end;

create trigger reach_attendance_insert after insert on attendance begin
    insert into reach_kept (commune_id, generation)
    select distinct v.commune_id, 1 from membership m join team t on t.team_id = m.team_id
    join village v on v.village_id = t.village_id where m.person_id = new.person_id
    on conflict (commune_id) do update set generation = generation + 1;
end;

create trigger reach_attendance_update after update of status, person_id on attendance begin
    insert into reach_kept (commune_id, generation)
    select distinct v.commune_id, 1 from membership m join team t on t.team_id = m.team_id
    join village v on v.village_id = t.village_id where m.person_id in (old.person_id, new.person_id)
    on conflict (commune_id) do update set generation = generation + 1;
end;

create trigger reach_attendance_delete after delete on attendance begin
    insert into reach_kept (commune_id, generation)
    select distinct v.commune_id, 1 from membership m join team t on t.team_id = m.team_id
    join village v on v.village_id = t.village_id where m.person_id = old.person_id
    on conflict (commune_id) do update set generation = generation + 1;
end;
