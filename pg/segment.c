/*
 * segment.c: the PostgreSQL extension "segment", over the public API of
 * libsegment.
 *
 * Every SQL function follows one path: run the caller's queries through SPI
 * cursors into a fresh seg_dataset, compute the features, fit or load
 * models, apply rules, and return rows through a materialized tuplestore.
 * Library handles live in a "job" whose memory context carries a reset
 * callback, so an ereport(ERROR) anywhere (bad data, a cancel, a timeout)
 * frees them when PostgreSQL unwinds the context.
 */
#include "postgres.h"

#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include <segment.h>

PG_MODULE_MAGIC;

/* Rows per FETCH: large enough that the per-call cost of the bulk loaders
 * vanishes, small enough that a cancel is noticed within milliseconds. */
#define CHUNK_ROWS 10000

/* Seconds from 1970-01-01 to 2000-01-01, PostgreSQL's epoch. */
#define PG_EPOCH_OFFSET ((int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY)

static int segment_threads = 1;

void _PG_init(void);

void
_PG_init(void)
{
	DefineCustomIntVariable("segment.threads",
							"Threads libsegment may use to load records and compute features.",
							"0 means one per processor; the results do not depend on it.",
							&segment_threads,
							1, 0, 64,
							PGC_USERSET, 0,
							NULL, NULL, NULL);
	MarkGUCPrefixReserved("segment");
}

/* ------------------------------------------------------------------ */
/* Errors                                                              */
/* ------------------------------------------------------------------ */

static int
sqlstate_of(int code)
{
	switch (code)
	{
		case SEG_ENOMEM:
			return ERRCODE_OUT_OF_MEMORY;
		case SEG_EIO:
			return ERRCODE_IO_ERROR;
		case SEG_ELIMIT:
			return ERRCODE_PROGRAM_LIMIT_EXCEEDED;
		case SEG_ECONVERGE:
			return ERRCODE_DATA_EXCEPTION;
		case SEG_ECANCELED:
			return ERRCODE_QUERY_CANCELED;
		default:
			/* The rest (parse, type, range, not found ...) all mean that
			 * what the caller passed cannot be used. */
			return ERRCODE_INVALID_PARAMETER_VALUE;
	}
}

static void
raise_seg(int code, const char *message)
{
	/* A call the progress callback stopped: PostgreSQL's own error
	 * (statement timeout, cancel, shutdown) says why. */
	if (code == SEG_ECANCELED)
		CHECK_FOR_INTERRUPTS();
	ereport(ERROR,
			(errcode(sqlstate_of(code)),
			 errmsg("%s", message ? message : seg_strerror(code))));
}

#define bad_input(...) \
	ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg(__VA_ARGS__)))

/*
 * The bulk loaders name the first bad row of their call ("row 12: ..."),
 * counting from 0; the rows come in chunks, so the number is moved to count
 * from the query's first row.
 */
static void
raise_seg_rows(int code, const char *message, const char *what,
			   uint64 first_row, uint64 rows)
{
	unsigned long long n;
	int			used = 0;

	if (code == SEG_ECANCELED)
		raise_seg(code, message);

	if (message && sscanf(message, "row %llu:%n", &n, &used) == 1 && used > 0)
		ereport(ERROR,
				(errcode(sqlstate_of(code)),
				 errmsg("%s row %llu:%s", what, n + (unsigned long long) first_row,
						message + used)));
	/* A call with one row does not name it. */
	if (message && rows == 1)
		ereport(ERROR,
				(errcode(sqlstate_of(code)),
				 errmsg("%s row %llu: %s", what, (unsigned long long) first_row,
						message)));
	ereport(ERROR,
			(errcode(sqlstate_of(code)),
			 errmsg("%s: %s", what, message ? message : seg_strerror(code))));
}

/* ------------------------------------------------------------------ */
/* Jobs: handles freed on every path                                   */
/* ------------------------------------------------------------------ */

#define MAX_MODELS 16
#define MAX_TABLES 4

typedef struct job
{
	MemoryContext cxt;
	MemoryContextCallback cb;
	seg_dataset *ds;
	seg_model  *models[MAX_MODELS];
	int			n_models;
	seg_rules  *rules;
	seg_table  *tables[MAX_TABLES];
	int			n_tables;
	char		tmpdir[MAXPGPATH];	/* private directory for model files */
	char		tmpfile[MAXPGPATH];
} job;

static void
job_release(void *arg)
{
	job		   *j = (job *) arg;

	for (int i = 0; i < j->n_models; i++)
		seg_model_free(j->models[i]);
	j->n_models = 0;
	for (int i = 0; i < j->n_tables; i++)
		seg_table_free(j->tables[i]);
	j->n_tables = 0;
	seg_rules_free(j->rules);
	j->rules = NULL;
	seg_dataset_free(j->ds);
	j->ds = NULL;
	if (j->tmpfile[0])
		unlink(j->tmpfile);
	j->tmpfile[0] = '\0';
	if (j->tmpdir[0])
		rmdir(j->tmpdir);
	j->tmpdir[0] = '\0';
}

static job *
job_begin(void)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext,
											  "segment job",
											  ALLOCSET_DEFAULT_SIZES);
	job		   *j = MemoryContextAllocZero(cxt, sizeof(job));

	j->cxt = cxt;
	j->cb.func = job_release;
	j->cb.arg = j;
	MemoryContextRegisterResetCallback(cxt, &j->cb);
	return j;
}

static void
job_end(job *j)
{
	MemoryContextDelete(j->cxt);
}

static int	on_progress(int stage, uint64_t done, uint64_t total,
						void *user_data);

static seg_dataset *
job_dataset(job *j)
{
	if (!j->ds)
	{
		int			rc = seg_dataset_new(&j->ds);

		if (rc)
			raise_seg(rc, seg_errmsg());
		rc = seg_dataset_set_threads(j->ds, segment_threads);
		if (rc == SEG_OK)
			rc = seg_dataset_set_progress(j->ds, on_progress, NULL);
		if (rc)
			raise_seg(rc, seg_dataset_errmsg(j->ds));
	}
	return j->ds;
}

static seg_model *
job_add_model(job *j, seg_model *m)
{
	if (j->n_models == MAX_MODELS)
	{
		seg_model_free(m);
		bad_input("at most %d models in one call", MAX_MODELS);
	}
	j->models[j->n_models++] = m;
	return m;
}

/*
 * Registers a table that a library call made (rc its status), so that it is
 * freed with the job even when reading its cells raises an error.
 */
static const seg_table *
job_add_table(job *j, int rc, seg_table *t, const char *message)
{
	if (rc)
	{
		seg_table_free(t);
		raise_seg(rc, message);
	}
	if (j->n_tables == MAX_TABLES)
	{
		seg_table_free(t);
		elog(ERROR, "too many tables in one call");
	}
	j->tables[j->n_tables++] = t;
	return t;
}

/*
 * Library calls that may start threads run with every signal blocked: the
 * threads inherit the mask, so PostgreSQL's handlers only ever run in the
 * backend's own thread. A cancel that arrives meanwhile stays pending and
 * is acted on at the next CHECK_FOR_INTERRUPTS().
 */
typedef struct sigguard
{
	sigset_t	old;
} sigguard;

/* The guard of the library call under way, for the progress callback. */
static sigguard *held;

static void
signals_hold(sigguard *g)
{
	sigset_t	all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &g->old);
	held = g;
}

static void
signals_release(sigguard *g)
{
	held = NULL;
	pthread_sigmask(SIG_SETMASK, &g->old, NULL);
	CHECK_FOR_INTERRUPTS();
}

/*
 * The library's progress callback, installed on every dataset: it runs on
 * the backend's own thread, about every 50 ms of a long call. It lets the
 * signals held back by signals_hold() in for a moment, so that the handlers
 * of a cancel or of statement_timeout run here and set their flags (the
 * library's threads keep every signal blocked), and asks the library to stop
 * when one is pending. It never raises an error itself: the library must
 * first undo what the call did; the caller then runs CHECK_FOR_INTERRUPTS().
 */
static int
on_progress(int stage, uint64_t done, uint64_t total, void *user_data)
{
	(void) stage;
	(void) done;
	(void) total;
	(void) user_data;
	if (held)
	{
		sigset_t	all;

		pthread_sigmask(SIG_SETMASK, &held->old, NULL);
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, NULL);
	}
	return INTERRUPTS_PENDING_CONDITION() &&
		(QueryCancelPending || ProcDiePending);
}

/* ------------------------------------------------------------------ */
/* Values                                                              */
/* ------------------------------------------------------------------ */

static bool
is_text_type(Oid t)
{
	return t == TEXTOID || t == VARCHAROID || t == BPCHAROID || t == NAMEOID ||
		t == UNKNOWNOID;
}

static bool
is_time_type(Oid t)
{
	return t == TIMESTAMPTZOID || t == TIMESTAMPOID || t == DATEOID;
}

static bool
is_number_type(Oid t)
{
	return t == NUMERICOID || t == FLOAT8OID || t == FLOAT4OID ||
		t == INT2OID || t == INT4OID || t == INT8OID;
}

static double
number_of(Datum d, Oid t)
{
	switch (t)
	{
		case FLOAT8OID:
			return DatumGetFloat8(d);
		case FLOAT4OID:
			return DatumGetFloat4(d);
		case INT2OID:
			return DatumGetInt16(d);
		case INT4OID:
			return DatumGetInt32(d);
		case INT8OID:
			return (double) DatumGetInt64(d);
		default:
			return DatumGetFloat8(DirectFunctionCall1(numeric_float8, d));
	}
}

/*
 * A date is midnight UTC of that day, as the library reads YYYYMMDD, so
 * dates give the same features whatever the session's time zone; a
 * timestamp without time zone is read as UTC.
 */
static bool
epoch_of(Datum d, Oid t, int64 *out)
{
	if (t == DATEOID)
	{
		DateADT		v = DatumGetDateADT(d);

		if (DATE_NOT_FINITE(v))
			return false;
		*out = ((int64) v) * SECS_PER_DAY + PG_EPOCH_OFFSET;
		return true;
	}
	else
	{
		Timestamp	v = DatumGetTimestamp(d);
		int64		s;

		if (TIMESTAMP_NOT_FINITE(v))
			return false;
		s = v / USECS_PER_SEC;
		if (v % USECS_PER_SEC < 0)
			s--;
		*out = s + PG_EPOCH_OFFSET;
		return true;
	}
}

static TimestampTz
timestamptz_of_epoch(double s)
{
	return (TimestampTz) ((s - (double) PG_EPOCH_OFFSET) * USECS_PER_SEC);
}

static char *
text_of(Datum d, Oid t)
{
	Oid			out;
	bool		varlena;

	if (t == TEXTOID || t == VARCHAROID || t == BPCHAROID)
		return TextDatumGetCString(d);
	getTypeOutputInfo(t, &out, &varlena);
	return OidOutputFunctionCall(out, d);
}

static int64
seconds_arg(FunctionCallInfo fcinfo, int i)
{
	int64		s;

	if (PG_ARGISNULL(i))
		return SEG_TIME_NONE;
	if (!epoch_of(PG_GETARG_DATUM(i), TIMESTAMPTZOID, &s))
		bad_input("an infinite time cannot be used");
	return s;
}

static char *
text_arg(FunctionCallInfo fcinfo, int i)
{
	return PG_ARGISNULL(i) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(i));
}

/* The elements of a text[] argument; NULL elements are an error. */
static char **
text_array_arg(FunctionCallInfo fcinfo, int i, int *n, const char *what)
{
	ArrayType  *a;
	Datum	   *elems;
	bool	   *nulls;
	char	  **out;

	*n = 0;
	if (PG_ARGISNULL(i))
		return NULL;
	a = PG_GETARG_ARRAYTYPE_P(i);
	if (ARR_NDIM(a) > 1)
		bad_input("%s must be a one-dimensional text array", what);
	deconstruct_array(a, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, n);
	out = palloc(sizeof(char *) * (*n + 1));
	for (int k = 0; k < *n; k++)
	{
		if (nulls[k])
			bad_input("%s must not contain NULL", what);
		out[k] = TextDatumGetCString(elems[k]);
	}
	return out;
}

/* ------------------------------------------------------------------ */
/* Loading the caller's queries                                        */
/* ------------------------------------------------------------------ */

typedef enum load_role
{
	LOAD_ORDERS,
	LOAD_EVENTS
} load_role;

/* One CSV field, quoted by RFC 4180, for rows that the library parses. */
static void
csv_field(StringInfo b, const char *s)
{
	appendStringInfoChar(b, '"');
	for (; *s; s++)
	{
		if (*s == '"')
			appendStringInfoChar(b, '"');
		appendStringInfoChar(b, *s);
	}
	appendStringInfoChar(b, '"');
}

static void
csv_time(StringInfo b, Datum d, Oid t, bool isnull, const char *what, uint64 row)
{
	int64		s;
	char		iso[32];

	if (isnull)
		return;
	if (is_text_type(t))
	{
		csv_field(b, text_of(d, t));
		return;
	}
	if (!epoch_of(d, t, &s))
		bad_input("%s row %llu: time is infinite", what, (unsigned long long) row);
	if (seg_time_format_iso(iso, sizeof iso, s) == SEG_OK)
		appendStringInfoString(b, iso);
	else
		appendStringInfo(b, "%lld", (long long) s);
}

static void
csv_number(StringInfo b, Datum d, Oid t, bool isnull)
{
	if (isnull)
		return;
	if (is_number_type(t))
		appendStringInfo(b, "%.17g", number_of(d, t));
	else
		csv_field(b, text_of(d, t));
}

/*
 * Run a query and add its rows as transactions or events.
 *
 * Typed columns (timestamptz/timestamp/date times, numeric amounts) go to
 * the library's columnar loaders a chunk at a time. When a time or amount
 * column is text, the rows are handed to the library's CSV reader instead,
 * so that text is parsed by the library's own rules and errors carry its
 * messages ("orders:3:3: amount 'abc' is not a number", line = row).
 */
static void
load_query(job *j, const char *query, load_role role)
{
	const char *what = role == LOAD_ORDERS ? "orders" : "events";
	int			min_cols = 3,
				max_cols = role == LOAD_ORDERS ? 3 : 4;
	seg_dataset *ds = job_dataset(j);
	SPIPlanPtr	plan;
	Portal		portal;
	uint64		row = 0;
	bool		first = true,
				as_csv = false;
	Oid			types[4] = {0};
	int			ncols = 0;
	StringInfoData csv;
	MemoryContext chunk_cxt,
				old;

	plan = SPI_prepare(query, 0, NULL);
	if (!plan)
		bad_input("%s query: %s", what, SPI_result_code_string(SPI_result));
	portal = SPI_cursor_open(NULL, plan, NULL, NULL, true);
	chunk_cxt = AllocSetContextCreate(j->cxt, "segment chunk", ALLOCSET_DEFAULT_SIZES);
	/* The text grows in the job's context while each row's values come
	 * and go with the chunk. */
	old = MemoryContextSwitchTo(j->cxt);
	initStringInfo(&csv);
	MemoryContextSwitchTo(old);

	for (;;)
	{
		SPITupleTable *tt;
		uint64		n;

		CHECK_FOR_INTERRUPTS();
		SPI_cursor_fetch(portal, true, CHUNK_ROWS);
		tt = SPI_tuptable;
		n = SPI_processed;

		if (first)
		{
			TupleDesc	td = tt->tupdesc;

			first = false;
			ncols = td->natts;
			if (ncols < min_cols || ncols > max_cols)
				bad_input(role == LOAD_ORDERS
						  ? "orders query must return 3 columns (customer_id, time, amount), not %d"
						  : "events query must return 3 or 4 columns (customer_id, time, kind [, value]), not %d",
						  ncols);
			for (int c = 0; c < ncols; c++)
				types[c] = SPI_gettypeid(td, c + 1);
			if (!is_time_type(types[1]) && !is_text_type(types[1]))
				bad_input("%s query: the time column must be timestamptz, timestamp, date or text, not %s",
						  what, format_type_be(types[1]));
			if (role == LOAD_ORDERS || ncols == 4)
			{
				int			vc = role == LOAD_ORDERS ? 2 : 3;

				if (!is_number_type(types[vc]) && !is_text_type(types[vc]))
					bad_input("%s query: the %s column must be numeric, a float, an integer or text, not %s",
							  what, role == LOAD_ORDERS ? "amount" : "value",
							  format_type_be(types[vc]));
				as_csv = as_csv || is_text_type(types[vc]);
			}
			as_csv = as_csv || is_text_type(types[1]);
		}
		if (n == 0)
			break;

		old = MemoryContextSwitchTo(chunk_cxt);
		if (as_csv)
		{
			for (uint64 i = 0; i < n; i++)
			{
				HeapTuple	tup = tt->vals[i];
				bool		isnull;
				Datum		d;

				d = SPI_getbinval(tup, tt->tupdesc, 1, &isnull);
				if (!isnull)
					csv_field(&csv, text_of(d, types[0]));
				appendStringInfoChar(&csv, ',');
				d = SPI_getbinval(tup, tt->tupdesc, 2, &isnull);
				csv_time(&csv, d, types[1], isnull, what, row + i);
				appendStringInfoChar(&csv, ',');
				if (role == LOAD_ORDERS)
				{
					d = SPI_getbinval(tup, tt->tupdesc, 3, &isnull);
					csv_number(&csv, d, types[2], isnull);
				}
				else
				{
					d = SPI_getbinval(tup, tt->tupdesc, 3, &isnull);
					if (!isnull)
						csv_field(&csv, text_of(d, types[2]));
					appendStringInfoChar(&csv, ',');
					if (ncols == 4)
					{
						d = SPI_getbinval(tup, tt->tupdesc, 4, &isnull);
						csv_number(&csv, d, types[3], isnull);
					}
				}
				appendStringInfoChar(&csv, '\n');
			}
		}
		else
		{
			const char **ids = palloc(sizeof(char *) * n);
			int64	   *times = palloc(sizeof(int64) * n);
			double	   *vals = palloc(sizeof(double) * n);
			const char **kinds = role == LOAD_EVENTS ? palloc(sizeof(char *) * n) : NULL;
			int			rc;

			for (uint64 i = 0; i < n; i++)
			{
				HeapTuple	tup = tt->vals[i];
				bool		isnull;
				Datum		d;

				/* A NULL id goes to the library, which names the row. */
				d = SPI_getbinval(tup, tt->tupdesc, 1, &isnull);
				ids[i] = isnull ? NULL : text_of(d, types[0]);
				d = SPI_getbinval(tup, tt->tupdesc, 2, &isnull);
				if (isnull)
					bad_input("%s row %llu: time is NULL", what,
							  (unsigned long long) (row + i));
				if (!epoch_of(d, types[1], &times[i]))
					bad_input("%s row %llu: time is infinite", what,
							  (unsigned long long) (row + i));
				if (role == LOAD_ORDERS)
				{
					d = SPI_getbinval(tup, tt->tupdesc, 3, &isnull);
					if (isnull)
						bad_input("%s row %llu: amount is NULL", what,
								  (unsigned long long) (row + i));
					vals[i] = number_of(d, types[2]);
				}
				else
				{
					d = SPI_getbinval(tup, tt->tupdesc, 3, &isnull);
					kinds[i] = isnull ? NULL : text_of(d, types[2]);
					vals[i] = NAN;
					if (ncols == 4)
					{
						d = SPI_getbinval(tup, tt->tupdesc, 4, &isnull);
						if (!isnull)
							vals[i] = number_of(d, types[3]);
					}
				}
			}
			rc = role == LOAD_ORDERS
				? seg_dataset_add_transactions(ds, ids, times, vals, n)
				: seg_dataset_add_events(ds, ids, times, kinds,
										 ncols == 4 ? vals : NULL, n);
			if (rc)
				raise_seg_rows(rc, seg_dataset_errmsg(ds), what, row, n);
		}
		MemoryContextSwitchTo(old);
		MemoryContextReset(chunk_cxt);
		row += n;
		SPI_freetuptable(tt);
	}
	SPI_cursor_close(portal);
	SPI_freeplan(plan);

	if (as_csv && csv.len > 0)
	{
		seg_csv_options o;
		int			rc;

		seg_csv_options_init(&o);
		o.delimiter = ',';
		o.has_header = 0;
		o.id_column = "1";
		o.time_column = "2";
		if (role == LOAD_ORDERS)
			o.amount_column = "3";
		else
		{
			o.kind_column = "3";
			if (ncols == 4)
				o.value_column = "4";
		}
		{
			sigguard	g;

			signals_hold(&g);
			rc = seg_dataset_load_csv_buffer(ds, csv.data, csv.len, what, &o);
			signals_release(&g);
		}
		if (rc)
			raise_seg(rc, seg_dataset_errmsg(ds));
	}
	pfree(csv.data);
	MemoryContextDelete(chunk_cxt);
}

/*
 * Attributes: the first column is the customer id, every other column an
 * attribute named by the column: numbers and booleans numeric, anything
 * else a label. NULL leaves the attribute missing.
 */
static void
load_attributes(job *j, const char *query)
{
	seg_dataset *ds = job_dataset(j);
	SPIPlanPtr	plan;
	Portal		portal;
	uint64		row = 0;
	MemoryContext chunk_cxt = AllocSetContextCreate(j->cxt, "segment chunk",
													ALLOCSET_DEFAULT_SIZES);

	plan = SPI_prepare(query, 0, NULL);
	if (!plan)
		bad_input("attributes query: %s", SPI_result_code_string(SPI_result));
	portal = SPI_cursor_open(NULL, plan, NULL, NULL, true);
	for (;;)
	{
		SPITupleTable *tt;
		uint64		n;
		MemoryContext old;
		int			ncols;

		CHECK_FOR_INTERRUPTS();
		SPI_cursor_fetch(portal, true, CHUNK_ROWS);
		tt = SPI_tuptable;
		n = SPI_processed;
		ncols = tt->tupdesc->natts;
		if (ncols < 2)
			bad_input("attributes query must return customer_id and at least one attribute column");
		if (n == 0)
			break;
		old = MemoryContextSwitchTo(chunk_cxt);
		for (uint64 i = 0; i < n; i++)
		{
			HeapTuple	tup = tt->vals[i];
			bool		isnull;
			Datum		d = SPI_getbinval(tup, tt->tupdesc, 1, &isnull);
			char	   *id;

			if (isnull)
				bad_input("attributes row %llu: customer id is NULL",
						  (unsigned long long) (row + i));
			id = text_of(d, SPI_gettypeid(tt->tupdesc, 1));
			for (int c = 2; c <= ncols; c++)
			{
				Oid			t = SPI_gettypeid(tt->tupdesc, c);
				const char *name = NameStr(TupleDescAttr(tt->tupdesc, c - 1)->attname);
				int			rc;

				d = SPI_getbinval(tup, tt->tupdesc, c, &isnull);
				if (isnull)
					continue;
				if (is_number_type(t))
					rc = seg_dataset_set_attribute_f64(ds, id, name, number_of(d, t));
				else if (t == BOOLOID)
					rc = seg_dataset_set_attribute_f64(ds, id, name, DatumGetBool(d) ? 1 : 0);
				else
					rc = seg_dataset_set_attribute_str(ds, id, name, text_of(d, t));
				if (rc)
					ereport(ERROR,
							(errcode(sqlstate_of(rc)),
							 errmsg("attributes row %llu: %s",
									(unsigned long long) (row + i),
									seg_dataset_errmsg(ds))));
			}
		}
		MemoryContextSwitchTo(old);
		MemoryContextReset(chunk_cxt);
		row += n;
		SPI_freetuptable(tt);
	}
	SPI_cursor_close(portal);
	SPI_freeplan(plan);
	MemoryContextDelete(chunk_cxt);
}

/* The input arguments that every data function takes, in this order. */
typedef struct inputs
{
	const char *orders;
	int64		as_of;
	const char *time_unit;
	const char *events;
	const char *attributes;
	int64		holdout_from;
} inputs;

/* orders is argument o; as_of, time_unit, events, attributes and
 * holdout_from follow one another from argument a. */
static inputs
inputs_from(FunctionCallInfo fcinfo, int o, int a)
{
	inputs		in;

	in.orders = text_arg(fcinfo, o);
	in.as_of = seconds_arg(fcinfo, a);
	in.time_unit = text_arg(fcinfo, a + 1);
	in.events = text_arg(fcinfo, a + 2);
	in.attributes = text_arg(fcinfo, a + 3);
	in.holdout_from = seconds_arg(fcinfo, a + 4);
	return in;
}

/* Load everything and compute the features. */
static seg_dataset *
build_dataset(job *j, const inputs *in)
{
	seg_dataset *ds = job_dataset(j);
	seg_features_options fo;
	sigguard	g;
	int			rc;

	seg_features_options_init(&fo);
	if (in->time_unit == NULL || strcmp(in->time_unit, "day") == 0)
		fo.time_unit = SEG_UNIT_DAY;
	else if (strcmp(in->time_unit, "week") == 0)
		fo.time_unit = SEG_UNIT_WEEK;
	else
		bad_input("time_unit must be 'day' or 'week', not '%s'", in->time_unit);
	fo.as_of = in->as_of;
	fo.holdout_from = in->holdout_from;
	if (!in->orders && !in->events && !in->attributes)
		bad_input("no input: give an orders, events or attributes query");

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (in->orders)
		load_query(j, in->orders, LOAD_ORDERS);
	if (in->events)
		load_query(j, in->events, LOAD_EVENTS);
	if (in->attributes)
		load_attributes(j, in->attributes);
	SPI_finish();

	signals_hold(&g);
	rc = seg_dataset_compute_features(ds, &fo);
	signals_release(&g);
	if (rc)
		raise_seg(rc, seg_dataset_errmsg(ds));
	return ds;
}

/* ------------------------------------------------------------------ */
/* Models                                                              */
/* ------------------------------------------------------------------ */

static void
make_private_dir(job *j)
{
	char		base[MAXPGPATH];

	/* Under the data directory's pgsql_tmp, whose pgsql_tmp* entries the
	 * server removes at start-up, so even a crash leaves nothing behind. */
	snprintf(base, sizeof base, "base/%s", PG_TEMP_FILES_DIR);
	if (MakePGDirectory(base) < 0 && errno != EEXIST)
		ereport(ERROR, (errcode_for_file_access(),
						errmsg("could not create directory \"%s\": %m", base)));
	snprintf(j->tmpdir, sizeof j->tmpdir, "%s/%ssegment.XXXXXX", base,
			 PG_TEMP_FILE_PREFIX);
	if (!mkdtemp(j->tmpdir))
	{
		j->tmpdir[0] = '\0';
		ereport(ERROR, (errcode_for_file_access(),
						errmsg("could not create a private directory under \"%s\": %m", base)));
	}
	snprintf(j->tmpfile, sizeof j->tmpfile, "%s/model", j->tmpdir);
}

static void
remove_private_dir(job *j)
{
	unlink(j->tmpfile);
	j->tmpfile[0] = '\0';
	rmdir(j->tmpdir);
	j->tmpdir[0] = '\0';
}

/* seg_model_save() writes to a path; the text comes back through a file in
 * a directory that only this backend uses. */
static text *
model_to_text(job *j, const seg_model *m)
{
	FILE	   *f;
	StringInfoData b;
	char		buf[8192];
	size_t		n;
	int			rc;

	make_private_dir(j);
	rc = seg_model_save(m, j->tmpfile);
	if (rc)
		raise_seg(rc, seg_model_errmsg(m));
	f = AllocateFile(j->tmpfile, "rb");
	if (!f)
		ereport(ERROR, (errcode_for_file_access(),
						errmsg("could not read \"%s\": %m", j->tmpfile)));
	initStringInfo(&b);
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		appendBinaryStringInfo(&b, buf, (int) n);
	FreeFile(f);
	remove_private_dir(j);
	return cstring_to_text_with_len(b.data, b.len);
}

static seg_model *
model_from_text(job *j, const char *s, size_t len)
{
	FILE	   *f;
	seg_model  *m;
	int			rc;

	make_private_dir(j);
	f = AllocateFile(j->tmpfile, "wb");
	if (!f)
		ereport(ERROR, (errcode_for_file_access(),
						errmsg("could not write \"%s\": %m", j->tmpfile)));
	if (fwrite(s, 1, len, f) != len)
	{
		FreeFile(f);
		ereport(ERROR, (errcode_for_file_access(),
						errmsg("could not write \"%s\": %m", j->tmpfile)));
	}
	if (FreeFile(f))
		ereport(ERROR, (errcode_for_file_access(),
						errmsg("could not write \"%s\": %m", j->tmpfile)));
	rc = seg_model_load(&m, j->tmpfile);
	if (rc)
	{
		/* The message names the private file; the caller knows it as
		 * "model". */
		const char *msg = seg_errmsg();
		size_t		pl = strlen(j->tmpfile);

		if (strncmp(msg, j->tmpfile, pl) == 0)
			msg = psprintf("model%s", msg + pl);
		else
			msg = pstrdup(msg);
		remove_private_dir(j);
		raise_seg(rc, msg);
	}
	remove_private_dir(j);
	return job_add_model(j, m);
}

static bool
looks_like_saved_model(const char *s)
{
	return strncmp(s, "# libsegment model", 18) == 0 || strncmp(s, "format ", 7) == 0;
}

/* A new model of a kind, with KEY=VALUE parameters. */
static seg_model *
new_model(job *j, const char *kind, char **params, int n_params)
{
	seg_model  *m;
	int			rc = seg_model_new(&m, kind);

	if (rc)
		raise_seg(rc, seg_errmsg());
	job_add_model(j, m);
	for (int i = 0; i < n_params; i++)
	{
		rc = seg_model_set_pair(m, params[i]);
		if (rc)
			raise_seg(rc, seg_model_errmsg(m));
	}
	return m;
}

static void
fit_model(seg_model *m, const seg_dataset *ds)
{
	sigguard	g;
	int			rc;

	signals_hold(&g);
	rc = seg_model_fit(m, ds);
	signals_release(&g);
	if (rc)
		raise_seg(rc, seg_model_errmsg(m));
}

static void
score_model(const seg_model *m, seg_dataset *ds)
{
	sigguard	g;
	int			rc;

	signals_hold(&g);
	rc = seg_model_score(m, ds);
	signals_release(&g);
	if (rc)
		raise_seg(rc, seg_model_errmsg(m));
}

/*
 * The models that rules read: each element is a kind name (fitted on the
 * data) or a saved model's text (from segment_fit_model). Parameters are
 * KIND.KEY=VALUE and go to the models of that kind.
 */
static void
run_models(job *j, seg_dataset *ds, char **models, int n_models,
		   char **params, int n_params)
{
	for (int i = 0; i < n_models; i++)
	{
		seg_model  *m;

		if (looks_like_saved_model(models[i]))
			m = model_from_text(j, models[i], strlen(models[i]));
		else
		{
			const char *kind = models[i];
			size_t		kl = strlen(kind);
			int			rc;

			m = new_model(j, kind, NULL, 0);
			for (int p = 0; p < n_params; p++)
			{
				if (strncmp(params[p], kind, kl) != 0 || params[p][kl] != '.')
					continue;
				rc = seg_model_set_pair(m, params[p] + kl + 1);
				if (rc)
					raise_seg(rc, seg_model_errmsg(m));
			}
			fit_model(m, ds);
		}
		score_model(m, ds);
	}
	for (int p = 0; p < n_params; p++)
	{
		const char *dot = strchr(params[p], '.');
		const char *eq = strchr(params[p], '=');
		bool		used = false;

		if (!dot || (eq && eq < dot))
			bad_input("parameter '%s' must be KIND.KEY=VALUE", params[p]);
		for (int i = 0; i < n_models && !used; i++)
			used = !looks_like_saved_model(models[i]) &&
				strlen(models[i]) == (size_t) (dot - params[p]) &&
				strncmp(models[i], params[p], dot - params[p]) == 0;
		if (!used)
			bad_input("parameter '%s' names no model of the call", params[p]);
	}
}

/* ------------------------------------------------------------------ */
/* Output                                                              */
/* ------------------------------------------------------------------ */

static double *
numeric_column(const seg_dataset *ds, const char *name)
{
	size_t		n = seg_dataset_customer_count(ds);
	double	   *v;
	int			rc;

	if (seg_dataset_column_type(ds, name) != SEG_COLUMN_NUMERIC)
		return NULL;
	v = palloc(sizeof(double) * (n ? n : 1));
	rc = seg_dataset_copy_f64(ds, name, v, n);
	if (rc)
		raise_seg(rc, seg_dataset_errmsg(ds));
	return v;
}

static const char **
label_column(const seg_dataset *ds, const char *name)
{
	size_t		n = seg_dataset_customer_count(ds);
	const char **v;
	int			rc;

	if (seg_dataset_column_type(ds, name) != SEG_COLUMN_LABEL)
		return NULL;
	v = palloc(sizeof(char *) * (n ? n : 1));
	rc = seg_dataset_copy_labels(ds, name, v, n);
	if (rc)
		raise_seg(rc, seg_dataset_errmsg(ds));
	return v;
}

static void
put_f64(Datum *v, bool *null, const double *col, size_t row)
{
	if (!col || isnan(col[row]))
		*null = true;
	else
		*v = Float8GetDatum(col[row]);
}

static void
put_int(Datum *v, bool *null, const double *col, size_t row, bool wide)
{
	if (!col || isnan(col[row]))
		*null = true;
	else
		*v = wide ? Int64GetDatum((int64) llround(col[row]))
			: Int32GetDatum((int32) llround(col[row]));
}

static void
put_time(Datum *v, bool *null, const double *col, size_t row)
{
	if (!col || isnan(col[row]))
		*null = true;
	else
		*v = TimestampTzGetDatum(timestamptz_of_epoch(col[row]));
}

static void
put_text(Datum *v, bool *null, const char *s)
{
	if (!s)
		*null = true;
	else
		*v = CStringGetTextDatum(s);
}

/* Every column whose name starts with prefix (all when NULL), long form:
 * (customer_id, name, value, label). */
static void
emit_long(ReturnSetInfo *rsi, const seg_dataset *ds, const char *prefix)
{
	size_t		n = seg_dataset_customer_count(ds);
	size_t		nc = seg_dataset_column_count(ds);
	size_t		pl = prefix ? strlen(prefix) : 0;
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "segment rows",
											  ALLOCSET_DEFAULT_SIZES);

	for (size_t c = 0; c < nc; c++)
	{
		const char *name = seg_dataset_column_name(ds, c);
		MemoryContext old;
		double	   *num;
		const char **lab;
		Datum		vname;

		if (prefix && (strncmp(name, prefix, pl) != 0 || name[pl] != '.'))
			continue;
		old = MemoryContextSwitchTo(cxt);
		num = numeric_column(ds, name);
		lab = num ? NULL : label_column(ds, name);
		vname = CStringGetTextDatum(name);
		for (size_t r = 0; r < n; r++)
		{
			Datum		v[4] = {0};
			bool		null[4] = {false, false, false, false};

			if ((r & 0xffff) == 0)
				CHECK_FOR_INTERRUPTS();
			v[0] = CStringGetTextDatum(seg_dataset_customer_id(ds, r));
			v[1] = vname;
			put_f64(&v[2], &null[2], num, r);
			put_text(&v[3], &null[3], lab ? lab[r] : NULL);
			tuplestore_putvalues(rsi->setResult, rsi->setDesc, v, null);
			pfree(DatumGetPointer(v[0]));
			if (!null[3])
				pfree(DatumGetPointer(v[3]));
		}
		MemoryContextSwitchTo(old);
		MemoryContextReset(cxt);
	}
	MemoryContextDelete(cxt);
}

/* ------------------------------------------------------------------ */
/* SQL functions                                                       */
/* ------------------------------------------------------------------ */

/*
 * segment_features(orders, as_of, time_unit, events, attributes,
 * holdout_from): one typed row per customer.
 */
PG_FUNCTION_INFO_V1(segment_features);
Datum
segment_features(PG_FUNCTION_ARGS)
{
	static const char *const cols[] = {
		"orders", "frequency", "t_x", "T", "recency", "monetary_total",
		"monetary_mean", "monetary_repeat_mean", "first_purchase",
		"last_purchase", "holdout_orders", "holdout_monetary",
		"holdout_length"
	};
	enum
	{
		NCOLS = lengthof(cols)
	};
	/* bigint counts, float8 amounts and durations, timestamptz times */
	static const char kinds[NCOLS] = "IIffffffttIff";
	ReturnSetInfo *rsi = (ReturnSetInfo *) fcinfo->resultinfo;
	inputs		in;
	job		   *j;
	seg_dataset *ds;
	double	   *data[NCOLS];
	size_t		n;

	InitMaterializedSRF(fcinfo, 0);
	in = inputs_from(fcinfo, 0, 1);
	j = job_begin();
	ds = build_dataset(j, &in);
	n = seg_dataset_customer_count(ds);
	for (int c = 0; c < NCOLS; c++)
		data[c] = numeric_column(ds, cols[c]);
	for (size_t r = 0; r < n; r++)
	{
		Datum		v[NCOLS + 1] = {0};
		bool		null[NCOLS + 1] = {false};

		if ((r & 0xffff) == 0)
			CHECK_FOR_INTERRUPTS();
		v[0] = CStringGetTextDatum(seg_dataset_customer_id(ds, r));
		for (int c = 0; c < NCOLS; c++)
		{
			if (kinds[c] == 'I')
				put_int(&v[c + 1], &null[c + 1], data[c], r, true);
			else if (kinds[c] == 't')
				put_time(&v[c + 1], &null[c + 1], data[c], r);
			else
				put_f64(&v[c + 1], &null[c + 1], data[c], r);
		}
		tuplestore_putvalues(rsi->setResult, rsi->setDesc, v, null);
		pfree(DatumGetPointer(v[0]));
	}
	job_end(j);
	return (Datum) 0;
}

/* segment_columns(orders, ...): every column of the dataset, long form. */
PG_FUNCTION_INFO_V1(segment_columns);
Datum
segment_columns(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsi = (ReturnSetInfo *) fcinfo->resultinfo;
	inputs		in;
	job		   *j;

	InitMaterializedSRF(fcinfo, 0);
	in = inputs_from(fcinfo, 0, 1);
	j = job_begin();
	emit_long(rsi, build_dataset(j, &in), NULL);
	job_end(j);
	return (Datum) 0;
}

static void
emit_results(ReturnSetInfo *rsi, const seg_model *m)
{
	const char *name;

	for (size_t i = 0; (name = seg_model_result_name(m, i)) != NULL; i++)
	{
		Datum		v[3];
		bool		null[3] = {false, false, false};
		double		x;
		int			rc = seg_model_result(m, name, &x);

		if (rc)
			raise_seg(rc, seg_model_errmsg(m));
		v[0] = CStringGetTextDatum(name);
		if (isnan(x))
			null[1] = true;
		else
			v[1] = Float8GetDatum(x);
		v[2] = BoolGetDatum(seg_model_result_is_param(m, name) == 1);
		tuplestore_putvalues(rsi->setResult, rsi->setDesc, v, null);
	}
}

static const char *
kind_arg(FunctionCallInfo fcinfo, int i)
{
	const char *kind = text_arg(fcinfo, i);

	if (!kind)
		bad_input("the model kind must not be NULL");
	return kind;
}

/* What the functions called (kind, orders, params, ...) share: the
 * arguments read, the rows loaded and the model made and fitted on them,
 * in a job the caller ends. */
static seg_model *
fitted_from_args(FunctionCallInfo fcinfo, job **jp, seg_dataset **dsp)
{
	const char *kind = kind_arg(fcinfo, 0);
	int			np;
	char	  **params = text_array_arg(fcinfo, 2, &np, "params");
	inputs		in = inputs_from(fcinfo, 1, 3);
	job		   *j = job_begin();
	seg_model  *m = new_model(j, kind, params, np);
	seg_dataset *ds = build_dataset(j, &in);

	fit_model(m, ds);
	*jp = j;
	*dsp = ds;
	return m;
}

/* segment_fit(kind, orders, params, ...): (name, value, is_param). */
PG_FUNCTION_INFO_V1(segment_fit);
Datum
segment_fit(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsi = (ReturnSetInfo *) fcinfo->resultinfo;
	job		   *j;
	seg_dataset *ds;
	seg_model  *m;

	InitMaterializedSRF(fcinfo, 0);
	m = fitted_from_args(fcinfo, &j, &ds);
	emit_results(rsi, m);
	job_end(j);
	return (Datum) 0;
}

/* segment_fit_model(kind, orders, params, ...): the saved model's text. */
PG_FUNCTION_INFO_V1(segment_fit_model);
Datum
segment_fit_model(PG_FUNCTION_ARGS)
{
	job		   *j;
	seg_dataset *ds;
	seg_model  *m = fitted_from_args(fcinfo, &j, &ds);
	text	   *out = model_to_text(j, m);

	job_end(j);
	PG_RETURN_TEXT_P(out);
}

static seg_model *
model_arg(job *j, FunctionCallInfo fcinfo, int i)
{
	text	   *t;

	if (PG_ARGISNULL(i))
		bad_input("the model text must not be NULL");
	t = PG_GETARG_TEXT_PP(i);
	return model_from_text(j, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
}

/* segment_model_results(model): what a saved model learned. */
PG_FUNCTION_INFO_V1(segment_model_results);
Datum
segment_model_results(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsi = (ReturnSetInfo *) fcinfo->resultinfo;
	job		   *j;

	InitMaterializedSRF(fcinfo, 0);
	j = job_begin();
	emit_results(rsi, model_arg(j, fcinfo, 0));
	job_end(j);
	return (Datum) 0;
}

/* segment_score(kind, orders, params, ...): fit and score on one data set;
 * the model's output columns in long form. */
PG_FUNCTION_INFO_V1(segment_score);
Datum
segment_score(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsi = (ReturnSetInfo *) fcinfo->resultinfo;
	job		   *j;
	seg_dataset *ds;
	seg_model  *m;

	InitMaterializedSRF(fcinfo, 0);
	m = fitted_from_args(fcinfo, &j, &ds);
	score_model(m, ds);
	emit_long(rsi, ds, seg_model_name(m));
	job_end(j);
	return (Datum) 0;
}

/* segment_score_model(model, orders, ...): score with a saved model. */
PG_FUNCTION_INFO_V1(segment_score_model);
Datum
segment_score_model(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsi = (ReturnSetInfo *) fcinfo->resultinfo;
	inputs		in;
	job		   *j;
	seg_model  *m;
	seg_dataset *ds;

	InitMaterializedSRF(fcinfo, 0);
	in = inputs_from(fcinfo, 1, 2);
	j = job_begin();
	m = model_arg(j, fcinfo, 0);
	ds = build_dataset(j, &in);
	score_model(m, ds);
	emit_long(rsi, ds, seg_model_name(m));
	job_end(j);
	return (Datum) 0;
}

/*
 * The common part of the rule functions: rules is argument 0, then orders,
 * models, params and the other inputs; the dataset, the models run and the
 * rules applied. Returns the output column's name.
 */
static const char *
apply_rules(job *j, FunctionCallInfo fcinfo, int orders, int models_arg,
			seg_dataset **out)
{
	const char *rules_text = text_arg(fcinfo, 0);
	char	  **models,
			  **params;
	int			nm,
				np,
				rc;
	inputs		in;
	seg_dataset *ds;
	sigguard	g;

	if (!rules_text)
		bad_input("the rules must not be NULL");
	models = text_array_arg(fcinfo, models_arg, &nm, "models");
	params = text_array_arg(fcinfo, models_arg + 1, &np, "params");
	in = inputs_from(fcinfo, orders, models_arg + 2);

	/* Compile first: a typo is reported before any data is read. */
	rc = seg_rules_parse(&j->rules, rules_text, strlen(rules_text), "rules");
	if (rc)
		raise_seg(rc, seg_errmsg());
	ds = build_dataset(j, &in);
	run_models(j, ds, models, nm, params, np);
	signals_hold(&g);
	rc = seg_rules_apply(j->rules, ds, NULL);
	signals_release(&g);
	if (rc)
		raise_seg(rc, seg_rules_errmsg(j->rules));
	*out = ds;
	return seg_rules_output(j->rules);
}

/* segment_tiers(rules, orders, models, params, ...):
 * (customer_id, tier, rule, points). */
PG_FUNCTION_INFO_V1(segment_tiers);
Datum
segment_tiers(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsi = (ReturnSetInfo *) fcinfo->resultinfo;
	job		   *j;
	seg_dataset *ds;
	const char *col;
	char	   *aux;
	const char **tier;
	double	   *rule,
			   *points;
	size_t		n;

	InitMaterializedSRF(fcinfo, 0);
	j = job_begin();
	col = apply_rules(j, fcinfo, 1, 2, &ds);
	tier = label_column(ds, col);
	aux = psprintf("%s.rule", col);
	rule = numeric_column(ds, aux);
	aux = psprintf("%s.points", col);
	points = numeric_column(ds, aux);
	n = seg_dataset_customer_count(ds);
	for (size_t r = 0; r < n; r++)
	{
		Datum		v[4] = {0};
		bool		null[4] = {false};

		if ((r & 0xffff) == 0)
			CHECK_FOR_INTERRUPTS();
		v[0] = CStringGetTextDatum(seg_dataset_customer_id(ds, r));
		put_text(&v[1], &null[1], tier ? tier[r] : NULL);
		put_int(&v[2], &null[2], rule, r, false);
		put_f64(&v[3], &null[3], points, r);
		tuplestore_putvalues(rsi->setResult, rsi->setDesc, v, null);
		pfree(DatumGetPointer(v[0]));
		if (!null[1])
			pfree(DatumGetPointer(v[1]));
	}
	job_end(j);
	return (Datum) 0;
}

/* Collects what the library writes through a seg_write_fn. */
static int
collect(const char *data, size_t len, void *user_data)
{
	appendBinaryStringInfo((StringInfo) user_data, data, (int) len);
	return 0;
}

/* segment_explain(rules, customer_id, orders, models, params, ..., format):
 * the library's explanation, or NULL for an unknown customer. */
PG_FUNCTION_INFO_V1(segment_explain);
Datum
segment_explain(PG_FUNCTION_ARGS)
{
	const char *id = text_arg(fcinfo, 1);
	const char *format = text_arg(fcinfo, 10);
	int			fmt;
	job		   *j;
	seg_dataset *ds;
	size_t		row;
	StringInfoData b;
	int			rc;
	text	   *out = NULL;

	if (!id)
		PG_RETURN_NULL();
	if (!format || strcmp(format, "text") == 0)
		fmt = SEG_FORMAT_TEXT;
	else if (strcmp(format, "json") == 0)
		fmt = SEG_FORMAT_JSON;
	else
		bad_input("format must be 'text' or 'json', not '%s'", format);
	j = job_begin();
	apply_rules(j, fcinfo, 2, 3, &ds);
	if (seg_dataset_customer_find(ds, id, &row) == SEG_OK)
	{
		initStringInfo(&b);
		rc = seg_rules_explain(j->rules, ds, row, fmt, collect, &b);
		if (rc)
			raise_seg(rc, seg_rules_errmsg(j->rules));
		out = cstring_to_text_with_len(b.data, b.len);
	}
	job_end(j);
	if (!out)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(out);
}

/*
 * Reading the library's tables. Columns are looked up by the names the
 * library documents, so a reordering there cannot shift values here; a
 * missing one is a mismatch between the extension and the library it was
 * linked with, not a user error.
 */
static size_t
table_column(const seg_table *t, const char *name)
{
	size_t		c;

	if (seg_table_column_find(t, name, &c) != SEG_OK)
		elog(ERROR, "the library's %s table has no column \"%s\"",
			 seg_table_name(t), name);
	return c;
}

static void
cell_text(Datum *v, bool *null, const seg_table *t, size_t r, size_t c)
{
	put_text(v, null, seg_table_text(t, r, c));
}

static void
cell_f64(Datum *v, bool *null, const seg_table *t, size_t r, size_t c)
{
	double		x = seg_table_f64(t, r, c);

	put_f64(v, null, &x, 0);
}

static void
cell_int(Datum *v, bool *null, const seg_table *t, size_t r, size_t c,
		 bool wide)
{
	double		x = seg_table_f64(t, r, c);

	put_int(v, null, &x, 0, wide);
}

/* segment_call_list(rules, orders, models, params, ..., capacity,
 * value_column, exclude_column, contact_kind): today's calls. */
PG_FUNCTION_INFO_V1(segment_call_list);
Datum
segment_call_list(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsi = (ReturnSetInfo *) fcinfo->resultinfo;
	job		   *j;
	seg_dataset *ds;
	seg_call_list_options o;
	seg_table  *made = NULL;
	const seg_table *t;
	int			rc;
	const char *col;
	int64		capacity;
	size_t		c_rank,
				c_id,
				c_tier,
				c_priority,
				c_value,
				c_last;

	InitMaterializedSRF(fcinfo, 0);
	capacity = PG_ARGISNULL(9) ? 0 : PG_GETARG_INT32(9);
	if (capacity < 0)
		bad_input("capacity must not be negative");
	j = job_begin();
	col = apply_rules(j, fcinfo, 1, 2, &ds);
	seg_call_list_options_init(&o);
	o.tier_column = col;
	o.capacity = (size_t) capacity;
	o.value_column = text_arg(fcinfo, 10);
	o.exclude_column = text_arg(fcinfo, 11);
	if (!PG_ARGISNULL(12))
		o.contact_kind = text_arg(fcinfo, 12);
	o.as_of = seconds_arg(fcinfo, 4);
	rc = seg_call_list_table(&made, j->rules, ds, &o);
	t = job_add_table(j, rc, made, seg_rules_errmsg(j->rules));
	c_rank = table_column(t, "rank");
	c_id = table_column(t, "customer_id");
	c_tier = table_column(t, "tier");
	c_priority = table_column(t, "priority");
	c_value = table_column(t, "value");
	c_last = table_column(t, "last_contact");
	for (size_t r = 0; r < seg_table_row_count(t); r++)
	{
		Datum		v[6] = {0};
		bool		null[6] = {false};
		const char *last = seg_table_text(t, r, c_last);
		int64		s;

		if ((r & 0xffff) == 0)
			CHECK_FOR_INTERRUPTS();
		cell_int(&v[0], &null[0], t, r, c_rank, true);
		cell_text(&v[1], &null[1], t, r, c_id);
		cell_text(&v[2], &null[2], t, r, c_tier);
		cell_int(&v[3], &null[3], t, r, c_priority, false);
		cell_f64(&v[4], &null[4], t, r, c_value);
		/* The table gives the contact as ISO 8601 text, a day or a time,
		 * in the dataset's zone; the library's own parser reads it back. */
		if (last && seg_time_parse(&s, last, strlen(last), SEG_TIME_ISO8601) == SEG_OK)
			v[5] = TimestampTzGetDatum(timestamptz_of_epoch((double) s));
		else
			null[5] = true;
		tuplestore_putvalues(rsi->setResult, rsi->setDesc, v, null);
	}
	job_end(j);
	return (Datum) 0;
}

/* segment_summary(rules, orders, models, params, ..., value_columns):
 * per tier and value column: customers, share, total, mean, value share. */
PG_FUNCTION_INFO_V1(segment_summary);
Datum
segment_summary(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsi = (ReturnSetInfo *) fcinfo->resultinfo;
	job		   *j;
	seg_dataset *ds;
	char	  **vals;
	int			nv,
				rc;
	const char *col;
	seg_table  *made = NULL;
	const seg_table *t;
	size_t		c_count,
				c_share;

	InitMaterializedSRF(fcinfo, 0);
	vals = text_array_arg(fcinfo, 9, &nv, "value_columns");
	j = job_begin();
	col = apply_rules(j, fcinfo, 1, 2, &ds);
	rc = seg_dataset_summary_table(&made, ds, col, (const char *const *) vals,
								   (size_t) nv);
	t = job_add_table(j, rc, made, seg_dataset_errmsg(ds));

	/*
	 * The tier column comes first and the value columns' triples follow
	 * count and share, in the order asked for; looking them up by name
	 * could meet a tier column or value column called "count".
	 */
	if (seg_table_column_count(t) != 3 + 3 * (size_t) nv)
		elog(ERROR, "the library's summary has %zu columns, not %d",
			 seg_table_column_count(t), 3 + 3 * nv);
	c_count = 1;
	c_share = 2;
	for (size_t r = 0; r < seg_table_row_count(t); r++)
	{
		for (int k = 0; k < (nv ? nv : 1); k++)
		{
			Datum		v[7] = {0};
			bool		null[7] = {false};

			cell_text(&v[0], &null[0], t, r, 0);
			cell_int(&v[1], &null[1], t, r, c_count, true);
			cell_f64(&v[2], &null[2], t, r, c_share);
			if (nv == 0)
				null[3] = null[4] = null[5] = null[6] = true;
			else
			{
				v[3] = CStringGetTextDatum(vals[k]);
				for (int q = 0; q < 3; q++)
					cell_f64(&v[4 + q], &null[4 + q], t, r, 3 + 3 * (size_t) k + q);
			}
			tuplestore_putvalues(rsi->setResult, rsi->setDesc, v, null);
		}
	}
	job_end(j);
	return (Datum) 0;
}

/* segment_crosstab(rules, orders, models, params, ..., by): customers per
 * tier and label of the column by, one row a pair. */
PG_FUNCTION_INFO_V1(segment_crosstab);
Datum
segment_crosstab(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsi = (ReturnSetInfo *) fcinfo->resultinfo;
	job		   *j;
	seg_dataset *ds;
	const char *by = text_arg(fcinfo, 9);
	const char *col;
	seg_table  *made = NULL;
	const seg_table *t;
	size_t		rows,
				cols;
	int			rc;

	InitMaterializedSRF(fcinfo, 0);
	if (!by)
		bad_input("by must name a label column");
	j = job_begin();
	col = apply_rules(j, fcinfo, 1, 2, &ds);
	rc = seg_dataset_crosstab_table(&made, ds, col, by);
	t = job_add_table(j, rc, made, seg_dataset_errmsg(ds));
	rows = seg_table_row_count(t);
	cols = seg_table_column_count(t);

	/*
	 * The last row and the last column are the totals, whatever the labels
	 * are called (a tier may well be named "total"); SQL sums the rest, so
	 * only the cells between them are returned.
	 */
	if (rows < 1 || cols < 2)
		elog(ERROR, "the library's crosstab has %zu rows and %zu columns",
			 rows, cols);
	for (size_t r = 0; r + 1 < rows; r++)
	{
		CHECK_FOR_INTERRUPTS();
		for (size_t c = 1; c + 1 < cols; c++)
		{
			Datum		v[3] = {0};
			bool		null[3] = {false};
			const char *label = seg_table_column_name(t, c);

			cell_text(&v[0], &null[0], t, r, 0);
			/* The customers without a label have the column "". */
			put_text(&v[1], &null[1], label && label[0] ? label : NULL);
			cell_int(&v[2], &null[2], t, r, c, true);
			tuplestore_putvalues(rsi->setResult, rsi->setDesc, v, null);
		}
	}
	job_end(j);
	return (Datum) 0;
}

/*
 * The common part of the report functions: argument 0 is a kind (fitted on
 * the data with the KEY=VALUE params of argument 2) or a saved model's text,
 * then orders and the other inputs. Returns the model's report table.
 */
static const seg_table *
model_report(job *j, FunctionCallInfo fcinfo, const char *report)
{
	const char *model = text_arg(fcinfo, 0);
	char	  **params;
	int			np,
				rc;
	inputs		in;
	seg_model  *m;
	seg_dataset *ds;
	seg_table  *made = NULL;

	if (!model)
		bad_input("the model must not be NULL");
	params = text_array_arg(fcinfo, 2, &np, "params");
	in = inputs_from(fcinfo, 1, 3);
	if (looks_like_saved_model(model))
	{
		/* A saved model keeps the parameters it was fitted with. */
		if (np > 0)
			bad_input("params apply to a model kind, not to a saved model");
		m = model_from_text(j, model, strlen(model));
		ds = build_dataset(j, &in);
	}
	else
	{
		m = new_model(j, model, params, np);
		ds = build_dataset(j, &in);
		fit_model(m, ds);
	}
	rc = seg_model_report_table(&made, m, ds, report);
	return job_add_table(j, rc, made, seg_model_errmsg(m));
}

/* segment_holdout(model, orders, params, ...): predicted against actual
 * purchases in the holdout, by calibration frequency. */
PG_FUNCTION_INFO_V1(segment_holdout);
Datum
segment_holdout(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsi = (ReturnSetInfo *) fcinfo->resultinfo;
	job		   *j;
	const seg_table *t;
	size_t		c_freq,
				c_customers,
				c_predicted,
				c_actual;

	InitMaterializedSRF(fcinfo, 0);
	j = job_begin();
	t = model_report(j, fcinfo, "holdout");
	c_freq = table_column(t, "frequency");
	c_customers = table_column(t, "customers");
	c_predicted = table_column(t, "predicted");
	c_actual = table_column(t, "actual");
	for (size_t r = 0; r < seg_table_row_count(t); r++)
	{
		Datum		v[4] = {0};
		bool		null[4] = {false};

		cell_text(&v[0], &null[0], t, r, c_freq);
		cell_int(&v[1], &null[1], t, r, c_customers, true);
		cell_f64(&v[2], &null[2], t, r, c_predicted);
		cell_f64(&v[3], &null[3], t, r, c_actual);
		tuplestore_putvalues(rsi->setResult, rsi->setDesc, v, null);
	}
	job_end(j);
	return (Datum) 0;
}

/* segment_compare(models): saved models fitted on one data set (the text
 * of segment_fit_model), compared: AIC, BIC and the likelihood-ratio test
 * of each against the first earlier model nested in it. */
PG_FUNCTION_INFO_V1(segment_compare);
Datum
segment_compare(PG_FUNCTION_ARGS)
{
	static const char *const names[13] = {
		"model", "kind", "parameters", "loglik", "customers", "aic", "bic",
		"delta_aic", "delta_bic", "nested", "lr", "df", "p_value"};
	ReturnSetInfo *rsi = (ReturnSetInfo *) fcinfo->resultinfo;
	job		   *j;
	int			n;
	char	  **texts;
	const seg_model **ms;
	const seg_table *t;
	seg_table  *made = NULL;
	size_t		col[13];
	int			rc;

	InitMaterializedSRF(fcinfo, 0);
	j = job_begin();
	texts = text_array_arg(fcinfo, 0, &n, "models");
	if (n < 1)
		bad_input("models must hold at least one saved model");
	ms = palloc(sizeof(*ms) * n);
	for (int k = 0; k < n; k++)
		ms[k] = model_from_text(j, texts[k], strlen(texts[k]));
	rc = seg_model_compare(&made, ms, (size_t) n);
	t = job_add_table(j, rc, made, seg_errmsg());
	for (int c = 0; c < 13; c++)
		col[c] = table_column(t, names[c]);
	for (size_t r = 0; r < seg_table_row_count(t); r++)
	{
		Datum		v[13] = {0};
		bool		null[13] = {false};

		for (int c = 0; c < 13; c++)
		{
			if (c < 2 || c == 9)
				cell_text(&v[c], &null[c], t, r, col[c]);
			else if (c == 2 || c == 4 || c == 11)
				cell_int(&v[c], &null[c], t, r, col[c], true);
			else
				cell_f64(&v[c], &null[c], t, r, col[c]);
		}
		tuplestore_putvalues(rsi->setResult, rsi->setDesc, v, null);
	}
	job_end(j);
	return (Datum) 0;
}

/* segment_profile(model, orders, params, ...): per k-means cluster its
 * size, share and centre, one row a feature, since the features vary. */
PG_FUNCTION_INFO_V1(segment_profile);
Datum
segment_profile(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsi = (ReturnSetInfo *) fcinfo->resultinfo;
	job		   *j;
	const seg_table *t;
	size_t		c_cluster,
				c_size,
				c_share,
				cols;

	InitMaterializedSRF(fcinfo, 0);
	j = job_begin();
	t = model_report(j, fcinfo, "profile");
	c_cluster = table_column(t, "cluster");
	c_size = table_column(t, "size");
	c_share = table_column(t, "share");
	cols = seg_table_column_count(t);
	for (size_t r = 0; r < seg_table_row_count(t); r++)
	{
		for (size_t c = 0; c < cols; c++)
		{
			Datum		v[5] = {0};
			bool		null[5] = {false};

			if (c == c_cluster || c == c_size || c == c_share)
				continue;
			cell_int(&v[0], &null[0], t, r, c_cluster, true);
			cell_int(&v[1], &null[1], t, r, c_size, true);
			cell_f64(&v[2], &null[2], t, r, c_share);
			put_text(&v[3], &null[3], seg_table_column_name(t, c));
			cell_f64(&v[4], &null[4], t, r, c);
			tuplestore_putvalues(rsi->setResult, rsi->setDesc, v, null);
		}
	}
	job_end(j);
	return (Datum) 0;
}

/* segment_models(): the registered kinds and their parameters. */
PG_FUNCTION_INFO_V1(segment_models);
Datum
segment_models(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsi = (ReturnSetInfo *) fcinfo->resultinfo;
	job		   *j;

	InitMaterializedSRF(fcinfo, 0);
	j = job_begin();
	for (size_t k = 0; k < seg_model_kind_count(); k++)
	{
		const char *kind = seg_model_kind_name(k);
		seg_model  *m;
		int			rc = seg_model_new(&m, kind);

		if (rc)
			raise_seg(rc, seg_errmsg());
		job_add_model(j, m);
		for (size_t i = 0; i < seg_model_param_count(m); i++)
		{
			seg_param_def d;
			Datum		v[5];
			bool		null[5] = {false};

			seg_param_def_init(&d);
			rc = seg_model_param_info(m, i, &d);
			if (rc)
				raise_seg(rc, seg_model_errmsg(m));
			v[0] = CStringGetTextDatum(kind);
			v[1] = CStringGetTextDatum(d.name);
			v[2] = CStringGetTextDatum(d.type == SEG_PARAM_F64 ? "number"
									   : d.type == SEG_PARAM_INT ? "integer" : "text");
			if (d.type == SEG_PARAM_STR)
				v[3] = CStringGetTextDatum(d.default_str ? d.default_str : "");
			else
			{
				char		num[64];

				snprintf(num, sizeof num, "%.17g", d.default_num);
				v[3] = CStringGetTextDatum(num);
			}
			put_text(&v[4], &null[4], d.description);
			tuplestore_putvalues(rsi->setResult, rsi->setDesc, v, null);
		}
		seg_model_free(m);
		j->models[--j->n_models] = NULL;
	}
	job_end(j);
	return (Datum) 0;
}

/* segment_version(): the linked library's version. */
PG_FUNCTION_INFO_V1(segment_version);
Datum
segment_version(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(seg_version_string()));
}
