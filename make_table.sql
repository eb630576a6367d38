-- Chatroom schema and sample data in plain SQL, for the PostgreSQL container
-- (docker-entrypoint-initdb.d). It matches the Alembic migrations exactly (a test compares
-- the two) and records their revision, so the server's own migration step finds nothing to do.
-- The sample users alice, bob and carol have the password "chatroom sample password".

BEGIN;

CREATE TABLE alembic_version (
    version_num varchar(32) NOT NULL,
    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
INSERT INTO alembic_version (version_num) VALUES ('0008');

CREATE TABLE users (
    id bigserial NOT NULL,
    email varchar(320) NOT NULL,
    username varchar(32) NOT NULL,
    password_hash varchar(255) NOT NULL,
    created_at timestamp with time zone NOT NULL,
    email_folded varchar(320) NOT NULL,
    role varchar(16) DEFAULT 'member' NOT NULL,
    CONSTRAINT pk_users PRIMARY KEY (id)
);
CREATE UNIQUE INDEX uq_users_email_folded ON users (email_folded);
CREATE UNIQUE INDEX uq_users_username_lower ON users (lower(username));

CREATE TABLE auth_sessions (
    token_hash varchar(64) NOT NULL,
    user_id bigint NOT NULL,
    created_at timestamp with time zone NOT NULL,
    last_seen_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_auth_sessions PRIMARY KEY (token_hash),
    CONSTRAINT fk_auth_sessions_user_id_users FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX ix_auth_sessions_user_id ON auth_sessions (user_id);

CREATE TABLE rooms (
    id bigserial NOT NULL,
    slug varchar(64) NOT NULL,
    name varchar(120) NOT NULL,
    seq bigint DEFAULT '0' NOT NULL,
    topic varchar(200) DEFAULT '' NOT NULL,
    created_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_rooms PRIMARY KEY (id),
    CONSTRAINT uq_rooms_slug UNIQUE (slug)
);

-- Search (chatroom/services/search.py): bodies with accents folded and ASCII punctuation as
-- spaces. unaccent() alone is only STABLE; naming the dictionary makes this IMMUTABLE.
CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA public;
CREATE FUNCTION chatroom_search_text(body text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$SELECT translate(public.unaccent('public.unaccent'::regdictionary, body), '!"#$%&''()*+,-./:;<=>?@[\]^_`{|}~', '                                ')$$;

CREATE TABLE messages (
    id bigserial NOT NULL,
    room_id bigint NOT NULL,
    author_id bigint NOT NULL,
    body text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    upvotes integer DEFAULT 0 NOT NULL,
    downvotes integer DEFAULT 0 NOT NULL,
    client_id varchar(64),
    seq bigint NOT NULL,
    wilson_lb double precision DEFAULT '0' NOT NULL,
    edited_at timestamp with time zone,
    deleted boolean DEFAULT false NOT NULL,
    search_vector tsvector GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, chatroom_search_text(body))) STORED,
    mentions json DEFAULT '[]' NOT NULL,
    CONSTRAINT pk_messages PRIMARY KEY (id),
    CONSTRAINT fk_messages_room_id_rooms FOREIGN KEY (room_id) REFERENCES rooms (id) ON DELETE CASCADE,
    CONSTRAINT fk_messages_author_id_users FOREIGN KEY (author_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT uq_messages_author_id_client_id UNIQUE (author_id, client_id)
);
CREATE INDEX ix_messages_room_id_id ON messages (room_id, id);
CREATE INDEX ix_messages_room_id_seq ON messages (room_id, seq);
CREATE INDEX ix_messages_room_id_wilson_lb_id ON messages (room_id, wilson_lb DESC, id);
CREATE INDEX ix_messages_room_id_created_at_id ON messages (room_id, created_at, id);
CREATE INDEX ix_messages_room_id_created_at_voted ON messages (room_id, created_at) WHERE wilson_lb > 0;
CREATE INDEX ix_messages_search_vector ON messages USING gin (search_vector);

CREATE TABLE message_mentions (
    message_id bigint NOT NULL,
    user_id bigint NOT NULL,
    room_id bigint NOT NULL,
    CONSTRAINT pk_message_mentions PRIMARY KEY (message_id, user_id),
    CONSTRAINT fk_message_mentions_message_id_messages FOREIGN KEY (message_id) REFERENCES messages (id) ON DELETE CASCADE,
    CONSTRAINT fk_message_mentions_user_id_users FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT fk_message_mentions_room_id_rooms FOREIGN KEY (room_id) REFERENCES rooms (id) ON DELETE CASCADE
);
CREATE INDEX ix_message_mentions_user_id_message_id ON message_mentions (user_id, message_id);
CREATE INDEX ix_message_mentions_user_id_room_id_message_id ON message_mentions (user_id, room_id, message_id);

CREATE TABLE votes (
    user_id bigint NOT NULL,
    message_id bigint NOT NULL,
    value smallint NOT NULL,
    created_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_votes PRIMARY KEY (user_id, message_id),
    CONSTRAINT fk_votes_user_id_users FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT fk_votes_message_id_messages FOREIGN KEY (message_id) REFERENCES messages (id) ON DELETE CASCADE,
    CONSTRAINT ck_votes_value_is_one_or_minus_one CHECK (value IN (1, -1))
);
CREATE INDEX ix_votes_message_id ON votes (message_id);

CREATE TABLE room_members (
    user_id bigint NOT NULL,
    room_id bigint NOT NULL,
    last_read_id bigint DEFAULT '0' NOT NULL,
    joined_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_room_members PRIMARY KEY (user_id, room_id),
    CONSTRAINT fk_room_members_user_id_users FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT fk_room_members_room_id_rooms FOREIGN KEY (room_id) REFERENCES rooms (id) ON DELETE CASCADE
);
CREATE INDEX ix_room_members_room_id ON room_members (room_id);

CREATE TABLE api_tokens (
    id bigserial NOT NULL,
    user_id bigint NOT NULL,
    name varchar(64) NOT NULL,
    secret_hash varchar(64) NOT NULL,
    created_at timestamp with time zone NOT NULL,
    last_used_at timestamp with time zone,
    revoked_at timestamp with time zone,
    CONSTRAINT pk_api_tokens PRIMARY KEY (id),
    CONSTRAINT uq_api_tokens_secret_hash UNIQUE (secret_hash),
    CONSTRAINT fk_api_tokens_user_id_users FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX ix_api_tokens_user_id ON api_tokens (user_id);
CREATE TABLE message_versions (
    id bigserial NOT NULL,
    message_id bigint NOT NULL,
    body text NOT NULL,
    edited_at timestamp with time zone,
    CONSTRAINT pk_message_versions PRIMARY KEY (id),
    CONSTRAINT fk_message_versions_message_id_messages FOREIGN KEY (message_id) REFERENCES messages (id) ON DELETE CASCADE
);
CREATE INDEX ix_message_versions_message_id ON message_versions (message_id);

CREATE TABLE mutes (
    room_id bigint NOT NULL,
    user_id bigint NOT NULL,
    until timestamp with time zone NOT NULL,
    reason varchar(200) NOT NULL,
    moderator_id bigint NOT NULL,
    created_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_mutes PRIMARY KEY (room_id, user_id),
    CONSTRAINT fk_mutes_room_id_rooms FOREIGN KEY (room_id) REFERENCES rooms (id) ON DELETE CASCADE,
    CONSTRAINT fk_mutes_user_id_users FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT fk_mutes_moderator_id_users FOREIGN KEY (moderator_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX ix_mutes_user_id ON mutes (user_id);

CREATE TABLE moderation_log (
    id bigserial NOT NULL,
    room_id bigint NOT NULL,
    action varchar(16) NOT NULL,
    moderator_id bigint NOT NULL,
    target_id bigint,
    message_id bigint,
    reason varchar(200) NOT NULL,
    until timestamp with time zone,
    role varchar(16),
    created_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_moderation_log PRIMARY KEY (id),
    CONSTRAINT fk_moderation_log_room_id_rooms FOREIGN KEY (room_id) REFERENCES rooms (id) ON DELETE CASCADE,
    CONSTRAINT fk_moderation_log_moderator_id_users FOREIGN KEY (moderator_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT fk_moderation_log_target_id_users FOREIGN KEY (target_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT fk_moderation_log_message_id_messages FOREIGN KEY (message_id) REFERENCES messages (id) ON DELETE SET NULL
);
CREATE INDEX ix_moderation_log_room_id_id ON moderation_log (room_id, id);

-- Sample data: the same people, messages and votes as make_table.py.
INSERT INTO rooms (slug, name, seq, created_at) VALUES ('general', 'General', 9, now());

-- alice, the first account, is the admin.
INSERT INTO users (email, email_folded, username, password_hash, created_at, role) VALUES
    ('alice@example.com', 'alice@example.com', 'alice', '$argon2id$v=19$m=19456,t=2,p=1$/yS9Hs3fu8qH66Y398oXKg$IS9XXZQ39jVCHRsI2ExKqf6qiaGRB+ENKOU8JHagCFo', now(), 'admin'),
    ('bob@example.com', 'bob@example.com', 'bob', '$argon2id$v=19$m=19456,t=2,p=1$POLEB35og0Xeq7+pIxEivA$SMiJE5ugZ56YUuZj1fdhN5j3Jhm6QPoQiBZK81wiCwo', now(), 'member'),
    ('carol@example.com', 'carol@example.com', 'carol', '$argon2id$v=19$m=19456,t=2,p=1$32l5xJIY9EcNLpNszyrASw$rkAoeAa7NgzNP01W4MajhWRHWxxvjPeDRDCBrWg53kk', now(), 'member');

-- seq: each message took one number when sent (1-4); the five votes took 5-9.
-- wilson_lb: chatroom.ranking.wilson_lower_bound(upvotes, downvotes), as the server writes it.
INSERT INTO messages (room_id, author_id, body, created_at, upvotes, downvotes, client_id, seq, wilson_lb) VALUES
    (1, 1, 'Welcome to Chatroom! Say hello and vote on what you like.', now(), 2, 0, 'sample-0', 6, 0.3423802275066531),
    (1, 2, 'Hi everyone 👋 Links work too: https://example.com', now(), 1, 1, 'sample-1', 8, 0.09453120573423071),
    (1, 3, E'Line breaks are kept.\nLike this.', now(), 1, 0, 'sample-2', 9, 0.20654931437723742),
    (1, 1, 'Markup stays text: <b>not bold</b>', now(), 0, 0, 'sample-3', 4, 0);

INSERT INTO votes (user_id, message_id, value, created_at) VALUES
    (2, 1, 1, now()), (3, 1, 1, now()), (1, 2, 1, now()), (3, 2, -1, now()), (2, 3, 1, now());

-- Everyone is a member of general from sign-up, with nothing unread then.
INSERT INTO room_members (user_id, room_id, last_read_id, joined_at) VALUES
    (1, 1, 0, now()), (2, 1, 0, now()), (3, 1, 0, now());

COMMIT;
