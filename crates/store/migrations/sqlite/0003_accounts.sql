-- Accounts: API tokens for machine clients (stored hashed) and per-account login lockout.

create table api_token (
    api_token_id integer primary key,
    user_id integer not null references app_user (user_id),
    name text not null,
    token_hash text not null unique,
    created_at text not null,
    last_used_at text,
    revoked_at text
);
create index api_token_user on api_token (user_id);

alter table app_user add column failed_logins integer not null default 0;
alter table app_user add column locked_until text;
