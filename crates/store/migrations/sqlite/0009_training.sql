-- Training (tập huấn): courses with their organiser and topics, sessions on a day at a venue with
-- their trainers, the teams invited, and each member's attendance from the roll call.

create table course (
    course_id integer primary key,
    title text not null,
    organiser text not null,
    topics text not null default '',
    created_at text not null
);

create table training_session (
    training_session_id integer primary key,
    course_id integer not null references course (course_id),
    held_on text not null,
    venue text not null,
    trainers text not null default '',
    created_at text not null
);
create index training_session_day on training_session (held_on);

create table session_invite (
    training_session_id integer not null references training_session (training_session_id),
    team_id integer not null references team (team_id),
    primary key (training_session_id, team_id)
);

create table attendance (
    training_session_id integer not null references training_session (training_session_id),
    person_id integer not null references person (person_id),
    status text not null check (status in ('present', 'absent', 'excused')),
    recorded_by text not null,
    recorded_at text not null,
    primary key (training_session_id, person_id)
);
create index attendance_person on attendance (person_id, status);
