-- Same databases and role rights as scripts/services/postgres.sh creates.
ALTER ROLE chat WITH REPLICATION;
CREATE DATABASE chat_test OWNER chat;
