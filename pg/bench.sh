#!/bin/sh
# Benchmark, not a test: RFM scores by the extension against the same RFM in
# plain SQL (NTILE) in one server, and BG/NBD + CLV by the extension, on
# generated orders.
#
#   pg/bench.sh [CUSTOMERS [ORDERS [RUNS]]]  (default 1000000 10000000 3)
#
# The two RFM jobs run RUNS times each, alternating, so that a drift of the
# machine's speed falls on both; take the medians of the printed times.
#
# Connects with the usual libpq variables (PGHOST, PGPORT, PGUSER,
# PGDATABASE) to a server where the extension is installed; the orders
# table is made once per size and kept (bench_orders_<customers>_<orders>).
set -eu
customers=${1:-1000000}
orders=${2:-10000000}
runs=${3:-3}
t=bench_orders_v3_${customers}_${orders}
as_of="'2021-12-31 23:59:59+00'"

run() {
    # shellcheck disable=SC2016
    psql -X -q -v ON_ERROR_STOP=1 "$@"
}

run -c "CREATE EXTENSION IF NOT EXISTS segment"
exists=$(run -At -c "SELECT to_regclass('$t') IS NOT NULL")
# An unlogged table comes back empty after a crash: make it again.
if [ "$exists" = t ] && [ "$(run -At -c "SELECT EXISTS (SELECT FROM $t)")" = f ]; then
    run -c "DROP TABLE $t"
    exists=f
fi
if [ "$exists" != t ]; then
    echo "generating $orders orders of $customers customers in $t"
    run <<EOF
SELECT setseed(0.42);
-- A customer base that buys and drops out as the models' story says: each
-- customer starts in the first year, stays for an exponential lifetime
-- and buys at a rate of its own (exponentially distributed across
-- customers) within it, so that the number of orders grows with the
-- lifetime. (Orders whose number does not depend on the lifetime leave
-- nothing for a dropout process to explain: the BG/NBD fit then sends b to
-- infinity.) A lifetime averages 240 days, 229 once capped at 730. Each
-- customer's orders average a spend of its own (10 plus an exponential of
-- mean 60), an order a Gamma(3) draw around it, since amounts that do not
-- differ between customers leave Gamma-Gamma's gamma unidentified.
CREATE UNLOGGED TABLE $t AS
SELECT c.id::text AS customer_id,
       date '2020-01-01' + c.first
           + floor(random() * (c.life + 1))::int AS day,
       round((c.spend * (-ln(1 - random()) - ln(1 - random())
                         - ln(1 - random())) / 3)::numeric, 2) AS amount
FROM (SELECT g AS id,
             floor(random() * 365)::int AS first,
             least(730, floor(-ln(1 - random()) * 240))::int AS life,
             random() AS u,
             10 + 60 * -ln(1 - random()) AS spend
      FROM generate_series(1, $customers) g) c0,
     LATERAL (SELECT c0.id, c0.first, c0.life, c0.spend,
                     1 + floor(-ln(1 - c0.u) * ($orders::float8 / $customers - 0.5)
                               * c0.life / 229)::int AS n) c,
     LATERAL generate_series(1, c.n);
VACUUM ANALYZE $t;
EOF
fi
run -At -c "SELECT count(*) || ' orders, ' || count(DISTINCT customer_id) || ' customers' FROM $t"

q="SELECT customer_id, day, amount FROM $t"
i=1
while [ "$i" -le "$runs" ]; do
run <<EOF
\timing on
SET work_mem = '256MB';
SET max_parallel_workers_per_gather = 0;
\echo '== run $i of $runs'
\echo '== RFM: the extension (fit quantile cut points, score; long form, 6 values a customer)'
DROP TABLE IF EXISTS rfm_ext;
CREATE TEMP TABLE rfm_ext AS
SELECT * FROM segment_score('rfm', '$q', '{segments=none}', as_of => $as_of);
\echo '== RFM: plain SQL with NTILE (purchase days, total spend, days since last purchase)'
DROP TABLE IF EXISTS rfm_sql;
CREATE TEMP TABLE rfm_sql AS
WITH c AS (
    SELECT customer_id,
           date '2021-12-31' - max(day) AS recency,
           count(DISTINCT day) AS frequency,
           sum(amount) AS monetary
    FROM $t
    WHERE day <= date '2021-12-31'
    GROUP BY customer_id)
SELECT customer_id,
       ntile(5) OVER (ORDER BY recency DESC) AS r,
       ntile(5) OVER (ORDER BY frequency) AS f,
       ntile(5) OVER (ORDER BY monetary) AS m
FROM c;
EOF
i=$((i + 1))
done
run <<EOF
\timing on
SET work_mem = '256MB';
SET max_parallel_workers_per_gather = 0;
\echo '== CLV: fit BG/NBD + Gamma-Gamma (weeks), keep the model text'
CREATE TEMP TABLE clv_model AS
SELECT segment_fit_model('clv', '$q', as_of => $as_of, time_unit => 'week') AS model;
SELECT name, round(value::numeric, 4) AS value
FROM segment_model_results((SELECT model FROM clv_model))
WHERE is_param OR name IN ('loglik', 'iterations', 'rows', 'spend.p', 'spend.q',
                              'spend.gamma', 'spend.rows', 'spend.excluded');
\echo '== CLV: score every customer with the stored model'
CREATE TEMP TABLE clv_ext AS
SELECT * FROM segment_score_model((SELECT model FROM clv_model), '$q',
                                  as_of => $as_of, time_unit => 'week');
SELECT count(DISTINCT customer_id) AS customers, count(*) AS rows FROM clv_ext;
EOF
