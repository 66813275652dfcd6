-- The sequencer: appends one batch of sealed events to the Merkle log inside the database, so
-- the head row is locked only while the database works (no client round trip while it is
-- held). It stores new data keys (refusing a subject that already has another key), inserts
-- the events, and in notification-id order hashes each record into a leaf (RFC 9162:
-- SHA-256(0x00 || record)), extends the frontier, stores every completed node, the leaf rows
-- and the new head, and notifies listeners. It returns each event's notification id with the
-- new tree size, frontier and root; the caller signs the checkpoint for that root outside the
-- lock (PostgresLedgerRecorder._sequence). The same arithmetic as ledger.merkle.Frontier --
-- and verify recomputes all of it from the records.
--
-- Read by ledger/persistence/schema.py and created with the tables (CREATE OR REPLACE). The
-- names in braces are filled in there (schema, function and table identifiers), so this file
-- is a template, not a script to run as it is.
--
-- Refusals carry SQLSTATEs of their own, which the recorder decides on (never on the message
-- text; ledger/persistence/errors.py):
--   LDG01  the batch is not signed by the ledger's active key (the locked path judges it)
--   LDG02  a data subject already has another data key, or a new key is wrapped by a
--          master key that is no longer the ledger's
--   LDG03  the log head row is missing
CREATE OR REPLACE FUNCTION {s}.{fn}(
    batch_ids uuid[], batch_versions bigint[], batch_topics text[], batch_states bytea[],
    signer bytea, key_subjects uuid[], key_wrapped bytea[], key_masters text[], channel text)
RETURNS TABLE (out_notification_id bigint, out_originator_id uuid, out_version bigint,
               out_size bigint, out_frontier bytea, out_root bytea, out_active bytea)
LANGUAGE plpgsql AS $sequencer$
DECLARE
    old_size bigint;
    front bytea;
    active bytea;
    size bigint;
    stack bytea[] := ARRAY[]::bytea[];
    ids bigint[];
    oids uuid[];
    vers bigint[];
    states bytea[];
    cur bytea;
    lvl int;
    pos bigint;
    nl smallint[] := ARRAY[]::smallint[];
    ni bigint[] := ARRAY[]::bigint[];
    nh bytea[] := ARRAY[]::bytea[];
    stored bigint;
    r bytea;
BEGIN
    SELECT h.tree_size, h.frontier, h.active_key_id INTO old_size, front, active
        FROM {s}.{head} h WHERE h.id = 1 FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'auxledger: the log head row is missing' USING ERRCODE = 'LDG03';
    END IF;
    IF active = ''::bytea OR active <> signer THEN
        RAISE EXCEPTION 'auxledger: the batch is not signed by the ledger''s active key'
            USING ERRCODE = 'LDG01';
    END IF;
    IF cardinality(key_subjects) > 0 THEN
        WITH k AS (
            INSERT INTO {s}.{subject_keys} AS t (subject_id, wrapped, master_key_id, created_at)
            SELECT n.subject, n.wrapped, n.master, now()
            FROM unnest(key_subjects, key_wrapped, key_masters) AS n(subject, wrapped, master)
            -- only keys wrapped by the current master key, if one is recorded (share-locked:
            -- a rotation commits before or after this batch); another is a key conflict
            WHERE n.master = COALESCE((SELECT m.master_key_id FROM {s}.{master_check} m
                                       WHERE m.id = 1 FOR SHARE), n.master)
            ON CONFLICT (subject_id) DO UPDATE SET subject_id = EXCLUDED.subject_id
            WHERE t.wrapped = EXCLUDED.wrapped
            RETURNING 1)
        SELECT count(*) INTO stored FROM k;
        IF stored <> cardinality(key_subjects) THEN
            RAISE EXCEPTION 'subject key conflict' USING ERRCODE = 'LDG02';
        END IF;
    END IF;
    WITH ins AS (
        INSERT INTO {s}.{events} (originator_id, originator_version, topic, state)
        SELECT * FROM unnest(batch_ids, batch_versions, batch_topics, batch_states)
        RETURNING notification_id, originator_id, originator_version, state)
    SELECT array_agg(ins.notification_id ORDER BY ins.notification_id),
           array_agg(ins.originator_id ORDER BY ins.notification_id),
           array_agg(ins.originator_version ORDER BY ins.notification_id),
           array_agg(ins.state ORDER BY ins.notification_id)
        INTO ids, oids, vers, states FROM ins;
    FOR j IN 0 .. length(front) / 32 - 1 LOOP
        stack := stack || substring(front FROM j * 32 + 1 FOR 32);
    END LOOP;
    size := old_size;
    FOR i IN 1 .. cardinality(ids) LOOP
        cur := sha256('\x00'::bytea || states[i]);
        pos := size;
        lvl := 0;
        nl := nl || 0::smallint; ni := ni || pos; nh := nh || cur;
        WHILE ((size >> lvl) & 1) = 1 LOOP
            cur := sha256('\x01'::bytea || stack[cardinality(stack)] || cur);
            stack := stack[1:cardinality(stack) - 1];
            lvl := lvl + 1;
            pos := pos >> 1;
            nl := nl || lvl::smallint; ni := ni || pos; nh := nh || cur;
        END LOOP;
        stack := stack || cur;
        size := size + 1;
    END LOOP;
    INSERT INTO {s}.{leaves} (leaf_index, notification_id, originator_id, originator_version)
        SELECT old_size + g.n - 1, ids[g.n], oids[g.n], vers[g.n]
        FROM generate_series(1, cardinality(ids)) AS g(n);
    INSERT INTO {s}.{nodes} (level, idx, hash) SELECT * FROM unnest(nl, ni, nh);
    front := ''::bytea;
    FOR j IN 1 .. cardinality(stack) LOOP
        front := front || stack[j];
    END LOOP;
    r := stack[cardinality(stack)];
    FOR j IN REVERSE cardinality(stack) - 1 .. 1 LOOP
        r := sha256('\x01'::bytea || stack[j] || r);
    END LOOP;
    UPDATE {s}.{head} SET tree_size = size, frontier = front WHERE id = 1;
    PERFORM pg_notify(channel, '');
    RETURN QUERY SELECT u.i, u.o, u.v, size, front, r, active
        FROM unnest(ids, oids, vers) AS u(i, o, v);
END
$sequencer$
