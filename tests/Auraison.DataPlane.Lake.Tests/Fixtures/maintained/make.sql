-- A lake the stock extension maintained: inlined rows and an inlined delete flushed to Parquet, small files merged
-- into one file that keeps each row's snapshot (partial_max), an old snapshot expired and its files cleaned up.
ATTACH 'ducklake:catalog.ducklake' AS lake (DATA_PATH 'data/');
USE lake;
CREATE TABLE readings (sensor VARCHAR, read_at TIMESTAMP, value DOUBLE, tags VARCHAR[]);
INSERT INTO readings VALUES ('s1', TIMESTAMP '2026-11-01 00:00:00', 1.5, ['a']), ('s2', TIMESTAMP '2026-11-01 00:01:00', NULL, []);
INSERT INTO readings SELECT 's' || (i % 5), TIMESTAMP '2026-11-02 00:00:00' + INTERVAL (i) MINUTE, i / 4, ['b', 'c' || i] FROM range(0, 40) t(i);
INSERT INTO readings SELECT 's' || (i % 5), TIMESTAMP '2026-11-03 00:00:00' + INTERVAL (i) MINUTE, i / 4, NULL FROM range(40, 80) t(i);
INSERT INTO readings SELECT 's' || (i % 5), TIMESTAMP '2026-11-04 00:00:00' + INTERVAL (i) MINUTE, i / 4, ['d'] FROM range(80, 120) t(i);
DELETE FROM readings WHERE value = 3 OR sensor = 's2' AND value IS NULL;
CALL ducklake_flush_inlined_data('lake');
CALL ducklake_merge_adjacent_files('lake');
INSERT INTO readings VALUES ('late', TIMESTAMP '2026-11-05 00:00:00', 99, NULL);
ALTER TABLE readings ADD COLUMN unit VARCHAR;
INSERT INTO readings SELECT 's9', TIMESTAMP '2026-11-06 00:00:00' + INTERVAL (i) MINUTE, i, NULL, 'celsius' FROM range(0, 30) t(i);
CALL ducklake_expire_snapshots('lake', versions => [2]);
CALL ducklake_cleanup_old_files('lake', cleanup_all => true);
