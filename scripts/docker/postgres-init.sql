-- Same databases and role rights as scripts/services/postgres.sh creates.
ALTER ROLE chat WITH REPLICATION;
CREATE DATABASE chat_test OWNER chat;
-- The keyword (full-text) index beside the vectors: SEARCH_DATABASE_URL.
CREATE DATABASE chat_search OWNER chat;
CREATE DATABASE chat_search_test OWNER chat;
