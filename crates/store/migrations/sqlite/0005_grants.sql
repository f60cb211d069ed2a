-- Grants (phân quyền): a user holds roles on units (and everything under them) or, for a team
-- leader, on a team. A grant with neither unit nor team covers the whole country. A grant that a
-- reorganisation passed from an ended unit to its successor is 'pending' until an administrator
-- confirms it; it works meanwhile, so nobody loses their work on the day of a change.

create table user_grant (
    user_grant_id integer primary key,
    user_id integer not null references app_user (user_id),
    role text not null check (role in ('province_admin', 'province_officer', 'finance_approver',
                                       'commune_officer', 'team_leader', 'viewer')),
    unit_id integer references unit (unit_id),
    team_id integer references team (team_id),
    status text not null default 'active' check (status in ('active', 'pending')),
    passed_from text,
    created_at text not null,
    check ((role = 'team_leader') = (team_id is not null)),
    check (team_id is null or unit_id is null)
);
create unique index user_grant_unique on user_grant (user_id, role, coalesce(unit_id, 0), coalesce(team_id, 0));
create index user_grant_unit on user_grant (unit_id);

-- Until now every user was an administrator of everything: keep them so.
insert into user_grant (user_id, role, status, created_at)
select user_id, 'province_admin', 'active', created_at from app_user;
