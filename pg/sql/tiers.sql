SET timezone = 'UTC';
\set q 'SELECT customer_id, day, amount FROM cdnow'
\set value_tiers `cat ../examples/rules/value_tiers.rules`
\set rfm_actions `cat ../examples/rules/rfm_actions.rules`
\set behaviour_tiers `cat ../examples/rules/behaviour_tiers.rules`
\set lead_grading `cat ../examples/rules/lead_grading.rules`

-- The presets on CDNOW, customer by customer as the library's tool gives
-- them (data/cdnow_tiers.csv).
CREATE TEMP TABLE t AS
SELECT v.customer_id, v.tier AS value_tier, v.rule AS value_rule,
       a.tier AS action, a.rule AS action_rule,
       b.tier AS behaviour_tier, b.rule AS behaviour_rule
FROM segment_tiers(:'value_tiers', :'q') v
JOIN segment_tiers(:'rfm_actions', :'q', '{rfm}') a USING (customer_id)
JOIN segment_tiers(:'behaviour_tiers', :'q') b USING (customer_id);
SELECT count(*) AS customers FROM t;
SELECT count(*) AS differences FROM (
    (SELECT * FROM t EXCEPT SELECT * FROM ref_tiers)
    UNION ALL (SELECT * FROM ref_tiers EXCEPT SELECT * FROM t)) d;
SELECT value_tier, value_rule, count(*) FROM t GROUP BY 1, 2 ORDER BY 2;
SELECT action, action_rule, count(*) FROM t GROUP BY 1, 2 ORDER BY 2;
SELECT behaviour_tier, behaviour_rule, count(*) FROM t GROUP BY 1, 2 ORDER BY 2;

-- Model parameters in a rules call: KIND.KEY=VALUE.
SELECT tier, count(*) FROM segment_tiers(:'rfm_actions', :'q', '{rfm}',
                                          '{rfm.k_r=3,rfm.k_f=3,rfm.k_m=3}')
GROUP BY tier ORDER BY tier;
-- A saved model in place of a kind.
SELECT count(*) AS differences FROM (
    SELECT * FROM segment_tiers(:'rfm_actions', :'q', '{rfm}')
    EXCEPT
    SELECT * FROM segment_tiers(:'rfm_actions', :'q',
                                ARRAY[segment_fit_model('rfm', :'q')])) d;

-- Lead grading: attributes, events, points and grades.
SELECT customer_id, tier AS grade, rule, points
FROM segment_tiers(:'lead_grading', NULL,
    events => 'SELECT customer_id, time, kind, value FROM lead_events',
    attributes => 'SELECT customer_id, annual_revenue, employees, industry, title, country FROM leads')
ORDER BY customer_id;

-- Explanations.
SELECT segment_explain(:'value_tiers', '0001', :'q');
SELECT segment_explain(:'rfm_actions', '0002', :'q', '{rfm}', format => 'json')::jsonb;
SELECT j->>'grade' AS grade, j->>'points' AS points
FROM (SELECT segment_explain(:'lead_grading', 'L001', NULL,
        events => 'SELECT customer_id, time, kind FROM lead_events',
        attributes => 'SELECT customer_id, annual_revenue, employees, industry, title, country FROM leads',
        format => 'json')::jsonb AS j) s;
SELECT segment_explain(:'value_tiers', 'nobody', :'q') IS NULL AS unknown_is_null;

-- Call lists: contacts are events of kind 'call'.
SELECT * FROM segment_call_list(:'value_tiers', :'q', capacity => 5,
                                value_column => 'monetary_total');
SELECT rank, customer_id, tier, priority, last_contact
FROM segment_call_list(:'behaviour_tiers', :'q',
    events => $$SELECT customer_id,
                       CASE WHEN customer_id < '0005' THEN date '1998-06-01'
                            ELSE date '1998-06-25' END,
                       'call'
                FROM cdnow WHERE customer_id < '0010'
                GROUP BY customer_id$$,
    as_of => '1998-06-30 23:59:59+00', capacity => 6);

-- Summaries: per tier and value column.
SELECT tier, customers, round(share::numeric, 4) AS share, value_column,
       round(total::numeric, 2) AS total, round(mean::numeric, 2) AS mean,
       round(value_share::numeric, 4) AS value_share
FROM segment_summary(:'value_tiers', :'q',
                     value_columns => '{monetary_total,orders}');
SELECT tier, customers FROM segment_summary(:'rfm_actions', :'q', '{rfm}',
                                            value_columns => '{}');
