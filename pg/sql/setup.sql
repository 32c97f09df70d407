-- Test data: the CDNOW sample, the lead examples, and what the library's
-- own command-line tool gives on them (data/*.csv, written by
-- `segment features` and `segment tier`). Paths are relative to pg/, where
-- `make installcheck` runs psql.
CREATE EXTENSION segment;
SELECT segment_version() ~ '^[0-9]+\.[0-9]+\.[0-9]+$' AS version_ok;

-- CDNOW: whitespace-separated; customer id in column 2, YYYYMMDD in 3,
-- amount in 5. Read as lines, split in SQL.
CREATE TABLE cdnow_line (line text);
\copy cdnow_line FROM '../examples/data/cdnow_sample.txt'
CREATE TABLE cdnow AS
SELECT f[2] AS customer_id, to_date(f[3], 'YYYYMMDD') AS day,
       f[5]::numeric(10, 2) AS amount, f[3] AS day_text, f[5] AS amount_text
FROM (SELECT regexp_split_to_array(btrim(line), '\s+') AS f FROM cdnow_line) s;
SELECT count(*) AS orders, count(DISTINCT customer_id) AS customers,
       min(day), max(day), sum(amount) FROM cdnow;

CREATE TABLE leads (customer_id text, company text, annual_revenue numeric,
                    employees integer, industry text, title text,
                    country text);
\copy leads FROM '../examples/data/leads.csv' (FORMAT csv, HEADER)
CREATE TABLE lead_events (customer_id text, time timestamptz, kind text,
                          value float8);
\copy lead_events FROM '../examples/data/lead_events.csv' (FORMAT csv, HEADER)

CREATE TABLE ref_features (customer_id text, orders bigint, frequency bigint,
                           t_x float8, "T" float8, recency float8,
                           monetary_total float8, monetary_mean float8,
                           monetary_repeat_mean float8,
                           first_purchase bigint, last_purchase bigint);
\copy ref_features FROM 'data/cdnow_features_week.csv' (FORMAT csv, HEADER)
CREATE TABLE ref_tiers (customer_id text, value_tier text, value_rule integer,
                        action text, action_rule integer,
                        behaviour_tier text, behaviour_rule integer);
\copy ref_tiers FROM 'data/cdnow_tiers.csv' (FORMAT csv, HEADER)
SELECT (SELECT count(*) FROM ref_features) AS ref_features,
       (SELECT count(*) FROM ref_tiers) AS ref_tiers;

-- Errors as SQLSTATE and message, caught so that one file shows many.
CREATE FUNCTION try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'ok';
EXCEPTION WHEN others THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
