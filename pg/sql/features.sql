SET timezone = 'UTC';
\set q 'SELECT customer_id, day, amount FROM cdnow'

-- The 39-week calibration of the literature, in weeks: equal, value for
-- value, to what the library's own tool writes.
CREATE TEMP TABLE f AS
SELECT * FROM segment_features(:'q', as_of => '1997-09-30 23:59:59+00',
                               time_unit => 'week');
SELECT count(*) AS customers FROM f;
SELECT count(*) AS differences FROM (
    (SELECT customer_id, orders, frequency, t_x, "T", recency, monetary_total,
            monetary_mean, monetary_repeat_mean,
            extract(epoch FROM first_purchase)::bigint,
            extract(epoch FROM last_purchase)::bigint FROM f
     EXCEPT SELECT * FROM ref_features)
    UNION ALL
    (SELECT * FROM ref_features
     EXCEPT SELECT customer_id, orders, frequency, t_x, "T", recency,
            monetary_total, monetary_mean, monetary_repeat_mean,
            extract(epoch FROM first_purchase)::bigint,
            extract(epoch FROM last_purchase)::bigint FROM f)) d;
SELECT customer_id, orders, frequency, round(t_x::numeric, 4) AS t_x,
       round("T"::numeric, 4) AS "T", monetary_total, first_purchase,
       last_purchase, holdout_orders
FROM f ORDER BY customer_id LIMIT 3;

-- Typed columns.
SELECT pg_typeof(orders) AS orders, pg_typeof(t_x) AS t_x,
       pg_typeof(first_purchase) AS first_purchase
FROM f LIMIT 1;

-- A date is a UTC day, whatever the session's time zone; the same rows
-- with text times and amounts, parsed by the library, give the same.
SET timezone = 'Pacific/Kiritimati';
SELECT count(*) AS differences FROM (
    SELECT * FROM segment_features(:'q', as_of => '1997-09-30 23:59:59+00',
                                   time_unit => 'week')
    EXCEPT
    SELECT * FROM segment_features(
        'SELECT customer_id, day_text, amount_text FROM cdnow',
        as_of => '1997-09-30 23:59:59+00', time_unit => 'week')) d;
SELECT count(*) AS differences FROM (
    SELECT * FROM segment_features(:'q', as_of => '1997-09-30 23:59:59+00',
                                   time_unit => 'week')
    EXCEPT SELECT * FROM f) d;
SET timezone = 'UTC';

-- Threads change the speed, not the result.
SET segment.threads = 0;
SELECT count(*) AS differences FROM (
    SELECT * FROM segment_features(:'q', as_of => '1997-09-30 23:59:59+00',
                                   time_unit => 'week')
    EXCEPT SELECT * FROM f) d;
RESET segment.threads;

-- Calibration and holdout.
SELECT count(*) AS customers, sum(orders) AS calibration_orders,
       sum(holdout_orders) AS holdout_orders,
       round(sum(holdout_monetary)::numeric, 2) AS holdout_monetary,
       min(holdout_length) AS holdout_length
FROM segment_features(:'q', as_of => '1998-06-30 23:59:59+00',
                      time_unit => 'week', holdout_from => '1997-10-01+00');

-- Events and attributes; a lead without orders has orders 0 and missing
-- purchase features (NULL).
SELECT customer_id, orders, frequency, recency, monetary_total
FROM segment_features(NULL,
    events => 'SELECT customer_id, time, kind, value FROM lead_events',
    attributes => 'SELECT customer_id, annual_revenue, industry FROM leads')
ORDER BY customer_id;
SELECT name, value, label
FROM segment_columns(NULL,
    events => 'SELECT customer_id, time, kind FROM lead_events',
    attributes => 'SELECT customer_id, annual_revenue, industry, country FROM leads')
WHERE customer_id = 'L001' AND (name LIKE 'events.%' OR name IN ('annual_revenue', 'industry', 'country'))
ORDER BY name;

-- Any type for the id; timestamptz times keep their instant.
SELECT customer_id, orders, first_purchase, monetary_total
FROM segment_features($$SELECT * FROM (VALUES
    (7, timestamptz '2020-01-01 23:30:00-05', 3::integer),
    (7, timestamptz '2020-01-02 01:00:00+00', 4::integer)) v$$);
