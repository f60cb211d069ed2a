-- Dated units: change sets, the links between a unit and its predecessors and successors, and
-- where each village lay over time. `village.commune_id` stays the village's current commune
-- (the open placement), updated in the same transaction as the placements.

create table unit_change_set (
    unit_change_set_id integer primary key,
    effective_on text not null,
    source text not null,
    fingerprint text not null unique,
    summary text not null,
    applied_at text not null
);

create table unit_link (
    unit_link_id integer primary key,
    predecessor_id integer not null references unit (unit_id),
    successor_id integer not null references unit (unit_id),
    kind text not null check (kind in ('merge', 'split', 'rename', 'move', 'end_level')),
    unit_change_set_id integer not null references unit_change_set (unit_change_set_id),
    unique (predecessor_id, successor_id)
);
create index unit_link_successor on unit_link (successor_id);

create table village_placement (
    village_placement_id integer primary key,
    village_id integer not null references village (village_id),
    commune_id integer not null references unit (unit_id),
    valid_from text not null,
    valid_to text,
    unit_change_set_id integer references unit_change_set (unit_change_set_id)
);
create index village_placement_village on village_placement (village_id);
create index village_placement_commune on village_placement (commune_id);

-- Every village so far has lain in its commune since that commune's row began.
insert into village_placement (village_id, commune_id, valid_from, valid_to)
select v.village_id, v.commune_id, u.valid_from, v.ended_on
from village v join unit u on u.unit_id = v.commune_id;

-- Two villages of one name may meet in a commune after a merger: they are flagged for a person
-- to rename or merge, not refused, so the name index is no longer unique. New names are still
-- checked by the application.
drop index village_active_name;
create index village_commune_name on village (commune_id, search_text);
alter table village add column review_note text;
-- A village merged into another (sáp nhập thôn) points at the one that absorbed it.
alter table village add column merged_into_id integer references village (village_id);

-- Dated reports find a village's team whatever its status.
create index team_village on team (village_id);
