-- The registry: administrative units, villages, teams, people and their memberships,
-- users and their sessions. Dates are ISO text (yyyy-mm-dd), timestamps RFC 3339 UTC text,
-- both written by the application so that SQLite and PostgreSQL hold the same values.

create table unit (
    unit_id integer primary key,
    code text not null,
    name text not null,
    level text not null check (level in ('province', 'district', 'commune')),
    parent_id integer references unit (unit_id),
    path text not null,
    valid_from text not null,
    valid_to text,
    search_text text not null,
    sort_key text not null,
    created_at text not null,
    updated_at text not null,
    unique (code, valid_from)
);
create unique index unit_current_code on unit (code) where valid_to is null;
create index unit_parent on unit (parent_id);
create index unit_path on unit (path);

create table village (
    village_id integer primary key,
    commune_id integer not null references unit (unit_id),
    name text not null,
    search_text text not null,
    sort_key text not null,
    status text not null default 'active' check (status in ('active', 'inactive')),
    ended_on text,
    created_at text not null,
    updated_at text not null
);
create unique index village_active_name on village (commune_id, search_text) where status = 'active';
create index village_commune on village (commune_id);

create table team (
    team_id integer primary key,
    village_id integer not null references village (village_id),
    name text not null,
    search_text text not null,
    sort_key text not null,
    established_on text not null,
    zalo_url text,
    status text not null default 'active' check (status in ('active', 'dissolved')),
    dissolved_on text,
    created_at text not null,
    updated_at text not null,
    check ((status = 'dissolved' and dissolved_on is not null) or (status = 'active' and dissolved_on is null))
);
create unique index team_one_active_per_village on team (village_id) where status = 'active';

create table person (
    person_id integer primary key,
    full_name text not null,
    search_text text not null,
    sort_key text not null,
    gender text not null check (gender in ('male', 'female')),
    birth_date text,
    birth_year integer,
    phone text not null,
    cccd text,
    email text,
    created_at text not null,
    updated_at text not null
);
create unique index person_cccd on person (cccd) where cccd is not null;
create index person_sort on person (sort_key);
create index person_phone on person (phone);

create table membership (
    membership_id integer primary key,
    person_id integer not null references person (person_id),
    team_id integer not null references team (team_id),
    role text not null check (role in ('leader', 'deputy', 'member')),
    position text not null check (position in ('commune_official', 'party_secretary', 'village_head',
        'youth_union', 'women_union', 'farmers_union', 'veterans_association', 'police', 'teacher', 'other')),
    joined_on text not null,
    left_on text,
    created_at text not null,
    updated_at text not null
);
create unique index membership_one_active_team on membership (person_id) where left_on is null;
create index membership_team on membership (team_id);

create table app_user (
    user_id integer primary key,
    login text not null unique,
    display_name text not null,
    password_hash text not null,
    role text not null default 'admin' check (role in ('admin')),
    status text not null default 'active' check (status in ('active', 'disabled')),
    created_at text not null,
    updated_at text not null
);

create table user_session (
    user_session_id integer primary key,
    token_hash text not null unique,
    user_id integer not null references app_user (user_id),
    csrf_token text not null,
    created_at text not null,
    last_seen_at text not null,
    expires_at text not null
);
create index user_session_user on user_session (user_id);

create table setting (
    key text primary key,
    value text not null
);
