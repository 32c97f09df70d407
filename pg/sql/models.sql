SET timezone = 'UTC';
\set q 'SELECT customer_id, day, amount FROM cdnow'
\set cal 'as_of => ''1997-09-30 23:59:59+00'', time_unit => ''week'''

SELECT kind, count(*) AS params FROM segment_models() GROUP BY kind ORDER BY kind;

-- BG/NBD on CDNOW, weeks: r 0.243, alpha 4.414, a 0.793, b 2.426.
SELECT name, round(value::numeric, 3) AS value, is_param
FROM segment_fit('bgnbd', :'q', :cal)
WHERE is_param OR name IN ('loglik', 'converged', 'customers', 'rows')
ORDER BY is_param DESC, name;

-- Gamma-Gamma: p 6.25, q 3.74, gamma 15.44.
SELECT name, round(value::numeric, 2) AS value
FROM segment_fit('gamma_gamma', :'q', :cal) WHERE is_param ORDER BY name;

-- Fit once, keep the model's text in a table, score later.
CREATE TABLE models (name text PRIMARY KEY, model text NOT NULL);
INSERT INTO models
VALUES ('bgnbd', segment_fit_model('bgnbd', :'q', '{horizon=39}', :cal));
SELECT split_part(model, E'\n', 1) AS first_line,
       model ~ E'\nend [0-9a-f]{16}\n?$' AS has_checksum FROM models;
SELECT name, round(value::numeric, 3) AS value
FROM segment_model_results((SELECT model FROM models WHERE name = 'bgnbd'))
WHERE is_param ORDER BY name;
SELECT count(*) AS differences FROM (
    SELECT * FROM segment_score_model(
        (SELECT model FROM models WHERE name = 'bgnbd'), :'q', :cal)
    EXCEPT
    SELECT * FROM segment_score('bgnbd', :'q', '{horizon=39}', :cal)) d;
SELECT customer_id, name, round(value::numeric, 4) AS value
FROM segment_score_model((SELECT model FROM models WHERE name = 'bgnbd'),
                         :'q', :cal)
WHERE customer_id IN ('0001', '0003') ORDER BY customer_id, name;

-- RFM: segments as labels, scores as numbers.
SELECT label AS segment, count(*) AS customers
FROM segment_score('rfm', :'q') WHERE name = 'rfm.segment'
GROUP BY label ORDER BY customers DESC, segment;
SELECT name, value, label FROM segment_score('rfm', :'q', '{segments=cn8,language=zh}')
WHERE customer_id = '0001' ORDER BY name;

-- CLV: BG/NBD and Gamma-Gamma, discounted.
SELECT name, round(value::numeric, 4) AS value
FROM segment_score('clv', :'q', :cal) WHERE customer_id = '0001' ORDER BY name;

-- A changed byte fails the checksum.
SELECT try($$SELECT * FROM segment_model_results(
    replace((SELECT model FROM models), 'kind bgnbd', 'kind bgnbe'))$$);
