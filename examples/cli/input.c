/* Input options to seg_csv_options and seg_features_options, and the
 * loading of every input file into one dataset. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "input.h"
#include "output.h"
#include "progress.h"

static const char stdin_name[] = "<stdin>";

static int is_stdin(const char *path)
{
    return path && strcmp(path, "-") == 0;
}

/* Only the roles the user named are set: the loader finds the others by
 * their header. */
static int parse_map(const cli_command *cmd, const char *opt, const char *v,
                     cli_file *f)
{
    static const char *const roles[] = {"id", "time", "amount", "kind",
                                        "value", "attr", "category"};
    const char *eq = strchr(v, '=');
    if (!eq || eq == v || !eq[1])
        return cli_usage_error(cmd, "%s: '%s' is not ROLE=COLUMN", opt, v);
    size_t len = (size_t)(eq - v);
    size_t r = 0;
    while (r < sizeof roles / sizeof *roles &&
           !(strlen(roles[r]) == len && strncmp(roles[r], v, len) == 0))
        r++;
    const char *col = eq + 1;
    switch (r) {
    case 0: f->csv.id_column = col; break;
    case 1: f->csv.time_column = col; break;
    case 2: f->csv.amount_column = col; break;
    case 3: f->csv.kind_column = col; break;
    case 4: f->csv.value_column = col; break;
    case 5: f->attrs[f->csv.n_attribute_columns++] = col; break;
    case 6: f->category = col; break;
    default:
        return cli_usage_error(cmd, "%s: unknown role in '%s' (id, time, "
                               "amount, kind, value, attr, category)", opt,
                               v);
    }
    return 0;
}

static int parse_delimiter(const cli_command *cmd, const char *v, char *out)
{
    if (strcmp(v, ",") == 0 || strcmp(v, ";") == 0)
        *out = v[0];
    else if (strcmp(v, "tab") == 0 || strcmp(v, "\t") == 0)
        *out = '\t';
    else if (strcmp(v, "space") == 0 || strcmp(v, " ") == 0)
        *out = ' ';
    else
        return cli_usage_error(cmd, "--delimiter: '%s' is not ',', ';', tab "
                               "or space", v);
    return 0;
}

static int parse_time_format(const cli_command *cmd, const char *v, int *out)
{
    static const char *const names[] = {"auto", "iso", "yyyymmdd", "epoch"};
    static const int formats[] = {SEG_TIME_AUTO, SEG_TIME_ISO8601,
                                  SEG_TIME_YYYYMMDD, SEG_TIME_EPOCH};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strcmp(v, names[i]) == 0) {
            *out = formats[i];
            return 0;
        }
    return cli_usage_error(cmd, "--time-format: '%s' is not auto, iso, "
                           "yyyymmdd or epoch", v);
}

static int parse_time(const cli_command *cmd, const char *opt, const char *v,
                      int flags, int64_t *out)
{
    if (seg_time_parse(out, v, strlen(v), SEG_TIME_AUTO | flags) != SEG_OK)
        return cli_usage_error(cmd, "%s: '%s' is not a date or time", opt, v);
    return 0;
}

static int parse_windows(const cli_command *cmd, const char *v,
                         seg_features_options *fo)
{
    int n = 0;
    for (const char *p = v;; p++) {
        char *end;
        long d = strtol(p, &end, 10);
        if (end == p || d < 1 || d > 36500 || (*end && *end != ',') ||
            n == SEG_FEATURES_MAX_WINDOWS)
            return cli_usage_error(cmd, "--windows: '%s' is not up to %d "
                                   "numbers of days (1 to 36500) separated "
                                   "by commas", v, SEG_FEATURES_MAX_WINDOWS);
        for (int k = 0; k < n; k++)
            if (fo->windows[k] == d)
                return cli_usage_error(cmd, "--windows: %ld is given twice",
                                       d);
        fo->windows[n++] = (int)d;
        if (!*end)
            return 0;
        p = end;
    }
}

static int parse_threads(const cli_command *cmd, const char *v, int *out)
{
    char *end;
    long t = strtol(v, &end, 10);
    if (*end || end == v || t < 0 || t > 64)
        return cli_usage_error(cmd, "--threads: '%s' is not a number from 0 "
                               "to 64", v);
    *out = (int)t;
    return 0;
}

static int file_init(cli_file *f, const char *path, size_t max_attrs)
{
    seg_csv_options_init(&f->csv);
    f->path = path;
    f->attrs = calloc(max_attrs + 1, sizeof *f->attrs);
    return f->attrs ? 0 : cli_input_error("out of memory");
}

/* One option of a; 0 or EXIT_USAGE. */
static int input_option(const cli_args *a, const cli_arg *o, cli_input *in)
{
    const cli_command *cmd = a->cmd;
    const char *v = o->value;
    switch (o->opt) {
    case OPT_MAP: return parse_map(cmd, o->spelling, v, &in->data);
    case OPT_EVENTS_MAP: return parse_map(cmd, o->spelling, v, &in->events);
    case OPT_ATTRIBUTES_MAP:
        return parse_map(cmd, o->spelling, v, &in->attributes);
    case OPT_NO_HEADER: in->data.csv.has_header = 0; return 0;
    case OPT_DELIMITER:
        return parse_delimiter(cmd, v, &in->data.csv.delimiter);
    case OPT_TIME_FORMAT:
        return parse_time_format(cmd, v, &in->data.csv.time_format);
    case OPT_THREADS: return parse_threads(cmd, v, &in->threads);
    case OPT_TIMEZONE: in->timezone = v; return 0;
    case OPT_PROGRESS: in->progress = CLI_PROGRESS_ON; return 0;
    case OPT_QUIET: in->progress = CLI_PROGRESS_OFF; return 0;
    case OPT_NO_RETURNS: in->data.csv.reject_negative_amounts = 1; return 0;
    case OPT_SUMMARY_INPUT: in->summary = 1; return 0;
    case OPT_AS_OF:
        in->as_of = v;
        return parse_time(cmd, o->spelling, v, SEG_TIME_END_OF_DAY,
                          &in->fo.as_of);
    case OPT_HOLDOUT_FROM:
        in->holdout_from = v;
        return parse_time(cmd, o->spelling, v, 0, &in->fo.holdout_from);
    case OPT_WINDOWS: return parse_windows(cmd, v, &in->fo);
    case OPT_TIME_UNIT:
        if (strcmp(v, "day") == 0)
            in->fo.time_unit = SEG_UNIT_DAY;
        else if (strcmp(v, "week") == 0)
            in->fo.time_unit = SEG_UNIT_WEEK;
        else
            return cli_usage_error(cmd, "--time-unit: '%s' is not day or "
                                   "week", v);
        return 0;
    default: return 0;
    }
}

/* Options that would otherwise be taken and ignored. */
static int check_input(const cli_args *a, const cli_input *in)
{
    static const cli_opt features[] = {OPT_AS_OF, OPT_TIME_UNIT,
                                       OPT_HOLDOUT_FROM, OPT_WINDOWS};
    if (cli_count(a, OPT_PROGRESS) && cli_count(a, OPT_QUIET))
        return cli_usage_error(a->cmd, "--progress and --quiet contradict "
                               "each other: give one");
    if (!in->events.path && cli_count(a, OPT_EVENTS_MAP))
        return cli_usage_error(a->cmd, "--events-map needs --events FILE");
    if (!in->attributes.path && cli_count(a, OPT_ATTRIBUTES_MAP))
        return cli_usage_error(a->cmd, "--attributes-map needs --attributes "
                               "FILE");
    for (size_t i = 0; in->summary && i < sizeof features / sizeof *features;
         i++)
        if (cli_count(a, features[i]))
            return cli_usage_error(a->cmd, "%s: a --summary file has no "
                                   "transactions to compute features from",
                                   cli_spelling(a, features[i]));
    int from_stdin = is_stdin(in->data.path) + is_stdin(in->events.path) +
                     is_stdin(in->attributes.path);
    for (size_t i = 0; i < a->n; i++)
        from_stdin += a->v[i].opt == OPT_RULES && is_stdin(a->v[i].value);
    if (from_stdin > 1)
        return cli_usage_error(a->cmd, "only one input can be '-' (standard "
                               "input)");
    return 0;
}

int cli_input_options(const cli_args *a, const char *data, cli_input *in)
{
    memset(in, 0, sizeof *in);
    seg_features_options_init(&in->fo);
    if (file_init(&in->data, data, a->n) ||
        file_init(&in->events, cli_get(a, OPT_EVENTS), a->n) ||
        file_init(&in->attributes, cli_get(a, OPT_ATTRIBUTES), a->n))
        return EXIT_INPUT;
    for (size_t i = 0; i < a->n; i++) {
        int rc = input_option(a, &a->v[i], in);
        if (rc)
            return rc;
    }
    int rc = check_input(a, in);
    if (rc)
        return rc;
    if (cli_count(a, OPT_TIMINGS))
        cli_timings_start();
    cli_file *files[] = {&in->data, &in->events, &in->attributes};
    for (size_t i = 0; i < 3; i++)
        files[i]->csv.attribute_columns = files[i]->attrs;
    if (in->summary) {
        in->data.csv.all_attributes = 1;
        /* numbered rows only when the file has no id column of its own */
        in->data.csv.row_ids = 2;
    }
    /* an attributes file gives every column unless attr= names some */
    in->attributes.csv.all_attributes =
        in->attributes.csv.n_attribute_columns == 0;
    return 0;
}

char *cli_read_all(const char *path, size_t *len)
{
    FILE *f = is_stdin(path) ? stdin : fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    for (size_t got; buf && (got = fread(buf + n, 1, cap - n, f)) > 0;) {
        n += got;
        if (n < cap)
            continue;
        char *nb = realloc(buf, cap *= 2);
        if (!nb)
            free(buf);
        buf = nb;
    }
    int failed = ferror(f);
    if (f != stdin)
        fclose(f);
    if (failed) {
        free(buf);
        errno = errno ? errno : EIO;
        return NULL;
    }
    *len = n;
    return buf;
}

/* The loader's messages start with the file name; one that does not gets
 * it, so that with three files the user knows which one is wrong. */
static int load_file(seg_dataset *ds, const cli_file *f, const char *what)
{
    const char *name = is_stdin(f->path) ? stdin_name : f->path;
    int rc;
    cli_progress_label(name);
    if (is_stdin(f->path)) {
        size_t len = 0;
        char *buf = cli_read_all(f->path, &len);
        if (!buf)
            return cli_input_error("%s: cannot read: %s", name,
                                   strerror(errno));
        rc = seg_dataset_load_csv_buffer_cat(ds, buf, len, name, &f->csv,
                                             f->category);
        free(buf);
    } else {
        rc = seg_dataset_load_csv_cat(ds, f->path, &f->csv, f->category);
    }
    if (rc == SEG_OK)
        return 0;
    const char *msg = seg_dataset_errmsg(ds);
    if (strstr(msg, name))
        return cli_input_error("%s", msg);
    return cli_input_error("%s %s: %s", what, name, msg);
}

/* The zone first: it decides what the files' local times mean. */
static int set_timezone(seg_dataset *ds, const cli_input *in,
                        seg_features_options *fo)
{
    if (!in->timezone)
        return 0;
    if (seg_dataset_set_timezone(ds, in->timezone) != SEG_OK)
        return cli_input_error("--timezone: %s", seg_dataset_errmsg(ds));
    /* the syntax was checked with the options: these cannot fail */
    if (in->as_of)
        seg_dataset_parse_time(ds, &fo->as_of, in->as_of, strlen(in->as_of),
                               SEG_TIME_AUTO | SEG_TIME_END_OF_DAY);
    if (in->holdout_from)
        seg_dataset_parse_time(ds, &fo->holdout_from, in->holdout_from,
                               strlen(in->holdout_from), SEG_TIME_AUTO);
    return 0;
}

/* One attempt; *refused is set when a features-only dataset could not
 * give the features (a customer's days out of order), for a second
 * attempt that keeps the records. */
static int load_all(const cli_input *in, int features_only,
                    seg_dataset **out, int *refused)
{
    seg_dataset *ds = NULL;
    if (seg_dataset_new(&ds) != SEG_OK ||
        seg_dataset_set_threads(ds, in->threads) != SEG_OK) {
        seg_dataset_free(ds);
        return cli_input_error("%s", seg_errmsg());
    }
    cli_progress_start(in->progress);
    seg_dataset_set_progress(ds, cli_progress, NULL);
    seg_features_options fo = in->fo;
    int rc = set_timezone(ds, in, &fo);
    if (rc == 0 && features_only &&
        seg_dataset_set_features_only(ds, fo.as_of) != SEG_OK)
        rc = cli_input_error("%s", seg_dataset_errmsg(ds));
    if (rc == 0)
        rc = load_file(ds, &in->data, "data");
    if (rc == 0 && in->events.path)
        rc = load_file(ds, &in->events, "events");
    if (rc == 0 && in->attributes.path)
        rc = load_file(ds, &in->attributes, "attributes");
    cli_phase("load");
    cli_progress_label(NULL);
    if (rc == 0 && !in->summary && !in->no_features) {
        int frc = seg_dataset_compute_features(ds, &fo);
        if (frc == SEG_EMISUSE && features_only)
            *refused = 1;
        else if (frc != SEG_OK)
            rc = cli_input_error("%s", seg_dataset_errmsg(ds));
        cli_phase("features");
    }
    if (rc || *refused) {
        seg_dataset_free(ds);
        return rc;
    }
    *out = ds;
    return 0;
}

int cli_input_load(const cli_input *in, seg_dataset **out)
{
    int refused = 0;
    int rc = load_all(in, in->features_only, out, &refused);
    if (rc == 0 && refused) { /* again, keeping the records */
        refused = 0;
        rc = load_all(in, 0, out, &refused);
    }
    return rc;
}

void cli_input_free(cli_input *in)
{
    free(in->data.attrs);
    free(in->events.attrs);
    free(in->attributes.attrs);
    memset(in, 0, sizeof *in);
}
