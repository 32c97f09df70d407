-- A long load honours statement_timeout (and so a cancel): the first
-- query materializes its series, the second streams it, so the cancel comes
-- while rows are being fetched and loaded.
-- Where the cancel lands (in the executor or between chunks) varies.
\set SHOW_CONTEXT never
SET statement_timeout = '1ms';
SELECT count(*) FROM segment_features($$
    SELECT (g % 100000)::text, timestamptz '2020-01-01' + g * interval '1 minute', 1.0
    FROM generate_series(1, 10000000) g$$);
SET statement_timeout = '500ms';
SELECT count(*) FROM segment_features($$
    SELECT (g % 100000)::text, timestamptz '2020-01-01' + g * interval '1 minute', 1.0
    FROM (SELECT generate_series(1, 100000000) AS g) s$$);
RESET statement_timeout;
SELECT count(*) FROM segment_features($$
    SELECT (g % 1000)::text, timestamptz '2020-01-01' + g * interval '1 minute', 1.0
    FROM generate_series(1, 100000) g$$);
-- A long fit honours statement_timeout too: the library's progress callback
-- sees the pending timeout and stops the fit (k-means with a thousand
-- restarts, which alone runs for minutes on these 200,000 customers), and
-- the error is PostgreSQL's own.
CREATE TEMP TABLE long_fit AS
SELECT 'c' || (g % 200000) AS id,
       timestamptz '2020-01-01' + ((hashint4(g) & 1048575) % 600000) * interval '1 minute' AS t,
       1.0 + g % 97 AS amount
FROM generate_series(1, 400000) g;
SET statement_timeout = '3s';
SELECT count(*) FROM segment_fit('kmeans', 'SELECT id, t, amount FROM long_fit',
                               '{k=40,n_init=1000}');
RESET statement_timeout;
-- and it stops soon after the timeout (a few seconds on a loaded machine),
-- not when the fit would be over (many times that)
SET statement_timeout = '3s';
DO $$
DECLARE
    started timestamptz := clock_timestamp();
BEGIN
    PERFORM count(*) FROM segment_fit('kmeans', 'SELECT id, t, amount FROM long_fit',
                               '{k=40,n_init=1000}');
    RAISE NOTICE 'the fit ended before the timeout';
EXCEPTION WHEN query_canceled THEN
    RAISE NOTICE 'canceled within two seconds of the timeout: %',
        clock_timestamp() - started < interval '5s';
END
$$;
RESET statement_timeout;
-- the backend is fine afterwards
SELECT count(*) FROM segment_features('SELECT id, t, amount FROM long_fit LIMIT 1000');
