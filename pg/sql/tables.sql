SET timezone = 'UTC';
\set q 'SELECT customer_id, day, amount FROM cdnow'
\set value_tiers `cat ../examples/rules/value_tiers.rules`
\set ho 'time_unit => ''week'', holdout_from => ''1997-10-01 00:00:00+00'''

-- What the library's tool prints for the same data (data/cdnow_*.csv):
--   segment tier ... --model rfm --rules value_tiers.rules --crosstab rfm.segment
--   segment holdout ... --model bgnbd --time-unit week --holdout-from 1997-10-01
--   segment table profile ... --model kmeans --set k=3 --set log1p=all
-- The crosstab's labels hold no comma or quote, so its lines are split here.
CREATE TEMP TABLE ref_crosstab_line (n serial, line text);
\copy ref_crosstab_line (line) FROM 'data/cdnow_crosstab.csv'
CREATE TEMP TABLE ref_crosstab AS
SELECT r.a[1] AS tier, h.a[i] AS label, r.a[i]::bigint AS customers
FROM (SELECT string_to_array(line, ',') AS a FROM ref_crosstab_line
      WHERE n = 1) h,
     (SELECT string_to_array(line, ',') AS a FROM ref_crosstab_line
      WHERE n > 1) r,
     generate_series(2, array_length(h.a, 1)) i;
CREATE TEMP TABLE ref_holdout (frequency text, customers bigint,
                               predicted float8, actual float8);
\copy ref_holdout FROM 'data/cdnow_holdout.csv' (FORMAT csv, HEADER)
CREATE TEMP TABLE ref_profile (cluster bigint, size bigint, share float8,
                               recency float8, frequency float8,
                               monetary_total float8);
\copy ref_profile FROM 'data/cdnow_profile.csv' (FORMAT csv, HEADER)

-- Crosstab: every cell as the tool gives it; the totals are SQL's sums.
CREATE TEMP TABLE ct AS
SELECT * FROM segment_crosstab(:'value_tiers', :'q', '{rfm}',
                               by => 'rfm.segment');
SELECT count(*) AS cells FROM ct;
SELECT count(*) AS differences FROM (
    (SELECT * FROM ct
     EXCEPT SELECT * FROM ref_crosstab
            WHERE tier <> 'total' AND label <> 'total')
    UNION ALL
    (SELECT * FROM ref_crosstab WHERE tier <> 'total' AND label <> 'total'
     EXCEPT SELECT * FROM ct)) d;
SELECT count(*) AS total_differences FROM (
    SELECT coalesce(label, 'total') AS label, sum(customers) AS customers
    FROM ct GROUP BY ROLLUP (label)
    EXCEPT SELECT label, customers FROM ref_crosstab WHERE tier = 'total') d;
SELECT * FROM ct WHERE tier = '高价值';

-- Holdout: BG/NBD fitted in weeks before 1997-10-01.
CREATE TEMP TABLE ho AS SELECT * FROM segment_holdout('bgnbd', :'q', :ho);
SELECT frequency, customers, round(predicted::numeric, 4) AS predicted,
       round(actual::numeric, 4) AS actual FROM ho;
SELECT count(*) AS differences
FROM ho FULL JOIN ref_holdout r USING (frequency)
WHERE ho.customers IS DISTINCT FROM r.customers
   OR NOT abs(ho.predicted - r.predicted) <= 1e-12 * abs(r.predicted)
   OR (ho.actual IS NULL) <> (r.actual IS NULL)
   OR abs(ho.actual - r.actual) > 1e-12 * abs(r.actual);
-- A saved model gives the same table.
SELECT count(*) AS differences FROM (
    SELECT * FROM segment_holdout(
        segment_fit_model('bgnbd', :'q', '{}', :ho), :'q', :ho)
    EXCEPT SELECT * FROM ho) d;

-- Profile: k-means, three clusters on log1p features, in their units.
CREATE TEMP TABLE pr AS
SELECT * FROM segment_profile('kmeans', :'q', '{k=3,log1p=all}');
SELECT cluster, size, share, feature, round(centroid::numeric, 4) AS centroid
FROM pr;
SELECT count(*) AS differences
FROM pr FULL JOIN (
    SELECT cluster, size, share, f.feature, f.centroid
    FROM ref_profile,
         LATERAL (VALUES ('recency', recency), ('frequency', frequency),
                         ('monetary_total', monetary_total))
                 f(feature, centroid)) r USING (cluster, feature)
WHERE pr.size IS DISTINCT FROM r.size
   OR NOT abs(pr.share - r.share) <= 1e-9
   OR NOT abs(pr.centroid - r.centroid) <= 1e-8 * abs(r.centroid);

-- Errors.
SELECT try(format('SELECT * FROM segment_crosstab(%L, %L)', :'value_tiers', :'q'));
SELECT try(format('SELECT * FROM segment_crosstab(%L, %L, by => %L)',
                  :'value_tiers', :'q', 'nope'));
SELECT try(format('SELECT * FROM segment_holdout(%L, %L)', 'bgnbd', :'q'));
SELECT try(format('SELECT * FROM segment_holdout(%L, %L, holdout_from => %L)',
                  'kmeans', :'q', '1997-10-01 00:00:00+00'));
SELECT try(format('SELECT * FROM segment_profile(%L, %L)', 'bgnbd', :'q'));
SELECT try(format('SELECT * FROM segment_profile(NULL, %L)', :'q'));
SELECT try(format('SELECT * FROM segment_holdout(%L, %L, %L)',
                  segment_fit_model('bgnbd', :'q'), :'q', '{horizon=4}'));
