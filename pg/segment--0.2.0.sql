-- segment 0.2.0: SQL functions over libsegment.
-- Every data function takes query texts (run with the caller's rights):
--   orders:     (customer_id, time, amount)
--   events:     (customer_id, time, kind [, value])
--   attributes: (customer_id, attribute columns ...)
-- and returns per-customer rows. See docs/postgresql.md.

\echo Use "CREATE EXTENSION segment" to load this file. \quit

CREATE FUNCTION segment_version() RETURNS text
AS 'MODULE_PATHNAME', 'segment_version' LANGUAGE C STRICT STABLE;

CREATE FUNCTION segment_features(
    orders text,
    as_of timestamptz DEFAULT NULL,
    time_unit text DEFAULT 'day',
    events text DEFAULT NULL,
    attributes text DEFAULT NULL,
    holdout_from timestamptz DEFAULT NULL)
RETURNS TABLE (
    customer_id text,
    orders bigint,
    frequency bigint,
    t_x float8,
    "T" float8,
    recency float8,
    monetary_total float8,
    monetary_mean float8,
    monetary_repeat_mean float8,
    first_purchase timestamptz,
    last_purchase timestamptz,
    holdout_orders bigint,
    holdout_monetary float8,
    holdout_length float8)
AS 'MODULE_PATHNAME', 'segment_features' LANGUAGE C VOLATILE;

CREATE FUNCTION segment_columns(
    orders text,
    as_of timestamptz DEFAULT NULL,
    time_unit text DEFAULT 'day',
    events text DEFAULT NULL,
    attributes text DEFAULT NULL,
    holdout_from timestamptz DEFAULT NULL)
RETURNS TABLE (customer_id text, name text, value float8, label text)
AS 'MODULE_PATHNAME', 'segment_columns' LANGUAGE C VOLATILE;

CREATE FUNCTION segment_models()
RETURNS TABLE (kind text, param text, type text, default_value text,
               description text)
AS 'MODULE_PATHNAME', 'segment_models' LANGUAGE C STABLE;

CREATE FUNCTION segment_fit(
    kind text,
    orders text,
    params text[] DEFAULT '{}',
    as_of timestamptz DEFAULT NULL,
    time_unit text DEFAULT 'day',
    events text DEFAULT NULL,
    attributes text DEFAULT NULL,
    holdout_from timestamptz DEFAULT NULL)
RETURNS TABLE (name text, value float8, is_param boolean)
AS 'MODULE_PATHNAME', 'segment_fit' LANGUAGE C VOLATILE;

CREATE FUNCTION segment_fit_model(
    kind text,
    orders text,
    params text[] DEFAULT '{}',
    as_of timestamptz DEFAULT NULL,
    time_unit text DEFAULT 'day',
    events text DEFAULT NULL,
    attributes text DEFAULT NULL,
    holdout_from timestamptz DEFAULT NULL)
RETURNS text
AS 'MODULE_PATHNAME', 'segment_fit_model' LANGUAGE C VOLATILE;

CREATE FUNCTION segment_model_results(model text)
RETURNS TABLE (name text, value float8, is_param boolean)
AS 'MODULE_PATHNAME', 'segment_model_results' LANGUAGE C STABLE;

CREATE FUNCTION segment_score(
    kind text,
    orders text,
    params text[] DEFAULT '{}',
    as_of timestamptz DEFAULT NULL,
    time_unit text DEFAULT 'day',
    events text DEFAULT NULL,
    attributes text DEFAULT NULL,
    holdout_from timestamptz DEFAULT NULL)
RETURNS TABLE (customer_id text, name text, value float8, label text)
AS 'MODULE_PATHNAME', 'segment_score' LANGUAGE C VOLATILE;

CREATE FUNCTION segment_score_model(
    model text,
    orders text,
    as_of timestamptz DEFAULT NULL,
    time_unit text DEFAULT 'day',
    events text DEFAULT NULL,
    attributes text DEFAULT NULL,
    holdout_from timestamptz DEFAULT NULL)
RETURNS TABLE (customer_id text, name text, value float8, label text)
AS 'MODULE_PATHNAME', 'segment_score_model' LANGUAGE C VOLATILE;

CREATE FUNCTION segment_tiers(
    rules text,
    orders text,
    models text[] DEFAULT '{}',
    params text[] DEFAULT '{}',
    as_of timestamptz DEFAULT NULL,
    time_unit text DEFAULT 'day',
    events text DEFAULT NULL,
    attributes text DEFAULT NULL,
    holdout_from timestamptz DEFAULT NULL)
RETURNS TABLE (customer_id text, tier text, rule integer, points float8)
AS 'MODULE_PATHNAME', 'segment_tiers' LANGUAGE C VOLATILE;

CREATE FUNCTION segment_explain(
    rules text,
    customer_id text,
    orders text,
    models text[] DEFAULT '{}',
    params text[] DEFAULT '{}',
    as_of timestamptz DEFAULT NULL,
    time_unit text DEFAULT 'day',
    events text DEFAULT NULL,
    attributes text DEFAULT NULL,
    holdout_from timestamptz DEFAULT NULL,
    format text DEFAULT 'text')
RETURNS text
AS 'MODULE_PATHNAME', 'segment_explain' LANGUAGE C VOLATILE;

CREATE FUNCTION segment_call_list(
    rules text,
    orders text,
    models text[] DEFAULT '{}',
    params text[] DEFAULT '{}',
    as_of timestamptz DEFAULT NULL,
    time_unit text DEFAULT 'day',
    events text DEFAULT NULL,
    attributes text DEFAULT NULL,
    holdout_from timestamptz DEFAULT NULL,
    capacity integer DEFAULT 0,
    value_column text DEFAULT NULL,
    exclude_column text DEFAULT NULL,
    contact_kind text DEFAULT 'call')
RETURNS TABLE (rank bigint, customer_id text, tier text, priority integer,
               value float8, last_contact timestamptz)
AS 'MODULE_PATHNAME', 'segment_call_list' LANGUAGE C VOLATILE;

CREATE FUNCTION segment_summary(
    rules text,
    orders text,
    models text[] DEFAULT '{}',
    params text[] DEFAULT '{}',
    as_of timestamptz DEFAULT NULL,
    time_unit text DEFAULT 'day',
    events text DEFAULT NULL,
    attributes text DEFAULT NULL,
    holdout_from timestamptz DEFAULT NULL,
    value_columns text[] DEFAULT '{monetary_total}')
RETURNS TABLE (tier text, customers bigint, share float8,
               value_column text, total float8, mean float8,
               value_share float8)
AS 'MODULE_PATHNAME', 'segment_summary' LANGUAGE C VOLATILE;

CREATE FUNCTION segment_crosstab(
    rules text,
    orders text,
    models text[] DEFAULT '{}',
    params text[] DEFAULT '{}',
    as_of timestamptz DEFAULT NULL,
    time_unit text DEFAULT 'day',
    events text DEFAULT NULL,
    attributes text DEFAULT NULL,
    holdout_from timestamptz DEFAULT NULL,
    by text DEFAULT NULL)
RETURNS TABLE (tier text, label text, customers bigint)
AS 'MODULE_PATHNAME', 'segment_crosstab' LANGUAGE C VOLATILE;

CREATE FUNCTION segment_holdout(
    model text,
    orders text,
    params text[] DEFAULT '{}',
    as_of timestamptz DEFAULT NULL,
    time_unit text DEFAULT 'day',
    events text DEFAULT NULL,
    attributes text DEFAULT NULL,
    holdout_from timestamptz DEFAULT NULL)
RETURNS TABLE (frequency text, customers bigint, predicted float8,
               actual float8)
AS 'MODULE_PATHNAME', 'segment_holdout' LANGUAGE C VOLATILE;

CREATE FUNCTION segment_compare(models text[])
RETURNS TABLE (model text, kind text, parameters bigint, loglik float8,
               customers bigint, aic float8, bic float8, delta_aic float8,
               delta_bic float8, nested text, lr float8, df bigint,
               p_value float8)
AS 'MODULE_PATHNAME', 'segment_compare' LANGUAGE C STABLE;

CREATE FUNCTION segment_profile(
    model text,
    orders text,
    params text[] DEFAULT '{}',
    as_of timestamptz DEFAULT NULL,
    time_unit text DEFAULT 'day',
    events text DEFAULT NULL,
    attributes text DEFAULT NULL,
    holdout_from timestamptz DEFAULT NULL)
RETURNS TABLE (cluster bigint, size bigint, share float8, feature text,
               centroid float8)
AS 'MODULE_PATHNAME', 'segment_profile' LANGUAGE C VOLATILE;
