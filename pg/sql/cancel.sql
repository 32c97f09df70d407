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
