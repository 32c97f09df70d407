SET timezone = 'UTC';
\set q 'SELECT customer_id, day, amount FROM cdnow'

-- Model comparison in weeks: BG/NBD fitted, BG/NBD with its parameters
-- fixed (nested in the first), and MBG/NBD (nested in neither).
CREATE TEMP TABLE fits AS
SELECT 1 AS n, segment_fit_model('bgnbd', :'q',
                                 ARRAY['fixed=r=0.25,alpha=4,a=0.8,b=2.5'],
                                 time_unit => 'week') AS model
UNION ALL
SELECT 2, segment_fit_model('bgnbd', :'q', '{}', time_unit => 'week')
UNION ALL
SELECT 3, segment_fit_model('mbgnbd', :'q', '{}', time_unit => 'week');
CREATE TEMP TABLE cmp AS
SELECT row_number() OVER () AS n, c.*
FROM segment_compare((SELECT array_agg(model ORDER BY n) FROM fits)) c;
SELECT n, model, kind, parameters, customers, nested, df FROM cmp ORDER BY n;
-- AIC, BIC and the likelihood-ratio test from each model's own results:
-- 2k - 2 loglik, k ln n - 2 loglik, and for 4 degrees of freedom the
-- chi-square tail e^(-x/2) (1 + x/2).
CREATE TEMP TABLE ll AS
SELECT f.n, r.value AS loglik
FROM fits f, segment_model_results(f.model) r WHERE r.name = 'loglik';
SELECT c.n,
       abs(c.loglik - ll.loglik) <= 1e-9 * abs(ll.loglik) AS loglik_ok,
       abs(c.aic - (2 * c.parameters - 2 * ll.loglik)) <= 1e-9 * c.aic
           AS aic_ok,
       abs(c.bic - (c.parameters * ln(c.customers) - 2 * ll.loglik))
           <= 1e-9 * c.bic AS bic_ok
FROM cmp c JOIN ll USING (n) ORDER BY c.n;
SELECT abs(c.lr - 2 * (l2.loglik - l1.loglik)) <= 1e-9 * c.lr AS lr_ok,
       abs(c.p_value - exp(-c.lr / 2) * (1 + c.lr / 2)) <= 1e-12 AS p_ok,
       c.delta_aic >= 0 AND c.delta_bic >= 0 AS deltas_ok
FROM cmp c, ll l1, ll l2 WHERE c.n = 2 AND l1.n = 1 AND l2.n = 2;

-- Errors.
SELECT try('SELECT * FROM segment_compare(''{}'')');
SELECT try('SELECT * FROM segment_compare(NULL)');
SELECT try(format('SELECT * FROM segment_compare(ARRAY[%L, %L])',
                  (SELECT model FROM fits WHERE n = 2),
                  segment_fit_model('rfm', :'q')));
