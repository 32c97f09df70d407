-- Bad input is an error with the library's message and SQLSTATE 22023,
-- never a crash; the backend goes on working.
\set SHOW_CONTEXT never
\set q 'SELECT customer_id, day, amount FROM cdnow'

-- A NULL customer id (rows count from 0).
SELECT try($$SELECT * FROM segment_features(
    'SELECT * FROM (VALUES (''a'', date ''2020-01-01'', 1.0),
                           (NULL, date ''2020-01-02'', 2.0)) v')$$);
-- A non-numeric amount, parsed by the library (line = row).
SELECT try($$SELECT * FROM segment_features(
    'SELECT * FROM (VALUES (''a'', date ''2020-01-01'', ''1.5''),
                           (''b'', date ''2020-01-02'', ''abc'')) v')$$);
-- A typo in a rule's column, and in its syntax.
SELECT try($$SELECT * FROM segment_tiers(
    'tier "VIP" when monetry >= 100', 'SELECT customer_id, day, amount FROM cdnow')$$);
SELECT try($$SELECT * FROM segment_tiers(
    'tier "VIP" whn monetary_total >= 100', 'SELECT customer_id, day, amount FROM cdnow')$$);
-- The same, uncaught.
SELECT * FROM segment_tiers('tier "VIP" when monetry >= 100', :'q');

-- More bad input.
SELECT try($$SELECT * FROM segment_features(
    'SELECT ''a'', date ''2020-01-01'', ''NaN''::numeric')$$);
SELECT try($$SELECT * FROM segment_features(
    'SELECT ''a'', date ''2020-01-01'', NULL::numeric')$$);
SELECT try($$SELECT * FROM segment_features(
    'SELECT ''a'', date ''infinity'', 1')$$);
SELECT try($$SELECT * FROM segment_features(
    'SELECT ''a'', ''2020-13-01'', 1')$$);
SELECT try($$SELECT * FROM segment_features('SELECT 1, 2')$$);
SELECT try($$SELECT * FROM segment_features('SELECT 1, 2, 3')$$);
SELECT try($$SELECT * FROM segment_features(NULL)$$);
SELECT try($$SELECT * FROM segment_features('SELECT customer_id, day, amount FROM cdnow',
                                            time_unit => 'month')$$);
SELECT try($$SELECT * FROM segment_fit('bgnbdd', 'SELECT customer_id, day, amount FROM cdnow')$$);
SELECT try($$SELECT * FROM segment_fit('bgnbd', 'SELECT customer_id, day, amount FROM cdnow',
                                       '{penalizr=0.1}')$$);
SELECT try($$SELECT * FROM segment_fit('bgnbd', 'SELECT customer_id, day, amount FROM cdnow',
                                       '{penalizer=abc}')$$);
SELECT try($$SELECT * FROM segment_fit('bgnbd', 'SELECT customer_id, day, amount FROM cdnow',
                                       '{penalizer}')$$);
SELECT try($$SELECT * FROM segment_tiers('tier "x" when rfm.score > 1',
    'SELECT customer_id, day, amount FROM cdnow', '{rfm}', '{bgnbd.horizon=1}')$$);
SELECT try($$SELECT * FROM segment_score_model('not a model',
    'SELECT customer_id, day, amount FROM cdnow')$$);
SELECT try($$SELECT * FROM segment_features(
    'SELECT customer_id, day, amount FROM cdnow',
    attributes => 'SELECT customer_id, ''x''::text AS orders FROM cdnow')$$);
SELECT try($$SELECT * FROM segment_features(NULL,
    events => 'SELECT ''a'', date ''2020-01-01'', NULL::text')$$);
SELECT try($$SELECT * FROM segment_features(NULL,
    events => 'SELECT ''a'', ''2020-01-01'', ''visit'', ''lots''')$$);
SELECT try($$SELECT * FROM segment_features(NULL,
    events => 'SELECT ''a'', date ''2020-01-01'', ''visit'', 1, 2')$$);
SELECT try($$SET segment.threads = 65$$);
-- An error of the query itself is PostgreSQL's.
SELECT try($$SELECT * FROM segment_features('SELEC 1')$$);

-- Still working.
SELECT count(*) FROM segment_features(:'q');
