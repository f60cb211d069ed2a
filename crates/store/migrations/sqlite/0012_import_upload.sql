-- Files uploaded for importing (nhập danh sách từ Excel), kept between the preview and the apply
-- so that what is applied is the file that was previewed. Each belongs to the user who uploaded
-- it; the column mapping they corrected is kept beside it. Uploads older than a day are deleted
-- when a new one is stored; their ids are never reused, so a page left open from a deleted upload
-- cannot reach a newer one.

create table import_upload (
    import_upload_id integer primary key autoincrement,
    user_id integer not null references app_user (user_id),
    file_name text not null,
    kind text not null,
    sheet text,
    overrides text not null default '',
    bytes blob not null,
    created_at text not null
);
create index import_upload_user on import_upload (user_id);
create index import_upload_created on import_upload (created_at);
