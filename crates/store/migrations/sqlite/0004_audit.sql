-- The audit trail (nhật ký thao tác): every write, who made it, from where, on what, with the
-- values before and after, written in the same transaction as the write. Append-only.

create table audit_event (
    audit_event_id integer primary key,
    occurred_at text not null,
    actor text not null,
    channel text not null,
    address text,
    entity text not null,
    entity_id integer,
    action text not null,
    unit_path text,
    before_json text,
    after_json text
);
create index audit_event_time on audit_event (occurred_at);
create index audit_event_entity on audit_event (entity, entity_id);

create trigger audit_event_no_update before update on audit_event
begin
    select raise(abort, 'nhật ký thao tác chỉ được ghi thêm');
end;
create trigger audit_event_no_delete before delete on audit_event
begin
    select raise(abort, 'nhật ký thao tác chỉ được ghi thêm');
end;
